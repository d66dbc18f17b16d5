# tests: analyses check their parameters against the model before training
# (the validate hook), with a module whose hook refuses on request.
check_LTLIBRARIES += t/analysis-hook.la
t_analysis_hook_la_SOURCES = t/plugins/analysis-hook.c
t_analysis_hook_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_analysis_hook_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_analysis_hook_la_LIBADD = libcnnlab.la

check_PROGRAMS += t/test-analysis-validate
TESTS += t/test-analysis-validate
t_test_analysis_validate_SOURCES = t/test-analysis-validate.c \
	t/partb-fixture.h $(TEST_UTIL_SOURCES)
t_test_analysis_validate_LDADD = $(CNN_TEST_LIBS)
TESTS += t/analysis-validate.sh
EXTRA_DIST += t/analysis-validate.sh
