/* cnnlab CUDA module — the elementwise layers: relu, leaky-relu, flatten
 * and dropout, on the module's stream (kernels.cu). Same semantics as the
 * CPU kernels of plugins/layers, except that dropout's masks come from a
 * counter-based hash on the device, not the CPU's sequential stream: the
 * same keep probability and scale, other bits. */
#include <stdlib.h>

#include "backend.h"
#include "cnnlab/builtin_layers.h"
#include "kernels.h"

/* ---- relu ---- */

static int relu_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                        const struct cnn_tensor *x, struct cnn_tensor *y,
                        int training, struct cnn_error *err)
{
    (void)training;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err))
        return -1;
    return CUDA_CHECK(cuda_relu_forward(cuda_backend_of(ctx)->stream,
                                        y->data, x->data,
                                        cnn_tensor_count(x)),
                      layer->name, err);
}

/* dx = dy where the output is positive, as the CPU: x is not needed. */
static int relu_backward(struct cnn_context *ctx, struct cnn_layer *layer,
                         const struct cnn_tensor *x,
                         const struct cnn_tensor *y,
                         const struct cnn_tensor *dy, struct cnn_tensor *dx,
                         struct cnn_error *err)
{
    (void)x;
    if (!dx)
        return 0;
    if (cuda_kernels_check_tensor(y, layer->output, y ? y->n : 0, "output",
                                  layer, err) ||
        cuda_kernels_check_tensor(dy, layer->output, y->n,
                                  "output gradient", layer, err) ||
        cuda_kernels_check_tensor(dx, layer->input, y->n, "input gradient",
                                  layer, err))
        return -1;
    return CUDA_CHECK(cuda_relu_backward(cuda_backend_of(ctx)->stream,
                                         dx->data, dy->data, y->data,
                                         cnn_tensor_count(dy)),
                      layer->name, err);
}

const struct cnn_layer_kernels cuda_relu_kernels = {
    .layer = "relu",
    .device = CNN_DEVICE_CUDA,
    .prepare = NULL,
    .forward = relu_forward,
    .backward = relu_backward,
    .release = NULL,
};

/* ---- leaky-relu ---- */

/* The layers module's parsed slope, as the float the kernels use. No
 * kernel state: each call reads it (a check of the type's name, no
 * parameter lookup). */
static int leaky_relu_slope(const struct cnn_layer *layer, float *slope,
                            struct cnn_error *err)
{
    const struct cnn_leaky_relu_settings *s =
        cnn_leaky_relu_settings_of(layer, err);
    if (!s)
        return -1;
    *slope = (float)s->slope;
    return 0;
}

static int leaky_relu_forward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              struct cnn_tensor *y, int training,
                              struct cnn_error *err)
{
    (void)training;
    float slope;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err) ||
        leaky_relu_slope(layer, &slope, err))
        return -1;
    return CUDA_CHECK(cuda_leaky_relu_forward(cuda_backend_of(ctx)->stream,
                                              y->data, x->data,
                                              cnn_tensor_count(x), slope),
                      layer->name, err);
}

/* dx from x, as the CPU (PyTorch's leaky_relu_backward reads the input). */
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
    float slope;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(dy, layer->output, x->n,
                                  "output gradient", layer, err) ||
        cuda_kernels_check_tensor(dx, layer->input, x->n, "input gradient",
                                  layer, err) ||
        leaky_relu_slope(layer, &slope, err))
        return -1;
    return CUDA_CHECK(cuda_leaky_relu_backward(cuda_backend_of(ctx)->stream,
                                               dx->data, dy->data, x->data,
                                               cnn_tensor_count(x), slope),
                      layer->name, err);
}

const struct cnn_layer_kernels cuda_leaky_relu_kernels = {
    .layer = "leaky-relu",
    .device = CNN_DEVICE_CUDA,
    .prepare = NULL,
    .forward = leaky_relu_forward,
    .backward = leaky_relu_backward,
    .release = NULL,
};

/* ---- flatten: NCHW is already flat per sample, so a copy ---- */

static int copy_on_stream(struct cnn_context *ctx, struct cnn_layer *layer,
                          float *to, const float *from, size_t count,
                          struct cnn_error *err)
{
    return CUDA_CHECK(cudaMemcpyAsync(to, from, count * sizeof(float),
                                      cudaMemcpyDeviceToDevice,
                                      cuda_backend_of(ctx)->stream),
                      layer->name, err);
}

static int flatten_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                           const struct cnn_tensor *x, struct cnn_tensor *y,
                           int training, struct cnn_error *err)
{
    (void)training;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err))
        return -1;
    return copy_on_stream(ctx, layer, y->data, x->data, cnn_tensor_count(x),
                          err);
}

static int flatten_backward(struct cnn_context *ctx, struct cnn_layer *layer,
                            const struct cnn_tensor *x,
                            const struct cnn_tensor *y,
                            const struct cnn_tensor *dy,
                            struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)x;
    (void)y;
    if (!dx)
        return 0;
    if (cuda_kernels_check_tensor(dy, layer->output, dy ? dy->n : 0,
                                  "output gradient", layer, err) ||
        cuda_kernels_check_tensor(dx, layer->input, dy->n, "input gradient",
                                  layer, err))
        return -1;
    return copy_on_stream(ctx, layer, dx->data, dy->data,
                          cnn_tensor_count(dy), err);
}

