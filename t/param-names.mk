# tests: NAME_LIST parameters (ABI 2.2), and modules of older ABI minors
check_PROGRAMS += t/test-param-names
TESTS += t/test-param-names
t_test_param_names_SOURCES = t/test-param-names.c t/tap.h t/test-aborts.h
t_test_param_names_LDADD = $(CNN_TEST_LIBS)

# One source, modules built for ABI 2.0, 2.1 and 2.2 (t/test-module-loader).
check_LTLIBRARIES += t/abi-older-0.la t/abi-older-1.la t/abi-older-2.la
t_abi_older_0_la_SOURCES = t/plugins/abi-older.c
t_abi_older_0_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DOLDER_MINOR=0
t_abi_older_0_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_abi_older_1_la_SOURCES = t/plugins/abi-older.c
t_abi_older_1_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DOLDER_MINOR=1
t_abi_older_1_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_abi_older_2_la_SOURCES = t/plugins/abi-older.c
t_abi_older_2_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DOLDER_MINOR=2
t_abi_older_2_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

TESTS += t/partb-layers.sh
EXTRA_DIST += t/partb-layers.sh
