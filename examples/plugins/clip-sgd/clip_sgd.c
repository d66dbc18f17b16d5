/* The clip-sgd example optimizer: plain SGD whose change of each weight in
 * one step is clipped to [-clip, clip]. It shows the ABI 3.0 shape of a
 * loss or optimizer (docs/plugin-guide.md, section 5b): one definition
 * that owns the schema and parses the manifest's values once into a typed
 * struct, and a CPU kernel that reads only that struct. With clip 0 it is
 * exactly the built-in sgd without momentum, bit for bit (t/examples.sh
 * checks that). Build with `make` (pkg-config finds cnnlab). */
#include <math.h>
#include <stddef.h>

#include <cnnlab/plugin.h>

static const struct cnn_param_spec clip_sgd_params[] = {
    {"lr", CNN_PARAM_FLOAT, "0.01", 1e-12, 1000, NULL, "learning rate"},
    {"clip", CNN_PARAM_FLOAT, "1", 0, 1e6, NULL,
     "largest change of one weight in one step (0: no clipping)"},
};

/* In float, as PyTorch rounds its scalars for float32 tensors. */
struct clip_sgd_settings {
    float lr, clip;
};

/* Once, when the manifest is validated: `cnnlab check` refuses here,
 * before any data loads. */
static int clip_sgd_parse(const struct cnn_params *params, void *out,
                          struct cnn_error *err)
{
    struct clip_sgd_settings *s = out;
    s->lr = (float)cnn_param_float(params, "lr");
    s->clip = (float)cnn_param_float(params, "clip");
    if (s->clip != 0 && s->clip < s->lr * 1e-6f)
        return cnn_error_set(err,
                             "clip-sgd: clip %g is below lr * 1e-6, so no "
                             "weight would move: raise it or set 0",
                             (double)s->clip);
    return 0;
}

static int clip_sgd_step(struct cnn_context *ctx, const void *settings,
                         const struct cnn_optimizer_step *step,
                         struct cnn_error *err)
{
    (void)ctx;
    if (step->count > 0 && (!step->weights || !step->grads))
        return cnn_error_set(err, "clip-sgd: no weights or gradients given");
    const struct clip_sgd_settings *s = settings;
    /* As sgd.c: the float lr times the schedule's factor, rounded once. */
    const float lr = (float)(s->lr * step->lr_scale);
    const float clip = s->clip;
    for (size_t i = 0; i < step->count; i++) {
        float change = lr * step->grads[i];
        if (clip > 0 && fabsf(change) > clip)
            change = change > 0 ? clip : -clip;
        step->weights[i] -= change;
    }
    return 0;
}

static const struct cnn_optimizer_type clip_sgd = {
    .name = "clip-sgd",
    .help = "SGD whose change of each weight per step is clipped "
            "(an example plugin)",
    .params = clip_sgd_params,
    .param_count = (int)(sizeof clip_sgd_params / sizeof clip_sgd_params[0]),
    .settings_size = sizeof(struct clip_sgd_settings),
    .parse = clip_sgd_parse,
    .state_per_param = NULL, /* no state */
};

static const struct cnn_optimizer_kernels clip_sgd_cpu = {
    .optimizer = "clip-sgd",
    .device = CNN_DEVICE_CPU,
    .step = clip_sgd_step,
};

static int clip_sgd_init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_optimizer(registry, &clip_sgd, err) != 0)
        return -1;
    return cnn_register_optimizer_kernels(registry, &clip_sgd_cpu, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    .abi_major = CNN_ABI_MAJOR,
    .abi_minor = CNN_ABI_MINOR,
    .name = "clip-sgd",
    .version = "1.0.0",
    .init = clip_sgd_init,
};
