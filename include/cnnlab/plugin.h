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

/* 3.0: losses and optimizers are written as layers are: a definition
 * (cnn_loss_type, cnn_optimizer_type) declares the schema and parses the
 * manifest's values once into typed settings, and each device registers
 * its kernels (cnn_loss_kernels, cnn_optimizer_kernels) that read those
 * settings; the built-in components' settings are public
 * (builtin_layers.h, builtin_training.h), so a device module's kernels
 * read fields, never names. A 2.x module is refused with what to change:
 * see "Porting a 2.x module" in docs/plugin-guide.md. (2.x history:
 * device modules, analyses, running loss totals, learning-rate factors
 * (2.0); analyses running the model in pieces, receptive fields,
 * background decoding (2.1); name-list parameters (2.2); analysis
 * validate hooks (2.3).)
 * 3.1: an INT_PAIR parameter may also take words instead of numbers
 * (spec->choices, read with cnn_param_word: conv2d's `padding: same`);
 * struct cnn_conv2d_settings ends with the padding after (pad_bottom,
 * pad_right) and `same`; the avgpool2d and leaky-relu layers and their
 * settings (cnn_avgpool2d_settings, cnn_leaky_relu_settings); gradients
 * for analyses (cnn_analysis_gradient, analysis.h), and a layer's
 * backward may follow an inference forward (layer.h). A module built
 * against 3.1 may call cnn_param_word or cnn_analysis_gradient, or read
 * those fields, which a 3.0 cnnlab lacks, hence the minor.
 * 3.2: layer buffers, state that is saved but not trained (batch norm's
 * running statistics): struct cnn_layer ends with buffer_count and
 * buffers[] (struct cnn_layer_buffer), declared by cnn_layer_add_buffer
 * and found with cnn_layer_buffer; the batchnorm2d and batchnorm1d
 * layers and their settings (cnn_batchnorm_settings). The core allocates
 * every struct cnn_layer, so a 3.1 module reads its fields where they
 * were; a 3.2 module may call cnn_layer_add_buffer, which a 3.1 cnnlab
 * lacks, hence the minor. */
#define CNN_ABI_MAJOR 3
#define CNN_ABI_MINOR 2

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
int cnn_register_loss_kernels(struct cnn_registry *registry,
                              const struct cnn_loss_kernels *kernels,
                              struct cnn_error *err);
int cnn_register_optimizer_kernels(struct cnn_registry *registry,
                                   const struct cnn_optimizer_kernels *kernels,
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
