/* cnnlab CUDA module — SGD on the device, exactly as the CPU optimizer
 * (plugins/optim/sgd.c, PyTorch's torch.optim.SGD): the same parameters,
 * the same checks, the same float operations in the same order (the
 * kernel keeps nvcc from fusing them), so the two give the same bits.
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

/* The CPU optimizer's parameters, name for name. */
static const struct cnn_param_spec sgd_params[] = {
    {"lr", CNN_PARAM_FLOAT, "0.01", 1e-12, 1000, NULL, "learning rate"},
    {"momentum", CNN_PARAM_FLOAT, "0", 0, 1, NULL,
     "momentum factor (0: plain SGD, no state)"},
    {"dampening", CNN_PARAM_FLOAT, "0", 0, 1, NULL,
     "dampening of the momentum's new gradient"},
    {"weight_decay", CNN_PARAM_FLOAT, "0", 0, 1, NULL,
     "L2 penalty added to the gradient"},
    {"nesterov", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "Nesterov momentum (needs momentum > 0 and dampening 0)"},
};

/* The settings in float, as the CPU rounds them; lr before its scale. */
static struct cuda_sgd_settings read_settings(const struct cnn_params *params)
{
    struct cuda_sgd_settings s;
    s.lr = (float)cnn_param_float(params, "lr");
    s.momentum = (float)cnn_param_float(params, "momentum");
    s.dampening = (float)cnn_param_float(params, "dampening");
    s.weight_decay = (float)cnn_param_float(params, "weight_decay");
    s.nesterov = cnn_param_bool(params, "nesterov");
    return s;
}

static int sgd_state_per_param(const struct cnn_params *params)
{
    return cnn_param_float(params, "momentum") > 0 ? 1 : 0;
}

static int sgd_check(const struct cnn_params *params, struct cnn_error *err)
{
    struct cuda_sgd_settings s = read_settings(params);
    if (s.nesterov && (s.momentum <= 0 || s.dampening != 0))
        return cnn_error_set(err,
                             "sgd: nesterov momentum requires momentum > 0 and "
                             "dampening 0 (got momentum %g, dampening %g): "
                             "set momentum (e.g. 0.9) and leave dampening at "
                             "0, or set nesterov: false",
                             (double)s.momentum, (double)s.dampening);
    return 0;
}

static int sgd_step(struct cnn_context *ctx, const struct cnn_params *params,
                    const struct cnn_optimizer_step *update,
                    struct cnn_error *err)
{
    if (sgd_check(params, err) < 0)
        return -1;
    if (!ctx || !ctx->backend || !ctx->device_step)
        return cnn_error_set(err, "sgd (cuda): no cuda context with a "
                             "device step count given");
    if (update->count == 0)
        return 0;
    struct cuda_sgd_settings s = read_settings(params);
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

const struct cnn_optimizer_type cuda_sgd_optimizer = {
    .name = "sgd",
    .help = "stochastic gradient descent with momentum, dampening, weight "
            "decay and Nesterov (PyTorch's torch.optim.SGD)",
    .params = sgd_params,
    .param_count = (int)(sizeof sgd_params / sizeof sgd_params[0]),
    .device = CNN_DEVICE_CUDA,
    .state_per_param = sgd_state_per_param,
    .step = sgd_step,
    .check = sgd_check,
};
