/* cnnlab CUDA module — SGD's kernels on the device, exactly as the CPU's
 * (plugins/optim/sgd.c, PyTorch's torch.optim.SGD): the settings the sgd
 * definition parsed there, the same float operations in the same order
 * (the kernel keeps nvcc from fusing them), so the two give the same
 * bits.
 *
 * The one difference is where the step count comes from: a captured step
 * is replayed with the values it was captured with, so the kernel reads
 * the count from ctx->device_step (steps completed, advanced by the
 * device's step_done after each step) and ignores step->step. The update
 * is the first — the momentum buffer starts at the gradient — when
 * *ctx->device_step is 0; a resumed run restores that count. */
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "kernels.h"

static int sgd_step(struct cnn_context *ctx, const void *settings,
                    const struct cnn_optimizer_step *update,
                    struct cnn_error *err)
{
    if (!ctx || !ctx->backend || !ctx->device_step || !settings)
        return cnn_error_set(err, "sgd (cuda): no cuda context with a "
                             "device step count, or no settings, given");
    if (update->count == 0)
        return 0;
    struct cnn_sgd_settings s = *(const struct cnn_sgd_settings *)settings;
    if (!update->weights || !update->grads)
        return cnn_error_set(err, "sgd (cuda): no weights or gradients "
                             "given");
    if (s.momentum > 0 && !update->state)
        return cnn_error_set(err,
                             "sgd (cuda): momentum %g needs one float of "
                             "state per parameter, but no state buffer was "
                             "given",
                             (double)s.momentum);
    /* As the CPU: the float lr times the double scale, rounded once. */
    s.lr = (float)(s.lr * update->lr_scale);
    return CUDA_CHECK(cuda_sgd_step(cuda_backend_of(ctx)->stream, s,
                                    update->weights, update->grads,
                                    update->state, update->count,
                                    ctx->device_step),
                      "sgd", err);
}

const struct cnn_optimizer_kernels cuda_sgd_kernels = {
    .optimizer = "sgd",
    .device = CNN_DEVICE_CUDA,
    .step = sgd_step,
};
