/* An analysis module built for ABI 2.MODULE_MINOR, registering the
 * analysis "analysis-abi-MODULE_MINOR". Before 2.3 the struct ended at
 * `run`: the module declares that older layout, and puts right after it,
 * where a 2.3 core would find `validate`, a function that fails loudly, so
 * that a core reading past the older struct is caught. From 2.3 its
 * validate hook refuses `refuse: true` with a message of its own. */
#include <stddef.h>

#include "cnnlab/plugin.h"

#define TEXT(x) #x
#define NAME(minor) "analysis-abi-" TEXT(minor)

static const struct cnn_param_spec params[] = {
    {"refuse", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "validate refuses the parameters (ABI 2.3 modules)"},
};

static int run(struct cnn_analysis *analysis, const struct cnn_params *p,
               struct cnn_error *err)
{
    (void)analysis;
    (void)p;
    (void)err;
    return 0;
}

#if MODULE_MINOR < 3
/* struct cnn_analysis_type as ABI 2.0-2.2 declared it. */
struct older_analysis_type {
    const char *name;
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    int (*run)(struct cnn_analysis *analysis, const struct cnn_params *params,
               struct cnn_error *err);
};

static int read_past_the_end(const struct cnn_analysis *analysis,
                             const struct cnn_params *p,
                             struct cnn_error *err)
{
    (void)analysis;
    (void)p;
    return cnn_error_set(err, "the core read `validate` past the end of "
                              "the analysis type of an ABI 2.%d module",
                         MODULE_MINOR);
}

static const struct {
    struct older_analysis_type type;
    int (*beyond)(const struct cnn_analysis *analysis,
                  const struct cnn_params *params, struct cnn_error *err);
} older = {
    {NAME(MODULE_MINOR), "an analysis of an older ABI minor", params, 1, run},
    read_past_the_end,
};

_Static_assert(offsetof(__typeof__(older), beyond) ==
                   offsetof(struct cnn_analysis_type, validate),
               "the trap sits where a 2.3 core looks for validate");

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    return cnn_register_analysis(
        registry, (const struct cnn_analysis_type *)&older.type, err);
}
#else
static int validate(const struct cnn_analysis *analysis,
                    const struct cnn_params *p, struct cnn_error *err)
{
    if (!cnn_param_bool(p, "refuse"))
        return 0;
    return cnn_error_set(err, "%s: refused before training (a model of %d "
                              "layers)",
                         NAME(MODULE_MINOR),
                         cnn_analysis_layer_count(analysis));
}

static const struct cnn_analysis_type type = {
    .name = NAME(MODULE_MINOR),
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
#endif

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, MODULE_MINOR, NAME(MODULE_MINOR), "1.0", init,
};
