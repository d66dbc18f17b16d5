/* A module that defines the loss 'no-kernels' and the optimizer
 * 'no-kernels' but registers no kernels for either: a run that names them
 * must be refused before anything loads, saying which device lacks them. */
#include "cnnlab/plugin.h"

static int parse(const struct cnn_params *params, void *settings,
                 struct cnn_error *err)
{
    (void)params, (void)settings, (void)err;
    return 0;
}

static const struct cnn_loss_type loss = {
    .name = "no-kernels", .help = "a loss without kernels",
    .settings_size = 1, .parse = parse,
};

static const struct cnn_optimizer_type optimizer = {
    .name = "no-kernels", .help = "an optimizer without kernels",
    .settings_size = 1, .parse = parse,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_loss(registry, &loss, err) < 0)
        return -1;
    return cnn_register_optimizer(registry, &optimizer, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "no-kernels", "1.0", init,
};
