/* cnnlab layers — leaky-relu: y = x for x > 0, slope * x otherwise
 * (PyTorch's nn.LeakyReLU), a built-in since it was the example plugin
 * users copied most. A memory-bound loop like relu's, so plain C split
 * among the OpenMP threads on large batches. */
#include <stdio.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"

static const struct cnn_param_spec leaky_relu_params[] = {
    {"slope", CNN_PARAM_FLOAT, "0.01", 0, 1, NULL,
     "gradient for negative inputs (PyTorch's negative_slope)"},
};

static int leaky_relu_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    struct cnn_leaky_relu_settings s = {
        .slope = cnn_param_float(&layer->params, "slope"),
    };
    layer->output = layer->input;
    return cnn_layer_keep_state(layer, &s, sizeof s, err);
}

/* As PyTorch prints the Python float ("0.01", "0.0", "1.0"). */
static int leaky_relu_describe(const struct cnn_layer *layer, char *buf,
                               size_t size)
{
    const struct cnn_leaky_relu_settings *s = layer->state;
    char slope[40];
    cnn_layers_python_float(slope, sizeof slope, s->slope);
    return snprintf(buf, size, "LeakyReLU(negative_slope=%s)", slope);
}

static void leaky_relu_geometry(const struct cnn_layer *layer,
                                struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_IDENTITY};
}

/* PyTorch's x > 0 ? x : x * slope, but for slope 0, which is relu's loop
 * itself: 0 * x would give -0 for a negative x and NaN for -inf where
 * relu gives 0, so only this way does slope 0 train exactly as relu. A
 * NaN passes either way, as in relu and PyTorch. */
static int leaky_relu_forward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              struct cnn_tensor *y, int training,
                              struct cnn_error *err)
{
    (void)training;
    if (cnn_check_tensor(x, layer->input, x ? x->n : 0, "input", layer,
                         err) ||
        cnn_check_tensor(y, layer->output, x->n, "output", layer, err))
        return -1;
    cnn_onednn_set_threads(ctx);
    const struct cnn_leaky_relu_settings *s = layer->state;
    const float slope = (float)s->slope;
    const float *in = x->data;
    float *out = y->data;
    size_t count = cnn_tensor_count(x);
    if (slope == 0.0f) {
        CNN_PARALLEL_FOR_SIMD(count)
        for (size_t i = 0; i < count; i++)
            out[i] = in[i] < 0.0f ? 0.0f : in[i];
        return 0;
    }
    CNN_PARALLEL_FOR_SIMD(count)
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] > 0.0f ? in[i] : in[i] * slope;
    return 0;
}

/* dx = dy where x > 0, else dy * slope (PyTorch's leaky_relu_backward,
 * which reads the input); for slope 0 relu's 0 (not dy * 0: -0, or NaN
 * for an infinite dy), x > 0 being relu's y > 0. */
static int leaky_relu_backward(struct cnn_context *ctx,
                               struct cnn_layer *layer,
                               const struct cnn_tensor *x,
                               const struct cnn_tensor *y,
                               const struct cnn_tensor *dy,
                               struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)y;
    if (!dx)
        return 0;
    if (cnn_check_tensor(x, layer->input, x ? x->n : 0, "input", layer,
                         err) ||
        cnn_check_tensor(dy, layer->output, x->n, "output gradient", layer,
                         err) ||
        cnn_check_tensor(dx, layer->input, x->n, "input gradient", layer,
                         err))
        return -1;
    cnn_onednn_set_threads(ctx);
    const struct cnn_leaky_relu_settings *s = layer->state;
    const float slope = (float)s->slope;
    const float *in = x->data, *gradient = dy->data;
    float *out = dx->data;
    size_t count = cnn_tensor_count(x);
    if (slope == 0.0f) {
        CNN_PARALLEL_FOR_SIMD(count)
        for (size_t i = 0; i < count; i++)
            out[i] = in[i] > 0.0f ? gradient[i] : 0.0f;
        return 0;
    }
    CNN_PARALLEL_FOR_SIMD(count)
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] > 0.0f ? gradient[i] : gradient[i] * slope;
    return 0;
}

const struct cnn_layer_type cnn_layers_leaky_relu_type = {
    .name = "leaky-relu",
    .name_prefix = "leaky",
    .summary_name = "LeakyReLU",
    .help = "leaky rectified linear unit, x > 0 ? x : slope * x (PyTorch "
            "nn.LeakyReLU)",
    .params = leaky_relu_params,
    .param_count = sizeof leaky_relu_params / sizeof *leaky_relu_params,
    .setup = leaky_relu_setup,
    .destroy = cnn_layer_free_state,
    .describe = leaky_relu_describe,
    .geometry = leaky_relu_geometry,
};

const struct cnn_layer_kernels cnn_layers_leaky_relu_cpu = {
    .layer = "leaky-relu",
    .device = CNN_DEVICE_CPU,
    .prepare = NULL,
    .forward = leaky_relu_forward,
    .backward = leaky_relu_backward,
    .release = NULL,
};
