/* A module built for the previous ABI minor (3.1 when the core is 3.2):
 * loaded, since minors only add at the ends of structs (3.2's layer
 * buffers end struct cnn_layer, which only the core allocates). */
#include "cnnlab/plugin.h"

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    (void)registry;
    (void)err;
    return 0;
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR - 1, "abi-older", "1.0", init,
};
