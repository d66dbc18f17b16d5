/* A module needing a newer ABI minor than this core: refused. */
#include "cnnlab/plugin.h"

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    (void)registry;
    (void)err;
    return 0;
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR + 1, "abi-minor", "1.0", init,
};
