# Data loaders: IDX (MNIST, Fashion-MNIST), imagefolder (JPEG folders, with
# libjpeg-turbo) and synthetic images.
pkglib_LTLIBRARIES += plugins/loaders.la
plugins_loaders_la_SOURCES = \
	plugins/loaders/module.c \
	plugins/loaders/loaders.h \
	plugins/loaders/resize.c plugins/loaders/resize.h \
	plugins/loaders/idx.c \
	plugins/loaders/label_subset.c plugins/loaders/label_subset.h \
	plugins/loaders/synthetic.c \
	plugins/loaders/jpeg_decode.c plugins/loaders/jpeg_decode.h \
	plugins/loaders/imagefolder.c plugins/loaders/imagefolder.h \
	plugins/loaders/imagefolder_scan.c \
	plugins/loaders/imagefolder_split.c \
	plugins/loaders/imagefolder_decode.c \
	plugins/loaders/imagefolder_cache.c
plugins_loaders_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_loaders_la_CFLAGS = $(AM_CFLAGS) -pthread
plugins_loaders_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_loaders_la_LIBADD = libcnnlab.la -ljpeg -lz $(LIBM) -lpthread
