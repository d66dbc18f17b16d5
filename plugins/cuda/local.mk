# The CUDA module: cuDNN, cuBLAS and kernels of our own (.cu, built by nvcc
# through libtool and scripts/nvcc-wrapper). Built when configure found CUDA
# (see configure.ac); the CUDA runtime is linked in statically, and cuDNN
# and cuBLAS are loaded when a context opens (libraries.c).
if HAVE_CUDA
pkglib_LTLIBRARIES += plugins/cuda.la
endif
plugins_cuda_la_SOURCES = \
	plugins/cuda/backend.h \
	plugins/cuda/module.c \
	plugins/cuda/backend.c \
	plugins/cuda/device.c \
	plugins/cuda/libraries.h plugins/cuda/libraries.c \
	plugins/cuda/backend_kernels.h plugins/cuda/backend_kernels.cu \
	plugins/cuda/conv2d.h plugins/cuda/conv2d.c plugins/cuda/conv2d_plan.c \
	plugins/cuda/linear.c \
	plugins/cuda/weighted_kernels.h plugins/cuda/weighted_kernels.cu \
	plugins/cuda/kernels.h plugins/cuda/kernels_common.cuh \
	plugins/cuda/kernels.cu plugins/cuda/step_kernels.cu \
	plugins/cuda/elementwise.c \
	plugins/cuda/pooling.c \
	plugins/cuda/avgpool2d.c plugins/cuda/avgpool2d_kernels.cu \
	plugins/cuda/batchnorm.c plugins/cuda/batchnorm_kernels.cu \
	plugins/cuda/loss.c \
	plugins/cuda/sgd.c
plugins_cuda_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) $(CUDA_CPPFLAGS)
# -z defs: a symbol left for the loader to find (none may be) fails the
# link here, not the dlopen on a GPU machine. The CUDA runtime and nvcc's
# host code are C++: libstdc++.
plugins_cuda_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(CUDA_LDFLAGS) -Wl,-z,defs
plugins_cuda_la_LIBADD = libcnnlab.la $(CUDA_LIBS) -lstdc++ $(LIBM)

# .cu -> .lo: libtool adds -fPIC -DPIC, which the wrapper hands to nvcc's
# host compiler. nvcc gets the C preprocessor flags but not CFLAGS (they
# are for the C compiler: -std=gnu11 and the like).
NVCC_COMPILE = $(SHELL) $(top_srcdir)/scripts/nvcc-wrapper $(NVCC) \
	$(NVCC_GENCODE) -std=c++17 -O3 $(NVCC_WARN_FLAGS) $(NVCCFLAGS) \
	$(DEFS) $(DEFAULT_INCLUDES) $(INCLUDES) $(PLUGIN_CPPFLAGS) $(CPPFLAGS) \
	$(CUDA_CPPFLAGS)
AM_V_NVCC = $(am__v_NVCC_@AM_V@)
am__v_NVCC_ = $(am__v_NVCC_@AM_DEFAULT_V@)
am__v_NVCC_0 = @echo "  NVCC    " $@;
am__v_NVCC_1 =
.cu.lo:
	$(AM_V_NVCC)$(LIBTOOL) $(AM_V_lt) --tag=CC $(AM_LIBTOOLFLAGS) \
	$(LIBTOOLFLAGS) --mode=compile $(NVCC_COMPILE) -c -o $@ $<
# No dependency tracking for .cu files: each depends on every header of
# the module that a kernel file may include.
CUDA_KERNEL_INCLUDES = plugins/cuda/kernels.h plugins/cuda/kernels_common.cuh \
	plugins/cuda/backend_kernels.h plugins/cuda/weighted_kernels.h
plugins/cuda/kernels.lo plugins/cuda/step_kernels.lo \
plugins/cuda/avgpool2d_kernels.lo plugins/cuda/batchnorm_kernels.lo \
plugins/cuda/backend_kernels.lo \
plugins/cuda/weighted_kernels.lo: $(CUDA_KERNEL_INCLUDES)
EXTRA_DIST += scripts/nvcc-wrapper scripts/gpu-pack scripts/gpu-check
