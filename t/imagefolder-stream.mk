# tests: the imagefolder loader decoding in the background while training
# runs (loader.h, "Decoding in the background"), through the loader and
# through cnnlab run.
check_PROGRAMS += t/test-imagefolder-stream
TESTS += t/test-imagefolder-stream t/imagefolder-stream.sh
EXTRA_DIST += t/imagefolder-stream.sh
t_test_imagefolder_stream_SOURCES = t/test-imagefolder-stream.c \
	t/imagefolder-fixtures.c t/imagefolder-fixtures.h $(TEST_UTIL_SOURCES)
t_test_imagefolder_stream_LDADD = $(CNN_TEST_LIBS) -ljpeg
