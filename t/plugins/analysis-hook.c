/* An analysis module with a validate hook: it refuses `refuse: true` with
 * a message of its own that names the model it was shown, so a test can
 * tell that the check called the hook with the built model. */
#include "cnnlab/plugin.h"

static const struct cnn_param_spec params[] = {
    {"refuse", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "validate refuses the parameters"},
};

static int run(struct cnn_analysis *analysis, const struct cnn_params *p,
               struct cnn_error *err)
{
    (void)analysis;
    (void)p;
    (void)err;
    return 0;
}

static int validate(const struct cnn_analysis *analysis,
                    const struct cnn_params *p, struct cnn_error *err)
{
    if (!cnn_param_bool(p, "refuse"))
        return 0;
    return cnn_error_set(err, "analysis-hook: refused before training (a "
                              "model of %d layers)",
                         cnn_analysis_layer_count(analysis));
}

static const struct cnn_analysis_type type = {
    .name = "analysis-hook",
    .help = "an analysis with a validate hook",
    .params = params,
    .param_count = 1,
    .run = run,
    .validate = validate,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    return cnn_register_analysis(registry, &type, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "analysis-hook", "1.0", init,
};
