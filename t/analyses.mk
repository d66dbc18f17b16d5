# tests: analyses (summary, classwise, curves, timing) end to end on a
# synthetic manifest, `cnnlab analyse`, and GPU utilisation sampling with a
# stand-in NVML library (no GPU needed).
check_LTLIBRARIES += t/fake-nvml.la
t_fake_nvml_la_SOURCES = t/plugins/fake-nvml.c
t_fake_nvml_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_fake_nvml_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
check_PROGRAMS += t/test-analysis
TESTS += t/test-analysis
t_test_analysis_SOURCES = t/test-analysis.c $(TEST_UTIL_SOURCES)
t_test_analysis_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-nvml
TESTS += t/test-nvml
t_test_nvml_SOURCES = t/test-nvml.c t/tap.h
t_test_nvml_LDADD = $(CNN_TEST_LIBS)
TESTS += t/analyses.sh
EXTRA_DIST += t/analyses.sh
