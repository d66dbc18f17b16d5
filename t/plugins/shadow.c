/* A module registering the loss 'cross-entropy', a name the built-in
 * losses module already has: loaded after it (from $CNNLAB_PLUGIN_PATH or
 * a manifest's plugins:), it must be refused, so that no module replaces
 * a built-in component behind the user's back. */
#include "cnnlab/plugin.h"

static int compute(struct cnn_context *ctx, const struct cnn_params *params,
                   const struct cnn_loss_batch *batch, struct cnn_error *err)
{
    (void)ctx, (void)params, (void)batch;
    return cnn_error_set(err, "the shadowing loss must never run");
}

static const struct cnn_loss_type shadow = {
    .name = "cross-entropy", .help = "a second cross-entropy",
    .device = CNN_DEVICE_CPU, .compute = compute,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    return cnn_register_loss(registry, &shadow, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "shadow", "1.0", init,
};
