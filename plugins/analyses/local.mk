# Analyses: summary, classwise, curves (charts drawn with cairo), timing,
# Part B's occlusion, filters and ablation, and the attributions
# (saliency, gradcam, integrated-gradients) (pictures with cairo).
# They run the model only through the core's analysis API.
pkglib_LTLIBRARIES += plugins/analyses.la
plugins_analyses_la_SOURCES = \
	plugins/analyses/module.c plugins/analyses/analyses.h \
	plugins/analyses/text.c \
	plugins/analyses/summary.c \
	plugins/analyses/classwise.c \
	plugins/analyses/curves.c \
	plugins/analyses/plot.c plugins/analyses/plot.h \
	plugins/analyses/timing.c \
	plugins/analyses/picture.c plugins/analyses/picture.h \
	plugins/analyses/selection.c plugins/analyses/selection.h \
	plugins/analyses/test_images.c plugins/analyses/test_images.h \
	plugins/analyses/map_files.c plugins/analyses/map_files.h \
	plugins/analyses/occlusion.c plugins/analyses/occlusion.h \
	plugins/analyses/occlusion_brute.c plugins/analyses/occlusion_figure.c \
	plugins/analyses/occlusion_cone.c plugins/analyses/occlusion_cone.h \
	plugins/analyses/occlusion_incremental.c \
	plugins/analyses/occlusion_incremental.h \
	plugins/analyses/filters.c plugins/analyses/filters.h \
	plugins/analyses/filters_figure.c \
	plugins/analyses/ablation.c plugins/analyses/ablation.h \
	plugins/analyses/ablation_figure.c \
	plugins/analyses/ablation_reuse.c plugins/analyses/ablation_reuse.h \
	plugins/analyses/attribution.h plugins/analyses/attribution_set.c \
	plugins/analyses/attribution_figure.c plugins/analyses/saliency.c \
	plugins/analyses/gradcam.c plugins/analyses/integrated_gradients.c \
	plugins/analyses/faithfulness.h plugins/analyses/faithfulness.c \
	plugins/analyses/faithfulness_curves.c \
	plugins/analyses/faithfulness_report.c
plugins_analyses_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) $(CAIRO_CFLAGS)
# OpenMP: incremental occlusion copies its crops on the model's threads.
plugins_analyses_la_CFLAGS = $(AM_CFLAGS) $(OPENMP_CFLAGS)
# Never unmapped (-z nodelete): cairo's libraries (pixman, fontconfig)
# keep caches in static variables, which unloading would turn into leaks.
plugins_analyses_la_LDFLAGS = $(PLUGIN_LDFLAGS) -Wl,-z,nodelete $(OPENMP_CFLAGS)
plugins_analyses_la_LIBADD = libcnnlab.la $(CAIRO_LIBS) $(LIBM)
