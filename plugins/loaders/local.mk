# Data loaders: IDX (MNIST, Fashion-MNIST) and synthetic images.
pkglib_LTLIBRARIES += plugins/loaders.la
plugins_loaders_la_SOURCES = \
	plugins/loaders/module.c \
	plugins/loaders/loaders.h \
	plugins/loaders/idx.c \
	plugins/loaders/synthetic.c
plugins_loaders_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_loaders_la_LIBADD = libcnnlab.la -lz $(LIBM)
