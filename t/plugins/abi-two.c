/* A module built for plugin ABI 2.3, the last 2.x: a 3.0 core must refuse
 * it and say how to port it (losses and optimizers changed shape). */
#include "cnnlab/plugin.h"

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    (void)registry;
    (void)err;
    return 0;
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    2, 3, "abi-two", "1.0", init,
};
