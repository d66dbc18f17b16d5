# tests: the CPU performance work — the incremental occlusion engine
# against the brute-force one (the engines' sources are built into the
# test, which calls them directly on a model it builds), and the OpenMP
# wait policy cnnlab sets by default.
check_PROGRAMS += t/test-occlusion-incremental
TESTS += t/test-occlusion-incremental
t_test_occlusion_incremental_SOURCES = t/test-occlusion-incremental.c \
	t/partb-fixture.h $(TEST_UTIL_SOURCES) \
	plugins/analyses/occlusion_incremental.c \
	plugins/analyses/occlusion_cone.c \
	plugins/analyses/occlusion_brute.c
t_test_occlusion_incremental_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/plugins/analyses
t_test_occlusion_incremental_CFLAGS = $(AM_CFLAGS) $(OPENMP_CFLAGS)
t_test_occlusion_incremental_LDFLAGS = $(OPENMP_CFLAGS) $(CNN_PROGRAM_LDFLAGS)
t_test_occlusion_incremental_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-openmp-env
TESTS += t/test-openmp-env
t_test_openmp_env_SOURCES = t/test-openmp-env.c $(TEST_UTIL_SOURCES)
t_test_openmp_env_LDADD = $(CNN_TEST_LIBS)
