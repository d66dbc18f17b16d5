/* cnnlab — stochastic gradient descent, exactly as PyTorch's
 * torch.optim.SGD (single-tensor path), so results can be compared:
 *
 *   g = grad + weight_decay * w
 *   with momentum: buf = g on the first step, else
 *                  buf = momentum * buf + (1 - dampening) * g
 *                  g = nesterov ? g + momentum * buf : buf
 *   w = w - lr * g
 *
 * Arithmetic is in float with float scalars, as PyTorch does for float32
 * tensors on the CPU. */
#include <stddef.h>
#include <stdint.h>

#include "cnnlab/builtin_training.h"
#include "cnnlab/plugin.h"
#include "optim.h"

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

/* Once, when the manifest is validated: the values in float, as PyTorch
 * rounds its scalars, and the one combination a range cannot refuse. */
static int sgd_parse(const struct cnn_params *params, void *out,
                     struct cnn_error *err)
{
    struct cnn_sgd_settings *s = out;
    s->lr = (float)cnn_param_float(params, "lr");
    s->momentum = (float)cnn_param_float(params, "momentum");
    s->dampening = (float)cnn_param_float(params, "dampening");
    s->weight_decay = (float)cnn_param_float(params, "weight_decay");
    s->nesterov = cnn_param_bool(params, "nesterov");
    if (s->nesterov && (s->momentum <= 0 || s->dampening != 0))
        return cnn_error_set(err,
                             "sgd: nesterov momentum requires momentum > 0 and "
                             "dampening 0 (got momentum %g, dampening %g): "
                             "set momentum (e.g. 0.9) and leave dampening at "
                             "0, or set nesterov: false",
                             (double)s->momentum, (double)s->dampening);
    return 0;
}

static int sgd_state_per_param(const void *settings)
{
    const struct cnn_sgd_settings *s = settings;
    return s->momentum > 0 ? 1 : 0;
}

static int sgd_step(struct cnn_context *ctx, const void *settings,
                    const struct cnn_optimizer_step *update,
                    struct cnn_error *err)
{
    (void)ctx;
    if (!settings)
        return cnn_error_set(err, "sgd: no settings given");
    const struct cnn_sgd_settings s = *(const struct cnn_sgd_settings *)settings;
    float *weights = update->weights;
    const float *grads = update->grads;
    float *state = update->state;
    size_t count = update->count;
    uint64_t step = update->step;
    if (step == 0)
        return cnn_error_set(err, "sgd: steps count from 1, got step 0");
    if (count > 0 && (weights == NULL || grads == NULL))
        return cnn_error_set(err, "sgd: no weights or gradients given");
    if (s.momentum > 0 && count > 0 && state == NULL)
        return cnn_error_set(err,
                             "sgd: momentum %g needs one float of state per "
                             "parameter, but no state buffer was given",
                             (double)s.momentum);

    /* One loop per case, without branches inside, so each vectorises:
     * the update is the cost that dominates small batches. */
    const float lr = (float)(s.lr * update->lr_scale);
    const float decay = s.weight_decay, momentum = s.momentum;
    const float keep_new = 1.0f - s.dampening;
    if (momentum == 0) {
#pragma omp simd
        for (size_t i = 0; i < count; i++)
            weights[i] -= lr * (grads[i] + decay * weights[i]);
        return 0;
    }
    if (step == 1) {
        /* PyTorch starts the momentum buffer at the first gradient. */
#pragma omp simd
        for (size_t i = 0; i < count; i++)
            state[i] = grads[i] + decay * weights[i];
    } else {
#pragma omp simd
        for (size_t i = 0; i < count; i++)
            state[i] = momentum * state[i] +
                       keep_new * (grads[i] + decay * weights[i]);
    }
    if (s.nesterov) {
#pragma omp simd
        for (size_t i = 0; i < count; i++)
            weights[i] -= lr * (grads[i] + decay * weights[i] +
                                momentum * state[i]);
    } else {
#pragma omp simd
        for (size_t i = 0; i < count; i++)
            weights[i] -= lr * state[i];
    }
    return 0;
}

static const struct cnn_optimizer_type sgd_type = {
    .name = "sgd",
    .help = "stochastic gradient descent with momentum, dampening, weight "
            "decay and Nesterov (PyTorch's torch.optim.SGD)",
    .params = sgd_params,
    .param_count = (int)(sizeof sgd_params / sizeof sgd_params[0]),
    .settings_size = sizeof(struct cnn_sgd_settings),
    .parse = sgd_parse,
    .state_per_param = sgd_state_per_param,
};

static const struct cnn_optimizer_kernels sgd_cpu = {
    .optimizer = "sgd",
    .device = CNN_DEVICE_CPU,
    .step = sgd_step,
};

static int optim_init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_optimizer(registry, &sgd_type, err) != 0 ||
        cnn_register_optimizer_kernels(registry, &sgd_cpu, err) != 0 ||
        cnn_register_optimizer(registry, &optim_adam_type, err) != 0)
        return -1;
    return cnn_register_optimizer_kernels(registry, &optim_adam_cpu, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "optim", "0.1.0", optim_init};
