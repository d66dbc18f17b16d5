/* A module built for another ABI major: the loader must refuse it. */
#include "cnnlab/plugin.h"

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    (void)registry;
    (void)err;
    return 0;
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR + 1, 0, "abi-major", "1.0", init,
};
