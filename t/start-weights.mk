# tests: a run's starting weights by digest (run.json's start_weights), so
# that a run started from weights that changed since trains again.
check_PROGRAMS += t/test-sha256
TESTS += t/test-sha256 t/start-weights.sh
EXTRA_DIST += t/start-weights.sh
t_test_sha256_SOURCES = t/test-sha256.c t/tap.h
t_test_sha256_LDADD = $(CNN_TEST_LIBS)
