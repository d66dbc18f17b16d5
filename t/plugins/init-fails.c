/* A module whose init registers a loss, then fails: the loader must
 * refuse it and leave no registration behind. */
#include "cnnlab/plugin.h"

static int parse(const struct cnn_params *params, void *settings,
                 struct cnn_error *err)
{
    (void)params, (void)settings;
    return cnn_error_set(err, "never called");
}

static const struct cnn_loss_type doomed = {
    .name = "doomed-loss", .help = "registered by a failing init",
    .settings_size = 1, .parse = parse,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_loss(registry, &doomed, err) < 0)
        return -1;
    return cnn_error_set(err, "the test module refuses to start");
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "init-fails", "1.0", init,
};
