# tests: analyses check their parameters against the model before training
# (the validate hook, ABI 2.3), and analysis modules of older ABI minors.
# One source, an analysis module per minor: 2.0-2.2 without the hook, 2.3
# with it.
check_LTLIBRARIES += t/analysis-abi-0.la t/analysis-abi-1.la \
	t/analysis-abi-2.la t/analysis-abi-3.la
t_analysis_abi_0_la_SOURCES = t/plugins/analysis-abi.c
t_analysis_abi_0_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DMODULE_MINOR=0
t_analysis_abi_0_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_analysis_abi_0_la_LIBADD = libcnnlab.la
t_analysis_abi_1_la_SOURCES = t/plugins/analysis-abi.c
t_analysis_abi_1_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DMODULE_MINOR=1
t_analysis_abi_1_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_analysis_abi_1_la_LIBADD = libcnnlab.la
t_analysis_abi_2_la_SOURCES = t/plugins/analysis-abi.c
t_analysis_abi_2_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DMODULE_MINOR=2
t_analysis_abi_2_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_analysis_abi_2_la_LIBADD = libcnnlab.la
t_analysis_abi_3_la_SOURCES = t/plugins/analysis-abi.c
t_analysis_abi_3_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DMODULE_MINOR=3
t_analysis_abi_3_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_analysis_abi_3_la_LIBADD = libcnnlab.la

check_PROGRAMS += t/test-analysis-validate
TESTS += t/test-analysis-validate
t_test_analysis_validate_SOURCES = t/test-analysis-validate.c \
	t/partb-fixture.h $(TEST_UTIL_SOURCES)
t_test_analysis_validate_LDADD = $(CNN_TEST_LIBS)
TESTS += t/analysis-validate.sh
EXTRA_DIST += t/analysis-validate.sh
