# libcnnlab: the core (links libc, libm, pthread, libdl, libyaml, jansson
# only), one folder per concept, each using only the folders before it:
# base, config, plugin, model, train, analysis, run, report
# (t/include-layers.sh checks the order). Then the cnnlab command, core/cli.
#
# The core is built once, as the convenience library libcnnlab-internal.la.
# The installed libcnnlab.so wraps it and exports exactly the functions
# declared in include/cnnlab/ (core/libcnnlab.sym; t/public-symbols.sh
# compares the two). The cnnlab command, the tests, benchmarks and fuzzers
# link the internal library, and export the same public functions to the
# plugins they load (core/libcnnlab.dynamic-list, made from the .sym file).
pkginclude_HEADERS += \
	include/cnnlab/cnnlab.h include/cnnlab/error.h include/cnnlab/tensor.h \
	include/cnnlab/params.h include/cnnlab/rng.h include/cnnlab/layer.h \
	include/cnnlab/loss.h include/cnnlab/optimizer.h include/cnnlab/loader.h \
	include/cnnlab/plugin.h include/cnnlab/registry.h include/cnnlab/node.h \
	include/cnnlab/device.h include/cnnlab/analysis.h \
	include/cnnlab/receptive_field.h include/cnnlab/atomic_file.h \
	include/cnnlab/cuda.h include/cnnlab/input_file.h \
	include/cnnlab/builtin_layers.h include/cnnlab/builtin_training.h

noinst_LTLIBRARIES += libcnnlab-internal.la
libcnnlab_internal_la_SOURCES = \
	core/base/atomic_file.c core/base/atomic_internal.h core/base/error.c \
	core/base/input_file.c \
	core/base/json_input.c core/base/json_input.h core/base/path.c \
	core/base/path.h core/base/rng.c core/base/sha256.c core/base/sha256.h \
	core/base/tensor.c \
	core/config/did_you_mean.c core/config/manifest.c \
	core/config/manifest.h core/config/manifest_from.c \
	core/config/manifest_sibling.c core/config/node.c \
	core/config/node_load.c core/config/node_merge.c \
	core/config/node_write.c core/config/params.c core/config/params_get.c \
	core/config/params_names.c core/config/params_node.c \
	core/config/params_node.h core/config/schedule.c \
	core/config/schedule.h core/config/table_settings.c \
	core/config/table_settings.h core/config/augment_settings.c \
	core/config/labels_setting.c core/config/labels_setting.h \
	core/config/augment_settings.h \
	core/plugin/component_settings.c core/plugin/module_loader.c \
	core/plugin/openmp_env.c \
	core/plugin/openmp_env.h core/plugin/registry.c \
	core/plugin/registry_internal.h \
	core/model/checkpoint.c core/model/checkpoint.h core/model/device.c \
	core/model/device.h core/model/layer_util.c core/model/model.c \
	core/model/model.h core/model/model_freeze.c core/model/model_buffers.c \
	core/model/model_graph.c core/model/model_weights.c \
	core/model/model_weights.h core/model/receptive_field.c \
	core/model/safetensors.c core/model/safetensors.h \
	core/model/safetensors_internal.h core/model/safetensors_write.c \
	core/model/summary.c core/model/summary.h \
	core/train/augment.c core/train/augment.h core/train/batch_maker.c \
	core/train/batch_maker.h core/train/dataset.c core/train/dataset_stream.c \
	core/train/dataset_stream.h core/train/train.c core/train/train.h \
	core/train/train_state.c core/train/train_state.h \
	core/train/train_state_internal.h core/train/train_state_load.c \
	core/train/train_state_manifest.c \
	core/analysis/analysis.c core/analysis/analysis.h \
	core/analysis/analysis_crop.c core/analysis/analysis_gradient.c \
	core/analysis/analysis_history.c \
	core/analysis/analysis_list.c core/analysis/analysis_run.c \
	core/analysis/analysis_timing.c \
	core/run/nvml.c core/run/nvml.h core/run/run_analyses.c \
	core/run/run_config.c core/run/run_config.h core/run/run_dir.c \
	core/run/run_dir.h core/run/run_predictions.c \
	core/run/run_predictions.h core/run/run_resume.c core/run/run_resume.h \
	core/run/run_source.c core/run/run_source.h core/run/runner.c \
	core/run/runner.h \
	core/report/pages.h core/report/pages_experiment.c \
	core/report/pages_html.c core/report/pages_internal.h \
	core/report/pages_markdown.c core/report/markdown_table.c \
	core/report/markdown_table.h core/report/pages_meta.c \
	core/report/pages_run.c core/report/pages_seeds.c \
	core/report/table.c core/report/table.h \
	core/report/table_experiment.c core/report/table_row.c \
	core/report/table_write.c core/report/statistics.c \
	core/report/statistics.h \
	core/report/report.c core/report/report.h core/report/report_blocks.c \
	core/report/report_blocks.h core/report/report_discover.c \
	core/report/report_experiment.c core/report/report_fields.c \
	core/report/report_internal.h core/report/report_latex.c \
	core/report/report_markdown.c core/report/report_pdf.c \
	core/report/report_pictures.c core/report/report_run_files.c \
	core/report/report_text.c core/report/table_compare.c \
	core/report/table_csv_seeds.c core/report/table_format.c \
	core/report/table_format.h core/report/table_summary.c \
	core/report/table_write_seeds.c core/report/table_curves.c \
	core/report/table_curves.h
