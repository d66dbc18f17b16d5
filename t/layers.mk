# tests: layers — the built-in layer module's CPU kernels against float64
# references (layer-reference.c), through a harness that builds layers the
# way the core does (layer-harness.c).
check_PROGRAMS += t/test-layers t/test-layers-numeric
TESTS += t/test-layers t/test-layers-numeric
t_test_layers_SOURCES = t/test-layers.c t/tap.h \
	t/layer-harness.c t/layer-harness.h \
	t/layer-reference.c t/layer-reference.h
t_test_layers_LDADD = $(CNN_TEST_LIBS)
t_test_layers_numeric_SOURCES = t/test-layers-numeric.c t/tap.h \
	t/layer-harness.c t/layer-harness.h \
	t/layer-reference.c t/layer-reference.h
t_test_layers_numeric_LDADD = $(CNN_TEST_LIBS)
# The code paths of the performance work: conv2d's kept reorders and
# channel layouts; maxpool2d's 2x2 path and the OpenMP-split loops.
check_PROGRAMS += t/test-layers-conv-paths
TESTS += t/test-layers-conv-paths
t_test_layers_conv_paths_SOURCES = t/test-layers-conv-paths.c t/tap.h \
	t/layer-harness.c t/layer-harness.h \
	t/layer-reference.c t/layer-reference.h
t_test_layers_conv_paths_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-layers-parallel-paths
TESTS += t/test-layers-parallel-paths
t_test_layers_parallel_paths_SOURCES = t/test-layers-parallel-paths.c \
	t/tap.h t/layer-harness.c t/layer-harness.h \
	t/layer-reference.c t/layer-reference.h
t_test_layers_parallel_paths_LDADD = $(CNN_TEST_LIBS)
# The buffer saved for backward (layer.h) on the CPU and through a
# stand-in for the CUDA module's allocator.
check_PROGRAMS += t/test-saved
TESTS += t/test-saved
t_test_saved_SOURCES = t/test-saved.c t/tap.h
t_test_saved_LDADD = $(CNN_TEST_LIBS)
# The built-in layers' public settings (include/cnnlab/builtin_layers.h):
# what setup parses into them and the accessors' refusals.
check_PROGRAMS += t/test-builtin-layers
TESTS += t/test-builtin-layers
t_test_builtin_layers_SOURCES = t/test-builtin-layers.c t/tap.h \
	t/layer-harness.c t/layer-harness.h
t_test_builtin_layers_LDADD = $(CNN_TEST_LIBS)
# The layers added after the study (issue 21), each against its float64
# reference: avgpool2d, leaky-relu.
check_PROGRAMS += t/test-layers-avgpool t/test-layers-leaky
TESTS += t/test-layers-avgpool t/test-layers-leaky
t_test_layers_avgpool_SOURCES = t/test-layers-avgpool.c t/tap.h \
	t/layer-harness.c t/layer-harness.h \
	t/layer-reference.c t/layer-reference.h
t_test_layers_avgpool_LDADD = $(CNN_TEST_LIBS)
t_test_layers_leaky_SOURCES = t/test-layers-leaky.c t/tap.h \
	t/layer-harness.c t/layer-harness.h
t_test_layers_leaky_LDADD = $(CNN_TEST_LIBS)
# leaky-relu in training: slope 0 trains to relu's bytes.
TESTS += t/leaky-relu-train.sh
EXTRA_DIST += t/leaky-relu-train.sh
# Batch normalisation (issue 21): batchnorm2d and batchnorm1d against a
# float64 reference, central differences, thread counts and refusals.
check_PROGRAMS += t/test-layers-batchnorm
TESTS += t/test-layers-batchnorm
t_test_layers_batchnorm_SOURCES = t/test-layers-batchnorm.c t/tap.h \
	t/layer-harness.c t/layer-harness.h
t_test_layers_batchnorm_LDADD = $(CNN_TEST_LIBS)
# Batch norm in whole runs: checkpoints, eval, and the timing analysis
# leaving the running statistics as it found them.
TESTS += t/batchnorm-train.sh
EXTRA_DIST += t/batchnorm-train.sh
