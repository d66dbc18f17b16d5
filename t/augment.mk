# tests: data augmentation (data.augment): the transforms on hand-computed
# images and the manifest's list (t/test-augment.c), and training with it
# through cnnlab run: determinism and --resume (t/augment.sh).
check_PROGRAMS += t/test-augment
TESTS += t/test-augment t/augment.sh
t_test_augment_SOURCES = t/test-augment.c t/tap.h
t_test_augment_LDADD = $(CNN_TEST_LIBS)
EXTRA_DIST += t/augment.sh
