/* cnnlab CUDA module — avgpool2d on the module's stream
 * (avgpool2d_kernels.cu), with the CPU kernels' arithmetic. The window is
 * the layers module's parsed settings (<cnnlab/builtin_layers.h>); the
 * kernels keep no state, so each call reads them through the accessor (a
 * check of the type's name, no parameter lookup). Backward needs nothing
 * from the forward: the divisors follow from the window. */
#include "backend.h"
#include "cnnlab/builtin_layers.h"
#include "kernels.h"

/* The shapes and window of a batch of n, or -1 when the layer's
 * settings are not avgpool2d's. */
static int avgpool2d_shape(const struct cnn_layer *layer, int n,
                           struct cuda_pool_shape *s, int *count_include_pad,
                           struct cnn_error *err)
{
    const struct cnn_avgpool2d_settings *c =
        cnn_avgpool2d_settings_of(layer, err);
    if (!c)
        return -1;
    *s = (struct cuda_pool_shape){
        .planes = (long)n * layer->input.c,
        .in_h = layer->input.h, .in_w = layer->input.w,
        .out_h = layer->output.h, .out_w = layer->output.w,
        .kernel_h = c->kernel_h, .kernel_w = c->kernel_w,
        .stride_h = c->stride_h, .stride_w = c->stride_w,
        .pad_h = c->pad_h, .pad_w = c->pad_w,
    };
    *count_include_pad = c->count_include_pad;
    return 0;
}

static int avgpool2d_forward(struct cnn_context *ctx,
                             struct cnn_layer *layer,
                             const struct cnn_tensor *x,
                             struct cnn_tensor *y, int training,
                             struct cnn_error *err)
{
    (void)training;
    struct cuda_pool_shape shape;
    int count_include_pad;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err) ||
        avgpool2d_shape(layer, x->n, &shape, &count_include_pad, err))
        return -1;
    return CUDA_CHECK(cuda_avgpool2d_forward(cuda_backend_of(ctx)->stream,
                                             &shape, count_include_pad,
                                             x->data, y->data),
                      layer->name, err);
}

static int avgpool2d_backward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              const struct cnn_tensor *y,
                              const struct cnn_tensor *dy,
                              struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)x;
    (void)y;
    /* No parameters: without dx there is nothing to compute. */
    if (!dx)
        return 0;
    struct cuda_pool_shape shape;
    int count_include_pad;
    if (cuda_kernels_check_tensor(dy, layer->output, dy ? dy->n : 0,
                                  "output gradient", layer, err) ||
        cuda_kernels_check_tensor(dx, layer->input, dy->n, "input gradient",
                                  layer, err) ||
        avgpool2d_shape(layer, dy->n, &shape, &count_include_pad, err))
        return -1;
    return CUDA_CHECK(cuda_avgpool2d_backward(cuda_backend_of(ctx)->stream,
                                              &shape, count_include_pad,
                                              dy->data, dx->data),
                      layer->name, err);
}

const struct cnn_layer_kernels cuda_avgpool2d_kernels = {
    .layer = "avgpool2d",
    .device = CNN_DEVICE_CUDA,
    .prepare = NULL,
    .forward = avgpool2d_forward,
    .backward = avgpool2d_backward,
    .release = NULL,
};
