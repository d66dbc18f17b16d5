/* cnnlab CUDA module — max pooling and global pooling on the module's
 * stream (kernels.cu), with the CPU's rules: the first maximum of a window
 * wins, a NaN wins over numbers, and backward adds dy where each maximum
 * came from. The settings are those the layers module's setup parsed, read
 * through <cnnlab/builtin_layers.h>. */
#include <stdlib.h>

#include "backend.h"
#include "cnnlab/builtin_layers.h"
#include "kernels.h"

/* ---- maxpool2d ---- */

/* The argmax of the last training forward: each output's offset in its
 * input plane, batch * c*oh*ow int32 of device memory. */
struct maxpool2d_state {
    int batch;
    /* Samples the buffer holds: it only grows, so a step captured for one
     * batch size stays valid after prepare for a smaller one. */
    int capacity;
    int valid; /* 1 when the last forward was a training one */
    int32_t *argmax;
    /* The layer's window (stride resolved), copied when the state is
     * made: settings do not change after setup. */
    struct cnn_maxpool2d_settings window;
};

static void maxpool2d_release(struct cnn_layer *layer)
{
    struct maxpool2d_state *state = layer->kernel_state;
    if (!state)
        return;
    cudaFree(state->argmax);
    free(state);
    layer->kernel_state = NULL;
}

static int maxpool2d_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                             int batch, struct cnn_error *err)
{
    (void)ctx;
    struct maxpool2d_state *state = layer->kernel_state;
    if (state && state->capacity >= batch) {
        state->batch = batch;
        return 0;
    }
    maxpool2d_release(layer);
    if (batch < 1)
        return cnn_error_set(err, "layer %s (maxpool2d): batch size %d "
                             "(must be at least 1)", layer->name, batch);
    const struct cnn_maxpool2d_settings *window =
        cnn_maxpool2d_settings_of(layer, err);
    if (!window)
        return -1;
    state = calloc(1, sizeof *state);
    if (!state)
        return cnn_error_set(err, "layer %s (maxpool2d): out of memory",
                             layer->name);
    size_t bytes =
        (size_t)batch * cnn_shape_size(layer->output) * sizeof(int32_t);
    if (CUDA_CHECK(cudaMalloc((void **)&state->argmax, bytes), layer->name,
                   err)) {
        free(state);
        return cnn_error_prefix(err, "the pooling maxima for a batch of %d "
                                "(%zu bytes; try a smaller batch): ",
                                batch, bytes);
    }
    state->batch = batch;
    state->capacity = batch;
    state->window = *window;
    layer->kernel_state = state;
    return 0;
}

static struct maxpool2d_state *maxpool2d_state_of(struct cnn_layer *layer,
                                                  struct cnn_error *err)
{
    if (!layer->kernel_state)
        cnn_error_set(err, "layer %s (maxpool2d): forward/backward before "
                      "prepare", layer->name);
    return layer->kernel_state;
}

/* The window setup validated (its stride resolved) and the shapes. */
static struct cuda_pool_shape
maxpool2d_shape(const struct cnn_layer *layer,
                const struct maxpool2d_state *state)
{
    const struct cnn_maxpool2d_settings *w = &state->window;
    struct cuda_pool_shape s;
    s.planes = (long)state->batch * layer->input.c;
    s.in_h = layer->input.h;
    s.in_w = layer->input.w;
    s.out_h = layer->output.h;
    s.out_w = layer->output.w;
    s.kernel_h = w->kernel_h;
    s.kernel_w = w->kernel_w;
    s.stride_h = w->stride_h;
    s.stride_w = w->stride_w;
    s.pad_h = w->pad_h;
    s.pad_w = w->pad_w;
    return s;
}

static int maxpool2d_forward(struct cnn_context *ctx,
                             struct cnn_layer *layer,
                             const struct cnn_tensor *x,
                             struct cnn_tensor *y, int training,
                             struct cnn_error *err)
{
    struct maxpool2d_state *state = maxpool2d_state_of(layer, err);
    if (!state ||
        cuda_kernels_check_tensor(x, layer->input, state->batch, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, state->batch, "output",
                                  layer, err))
        return -1;
    struct cuda_pool_shape shape = maxpool2d_shape(layer, state);
    /* An inference forward skips recording the maxima. */
    state->valid = training;
    return CUDA_CHECK(cuda_maxpool2d_forward(cuda_backend_of(ctx)->stream,
                                             &shape, x->data, y->data,
                                             training ? state->argmax
                                                      : NULL),
                      layer->name, err);
}

