# Losses (plain C: they are cheap next to the layers).
pkglib_LTLIBRARIES += plugins/losses.la
plugins_losses_la_SOURCES = plugins/losses/cross_entropy.c
plugins_losses_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_losses_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_losses_la_LIBADD = libcnnlab.la $(LIBM)