libcnnlab_internal_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCNNLAB_PLUGIN_DIR='"$(pkglibdir)"' \
	-DCNNLAB_ABS_BUILDDIR='"$(abs_top_builddir)"'
libcnnlab_internal_la_CFLAGS = $(AM_CFLAGS) -pthread
libcnnlab_internal_la_LIBADD = -lyaml -ljansson $(DL_LIBS) $(LIBM) -lpthread
# Every program linking this library reads the two lists made below.
EXTRA_libcnnlab_internal_la_DEPENDENCIES = core/libcnnlab.dynamic-list \
	core/libcnnlab.extern.ld

lib_LTLIBRARIES += libcnnlab.la
libcnnlab_la_SOURCES =
libcnnlab_la_LIBADD = libcnnlab-internal.la
libcnnlab_la_LDFLAGS = -no-undefined -version-info 0:0:0 \
	-export-symbols $(srcdir)/core/libcnnlab.sym
EXTRA_libcnnlab_la_DEPENDENCIES = $(srcdir)/core/libcnnlab.sym
EXTRA_DIST += core/libcnnlab.sym

# Every program linking libcnnlab-internal.la holds every public function
# (core/libcnnlab.extern.ld: a linker script of EXTERNs, as the archive
# would otherwise leave out what the program itself does not call) and
# exports them to the plugins it loads (core/libcnnlab.dynamic-list). Both
# are made from core/libcnnlab.sym. AM_LDFLAGS gives them to every program;
# one with LDFLAGS of its own adds $(CNN_PROGRAM_LDFLAGS).
CNN_INTERNAL_LIBS = libcnnlab-internal.la
CNN_PROGRAM_LDFLAGS = -Wl,core/libcnnlab.extern.ld \
	-Wl,--dynamic-list=core/libcnnlab.dynamic-list
AM_LDFLAGS = $(CNN_PROGRAM_LDFLAGS)
BUILT_SOURCES = core/libcnnlab.dynamic-list core/libcnnlab.extern.ld
CLEANFILES += core/libcnnlab.dynamic-list core/libcnnlab.extern.ld
core/libcnnlab.dynamic-list: $(srcdir)/core/libcnnlab.sym
	$(AM_V_GEN)$(MKDIR_P) core && \
	{ echo '{'; sed 's/.*/  &;/' $(srcdir)/core/libcnnlab.sym; echo '};'; } \
	> $@-t && mv $@-t $@
core/libcnnlab.extern.ld: $(srcdir)/core/libcnnlab.sym
	$(AM_V_GEN)$(MKDIR_P) core && \
	sed 's/.*/EXTERN(&)/' $(srcdir)/core/libcnnlab.sym > $@-t && mv $@-t $@

bin_PROGRAMS += cnnlab
cnnlab_SOURCES = \
	core/cli/cli.h core/cli/cli_analyse.c core/cli/cli_colour.c \
	core/cli/cli_compare.c core/cli/cli_eval.c core/cli/cli_events.c \
	core/cli/cli_info.c core/cli/cli_options.c core/cli/cli_output.h \
	core/cli/cli_progress.c core/cli/cli_report.c core/cli/cli_rf.c \
	core/cli/cli_run.c \
	core/cli/cli_signals.c core/cli/cli_signals.h \
	core/cli/cli_summary.c core/cli/cli_table.c core/cli/cli_validate.c \
	core/cli/cli_validate.h core/cli/main.c core/cli/sweep.h \
	core/cli/sweep_local.c core/cli/sweep_options.c core/cli/sweep_plan.c \
	core/cli/sweep_slurm.c core/cli/cli_curves.c \
	plugins/analyses/plot.c plugins/analyses/plot.h
# The command, unlike the core library, links cairo: `cnnlab table` draws
# the curves across seeds with the curves analysis's plot.c
# (core/cli/cli_curves.c includes it as "analyses/plot.h").
cnnlab_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins $(CAIRO_CFLAGS)
cnnlab_LDADD = $(CNN_INTERNAL_LIBS) -ljansson $(CAIRO_LIBS) $(LIBM)
EXTRA_cnnlab_DEPENDENCIES = core/libcnnlab.dynamic-list core/libcnnlab.extern.ld
