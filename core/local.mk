# libcnnlab: the core library (links libc, libm, pthread, libdl, libyaml,
# jansson only) and the cnnlab command.
lib_LTLIBRARIES += libcnnlab.la
pkginclude_HEADERS += \
	include/cnnlab/cnnlab.h include/cnnlab/error.h include/cnnlab/tensor.h \
	include/cnnlab/params.h include/cnnlab/rng.h include/cnnlab/layer.h \
	include/cnnlab/loss.h include/cnnlab/optimizer.h include/cnnlab/loader.h \
	include/cnnlab/plugin.h include/cnnlab/registry.h include/cnnlab/node.h \
	include/cnnlab/device.h include/cnnlab/analysis.h

libcnnlab_la_SOURCES = \
	core/error.c \
	core/tensor.c \
	core/rng.c \
	core/params.c core/params_get.c \
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
	core/manifest.c core/manifest.h \
	core/run_config.c core/run_config.h \
	core/run_dir.c core/run_dir.h core/checkpoint.c \
	core/runner.c core/runner.h core/run_analyses.c \
	core/analysis.c core/analysis.h core/analysis_list.c \
	core/analysis_history.c core/analysis_timing.c \
	core/nvml.c core/nvml.h \
	core/module_loader.c \
	core/layer_util.c \
	core/dataset.c \
	core/safetensors.c core/safetensors.h core/safetensors_write.c \
	core/safetensors_internal.h \
	core/atomic_file.c core/atomic_file.h \
	core/summary.c core/summary.h \
	core/table.c core/table.h core/table_row.c core/table_write.c \
	core/table_experiment.c
libcnnlab_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCNNLAB_PLUGIN_DIR='"$(pkglibdir)"' \
	-DCNNLAB_ABS_BUILDDIR='"$(abs_top_builddir)"'
libcnnlab_la_CFLAGS = $(AM_CFLAGS) -pthread
libcnnlab_la_LIBADD = -lyaml -ljansson $(DL_LIBS) $(LIBM) -lpthread
libcnnlab_la_LDFLAGS = -no-undefined -version-info 0:0:0

bin_PROGRAMS += cnnlab
cnnlab_SOURCES = core/main.c core/cli.h core/cli_run.c core/cli_info.c \
	core/cli_summary.c core/cli_table.c core/cli_analyse.c core/cli_eval.c \
	core/cli_validate.c core/cli_validate.h core/cli_options.c
cnnlab_LDADD = libcnnlab.la -ljansson
