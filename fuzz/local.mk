# libFuzzer harnesses (fuzz/*.c), built when configure ran with
# --enable-fuzzers (clang; scripts/fuzz builds and runs them in a build
# directory of its own). The readers they drive that live in a plugin are
# compiled in, since a module exports only its entry point; the manifest
# harness loads the build's plugins as cnnlab does.
if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz-manifest fuzz/fuzz-safetensors fuzz/fuzz-idx \
	fuzz/fuzz-jpeg fuzz/make-seeds
endif
FUZZ_COMMON = fuzz/fuzz.h fuzz/fuzz-util.c
# -no-install: programs that run from the build tree without a libtool
# wrapper script, as libFuzzer restarts itself by its own path.
FUZZER_LINK = -fsanitize=fuzzer -no-install

fuzz_fuzz_manifest_SOURCES = fuzz/manifest.c $(FUZZ_COMMON)
fuzz_fuzz_manifest_LDFLAGS = $(FUZZER_LINK) $(CNN_PROGRAM_LDFLAGS)
fuzz_fuzz_manifest_LDADD = $(CNN_INTERNAL_LIBS)
# The components the manifests name.
EXTRA_fuzz_fuzz_manifest_DEPENDENCIES = $(pkglib_LTLIBRARIES)

fuzz_fuzz_safetensors_SOURCES = fuzz/safetensors.c $(FUZZ_COMMON)
fuzz_fuzz_safetensors_LDFLAGS = $(FUZZER_LINK) $(CNN_PROGRAM_LDFLAGS)
fuzz_fuzz_safetensors_LDADD = $(CNN_INTERNAL_LIBS)

fuzz_fuzz_idx_SOURCES = fuzz/idx.c $(FUZZ_COMMON) \
	plugins/loaders/idx.c plugins/loaders/resize.c \
	plugins/loaders/label_subset.c
fuzz_fuzz_idx_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/loaders
fuzz_fuzz_idx_LDFLAGS = $(FUZZER_LINK) $(CNN_PROGRAM_LDFLAGS)
fuzz_fuzz_idx_LDADD = $(CNN_INTERNAL_LIBS) -lz $(LIBM)

fuzz_fuzz_jpeg_SOURCES = fuzz/jpeg.c $(FUZZ_COMMON) \
	plugins/loaders/jpeg_decode.c plugins/loaders/resize.c
fuzz_fuzz_jpeg_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/loaders
fuzz_fuzz_jpeg_LDFLAGS = $(FUZZER_LINK) $(CNN_PROGRAM_LDFLAGS)
fuzz_fuzz_jpeg_LDADD = $(CNN_INTERNAL_LIBS) -ljpeg $(LIBM)

# Writes the binary seeds of fuzz/corpus (run by hand: see its comment).
fuzz_make_seeds_SOURCES = fuzz/make-seeds.c
fuzz_make_seeds_LDFLAGS = -no-install $(CNN_PROGRAM_LDFLAGS)
fuzz_make_seeds_LDADD = $(CNN_INTERNAL_LIBS) -ljpeg -lz

EXTRA_DIST += scripts/fuzz fuzz/corpus fuzz/manifest.dict fuzz/safetensors.dict \
	fuzz/idx.dict fuzz/jpeg.dict t/valgrind-quickstart.sh t/valgrind.supp

# make check replays each corpus through its harness (fuzz/replay.c), in
# every build, without libFuzzer.
FUZZ_REPLAYS = fuzz/replay-manifest fuzz/replay-safetensors \
	fuzz/replay-idx fuzz/replay-jpeg
check_PROGRAMS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)
FUZZ_REPLAY_INCLUDES = $(AM_CPPFLAGS) -I$(top_srcdir) \
	-I$(top_srcdir)/plugins/loaders
fuzz_replay_manifest_SOURCES = fuzz/replay.c fuzz/manifest.c $(FUZZ_COMMON)
fuzz_replay_manifest_CPPFLAGS = $(FUZZ_REPLAY_INCLUDES) \
	-DFUZZ_TARGET='"manifest"'
fuzz_replay_manifest_LDADD = $(CNN_INTERNAL_LIBS)
EXTRA_fuzz_replay_manifest_DEPENDENCIES = $(pkglib_LTLIBRARIES)
fuzz_replay_safetensors_SOURCES = fuzz/replay.c fuzz/safetensors.c \
	$(FUZZ_COMMON)
fuzz_replay_safetensors_CPPFLAGS = $(FUZZ_REPLAY_INCLUDES) \
	-DFUZZ_TARGET='"safetensors"'
fuzz_replay_safetensors_LDADD = $(CNN_INTERNAL_LIBS)
fuzz_replay_idx_SOURCES = fuzz/replay.c fuzz/idx.c $(FUZZ_COMMON) \
	plugins/loaders/idx.c plugins/loaders/resize.c \
	plugins/loaders/label_subset.c
fuzz_replay_idx_CPPFLAGS = $(FUZZ_REPLAY_INCLUDES) -DFUZZ_TARGET='"idx"'
fuzz_replay_idx_LDADD = $(CNN_INTERNAL_LIBS) -lz $(LIBM)
fuzz_replay_jpeg_SOURCES = fuzz/replay.c fuzz/jpeg.c $(FUZZ_COMMON) \
	plugins/loaders/jpeg_decode.c plugins/loaders/resize.c
fuzz_replay_jpeg_CPPFLAGS = $(FUZZ_REPLAY_INCLUDES) -DFUZZ_TARGET='"jpeg"'
fuzz_replay_jpeg_LDADD = $(CNN_INTERNAL_LIBS) -ljpeg $(LIBM)

# Under --enable-sanitizers every test runs with these options. A report
# stops the program and goes to a file in sanitizer-logs/ (one per process)
# instead of stderr, so that a report from a test that expects its program
# to fail is seen too: .ci/run fails when that directory is not empty.
# LeakSanitizer skips the leaks t/lsan.supp names (other libraries' own)
# and does not scan thread-local storage (use_tls=0): gcc 12's LSan
# crashes reading the dynamic TLS of OpenMP's worker threads under glibc
# 2.36 ("Tracer caught signal 11" after "DTLS ... at 0x0001000003c8"),
# which fails every run that trains on several threads; no cnnlab
# pointer lives only in TLS.
# CNNLAB_SANITIZERS tells the valgrind tests to skip: valgrind cannot run
# a program built with ASan.
if ENABLE_SANITIZERS
AM_TESTS_ENVIRONMENT += \
	mkdir -p '$(abs_top_builddir)/sanitizer-logs'; \
	ASAN_OPTIONS='log_path=$(abs_top_builddir)/sanitizer-logs/asan:detect_leaks=1:strict_string_checks=1'; \
	UBSAN_OPTIONS='log_path=$(abs_top_builddir)/sanitizer-logs/ubsan:print_stacktrace=1:halt_on_error=1'; \
	LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/t/lsan.supp:print_suppressions=0:use_tls=0'; \
	CNNLAB_SANITIZERS=1; \
	export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS CNNLAB_SANITIZERS;
endif
EXTRA_DIST += t/lsan.supp
