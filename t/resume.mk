# tests: interrupting a run and resuming it (`cnnlab run --resume`)
TESTS += t/resume.sh
EXTRA_DIST += t/resume.sh
check_PROGRAMS += t/test-train-state
TESTS += t/test-train-state
t_test_train_state_SOURCES = t/test-train-state.c $(TEST_UTIL_SOURCES)
t_test_train_state_LDADD = $(CNN_TEST_LIBS)