static int maxpool2d_backward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              const struct cnn_tensor *y,
                              const struct cnn_tensor *dy,
                              struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)y;
    struct maxpool2d_state *state = maxpool2d_state_of(layer, err);
    if (!state)
        return -1;
    /* No parameters: without dx there is nothing to compute. */
    if (!dx)
        return 0;
    if (cuda_kernels_check_tensor(dy, layer->output, state->batch,
                                  "output gradient", layer, err) ||
        cuda_kernels_check_tensor(dx, layer->input, state->batch,
                                  "input gradient", layer, err))
        return -1;
    struct cuda_pool_shape shape = maxpool2d_shape(layer, state);
    /* After an inference forward, find the maxima again in x as the
     * training forward would (the CPU does the same): gradients of a
     * model in evaluation mode, for the attribution analyses. */
    if (!state->valid) {
        if (cuda_kernels_check_tensor(x, layer->input, state->batch, "input",
                                      layer, err) ||
            CUDA_CHECK(cuda_maxpool2d_forward(cuda_backend_of(ctx)->stream,
                                              &shape, x->data, NULL,
                                              state->argmax),
                       layer->name, err))
            return -1;
        state->valid = 1;
    }
    return CUDA_CHECK(cuda_maxpool2d_backward(cuda_backend_of(ctx)->stream,
                                              &shape, dy->data,
                                              state->argmax, dx->data),
                      layer->name, err);
}

const struct cnn_layer_kernels cuda_maxpool2d_kernels = {
    .layer = "maxpool2d",
    .device = CNN_DEVICE_CUDA,
    .prepare = maxpool2d_prepare,
    .forward = maxpool2d_forward,
    .backward = maxpool2d_backward,
    .release = maxpool2d_release,
};

/* ---- globalpool: (n, c, h, w) to (n, c, 1, 1), avg or max ---- */

/* *max: 1 for mode max. The kernels keep no state, so each call reads
 * the settings (a check of the type's name, no parameter lookup). */
static int globalpool_is_max(const struct cnn_layer *layer, int *max,
                             struct cnn_error *err)
{
    const struct cnn_globalpool_settings *s =
        cnn_globalpool_settings_of(layer, err);
    if (!s)
        return -1;
    *max = s->mode == CNN_GLOBALPOOL_MAX;
    return 0;
}

static int globalpool_forward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              struct cnn_tensor *y, int training,
                              struct cnn_error *err)
{
    (void)training;
    int max = 0;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err) ||
        globalpool_is_max(layer, &max, err))
        return -1;
    size_t planes = (size_t)x->n * (size_t)x->shape.c;
    size_t area = (size_t)x->shape.h * (size_t)x->shape.w;
    return CUDA_CHECK(cuda_globalpool_forward(cuda_backend_of(ctx)->stream,
                                              max, x->data, y->data,
                                              planes, area),
                      layer->name, err);
}

/* Max finds each plane's maximum in x again, as the CPU does: no state. */
static int globalpool_backward(struct cnn_context *ctx,
                               struct cnn_layer *layer,
                               const struct cnn_tensor *x,
                               const struct cnn_tensor *y,
                               const struct cnn_tensor *dy,
                               struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)y;
    if (!dx)
        return 0;
    int max = 0;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(dy, layer->output, x->n, "output gradient",
                                  layer, err) ||
        cuda_kernels_check_tensor(dx, layer->input, x->n, "input gradient",
                                  layer, err) ||
        globalpool_is_max(layer, &max, err))
        return -1;
    size_t planes = (size_t)x->n * (size_t)x->shape.c;
    size_t area = (size_t)x->shape.h * (size_t)x->shape.w;
    return CUDA_CHECK(cuda_globalpool_backward(cuda_backend_of(ctx)->stream,
                                               max, x->data, dy->data,
                                               dx->data, planes, area),
                      layer->name, err);
}

const struct cnn_layer_kernels cuda_globalpool_kernels = {
    .layer = "globalpool",
    .device = CNN_DEVICE_CUDA,
    .prepare = NULL,
    .forward = globalpool_forward,
    .backward = globalpool_backward,
    .release = NULL,
};
