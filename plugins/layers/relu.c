/* cnnlab layers — relu: y = max(x, 0) (PyTorch's nn.ReLU / F.relu). A
 * memory-bound loop, so plain C (split among the OpenMP threads on large
 * batches) rather than a oneDNN primitive. */
#include <stdio.h>

#include "onednn.h"

static int relu_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    (void)err;
    layer->output = layer->input;
    return 0;
}

static int relu_describe(const struct cnn_layer *layer, char *buf,
                         size_t size)
{
    (void)layer;
    return snprintf(buf, size, "ReLU()");
}

static void relu_geometry(const struct cnn_layer *layer,
                          struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_IDENTITY};
}

static int relu_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                        const struct cnn_tensor *x, struct cnn_tensor *y,
                        int training, struct cnn_error *err)
{
    (void)training;
    if (cnn_check_tensor(x, layer->input, x ? x->n : 0, "input", layer,
                         err) ||
        cnn_check_tensor(y, layer->output, x->n, "output", layer, err))
        return -1;
    cnn_onednn_set_threads(ctx);
    const float *in = x->data;
    float *out = y->data;
    size_t count = cnn_tensor_count(x);
    /* `x < 0 ? 0 : x` lets NaN through, as PyTorch's relu does: a
     * diverging run shows NaN instead of silently reading zeros. */
    CNN_PARALLEL_FOR_SIMD(count)
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] < 0.0f ? 0.0f : in[i];
    return 0;
}

/* dx = dy where the output is positive (PyTorch's threshold_backward on
 * the result), so x itself is not needed. */
static int relu_backward(struct cnn_context *ctx, struct cnn_layer *layer,
                         const struct cnn_tensor *x,
                         const struct cnn_tensor *y,
                         const struct cnn_tensor *dy, struct cnn_tensor *dx,
                         struct cnn_error *err)
{
    (void)x;
    if (!dx)
        return 0;
    if (cnn_check_tensor(y, layer->output, y ? y->n : 0, "output", layer,
                         err) ||
        cnn_check_tensor(dy, layer->output, y->n, "output gradient", layer,
                         err) ||
        cnn_check_tensor(dx, layer->input, y->n, "input gradient", layer,
                         err))
        return -1;
    cnn_onednn_set_threads(ctx);
    cnn_relu_mask_gradient(dx->data, dy->data, y->data, cnn_tensor_count(dy));
    return 0;
}

const struct cnn_layer_type cnn_layers_relu_type = {
    .name = "relu",
    .name_prefix = "relu",
    .summary_name = NULL,
    .help = "rectified linear unit, max(x, 0)",
    .params = NULL,
    .param_count = 0,
    .setup = relu_setup,
    .destroy = NULL,
    .describe = relu_describe,
    .geometry = relu_geometry,
};

const struct cnn_layer_kernels cnn_layers_relu_cpu = {
    .layer = "relu",
    .device = CNN_DEVICE_CPU,
    .prepare = NULL,
    .forward = relu_forward,
    .backward = relu_backward,
    .release = NULL,
};
