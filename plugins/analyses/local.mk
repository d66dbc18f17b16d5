# Analyses: summary, classwise, curves (charts drawn with cairo) and
# timing. They run the model only through the core's analysis API.
pkglib_LTLIBRARIES += plugins/analyses.la
plugins_analyses_la_SOURCES = \
	plugins/analyses/module.c plugins/analyses/analyses.h \
	plugins/analyses/text.c \
	plugins/analyses/summary.c \
	plugins/analyses/classwise.c \
	plugins/analyses/curves.c \
	plugins/analyses/plot.c plugins/analyses/plot.h \
	plugins/analyses/timing.c
plugins_analyses_la_CPPFLAGS = $(AM_CPPFLAGS) $(CAIRO_CFLAGS)
# Never unmapped (-z nodelete): cairo's libraries (pixman, fontconfig)
# keep caches in static variables, which unloading would turn into leaks.
plugins_analyses_la_LDFLAGS = $(PLUGIN_LDFLAGS) -Wl,-z,nodelete
plugins_analyses_la_LIBADD = libcnnlab.la $(CAIRO_LIBS) $(LIBM)
