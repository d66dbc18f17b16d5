# tests: components (the losses, optim and loaders modules)
# Shared helpers: parameters from settings, loading a build-tree module.
TEST_UTIL_SOURCES = t/test-util.c t/test-util.h t/tap.h
check_PROGRAMS += t/test-loss t/test-sgd t/test-loaders t/test-synthetic
TESTS += t/test-loss t/test-sgd t/test-loaders t/test-synthetic
t_test_loss_SOURCES = t/test-loss.c $(TEST_UTIL_SOURCES)
t_test_loss_LDADD = $(CNN_TEST_LIBS)
t_test_sgd_SOURCES = t/test-sgd.c $(TEST_UTIL_SOURCES)
t_test_sgd_LDADD = $(CNN_TEST_LIBS)
# test-loaders writes its IDX fixtures with zlib.
t_test_loaders_SOURCES = t/test-loaders.c $(TEST_UTIL_SOURCES)
t_test_loaders_LDADD = $(CNN_TEST_LIBS) -lz
t_test_synthetic_SOURCES = t/test-synthetic.c $(TEST_UTIL_SOURCES)
t_test_synthetic_LDADD = $(CNN_TEST_LIBS)
# A loader's labels: subset (idx on IDX files it writes, synthetic).
check_PROGRAMS += t/test-loader-labels
TESTS += t/test-loader-labels t/loader-labels.sh
EXTRA_DIST += t/loader-labels.sh
t_test_loader_labels_SOURCES = t/test-loader-labels.c $(TEST_UTIL_SOURCES)
t_test_loader_labels_LDADD = $(CNN_TEST_LIBS)
