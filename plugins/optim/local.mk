# Optimizers: loops over the flat parameter, gradient and state buffers.
pkglib_LTLIBRARIES += plugins/optim.la
plugins_optim_la_SOURCES = plugins/optim/sgd.c
plugins_optim_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_optim_la_CFLAGS = $(AM_CFLAGS) -fopenmp-simd
plugins_optim_la_LIBADD = libcnnlab.la $(LIBM)
