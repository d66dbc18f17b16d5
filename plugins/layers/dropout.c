/* cnnlab layers — dropout: inverted dropout (PyTorch's nn.Dropout). In
 * training each value is kept with probability 1 - p and scaled by
 * 1 / (1 - p); in evaluation it is the identity. Masks derive from the
 * run's seed, the step and the layer's index, so runs are reproducible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"

static const struct cnn_param_spec dropout_params[] = {
    {"p", CNN_PARAM_FLOAT, "0.5", 0, 1, NULL,
     "probability of zeroing each value while training"},
};

static int dropout_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    struct cnn_dropout_settings s = {
        .p = cnn_param_float(&layer->params, "p"),
    };
    layer->output = layer->input;
    return cnn_layer_keep_state(layer, &s, sizeof s, err);
}

static int dropout_describe(const struct cnn_layer *layer, char *buf,
                            size_t size)
{
    const struct cnn_dropout_settings *s = layer->state;
    char p[40];
    cnn_layers_python_float(p, sizeof p, s->p);
    return snprintf(buf, size, "Dropout(p=%s, inplace=False)", p);
}

static void dropout_geometry(const struct cnn_layer *layer,
                             struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_IDENTITY};
}

/* The saved buffer (cnn_saved_prepare, layer.h) holds the last training
 * forward's multipliers, 0 or 1 / (1 - p): batch * c*h*w floats. */
static int dropout_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                           int batch, struct cnn_error *err)
{
    return cnn_saved_prepare(ctx, layer, batch,
                             cnn_shape_size(layer->input) * sizeof(float),
                             err);
}

static int dropout_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                           const struct cnn_tensor *x, struct cnn_tensor *y,
                           int training, struct cnn_error *err)
{
    struct cnn_saved_for_backward *k = cnn_saved_state(layer, err);
    if (!k ||
        cnn_check_tensor(x, layer->input, k->batch, "input", layer, err) ||
        cnn_check_tensor(y, layer->output, k->batch, "output", layer, err))
        return -1;
    size_t count = cnn_tensor_count(x);
    k->valid = training;
    if (!training) {
        memcpy(y->data, x->data, count * sizeof(float));
        return 0;
    }
    if (!ctx)
        return cnn_error_set(err, "layer %s (dropout): training forward "
                             "without a context (it holds the seed)",
                             layer->name);
    const struct cnn_dropout_settings *s = layer->state;
    float p = (float)s->p;
    /* p = 1 drops everything: no 1 / 0. */
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, ctx->seed,
                        (ctx->step << 16) ^ (uint64_t)layer->index);
    /* The random stream is sequential; the product is not. */
    float *mask = k->data;
    for (size_t i = 0; i < count; i++)
        mask[i] = cnn_rng_float(&rng) >= p ? scale : 0.0f;
    const float *in = x->data;
    float *out = y->data;
    cnn_onednn_set_threads(ctx);
    CNN_PARALLEL_FOR_SIMD(count)
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] * mask[i];
    return 0;
}

static int dropout_backward(struct cnn_context *ctx, struct cnn_layer *layer,
                            const struct cnn_tensor *x,
                            const struct cnn_tensor *y,
                            const struct cnn_tensor *dy,
                            struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)x;
    (void)y;
    struct cnn_saved_for_backward *k = cnn_saved_state(layer, err);
    if (!k)
        return -1;
    if (!dx)
        return 0;
    if (cnn_check_tensor(dy, layer->output, k->batch, "output gradient",
                         layer, err) ||
        cnn_check_tensor(dx, layer->input, k->batch, "input gradient", layer,
                         err))
        return -1;
    size_t count = cnn_tensor_count(dy);
    /* After an evaluation forward the layer was the identity. */
    if (!k->valid) {
        memcpy(dx->data, dy->data, count * sizeof(float));
        return 0;
    }
    const float *in = dy->data, *mask = k->data;
    float *out = dx->data;
    cnn_onednn_set_threads(ctx);
    CNN_PARALLEL_FOR_SIMD(count)
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] * mask[i];
    return 0;
}

const struct cnn_layer_type cnn_layers_dropout_type = {
    .name = "dropout",
    .name_prefix = "dropout",
    .summary_name = "Dropout",
    .help = "inverted dropout while training, identity in evaluation",
    .params = dropout_params,
    .param_count = sizeof dropout_params / sizeof *dropout_params,
    .setup = dropout_setup,
    .destroy = cnn_layer_free_state,
    .describe = dropout_describe,
    .geometry = dropout_geometry,
};

const struct cnn_layer_kernels cnn_layers_dropout_cpu = {
    .layer = "dropout",
    .device = CNN_DEVICE_CPU,
    .prepare = dropout_prepare,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .release = cnn_saved_release,
};
