/* cnnlab — Adam, exactly as PyTorch's torch.optim.Adam (single-tensor
 * path, capturable=False), with AdamW's decoupled decay and AMSGrad, so
 * results can be compared. For update t (1 for the first) and
 * lr = lr * lr_scale:
 *
 *   decoupled: w = w * (1 - lr * weight_decay)    (torch.optim.AdamW)
 *   else:      g = grad + weight_decay * w        (torch.optim.Adam)
 *   m = m * beta1 + (1 - beta1) * g
 *   v = v * beta2 + (1 - beta2) * g * g
 *   amsgrad:   v_max = max(v_max, v), used for v below
 *   w = w + (-lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * The scalars (1 - beta, the bias corrections, the step size) are computed
 * in double, as Python computes them, and rounded to float once; the
 * per-element arithmetic is float, in the order written above (each
 * product and quotient left to right, as ATen's scalar kernels do it).
 * ATen's AVX2 kernels fuse some multiply-adds (add with alpha), so results
 * can differ from PyTorch's in the last bit of float.
 *
 * State: m, v and (with amsgrad) v_max, each `count` floats, in that
 * order. Update 1 ignores what the state holds, as PyTorch starts it at
 * zero. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "cnnlab/builtin_training.h"
#include "optim.h"

static const struct cnn_param_spec adam_params[] = {
    {"lr", CNN_PARAM_FLOAT, "0.001", 1e-12, 1000, NULL, "learning rate"},
    {"betas", CNN_PARAM_FLOAT_LIST, "[0.9, 0.999]", 0, 1, NULL,
     "[beta1, beta2]: decay of the running mean of gradients and of their "
     "squares (each in [0, 1))"},
    {"eps", CNN_PARAM_FLOAT, "1e-8", 0, 1, NULL,
     "added to the denominator's square root (must be > 0)"},
    {"weight_decay", CNN_PARAM_FLOAT, "0", 0, 1, NULL,
     "L2 penalty added to the gradient (decoupled: weights shrink by "
     "lr * weight_decay instead)"},
    {"decoupled", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "decoupled weight decay: AdamW (torch.optim.AdamW)"},
    {"amsgrad", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "AMSGrad: divide by the largest second moment so far (one more float "
     "of state per parameter)"},
};

static int adam_state_per_param(const void *settings)
{
    const struct cnn_adam_settings *s = settings;
    return s->amsgrad ? 3 : 2;
}

/* Once, when the manifest is validated: the values, and what their ranges
 * alone cannot refuse. */
static int adam_parse(const struct cnn_params *params, void *out,
                      struct cnn_error *err)
{
    struct cnn_adam_settings *settings = out;
    const double *betas;
    int beta_count = cnn_param_floats(params, "betas", &betas);
    if (beta_count != 2)
        return cnn_error_set(err,
                             "adam: betas takes two values [beta1, beta2], "
                             "got %d: write e.g. betas: [0.9, 0.999]",
                             beta_count);
    settings->beta1 = betas[0];
    settings->beta2 = betas[1];
    settings->lr = cnn_param_float(params, "lr");
    settings->eps = cnn_param_float(params, "eps");
    settings->weight_decay = cnn_param_float(params, "weight_decay");
    settings->decoupled = cnn_param_bool(params, "decoupled");
    settings->amsgrad = cnn_param_bool(params, "amsgrad");
    const struct cnn_adam_settings s = *settings;
    for (int i = 0; i < 2; i++)
        if ((i ? s.beta2 : s.beta1) >= 1)
            return cnn_error_set(err,
                                 "adam: beta%d must be below 1 (got %g): "
                                 "the bias correction 1 - beta%d^t would "
                                 "be 0; PyTorch's defaults are "
                                 "[0.9, 0.999]",
                                 i + 1, i ? s.beta2 : s.beta1, i + 1);
    if (s.eps <= 0)
        return cnn_error_set(err,
                             "adam: eps must be above 0 (got %g): a "
                             "parameter whose gradients are all 0 would "
                             "become 0/0; PyTorch's default is 1e-8",
                             s.eps);
    if (s.decoupled && s.lr * s.weight_decay >= 1)
        return cnn_error_set(err,
                             "adam: decoupled weight decay multiplies the "
                             "weights by 1 - lr * weight_decay = %g, which "
                             "zeroes or flips them: lower lr or "
                             "weight_decay so their product is below 1",
                             1 - s.lr * s.weight_decay);
    return 0;
}

/* The per-update scalars, computed in double and rounded once to float,
 * where PyTorch hands a Python float to a float32 kernel. */
struct adam_constants {
    float beta1, beta2;  /* mul_(beta) */
    float keep1, keep2;  /* alpha = 1 - beta1, value = 1 - beta2 */
    float decay;         /* coupled: grad + decay * w */
    float shrink;        /* decoupled: w * (1 - lr * weight_decay) */
    float correction2_sqrt; /* sqrt(1 - beta2^t) */
    float eps;
    float step_size;     /* -(lr / (1 - beta1^t)), already negated */
};

