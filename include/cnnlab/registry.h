/* cnnlab — the registry of components and the module loader (used by the
 * core, the command and tests; plugins only register, see plugin.h). */
#ifndef CNNLAB_REGISTRY_H
#define CNNLAB_REGISTRY_H

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cnn_component_kind {
    CNN_COMPONENT_LAYER,
    CNN_COMPONENT_LAYER_KERNELS,
    CNN_COMPONENT_LOSS,
    CNN_COMPONENT_OPTIMIZER,
    CNN_COMPONENT_LOADER,
    CNN_COMPONENT_DEVICE,
    CNN_COMPONENT_ANALYSIS,
    CNN_COMPONENT_LOSS_KERNELS,
    CNN_COMPONENT_OPTIMIZER_KERNELS,
    CNN_COMPONENT_KIND_COUNT
};

const char *cnn_component_kind_name(enum cnn_component_kind kind);

/* One registered component, as `cnnlab plugins` lists it. */
struct cnn_component {
    enum cnn_component_kind kind;
    const char *name;
    enum cnn_device device;
    const char *module_path;    /* the file it came from */
    const char *module_name;
    const char *module_version;
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    const void *definition;     /* the cnn_*_type or kernels struct */
};

struct cnn_registry *cnn_registry_new(void);
void cnn_registry_free(struct cnn_registry *registry);

/* Loads one module file (dlopen, ABI check, init). */
int cnn_registry_load_module(struct cnn_registry *registry, const char *path,
                             struct cnn_error *err);
/* Loads every *.so in a directory, in name order. A missing directory is
 * not an error (returns 0). */
int cnn_registry_load_directory(struct cnn_registry *registry,
                                const char *directory, struct cnn_error *err);
/* Loads the standard search path: CNNLAB_BUILD_PLUGIN_DIR (or the
 * installed plugin directory), then each directory of $CNNLAB_PLUGIN_PATH
 * (colon-separated). */
int cnn_registry_load_default(struct cnn_registry *registry,
                              struct cnn_error *err);

/* Lookups; NULL when absent. */
const struct cnn_layer_type *cnn_registry_layer(
    const struct cnn_registry *registry, const char *name);
const struct cnn_layer_kernels *cnn_registry_layer_kernels(
    const struct cnn_registry *registry, const char *layer,
    enum cnn_device device);
const struct cnn_loss_type *cnn_registry_loss(
    const struct cnn_registry *registry, const char *name);
const struct cnn_loss_kernels *cnn_registry_loss_kernels(
    const struct cnn_registry *registry, const char *loss,
    enum cnn_device device);
const struct cnn_optimizer_type *cnn_registry_optimizer(
    const struct cnn_registry *registry, const char *name);
const struct cnn_optimizer_kernels *cnn_registry_optimizer_kernels(
    const struct cnn_registry *registry, const char *optimizer,
    enum cnn_device device);
const struct cnn_loader_type *cnn_registry_loader(
    const struct cnn_registry *registry, const char *name);
const struct cnn_analysis_type *cnn_registry_analysis(
    const struct cnn_registry *registry, const char *name);
/* The module providing `device` (never the CPU, which is built in). */
const struct cnn_device_type *cnn_registry_device(
    const struct cnn_registry *registry, enum cnn_device device);

/* The loaded modules, in load order: their descriptor and file. */
int cnn_registry_module_count(const struct cnn_registry *registry);
const struct cnn_plugin *cnn_registry_module(
    const struct cnn_registry *registry, int index, const char **path);

/* All components, in registration order. */
int cnn_registry_count(const struct cnn_registry *registry);
const struct cnn_component *cnn_registry_at(
    const struct cnn_registry *registry, int index);

/* Fails with "unknown <kind> 'name'" plus a did-you-mean and the list of
 * known names of that kind. */
int cnn_registry_unknown(const struct cnn_registry *registry,
                         enum cnn_component_kind kind, const char *name,
                         struct cnn_mark mark, struct cnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
