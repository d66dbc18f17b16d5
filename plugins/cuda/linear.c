/* cnnlab CUDA module — linear on cuBLAS: the layers module's nn.Linear
 * over the flattened input, optionally with a fused ReLU.
 *
 * cuBLAS is column-major; a row-major (r, c) matrix is the column-major
 * (c, r) one with leading dimension c, so each product below is written
 * for the transposes: y = x Wᵀ (n, out) is yᵀ = W xᵀ, and so on. */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cnnlab/builtin_layers.h"
#include "kernels.h"
#include "weighted_kernels.h"

/* Batch sizes a layer keeps buffers for, as conv2d. */
#define LINEAR_PLANS 8

struct linear_plan {
    int batch;
    unsigned long last_used;
    float *masked_dy; /* (batch, out): dy through the ReLU */
};

struct linear_state {
    int in; /* c * h * w of the input */
    /* out, bias and relu: the layer's settings, read in the first
     * prepare (they do not change after setup). */
    int out, bias, relu;
    unsigned long uses;
    int plan_count;
    struct linear_plan plans[LINEAR_PLANS];
};

static void linear_plan_free(struct linear_plan *plan)
{
    cudaFree(plan->masked_dy);
    memset(plan, 0, sizeof *plan);
}

static void linear_release(struct cnn_layer *layer)
{
    struct linear_state *k = layer->kernel_state;
    if (!k)
        return;
    for (int i = 0; i < k->plan_count; i++)
        linear_plan_free(&k->plans[i]);
    free(k);
    layer->kernel_state = NULL;
}

static int linear_plan_make(struct linear_state *k, struct linear_plan *plan,
                            const struct cnn_layer *layer, int batch,
                            struct cnn_error *err)
{
    plan->batch = batch;
    if (k->relu &&
        CUDA_CHECK(cudaMalloc((void **)&plan->masked_dy,
                              (size_t)batch * k->out * sizeof(float)),
                   layer->name, err))
        return -1;
    return 0;
}

static int linear_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                          int batch, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    struct linear_state *k = layer->kernel_state;
    if (!k) {
        const struct cnn_linear_settings *settings =
            cnn_linear_settings_of(layer, err);
        if (!settings)
            return -1;
        k = calloc(1, sizeof *k);
        if (!k)
            return cnn_error_set(err, "layer %s: out of memory",
                                 layer->name);
        k->in = (int)cnn_shape_size(layer->input);
        k->out = settings->out;
        k->bias = settings->bias;
        k->relu = settings->relu;
        layer->kernel_state = k;
    }
    k->uses++;
    for (int i = 0; i < k->plan_count; i++)
        if (k->plans[i].batch == batch) {
            k->plans[i].last_used = k->uses;
            return 0;
        }
    int slot = k->plan_count;
    if (slot == LINEAR_PLANS) {
        slot = 0;
        for (int i = 1; i < LINEAR_PLANS; i++)
            if (k->plans[i].last_used < k->plans[slot].last_used)
                slot = i;
        /* Its buffers may be in use by work still queued. */
        if (CUDA_CHECK(cudaStreamSynchronize(b->stream), layer->name, err))
            return -1;
        linear_plan_free(&k->plans[slot]);
    } else {
        k->plan_count++;
    }
    struct linear_plan *plan = &k->plans[slot];
    plan->last_used = k->uses;
    if (linear_plan_make(k, plan, layer, batch, err)) {
        linear_plan_free(plan);
        k->plans[slot] = k->plans[--k->plan_count];
        memset(&k->plans[k->plan_count], 0, sizeof *plan);
        return -1;
    }
    return 0;
}

static struct linear_plan *linear_plan_for(struct cnn_layer *layer,
                                           int batch, struct cnn_error *err)
{
    struct linear_state *k = layer->kernel_state;
    for (int i = 0; k && i < k->plan_count; i++)
        if (k->plans[i].batch == batch)
            return &k->plans[i];
    cnn_error_set(err, "layer %s (linear, cuda): a batch of %d samples, but "
                  "prepare was not called for that batch size", layer->name,
                  batch);
    return NULL;
}

