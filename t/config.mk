# tests: config (the YAML node tree and component parameters)
check_PROGRAMS += t/test-node t/test-params
TESTS += t/test-node t/test-params
t_test_node_SOURCES = t/test-node.c t/tap.h
t_test_node_LDADD = $(CNN_TEST_LIBS)
t_test_params_SOURCES = t/test-params.c t/tap.h t/test-aborts.h
t_test_params_LDADD = $(CNN_TEST_LIBS)
# The words an INT_PAIR takes instead of numbers (conv2d's padding: same).
check_PROGRAMS += t/test-param-words
TESTS += t/test-param-words
t_test_param_words_SOURCES = t/test-param-words.c t/tap.h
t_test_param_words_LDADD = $(CNN_TEST_LIBS)
