/* A module registering the loss 'cross-entropy', a name the built-in
 * losses module already has: loaded after it (from $CNNLAB_PLUGIN_PATH or
 * a manifest's plugins:), it must be refused, so that no module replaces
 * a built-in component behind the user's back. */
#include "cnnlab/plugin.h"

static int parse(const struct cnn_params *params, void *settings,
                 struct cnn_error *err)
{
    (void)params, (void)settings;
    return cnn_error_set(err, "the shadowing loss must never be used");
}

static const struct cnn_loss_type shadow = {
    .name = "cross-entropy", .help = "a second cross-entropy",
    .settings_size = 1, .parse = parse,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    return cnn_register_loss(registry, &shadow, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "shadow", "1.0", init,
};
