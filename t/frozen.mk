# tests: frozen layers for transfer learning (a layer's `trainable: false`,
# train.freeze) and fine-tuning with a new head.
check_PROGRAMS += t/test-frozen
TESTS += t/test-frozen
t_test_frozen_SOURCES = t/test-frozen.c $(TEST_UTIL_SOURCES)
t_test_frozen_LDADD = $(CNN_TEST_LIBS)
TESTS += t/frozen.sh
EXTRA_DIST += t/frozen.sh
