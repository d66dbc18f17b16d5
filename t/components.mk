# tests: components (the losses, optim and loaders modules)
check_PROGRAMS += t/test-loss t/test-sgd t/test-loaders t/test-synthetic
TESTS += t/test-loss t/test-sgd t/test-loaders t/test-synthetic
t_test_loss_SOURCES = t/test-loss.c t/tap.h
t_test_loss_LDADD = $(CNN_TEST_LIBS)
t_test_sgd_SOURCES = t/test-sgd.c t/tap.h
t_test_sgd_LDADD = $(CNN_TEST_LIBS)
# test-loaders writes its IDX fixtures with zlib.
t_test_loaders_SOURCES = t/test-loaders.c t/tap.h
t_test_loaders_LDADD = $(CNN_TEST_LIBS) -lz
t_test_synthetic_SOURCES = t/test-synthetic.c t/tap.h
t_test_synthetic_LDADD = $(CNN_TEST_LIBS)
