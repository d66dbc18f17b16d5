# tests: Part B's analyses (running the model in pieces; occlusion,
# filters and ablation on hand-built models and end to end).
check_PROGRAMS += t/test-analysis-run
TESTS += t/test-analysis-run
t_test_analysis_run_SOURCES = t/test-analysis-run.c $(TEST_UTIL_SOURCES)
t_test_analysis_run_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-partb-known
TESTS += t/test-partb-known
t_test_partb_known_SOURCES = t/test-partb-known.c t/partb-fixture.h \
	$(TEST_UTIL_SOURCES)
t_test_partb_known_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-partb-exact
TESTS += t/test-partb-exact
t_test_partb_exact_SOURCES = t/test-partb-exact.c t/partb-fixture.h \
	$(TEST_UTIL_SOURCES)
t_test_partb_exact_LDADD = $(CNN_TEST_LIBS)
TESTS += t/partb-analyses.sh
EXTRA_DIST += t/partb-analyses.sh
