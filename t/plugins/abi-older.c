/* A module built against an older ABI minor of this major (OLDER_MINOR:
 * 2.0, 2.1, 2.2): the version rule says it loads. */
#include "cnnlab/plugin.h"

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    (void)registry;
    (void)err;
    return 0;
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, OLDER_MINOR, "abi-older", "1.0", init,
};
