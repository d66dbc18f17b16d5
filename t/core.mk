# tests: core (module loader, model, training, manifests, CLI)
TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += t/abi-major.la t/abi-minor.la t/abi-older.la \
	t/abi-two.la t/no-entry.la \
	t/init-fails.la t/dup-first.la t/dup-second.la
t_abi_major_la_SOURCES = t/plugins/abi-major.c
t_abi_major_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_abi_major_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_abi_two_la_SOURCES = t/plugins/abi-two.c
t_abi_two_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_abi_two_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_abi_minor_la_SOURCES = t/plugins/abi-minor.c
t_abi_minor_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_abi_minor_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_abi_older_la_SOURCES = t/plugins/abi-older.c
t_abi_older_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_abi_older_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_no_entry_la_SOURCES = t/plugins/no-entry.c
t_no_entry_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_no_entry_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_init_fails_la_SOURCES = t/plugins/init-fails.c
t_init_fails_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_init_fails_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_init_fails_la_LIBADD = libcnnlab.la
# One source, two modules registering the same loss under their own names.
t_dup_first_la_SOURCES = t/plugins/duplicate-name.c
t_dup_first_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DMODULE_NAME='"dup-first"' \
	-DTWIN_HELP='"from the first module"'
t_dup_first_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_dup_first_la_LIBADD = libcnnlab.la
t_dup_second_la_SOURCES = t/plugins/duplicate-name.c
t_dup_second_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DMODULE_NAME='"dup-second"' \
	-DTWIN_HELP='"from the second module"'
t_dup_second_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_dup_second_la_LIBADD = libcnnlab.la

check_PROGRAMS += t/test-module-loader
TESTS += t/test-module-loader
t_test_module_loader_SOURCES = t/test-module-loader.c t/test-util.h t/tap.h
t_test_module_loader_LDADD = $(CNN_TEST_LIBS)

TESTS += t/cli-manifest-errors.sh
EXTRA_DIST += t/tap.sh t/cli-manifest-errors.sh
TESTS += t/cli-train.sh
EXTRA_DIST += t/cli-train.sh
TESTS += t/quickstart.sh
EXTRA_DIST += t/quickstart.sh

check_PROGRAMS += t/test-checkpoint
TESTS += t/test-checkpoint
t_test_checkpoint_SOURCES = t/test-checkpoint.c $(TEST_UTIL_SOURCES)
t_test_checkpoint_LDADD = $(CNN_TEST_LIBS)
TESTS += t/cli-interrupt.sh t/cli-signals.sh
EXTRA_DIST += t/cli-interrupt.sh t/cli-signals.sh
TESTS += t/valgrind-run.sh
EXTRA_DIST += t/valgrind-run.sh

TESTS += t/manifest-plugins-keys.sh t/messages.sh t/reliability-nonfinite.sh \
	t/reliability-plugin-trust.sh t/reliability-splits.sh
EXTRA_DIST += t/manifest-plugins-keys.sh t/messages.sh t/tiny-manifest.sh \
	t/reliability-nonfinite.sh t/reliability-plugin-trust.sh t/reliability-splits.sh
