/* cnnlab CUDA module — cross-entropy (PyTorch's nn.CrossEntropyLoss, mean
 * reduction, label smoothing) on the device: the CPU loss's parameters
 * and arithmetic (plugins/losses/cross_entropy.c), with the running totals
 * in device memory. Labels cannot be checked without reading them back, so
 * a label out of range makes its sample's loss NaN, and first_bad_batch
 * names the batch (loss.h). */
#include <stddef.h>

#include "backend.h"
#include "kernels.h"

/* The CPU loss's parameters, name for name: a manifest means the same on
 * both devices. */
static const struct cnn_param_spec cross_entropy_params[] = {
    {"label_smoothing", CNN_PARAM_FLOAT, "0", 0, 1, NULL,
     "mix the one-hot target with a uniform one: 0 none, 1 uniform "
     "(as PyTorch's label_smoothing)"},
};

static int check_batch(const struct cnn_loss_batch *batch,
                       struct cnn_error *err)
{
    const struct cnn_tensor *logits = batch->logits;
    const struct cnn_tensor *dlogits = batch->dlogits;
    if (!logits || !logits->data || !batch->labels || !batch->totals)
        return cnn_error_set(err, "cross-entropy (cuda): no logits, labels "
                             "or totals given");
    if (logits->device != CNN_DEVICE_CUDA)
        return cnn_error_set(err, "cross-entropy (cuda): this loss runs on "
                             "cuda but the logits are on %s",
                             cnn_device_name(logits->device));
    if (logits->n <= 0 || logits->shape.c <= 0)
        return cnn_error_set(err, "cross-entropy (cuda): empty logits "
                             "(batch %d, %d classes)",
                             logits->n, logits->shape.c);
    if (logits->shape.h != 1 || logits->shape.w != 1)
        return cnn_error_set(
            err,
            "cross-entropy (cuda): logits must have shape (n, classes, 1, "
            "1), got (%d, %d, %d, %d): end the model with a linear layer or "
            "a global pooling layer",
            logits->n, logits->shape.c, logits->shape.h, logits->shape.w);
    if (dlogits &&
        (!dlogits->data || dlogits->device != CNN_DEVICE_CUDA ||
         dlogits->n != logits->n || dlogits->shape.c != logits->shape.c ||
         dlogits->shape.h != 1 || dlogits->shape.w != 1))
        return cnn_error_set(err, "cross-entropy (cuda): the gradient "
                             "tensor must be on cuda with the logits' shape "
                             "(%d, %d, 1, 1)",
                             logits->n, logits->shape.c);
    return 0;
}

static int cross_entropy_compute(struct cnn_context *ctx,
                                 const struct cnn_params *params,
                                 const struct cnn_loss_batch *batch,
                                 struct cnn_error *err)
{
    if (!ctx || !ctx->backend)
        return cnn_error_set(err, "cross-entropy (cuda): no cuda context "
                             "given");
    if (check_batch(batch, err))
        return -1;
    /* NULL params: the defaults, as the CPU loss allows. */
    double smoothing =
        params ? cnn_param_float(params, "label_smoothing") : 0.0;
    const struct cnn_tensor *logits = batch->logits;
    return CUDA_CHECK(cuda_cross_entropy(cuda_backend_of(ctx)->stream,
                                         logits->data, batch->labels,
                                         logits->n, logits->shape.c,
                                         smoothing,
                                         batch->dlogits
                                             ? batch->dlogits->data
                                             : NULL,
                                         batch->predictions, batch->totals),
                      "cross-entropy", err);
}

const struct cnn_loss_type cuda_cross_entropy_loss = {
    .name = "cross-entropy",
    .help = "softmax cross-entropy over logits, mean over the batch "
            "(PyTorch's nn.CrossEntropyLoss)",
    .params = cross_entropy_params,
    .param_count = (int)(sizeof cross_entropy_params
                         / sizeof cross_entropy_params[0]),
    .device = CNN_DEVICE_CUDA,
    .compute = cross_entropy_compute,
};
