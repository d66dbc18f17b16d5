# tests: the imagefolder loader, the shared resize, idx's size and channels,
# and the make-imagefolder tool. The fixtures write JPEGs with libjpeg.
IMAGEFOLDER_FIXTURES = t/imagefolder-fixtures.c t/imagefolder-fixtures.h
check_PROGRAMS += t/test-imagefolder t/test-imagefolder-cache \
	t/test-imagefolder-labels t/test-resize
TESTS += t/test-imagefolder t/test-imagefolder-cache \
	t/test-imagefolder-labels t/test-resize \
	t/make-imagefolder.sh
EXTRA_DIST += t/make-imagefolder.sh
t_test_imagefolder_SOURCES = t/test-imagefolder.c $(IMAGEFOLDER_FIXTURES) \
	$(TEST_UTIL_SOURCES)
t_test_imagefolder_LDADD = $(CNN_TEST_LIBS) -ljpeg
t_test_imagefolder_cache_SOURCES = t/test-imagefolder-cache.c \
	$(IMAGEFOLDER_FIXTURES) $(TEST_UTIL_SOURCES)
t_test_imagefolder_cache_LDADD = $(CNN_TEST_LIBS) -ljpeg
t_test_imagefolder_labels_SOURCES = t/test-imagefolder-labels.c \
	$(IMAGEFOLDER_FIXTURES) $(TEST_UTIL_SOURCES)
t_test_imagefolder_labels_LDADD = $(CNN_TEST_LIBS) -ljpeg
# The resize is compiled in, to test it directly as well as through idx.
t_test_resize_SOURCES = t/test-resize.c plugins/loaders/resize.c \
	plugins/loaders/resize.h $(IMAGEFOLDER_FIXTURES) $(TEST_UTIL_SOURCES)
t_test_resize_LDADD = $(CNN_TEST_LIBS) -ljpeg
