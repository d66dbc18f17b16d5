/* cnnlab CUDA module — conv2d on cuDNN: the layers module's nn.Conv2d
 * (groups 1, zero padding, `padding: same` included, optional bias and
 * fused ReLU) with algorithms
 * measured once per batch size in prepare (cudnnFind*), workspace from the
 * shared arena, and bias + ReLU as one kernel of ours after the
 * convolution (cuDNN's fused call takes only some algorithms). */
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"
#include "kernels.h"
#include "weighted_kernels.h"

static void conv2d_release(struct cnn_layer *layer)
{
    struct conv2d_state *k = layer->kernel_state;
    if (!k)
        return;
    for (int i = 0; i < k->plan_count; i++)
        conv2d_plan_free(&k->plans[i]);
    if (k->weight)
        cudnnDestroyFilterDescriptor(k->weight);
    free(k);
    layer->kernel_state = NULL;
}

static int conv2d_state_make(struct conv2d_state **made,
                             const struct cnn_layer *layer,
                             struct cnn_error *err)
{
    const char *where = layer->name;
    /* The layers module's setup parsed the parameters once. */
    const struct cnn_conv2d_settings *settings =
        cnn_conv2d_settings_of(layer, err);
    if (!settings)
        return -1;
    struct conv2d_state *k = calloc(1, sizeof *k);
    if (!k)
        return cnn_error_set(err, "layer %s: out of memory", layer->name);
    *made = k;
    k->c = *settings;
    return CUDNN_CHECK(cudnnCreateFilterDescriptor(&k->weight), where,
                       err) ||
                   CUDNN_CHECK(cudnnSetFilter4dDescriptor(
                                   k->weight, CUDNN_DATA_FLOAT,
                                   CUDNN_TENSOR_NCHW, k->c.out,
                                   layer->input.c, k->c.kernel_h,
                                   k->c.kernel_w),
                               where, err)
               ? -1
               : 0;
}

static int conv2d_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                          int batch, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (!layer->kernel_state) {
        struct conv2d_state *made = NULL;
        int failed = conv2d_state_make(&made, layer, err);
        layer->kernel_state = made;
        if (failed) {
            conv2d_release(layer);
            return -1;
        }
    }
    struct conv2d_state *k = layer->kernel_state;
    k->uses++;
    for (int i = 0; i < k->plan_count; i++)
        if (k->plans[i].batch == batch) {
            k->plans[i].last_used = k->uses;
            /* Another context's arena may be smaller. */
            return cuda_workspace_reserve(b, k->plans[i].workspace, err);
        }
    int slot = k->plan_count;
    if (slot == CONV2D_PLANS) {
        slot = 0;
        for (int i = 1; i < CONV2D_PLANS; i++)
            if (k->plans[i].last_used < k->plans[slot].last_used)
                slot = i;
        /* Its buffers may be in use by work still queued. */
        if (CUDA_CHECK(cudaStreamSynchronize(b->stream), layer->name, err))
            return -1;
        conv2d_plan_free(&k->plans[slot]);
    } else {
        k->plan_count++;
    }
    struct conv2d_plan *plan = &k->plans[slot];
    plan->last_used = k->uses;
    if (conv2d_plan_make(b, k, plan, layer, batch, err)) {
        conv2d_plan_free(plan);
        k->plans[slot] = k->plans[--k->plan_count];
        memset(&k->plans[k->plan_count], 0, sizeof *plan);
        return -1;
    }
    return 0;
}

static struct conv2d_plan *conv2d_plan_for(struct cnn_layer *layer,
                                           int batch, struct cnn_error *err)
{
    struct conv2d_state *k = layer->kernel_state;
    for (int i = 0; k && i < k->plan_count; i++)
        if (k->plans[i].batch == batch)
            return &k->plans[i];
    cnn_error_set(err, "layer %s (conv2d, cuda): a batch of %d samples, but "
                  "prepare was not called for that batch size", layer->name,
                  batch);
    return NULL;
}

/* The input cuDNN convolves: x itself, or with `padding: same`'s extra
 * zeros after, its padded copy in the plan (conv2d.h). */
static const float *conv2d_input(struct cuda_backend *b,
                                 struct conv2d_plan *plan,
                                 const struct cnn_layer *layer,
                                 const float *x, struct cnn_error *err)
{
    if (!plan->padded)
        return x;
    if (CUDA_CHECK(cuda_launch_pad_end(plan->padded, x,
                                       (size_t)plan->batch * layer->input.c,
                                       layer->input.h, layer->input.w,
                                       plan->extra_h, plan->extra_w,
                                       b->stream),
                   layer->name, err))
        return NULL;
    return plan->padded;
}

