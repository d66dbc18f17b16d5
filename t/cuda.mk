# tests: the CUDA module's device type (test-cuda-device) and its layers
# with weights, conv2d on cuDNN and linear on cuBLAS, against the CPU
# layers (test-cuda-layers). Built with the module; without a GPU they
# check what needs none and skip the rest.
if HAVE_CUDA
check_PROGRAMS += t/test-cuda-device t/test-cuda-layers \
	t/test-cuda-batchnorm
TESTS += t/test-cuda-device t/test-cuda-layers t/test-cuda-batchnorm
endif
t_test_cuda_device_SOURCES = t/test-cuda-device.c \
	t/cuda-harness.c t/cuda-harness.h t/layer-harness.c t/layer-harness.h \
	t/test-util.c t/test-util.h t/tap.h
t_test_cuda_device_LDADD = $(CNN_TEST_LIBS)
t_test_cuda_layers_SOURCES = t/test-cuda-layers.c \
	t/cuda-harness.c t/cuda-harness.h t/layer-harness.c t/layer-harness.h \
	t/test-util.c t/test-util.h t/tap.h
t_test_cuda_layers_LDADD = $(CNN_TEST_LIBS)
# Batch norm's CUDA kernels against the CPU's, running statistics included.
t_test_cuda_batchnorm_SOURCES = t/test-cuda-batchnorm.c \
	t/cuda-harness.c t/cuda-harness.h t/layer-harness.c t/layer-harness.h \
	t/test-util.c t/test-util.h t/tap.h
t_test_cuda_batchnorm_LDADD = $(CNN_TEST_LIBS)
