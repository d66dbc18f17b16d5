# libcnnlab: the core library (links libc, libm, pthread, libdl, libyaml,
# jansson only) and the cnnlab command.
lib_LTLIBRARIES += libcnnlab.la
pkginclude_HEADERS += \
	include/cnnlab/cnnlab.h include/cnnlab/error.h include/cnnlab/tensor.h \
	include/cnnlab/params.h include/cnnlab/rng.h include/cnnlab/layer.h \
	include/cnnlab/loss.h include/cnnlab/optimizer.h include/cnnlab/loader.h \
	include/cnnlab/plugin.h include/cnnlab/registry.h include/cnnlab/node.h \
	include/cnnlab/device.h include/cnnlab/analysis.h \
	include/cnnlab/receptive_field.h

libcnnlab_la_SOURCES = \
	core/error.c \
	core/tensor.c \
	core/rng.c \
	core/params.c core/params_get.c core/params_names.c \
	core/did_you_mean.c \
	core/node.c \
	core/node_load.c \
	core/node_merge.c \
	core/node_write.c \
	core/params_node.c core/params_node.h \
	core/registry.c core/registry_internal.h \
	core/model.c core/model.h core/model_graph.c \
	core/model_weights.c core/model_weights.h \
	core/device.c core/device.h \
	core/train.c core/train.h core/schedule.c core/schedule.h \
	core/train_state.c core/train_state.h core/train_state_load.c \
	core/train_state_manifest.c core/train_state_internal.h \
	core/run_resume.c core/run_resume.h \
	core/manifest.c core/manifest.h core/manifest_from.c \
	core/run_config.c core/run_config.h \
	core/run_dir.c core/run_dir.h core/checkpoint.c \
	core/runner.c core/runner.h core/run_analyses.c \
	core/run_source.c core/run_source.h \
	core/analysis.c core/analysis.h core/analysis_list.c \
	core/analysis_history.c core/analysis_timing.c core/analysis_run.c \
	core/analysis_crop.c \
	core/openmp_env.c core/openmp_env.h \
	core/nvml.c core/nvml.h \
	core/module_loader.c \
	core/layer_util.c \
	core/dataset.c core/dataset_stream.c core/dataset_stream.h \
	core/safetensors.c core/safetensors.h core/safetensors_write.c \
	core/safetensors_internal.h \
	core/atomic_file.c core/atomic_file.h \
	core/summary.c core/summary.h core/receptive_field.c \
	core/table.c core/table.h core/table_row.c core/table_write.c \
	core/table_experiment.c \
	core/pages.h core/pages_internal.h core/pages_html.c \
	core/pages_markdown.c core/pages_run.c core/pages_meta.c \
	core/pages_experiment.c
libcnnlab_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCNNLAB_PLUGIN_DIR='"$(pkglibdir)"' \
	-DCNNLAB_ABS_BUILDDIR='"$(abs_top_builddir)"'
libcnnlab_la_CFLAGS = $(AM_CFLAGS) -pthread
libcnnlab_la_LIBADD = -lyaml -ljansson $(DL_LIBS) $(LIBM) -lpthread
libcnnlab_la_LDFLAGS = -no-undefined -version-info 0:0:0

bin_PROGRAMS += cnnlab
cnnlab_SOURCES = core/main.c core/cli.h core/cli_run.c core/cli_info.c \
	core/cli_summary.c core/cli_table.c core/cli_analyse.c core/cli_eval.c \
	core/cli_rf.c \
	core/cli_validate.c core/cli_validate.h core/cli_options.c \
	core/sweep.h core/sweep_options.c core/sweep_plan.c core/sweep_local.c \
	core/sweep_slurm.c \
	core/cli_output.h core/cli_colour.c core/cli_events.c \
	core/cli_progress.c core/cli_compare.c
cnnlab_LDADD = libcnnlab.la -ljansson