/* One pass over the parameters. coupled, amsgrad and first are constants
 * at every call, so each of the eight combinations compiles to its own
 * branch-free loop, which vectorises: the update dominates small batches. */
static inline __attribute__((always_inline)) void
adam_loop(float *restrict weights, const float *restrict grads,
          float *restrict m, float *restrict v, float *restrict v_max,
          size_t count, const struct adam_constants *constants,
          const int coupled, const int amsgrad, const int first)
{
    const struct adam_constants c = *constants;
#pragma omp simd
    for (size_t i = 0; i < count; i++) {
        float g = coupled ? grads[i] + c.decay * weights[i] : grads[i];
        float mean = first ? 0.0f : m[i];
        float square = first ? 0.0f : v[i];
        mean = mean * c.beta1 + c.keep1 * g;
        square = square * c.beta2 + c.keep2 * g * g;
        m[i] = mean;
        v[i] = square;
        if (amsgrad) {
            /* torch.maximum: a NaN on either side wins. */
            float largest = first ? 0.0f : v_max[i];
            largest = square > largest || square != square ? square
                                                           : largest;
            v_max[i] = largest;
            square = largest;
        }
        float denominator = sqrtf(square) / c.correction2_sqrt + c.eps;
        weights[i] = weights[i] + c.step_size * mean / denominator;
    }
}

static void adam_update(float *weights, const float *grads, float *state,
                        size_t count, const struct adam_constants *c,
                        int coupled, int amsgrad, int first)
{
    float *m = state, *v = state + count;
    float *v_max = amsgrad ? state + 2 * count : NULL;
    /* Spelled out so that each call has constant flags. */
    if (coupled) {
        if (amsgrad)
            first ? adam_loop(weights, grads, m, v, v_max, count, c, 1, 1, 1)
                  : adam_loop(weights, grads, m, v, v_max, count, c, 1, 1, 0);
        else
            first ? adam_loop(weights, grads, m, v, v_max, count, c, 1, 0, 1)
                  : adam_loop(weights, grads, m, v, v_max, count, c, 1, 0, 0);
    } else {
        if (amsgrad)
            first ? adam_loop(weights, grads, m, v, v_max, count, c, 0, 1, 1)
                  : adam_loop(weights, grads, m, v, v_max, count, c, 0, 1, 0);
        else
            first ? adam_loop(weights, grads, m, v, v_max, count, c, 0, 0, 1)
                  : adam_loop(weights, grads, m, v, v_max, count, c, 0, 0, 0);
    }
}

static int adam_step(struct cnn_context *ctx, const void *settings,
                     const struct cnn_optimizer_step *update,
                     struct cnn_error *err)
{
    (void)ctx; /* the CPU: update->step is the update number */
    if (!settings)
        return cnn_error_set(err, "adam: no settings given");
    const struct cnn_adam_settings s =
        *(const struct cnn_adam_settings *)settings;
    if (update->step == 0)
        return cnn_error_set(err, "adam: steps count from 1, got step 0");
    if (update->count > 0 && (!update->weights || !update->grads))
        return cnn_error_set(err, "adam: no weights or gradients given");
    if (update->count > 0 && !update->state)
        return cnn_error_set(err,
                             "adam: needs %d floats of state per parameter, "
                             "but no state buffer was given",
                             adam_state_per_param(settings));

    const double lr = s.lr * update->lr_scale;
    const double t = (double)update->step;
    const double correction1 = 1 - pow(s.beta1, t);
    const double correction2 = 1 - pow(s.beta2, t);
    const int coupled = !s.decoupled && s.weight_decay != 0;
    const struct adam_constants constants = {
        .beta1 = (float)s.beta1,
        .beta2 = (float)s.beta2,
        .keep1 = (float)(1 - s.beta1),
        .keep2 = (float)(1 - s.beta2),
        .decay = (float)s.weight_decay,
        .shrink = (float)(1 - lr * s.weight_decay),
        .correction2_sqrt = (float)sqrt(correction2),
        .eps = (float)s.eps,
        .step_size = (float)-(lr / correction1),
    };
    if (s.decoupled && s.weight_decay != 0) {
        /* AdamW shrinks the weights before the moments see the gradient. */
        float *weights = update->weights;
        const float shrink = constants.shrink;
#pragma omp simd
        for (size_t i = 0; i < update->count; i++)
            weights[i] = weights[i] * shrink;
    }
    adam_update(update->weights, update->grads, update->state, update->count,
                &constants, coupled, s.amsgrad, update->step == 1);
    return 0;
}

const struct cnn_optimizer_type optim_adam_type = {
    .name = "adam",
    .help = "Adam with bias correction, L2 or decoupled (AdamW) weight "
            "decay and AMSGrad (PyTorch's torch.optim.Adam / AdamW)",
    .params = adam_params,
    .param_count = (int)(sizeof adam_params / sizeof adam_params[0]),
    .settings_size = sizeof(struct cnn_adam_settings),
    .parse = adam_parse,
    .state_per_param = adam_state_per_param,
};

const struct cnn_optimizer_kernels optim_adam_cpu = {
    .optimizer = "adam",
    .device = CNN_DEVICE_CPU,
    .step = adam_step,
};
