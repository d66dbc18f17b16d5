/* cnnlab — the plugin ABI.
 *
 * A module exports exactly one symbol, `cnn_plugin_entry`, a const struct
 * cnn_plugin. The version rule, stated here once: the core loads a module
 * when its abi_major equals CNN_ABI_MAJOR and its abi_minor is not newer
 * than CNN_ABI_MINOR. Minor versions only add at the end of structs and add
 * functions; anything else bumps the major.
 *
 * Name clashes: the first module to register a name (per kind, per device)
 * keeps it; a later registration of the same name fails that module's init,
 * and the error names both modules. Modules load in search-path order: the
 * build's plugin directory, then $CNNLAB_PLUGIN_PATH, then the manifest's
 * `plugins:` paths. The current directory is never searched unless named. */
#ifndef CNNLAB_PLUGIN_H
#define CNNLAB_PLUGIN_H

#include "analysis.h"
#include "device.h"
#include "error.h"
#include "layer.h"
#include "loader.h"
#include "loss.h"
#include "optimizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 2.0: device modules (device.h), analyses (analysis.h); losses keep
 * running totals and take a context; optimizer steps take a context and a
 * learning-rate factor.
 * 2.1: analyses run the model in pieces and switch filters off
 * (analysis.h), receptive fields (receptive_field.h); loaders may decode
 * in the background (loader.h: cnn_data.stream, cnn_load_request.background
 * at the ends of their structs).
 * 2.2: parameters of type CNN_PARAM_NAME_LIST, read with cnn_param_names
 * (params.h: the enum's last value, fields at the end of struct
 * cnn_param_value).
 * 2.3: analyses check their parameters against the model before training
 * (analysis.h: cnn_analysis_type.validate, at the end of the struct). */
#define CNN_ABI_MAJOR 2
#define CNN_ABI_MINOR 3

struct cnn_registry;

struct cnn_plugin {
    int abi_major;
    int abi_minor;
    const char *name;    /* "layers" */
    const char *version; /* the module's own version, e.g. "0.1.0" */
    /* Registers the module's components. */
    int (*init)(struct cnn_registry *registry, struct cnn_error *err);
};

#define CNN_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Registration; the registry keeps the pointers: they must be static. */
int cnn_register_layer(struct cnn_registry *registry,
                       const struct cnn_layer_type *type,
                       struct cnn_error *err);
int cnn_register_layer_kernels(struct cnn_registry *registry,
                               const struct cnn_layer_kernels *kernels,
                               struct cnn_error *err);
int cnn_register_loss(struct cnn_registry *registry,
                      const struct cnn_loss_type *type, struct cnn_error *err);
int cnn_register_optimizer(struct cnn_registry *registry,
                           const struct cnn_optimizer_type *type,
                           struct cnn_error *err);
int cnn_register_loader(struct cnn_registry *registry,
                        const struct cnn_loader_type *type,
                        struct cnn_error *err);
int cnn_register_analysis(struct cnn_registry *registry,
                          const struct cnn_analysis_type *type,
                          struct cnn_error *err);
int cnn_register_device(struct cnn_registry *registry,
                        const struct cnn_device_type *type,
                        struct cnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
