# tests: reliability (issue 7) — bad manifests, data, checkpoints and
# plugins, faults (NaN loss, full disk, two runs in one directory); see
# docs/reliability.md for which test checks which guarantee.
# Test modules: a loss that turns NaN at a chosen step, a module planted in
# the current directory (its constructor leaves a marker file), one
# calling a function no cnnlab has, one that would shadow a built-in, and
# one defining a loss and an optimizer without kernels.
check_LTLIBRARIES += t/faulty-loss.la t/planted.la t/undefined-symbol.la \
	t/shadow.la t/no-kernels.la
t_faulty_loss_la_SOURCES = t/plugins/faulty-loss.c
t_faulty_loss_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_faulty_loss_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_faulty_loss_la_LIBADD = libcnnlab.la $(LIBM)
t_planted_la_SOURCES = t/plugins/planted.c
t_planted_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_planted_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_planted_la_LIBADD = libcnnlab.la
t_undefined_symbol_la_SOURCES = t/plugins/undefined-symbol.c
t_undefined_symbol_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_undefined_symbol_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_undefined_symbol_la_LIBADD = libcnnlab.la
t_shadow_la_SOURCES = t/plugins/shadow.c
t_shadow_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_shadow_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_shadow_la_LIBADD = libcnnlab.la
t_no_kernels_la_SOURCES = t/plugins/no-kernels.c
t_no_kernels_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
t_no_kernels_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
t_no_kernels_la_LIBADD = libcnnlab.la

check_PROGRAMS += t/test-reliability-data
t_test_reliability_data_SOURCES = t/test-reliability-data.c \
	$(IMAGEFOLDER_FIXTURES) $(TEST_UTIL_SOURCES)
t_test_reliability_data_LDADD = $(CNN_TEST_LIBS) -ljpeg

TESTS += t/test-reliability-data t/reliability-manifest.sh \
	t/reliability-data.sh t/reliability-checkpoints.sh \
	t/reliability-plugins.sh t/reliability-faults.sh t/reliability-enospc.sh \
	t/reliability-bounds.sh t/reliability-special-files.sh
EXTRA_DIST += t/reliability-manifest.sh t/reliability-data.sh \
	t/reliability-checkpoints.sh t/reliability-plugins.sh \
	t/reliability-faults.sh t/reliability-enospc.sh t/reliability-bounds.sh \
	t/reliability-special-files.sh

# Issue 19, class 11: the documented placement of occlusion windows.
check_PROGRAMS += t/test-occlusion-placement
TESTS += t/test-occlusion-placement
t_test_occlusion_placement_SOURCES = t/test-occlusion-placement.c \
	plugins/analyses/occlusion_brute.c
t_test_occlusion_placement_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/plugins/analyses
t_test_occlusion_placement_LDADD = $(CNN_TEST_LIBS)

# Issue 19, class 9a: what one JPEG decode may hold is bounded; the decoder
# is compiled in.
check_PROGRAMS += t/test-jpeg-bounds
TESTS += t/test-jpeg-bounds
t_test_jpeg_bounds_SOURCES = t/test-jpeg-bounds.c \
	plugins/loaders/jpeg_decode.c plugins/loaders/jpeg_decode.h \
	plugins/loaders/resize.c plugins/loaders/resize.h \
	$(IMAGEFOLDER_FIXTURES) $(TEST_UTIL_SOURCES)
t_test_jpeg_bounds_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins/loaders
t_test_jpeg_bounds_LDADD = $(CNN_TEST_LIBS) -ljpeg $(LIBM)
TESTS += t/reliability-paths.sh
EXTRA_DIST += t/reliability-paths.sh
TESTS += t/reliability-temporaries.sh
EXTRA_DIST += t/reliability-temporaries.sh
TESTS += t/reliability-foreign-files.sh
EXTRA_DIST += t/reliability-foreign-files.sh