/* y (n, out) = x (n, in) · Wᵀ + b: as column-major yᵀ (out, n) = W · xᵀ,
 * W being the column-major (in, out) matrix transposed. */
static int linear_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                          const struct cnn_tensor *x, struct cnn_tensor *y,
                          int training, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    const float one = 1.0f, zero = 0.0f;
    (void)training;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err) ||
        !linear_plan_for(layer, x->n, err))
        return -1;
    struct linear_state *k = layer->kernel_state;
    const struct cnn_param_tensor *weight = cnn_layer_tensor(layer,
                                                             "weight");
    const struct cnn_param_tensor *bias =
        k->bias ? cnn_layer_tensor(layer, "bias") : NULL;
    if (CUBLAS_CHECK(cublasSgemm(b->cublas, CUBLAS_OP_T, CUBLAS_OP_N, k->out,
                                 x->n, k->in, &one, weight->data, k->in,
                                 x->data, k->in, &zero, y->data, k->out),
                     layer->name, err))
        return -1;
    return CUDA_CHECK(cuda_launch_bias_relu(y->data,
                                            bias ? bias->data : NULL,
                                            (size_t)x->n, k->out, 1, k->relu,
                                            b->stream),
                      layer->name, err);
}

/* With g = dy through the ReLU (n, out), all overwritten:
 *   dW (out, in) = gᵀ · x    column-major: dWᵀ (in, out) = xᵀ · g
 *   db (out)     = column sums of g (a kernel of ours, with the mask)
 *   dx (n, in)   = g · W     column-major: dxᵀ (in, n) = Wᵀ · gᵀ */
static int linear_backward(struct cnn_context *ctx, struct cnn_layer *layer,
                           const struct cnn_tensor *x,
                           const struct cnn_tensor *y,
                           const struct cnn_tensor *dy,
                           struct cnn_tensor *dx, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    const float one = 1.0f, zero = 0.0f;
    const char *where = layer->name;
    int n = x ? x->n : 0;
    if (cuda_kernels_check_tensor(x, layer->input, n, "input", layer,
                                  err) ||
        cuda_kernels_check_tensor(y, layer->output, n, "output", layer,
                                  err) ||
        cuda_kernels_check_tensor(dy, layer->output, n, "output gradient",
                                  layer, err) ||
        (dx && cuda_kernels_check_tensor(dx, layer->input, n,
                                         "input gradient", layer, err)))
        return -1;
    struct linear_plan *plan = linear_plan_for(layer, n, err);
    if (!plan)
        return -1;
    struct linear_state *k = layer->kernel_state;
    const struct cnn_param_tensor *weight = cnn_layer_tensor(layer,
                                                             "weight");
    const struct cnn_param_tensor *bias =
        k->bias ? cnn_layer_tensor(layer, "bias") : NULL;
    const float *gradient = k->relu ? plan->masked_dy : dy->data;
    if (bias ? CUDA_CHECK(cuda_launch_bias_gradient(
                              bias->grad, plan->masked_dy, dy->data, y->data,
                              (size_t)n, k->out, 1, k->relu, b->stream),
                          where, err)
             : k->relu &&
                   CUDA_CHECK(cuda_launch_relu_mask(
                                  plan->masked_dy, dy->data, y->data,
                                  cnn_tensor_count(dy), b->stream),
                              where, err))
        return -1;
    if (CUBLAS_CHECK(cublasSgemm(b->cublas, CUBLAS_OP_N, CUBLAS_OP_T, k->in,
                                 k->out, n, &one, x->data, k->in, gradient,
                                 k->out, &zero, weight->grad, k->in),
                     where, err))
        return -1;
    if (!dx)
        return 0;
    return CUBLAS_CHECK(cublasSgemm(b->cublas, CUBLAS_OP_N, CUBLAS_OP_N,
                                    k->in, n, k->out, &one, weight->data,
                                    k->in, gradient, k->out, &zero, dx->data,
                                    k->in),
                        where, err);
}

const struct cnn_layer_kernels cuda_linear_kernels = {
    .layer = "linear",
    .device = CNN_DEVICE_CUDA,
    .prepare = linear_prepare,
    .forward = linear_forward,
    .backward = linear_backward,
    .release = linear_release,
};
