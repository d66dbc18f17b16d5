/* cnnlab — the data loaders module: idx, imagefolder and synthetic. */
#include "loaders.h"

static int loaders_init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_loader(registry, &loaders_idx_type, err) != 0
        || cnn_register_loader(registry, &loaders_imagefolder_type, err) != 0)
        return -1;
    return cnn_register_loader(registry, &loaders_synthetic_type, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "loaders", "0.1.0", loaders_init};
