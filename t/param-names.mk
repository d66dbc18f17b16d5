# tests: NAME_LIST parameters
check_PROGRAMS += t/test-param-names
TESTS += t/test-param-names
t_test_param_names_SOURCES = t/test-param-names.c t/tap.h t/test-aborts.h
t_test_param_names_LDADD = $(CNN_TEST_LIBS)

TESTS += t/partb-layers.sh
EXTRA_DIST += t/partb-layers.sh
