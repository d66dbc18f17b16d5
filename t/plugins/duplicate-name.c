/* Registers the loss 'twin'. Built twice, as t/dup-first.la and
 * t/dup-second.la (MODULE_NAME and TWIN_HELP set per target), to test name
 * clashes: the first loaded keeps the name. */
#include "cnnlab/plugin.h"

#if !defined(MODULE_NAME) || !defined(TWIN_HELP)
#error "build with -DMODULE_NAME='\"...\"' -DTWIN_HELP='\"...\"' (t/core.mk)"
#endif

static int parse(const struct cnn_params *params, void *settings,
                 struct cnn_error *err)
{
    (void)params, (void)settings, (void)err;
    return 0;
}

static const struct cnn_loss_type twin = {
    .name = "twin", .help = TWIN_HELP, .settings_size = 1, .parse = parse,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    return cnn_register_loss(registry, &twin, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, MODULE_NAME, "1.0", init,
};
