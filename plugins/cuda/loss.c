/* cnnlab CUDA module — cross-entropy's kernel (PyTorch's
 * nn.CrossEntropyLoss, mean reduction, label smoothing) on the device: the
 * settings the loss's definition parsed and the CPU kernel's arithmetic
 * (plugins/losses/cross_entropy.c), with the running totals in device
 * memory. Labels cannot be checked without reading them back, so
 * a label out of range makes its sample's loss NaN, and first_bad_batch
 * names the batch (loss.h). */
#include <stddef.h>

#include "backend.h"
#include "kernels.h"

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
                                 const void *settings,
                                 const struct cnn_loss_batch *batch,
                                 struct cnn_error *err)
{
    if (!ctx || !ctx->backend || !settings)
        return cnn_error_set(err, "cross-entropy (cuda): no cuda context "
                             "or no settings given");
    if (check_batch(batch, err))
        return -1;
    double smoothing =
        ((const struct cnn_cross_entropy_settings *)settings)->label_smoothing;
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

const struct cnn_loss_kernels cuda_cross_entropy_kernels = {
    .loss = "cross-entropy",
    .device = CNN_DEVICE_CUDA,
    .compute = cross_entropy_compute,
};
