/* Registers the loss 'twin'. Built twice, as t/dup-first.la and
 * t/dup-second.la (MODULE_NAME and TWIN_HELP set per target), to test name
 * clashes: the first loaded keeps the name. */
#include "cnnlab/plugin.h"

#if !defined(MODULE_NAME) || !defined(TWIN_HELP)
#error "build with -DMODULE_NAME='\"...\"' -DTWIN_HELP='\"...\"' (t/core.mk)"
#endif

static int compute(struct cnn_context *ctx, const struct cnn_params *params,
                   const struct cnn_loss_batch *batch, struct cnn_error *err)
{
    (void)ctx, (void)params, (void)batch;
    return 0;
}

static const struct cnn_loss_type twin = {
    .name = "twin", .help = TWIN_HELP, .compute = compute,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    return cnn_register_loss(registry, &twin, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, MODULE_NAME, "1.0", init,
};
