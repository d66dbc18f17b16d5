# tests: the CUDA module's own kernels (plugins/cuda/kernels.cu) against the
# CPU components: layers (test-cuda-kernels), cross-entropy and SGD
# (test-cuda-loss-sgd). Built with the module; without a GPU they compare
# what needs none (parameter specs, SGD's checks) and skip the rest.
if HAVE_CUDA
CUDA_TEST_HARNESS_SOURCES = t/cuda-harness.c t/cuda-harness.h \
	t/layer-harness.c t/layer-harness.h t/test-util.c t/test-util.h t/tap.h
check_PROGRAMS += t/test-cuda-kernels t/test-cuda-loss-sgd
TESTS += t/test-cuda-kernels t/test-cuda-loss-sgd
t_test_cuda_kernels_SOURCES = t/test-cuda-kernels.c \
	$(CUDA_TEST_HARNESS_SOURCES)
t_test_cuda_kernels_LDADD = $(CNN_TEST_LIBS)
t_test_cuda_loss_sgd_SOURCES = t/test-cuda-loss-sgd.c \
	$(CUDA_TEST_HARNESS_SOURCES)
t_test_cuda_loss_sgd_LDADD = $(CNN_TEST_LIBS)
endif
