/* cnnlab CUDA module — batchnorm2d and batchnorm1d on the module's stream
 * (batchnorm_kernels.cu), with the CPU kernels' arithmetic. The settings
 * are the layers module's (<cnnlab/builtin_layers.h>); the running
 * statistics are the layer's buffers, which the core keeps in device
 * memory beside the parameters, so a captured training step updates them
 * on every replay. What a forward normalised with lives in the layer's
 * saved buffer (layer.h), one per layer whatever the batch, so its address
 * never moves under a captured step; its `valid` says whether the last
 * forward was a training one, which the backward follows. */
#include "backend.h"
#include "cnnlab/builtin_layers.h"
#include "kernels.h"

/* mean, invstd and the backward's two sums, per channel. */
#define SAVED_PER_CHANNEL 4

static int batchnorm_prepare(struct cnn_context *ctx,
                             struct cnn_layer *layer, int batch,
                             struct cnn_error *err)
{
    (void)batch;
    if (!cnn_batchnorm_settings_of(layer, err))
        return -1;
    /* Sized by channels, not samples: prepared once, as for a batch of 1. */
    return cnn_saved_prepare(ctx, layer, 1,
                             (size_t)SAVED_PER_CHANNEL * layer->input.c *
                                 sizeof(double),
                             err);
}

/* The kernels' arguments for a batch of n, or -1 with the error. */
static int arguments(struct cnn_layer *layer, int n,
                     struct cuda_batchnorm *b, struct cnn_error *err)
{
    const struct cnn_batchnorm_settings *s = cnn_batchnorm_settings_of(layer,
                                                                       err);
    struct cnn_saved_for_backward *saved = cnn_saved_state(layer, err);
    if (!s || !saved)
        return -1;
    if (layer->buffer_count != 3 || !layer->buffers[0].data ||
        !layer->buffers[1].data || !layer->buffers[2].data)
        return cnn_error_set(err, "layer %s (%s): its running statistics "
                             "have no device memory (a bug in whatever "
                             "called the kernels: the core places buffers)",
                             layer->name, layer->type->name);
    *b = (struct cuda_batchnorm){
        .n = n,
        .channels = layer->input.c,
        .plane = (size_t)layer->input.h * (size_t)layer->input.w,
        .eps = s->eps,
        .momentum = s->momentum,
        .relu = s->relu,
        .training = saved->valid,
        .running_mean = layer->buffers[0].data,
        .running_var = layer->buffers[1].data,
        .tracked = layer->buffers[2].data,
        .saved = saved->data,
    };
    if (s->affine) {
        b->weight = layer->tensors[0].data;
        b->bias = layer->tensors[1].data;
        b->weight_grad = layer->tensors[0].grad;
        b->bias_grad = layer->tensors[1].grad;
    }
    return 0;
}

static int batchnorm_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                             const struct cnn_tensor *x, struct cnn_tensor *y,
                             int training, struct cnn_error *err)
{
    struct cuda_batchnorm b;
    if (cuda_kernels_check_tensor(x, layer->input, x ? x->n : 0, "input",
                                  layer, err) ||
        cuda_kernels_check_tensor(y, layer->output, x->n, "output", layer,
                                  err))
        return -1;
    size_t count = (size_t)x->n * layer->input.h * layer->input.w;
    /* As PyTorch (and the CPU kernels): one value per channel has no
     * variance. */
    if (training && count < 2)
        return cnn_error_set(err, "layer %s (%s): a training batch of %d "
                             "sample%s gives each channel %zu value; batch "
                             "norm needs at least 2 (as PyTorch): use a "
                             "larger train.batch",
                             layer->name, layer->type->name, x->n,
                             x->n == 1 ? "" : "s", count);
    struct cnn_saved_for_backward *saved = cnn_saved_state(layer, err);
    if (!saved)
        return -1;
    saved->valid = training;
    if (arguments(layer, x->n, &b, err))
        return -1;
    return CUDA_CHECK(cuda_batchnorm_forward(cuda_backend_of(ctx)->stream,
                                             &b, x->data, y->data),
                      layer->name, err);
}

static int batchnorm_backward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              const struct cnn_tensor *y,
                              const struct cnn_tensor *dy,
                              struct cnn_tensor *dx, struct cnn_error *err)
{
    struct cuda_batchnorm b;
    if (cnn_layer_check_backward(layer, CNN_DEVICE_CUDA, x ? x->n : 0, x, y,
                                 dy, dx, err) ||
        arguments(layer, x->n, &b, err))
        return -1;
    return CUDA_CHECK(cuda_batchnorm_backward(cuda_backend_of(ctx)->stream,
                                              &b, x->data, y->data, dy->data,
                                              dx ? dx->data : NULL),
                      layer->name, err);
}

const struct cnn_layer_kernels cuda_batchnorm2d_kernels = {
    .layer = "batchnorm2d",
    .device = CNN_DEVICE_CUDA,
    .prepare = batchnorm_prepare,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
    .release = cnn_saved_release,
};

const struct cnn_layer_kernels cuda_batchnorm1d_kernels = {
    .layer = "batchnorm1d",
    .device = CNN_DEVICE_CUDA,
    .prepare = batchnorm_prepare,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
    .release = cnn_saved_release,
};
