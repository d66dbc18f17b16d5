# The built-in layers with their CPU kernels (oneDNN), as one module.
pkglib_LTLIBRARIES += plugins/layers.la
plugins_layers_la_SOURCES = \
	plugins/layers/module.c \
	plugins/layers/onednn.c plugins/layers/onednn.h \
	plugins/layers/weighted.c \
	plugins/layers/conv2d/conv2d.c plugins/layers/conv2d/conv2d.h \
	plugins/layers/conv2d/conv2d_cpu.c \
	plugins/layers/conv2d/conv2d_winograd.c plugins/layers/conv2d/conv2d_winograd.h \
	plugins/layers/conv2d/conv2d_winograd_weights.c \
	plugins/layers/conv2d/conv2d_winograd_general.c \
	plugins/layers/conv2d/conv2d_winograd_gemm.c \
	plugins/layers/conv2d/conv2d_winograd_narrow.c \
	plugins/layers/conv2d/conv2d_winograd_tiles.h \
	plugins/layers/linear.c \
	plugins/layers/maxpool2d.c \
	plugins/layers/avgpool2d.c \
	plugins/layers/pool_window.c plugins/layers/pool_window.h \
	plugins/layers/relu.c \
	plugins/layers/leaky_relu.c \
	plugins/layers/python_float.c \
	plugins/layers/globalpool.c \
	plugins/layers/flatten.c \
	plugins/layers/dropout.c \
	plugins/layers/batchnorm.c plugins/layers/batchnorm_cpu.c
plugins_layers_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
# No fused multiply-adds the compiler chooses: the same bits from every
# clone and CPU (conv2d_winograd_general.c). The Winograd product kernel's
# are written out (conv2d_winograd_gemm.c), the same on every CPU too.
plugins_layers_la_CFLAGS = $(AM_CFLAGS) $(OPENMP_CFLAGS) -ffp-contract=off
plugins_layers_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(OPENMP_CFLAGS)
plugins_layers_la_LIBADD = libcnnlab.la -ldnnl $(LIBM)