const struct cnn_layer_kernels cuda_flatten_kernels = {
    .layer = "flatten",
    .device = CNN_DEVICE_CUDA,
    .prepare = NULL,
    .forward = flatten_forward,
    .backward = flatten_backward,
    .release = NULL,
};

/* ---- dropout ---- */

/* The mask of the last training forward (1: kept), batch * c*h*w bytes
 * of device memory, made in prepare so a step never allocates. */
struct dropout_state {
    int batch;
    /* Samples the buffer holds: it only grows, so a step captured for one
     * batch size stays valid after prepare for a smaller one. */
    int capacity;
    int valid; /* 1 when the last forward was a training one */
    uint8_t *mask;
    /* The layer's p, read when the state is made: settings do not change
     * after setup, and a step looks nothing up. */
    float p;
};

static void dropout_release(struct cnn_layer *layer)
{
    struct dropout_state *state = layer->kernel_state;
    if (!state)
        return;
    /* Nothing to report on failure: the layer is going away. */
    cudaFree(state->mask);
    free(state);
    layer->kernel_state = NULL;
}

static int dropout_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                           int batch, struct cnn_error *err)
{
    (void)ctx;
    struct dropout_state *state = layer->kernel_state;
    if (state && state->capacity >= batch) {
        state->batch = batch;
        return 0;
    }
    dropout_release(layer);
    if (batch < 1)
        return cnn_error_set(err, "layer %s (dropout): batch size %d (must "
                             "be at least 1)", layer->name, batch);
    const struct cnn_dropout_settings *settings =
        cnn_dropout_settings_of(layer, err);
    if (!settings)
        return -1;
    state = calloc(1, sizeof *state);
    if (!state)
        return cnn_error_set(err, "layer %s (dropout): out of memory",
                             layer->name);
    size_t bytes = (size_t)batch * cnn_shape_size(layer->input);
    if (CUDA_CHECK(cudaMalloc((void **)&state->mask, bytes), layer->name,
                   err)) {
        free(state);
        return cnn_error_prefix(err, "the dropout mask for a batch of %d "
                                "(%zu bytes; try a smaller batch): ",
                                batch, bytes);
    }
    state->batch = batch;
    state->capacity = batch;
    state->p = (float)settings->p;
    layer->kernel_state = state;
    return 0;
}

static struct dropout_state *dropout_state_of(struct cnn_layer *layer,
                                              struct cnn_error *err)
{
    if (!layer->kernel_state)
        cnn_error_set(err, "layer %s (dropout): forward/backward before "
                      "prepare", layer->name);
    return layer->kernel_state;
}

static int dropout_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                           const struct cnn_tensor *x, struct cnn_tensor *y,
                           int training, struct cnn_error *err)
{
    struct dropout_state *state = dropout_state_of(layer, err);
    if (!state ||
        cuda_kernels_check_tensor(x, layer->input, state->batch, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, state->batch, "output",
                                  layer, err))
        return -1;
    size_t count = cnn_tensor_count(x);
    state->valid = training;
    if (!training)
        return copy_on_stream(ctx, layer, y->data, x->data, count, err);
    if (!ctx->device_step)
        return cnn_error_set(err, "layer %s (dropout): a training forward "
                             "needs the device's step count "
                             "(ctx->device_step), which the context lacks",
                             layer->name);
    return CUDA_CHECK(cuda_dropout_forward(cuda_backend_of(ctx)->stream,
                                           x->data, y->data, state->mask,
                                           count, state->p, ctx->seed,
                                           ctx->device_step, layer->index),
                      layer->name, err);
}

static int dropout_backward(struct cnn_context *ctx, struct cnn_layer *layer,
                            const struct cnn_tensor *x,
                            const struct cnn_tensor *y,
                            const struct cnn_tensor *dy,
                            struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)x;
    (void)y;
    struct dropout_state *state = dropout_state_of(layer, err);
    if (!state)
        return -1;
    if (!dx)
        return 0;
    if (cuda_kernels_check_tensor(dy, layer->output, state->batch,
                                  "output gradient", layer, err) ||
        cuda_kernels_check_tensor(dx, layer->input, state->batch,
                                  "input gradient", layer, err))
        return -1;
    size_t count = cnn_tensor_count(dy);
    /* After an evaluation forward the layer was the identity. */
    if (!state->valid)
        return copy_on_stream(ctx, layer, dx->data, dy->data, count, err);
    return CUDA_CHECK(cuda_dropout_backward(cuda_backend_of(ctx)->stream,
                                            dy->data, dx->data, state->mask,
                                            count, state->p),
                      layer->name, err);
}

const struct cnn_layer_kernels cuda_dropout_kernels = {
    .layer = "dropout",
    .device = CNN_DEVICE_CUDA,
    .prepare = dropout_prepare,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .release = dropout_release,
};