static int conv2d_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                          const struct cnn_tensor *x, struct cnn_tensor *y,
                          int training, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    const float one = 1.0f, zero = 0.0f;
    (void)training;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err))
        return -1;
    struct conv2d_plan *plan = conv2d_plan_for(layer, x->n, err);
    if (!plan)
        return -1;
    struct conv2d_state *k = layer->kernel_state;
    const struct cnn_param_tensor *weight = cnn_layer_tensor(layer,
                                                             "weight");
    const struct cnn_param_tensor *bias =
        k->c.bias ? cnn_layer_tensor(layer, "bias") : NULL;
    const float *input = conv2d_input(b, plan, layer, x->data, err);
    if (!input)
        return -1;
    if (CUDNN_CHECK(cudnnConvolutionForward(
                        b->cudnn, &one, plan->x, input, k->weight,
                        weight->data, plan->forward, plan->forward_algo,
                        b->workspace, b->workspace_size, &zero, plan->y,
                        y->data),
                    layer->name, err))
        return -1;
    return CUDA_CHECK(cuda_launch_bias_relu(
                          y->data, bias ? bias->data : NULL, (size_t)x->n,
                          k->c.out,
                          (size_t)layer->output.h * layer->output.w,
                          k->c.relu, b->stream),
                      layer->name, err);
}

/* The ReLU's mask first (dy where y > 0) and the bias gradient, in one
 * kernel of ours (deterministic, unlike cuDNN's reduction may be), then
 * the filter gradient and, unless this is the first layer, the input
 * gradient: all overwritten (beta 0). With `padding: same`'s extra zeros
 * x is padded again (backward must not rely on what a forward left in
 * the plan), and the input gradient, computed for the padded copy into
 * the same buffer once the filter gradient has read it, is cropped. */
static int conv2d_backward(struct cnn_context *ctx, struct cnn_layer *layer,
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
    struct conv2d_plan *plan = conv2d_plan_for(layer, n, err);
    if (!plan)
        return -1;
    struct conv2d_state *k = layer->kernel_state;
    const struct cnn_param_tensor *weight = cnn_layer_tensor(layer,
                                                             "weight");
    const struct cnn_param_tensor *bias =
        k->c.bias ? cnn_layer_tensor(layer, "bias") : NULL;
    const float *gradient = k->c.relu ? plan->masked_dy : dy->data;
    if (bias ? CUDA_CHECK(cuda_launch_bias_gradient(
                              bias->grad, plan->masked_dy, dy->data, y->data,
                              (size_t)n, k->c.out,
                              (size_t)layer->output.h * layer->output.w,
                              k->c.relu, b->stream),
                          where, err)
             : k->c.relu &&
                   CUDA_CHECK(cuda_launch_relu_mask(
                                  plan->masked_dy, dy->data, y->data,
                                  cnn_tensor_count(dy), b->stream),
                              where, err))
        return -1;
    const float *input = conv2d_input(b, plan, layer, x->data, err);
    if (!input)
        return -1;
    if (CUDNN_CHECK(cudnnConvolutionBackwardFilter(
                        b->cudnn, &one, plan->x, input, plan->y, gradient,
                        plan->backward_filter, plan->backward_filter_algo,
                        b->workspace, b->workspace_size, &zero, k->weight,
                        weight->grad),
                    where, err))
        return -1;
    if (!dx)
        return 0;
    float *input_gradient = plan->padded ? plan->padded : dx->data;
    if (CUDNN_CHECK(cudnnConvolutionBackwardData(
                        b->cudnn, &one, k->weight, weight->data, plan->y,
                        gradient, plan->backward_data,
                        plan->backward_data_algo, b->workspace,
                        b->workspace_size, &zero, plan->x, input_gradient),
                    where, err))
        return -1;
    if (!plan->padded)
        return 0;
    return CUDA_CHECK(cuda_launch_crop_end(dx->data, plan->padded,
                                           (size_t)n * layer->input.c,
                                           layer->input.h, layer->input.w,
                                           plan->extra_h, plan->extra_w,
                                           b->stream),
                      where, err);
}

const struct cnn_layer_kernels cuda_conv2d_kernels = {
    .layer = "conv2d",
    .device = CNN_DEVICE_CUDA,
    .prepare = conv2d_prepare,
    .forward = conv2d_forward,
    .backward = conv2d_backward,
    .release = conv2d_release,
};
