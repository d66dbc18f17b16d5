# Optimizers: loops over the flat parameter, gradient and state buffers.
pkglib_LTLIBRARIES += plugins/optim.la
plugins_optim_la_SOURCES = plugins/optim/sgd.c plugins/optim/adam.c \
	plugins/optim/optim.h
plugins_optim_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_optim_la_LDFLAGS = $(PLUGIN_LDFLAGS)
# -fno-math-errno lets sqrtf vectorise (adam); it changes no result.
plugins_optim_la_CFLAGS = $(AM_CFLAGS) -fopenmp-simd -fno-math-errno
plugins_optim_la_LIBADD = libcnnlab.la $(LIBM)
