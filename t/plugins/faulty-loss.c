/* The loss 'faulty': softmax cross-entropy that goes wrong on purpose at a
 * chosen training step, so that t/reliability-faults.sh knows the epoch
 * and batch where a run must stop. Steps count training batches over the
 * whole run from 1 (the context's step count + 1); evaluation batches are
 * never spoilt by it.
 *   nan_loss_at: that step's loss and gradient are NaN (a divergence);
 *   nan_gradient_at: that step's loss is finite but its gradient NaN, so
 *     the weights turn NaN without the loss showing it yet. */
#include <math.h>

#include "cnnlab/plugin.h"

static const struct cnn_param_spec faulty_params[] = {
    {"nan_loss_at", CNN_PARAM_INT, "0", 0, 1e9, NULL,
     "training step (from 1) whose loss and gradient are NaN; 0 never"},
    {"nan_gradient_at", CNN_PARAM_INT, "0", 0, 1e9, NULL,
     "training step (from 1) whose gradient alone is NaN; 0 never"},
};

struct faulty_settings {
    long nan_loss_at, nan_gradient_at;
};

static int parse(const struct cnn_params *params, void *out,
                 struct cnn_error *err)
{
    (void)err;
    struct faulty_settings *settings = out;
    settings->nan_loss_at = (long)cnn_param_int(params, "nan_loss_at");
    settings->nan_gradient_at = (long)cnn_param_int(params, "nan_gradient_at");
    return 0;
}

/* logits, dlogits: (n, classes, 1, 1). */
static int compute(struct cnn_context *ctx, const void *parsed,
                   const struct cnn_loss_batch *batch, struct cnn_error *err)
{
    const struct faulty_settings *settings = parsed;
    const struct cnn_tensor *logits = batch->logits;
    int n = logits->n, classes = logits->shape.c;
    long step = batch->dlogits ? (long)ctx->step + 1 : 0;
    int spoil_loss = step > 0 && step == settings->nan_loss_at;
    int spoil_gradient =
        spoil_loss || (step > 0 && step == settings->nan_gradient_at);
    double total = 0;
    int correct = 0;
    for (int i = 0; i < n; i++) {
        const float *row = logits->data + (size_t)i * classes;
        int label = batch->labels[i];
        if (label < 0 || label >= classes)
            return cnn_error_set(err, "faulty: label %d out of range", label);
        int best = 0;
        double max = row[0];
        for (int j = 1; j < classes; j++) {
            if (row[j] > row[best])
                best = j;
            if (row[j] > max)
                max = row[j];
        }
        double sum = 0;
        for (int j = 0; j < classes; j++)
            sum += exp(row[j] - max);
        total += log(sum) - (row[label] - max);
        correct += best == label;
        if (batch->predictions)
            batch->predictions[i] = best;
        if (batch->dlogits) {
            float *grad = batch->dlogits->data + (size_t)i * classes;
            for (int j = 0; j < classes; j++)
                grad[j] = spoil_gradient
                              ? NAN
                              : (float)((exp(row[j] - max) / sum -
                                         (j == label)) / n);
        }
    }
    if (spoil_loss)
        total = NAN;
    struct cnn_loss_totals *totals = batch->totals;
    if (!isfinite(total) && totals->first_bad_batch < 0)
        totals->first_bad_batch = totals->batches;
    totals->loss_sum += total;
    totals->correct += correct;
    totals->samples += n;
    totals->batches += 1;
    return 0;
}

static const struct cnn_loss_type faulty = {
    .name = "faulty",
    .help = "cross-entropy that turns NaN at a chosen step (tests only)",
    .params = faulty_params,
    .param_count = (int)(sizeof faulty_params / sizeof faulty_params[0]),
    .settings_size = sizeof(struct faulty_settings),
    .parse = parse,
};

static const struct cnn_loss_kernels faulty_cpu = {
    .loss = "faulty",
    .device = CNN_DEVICE_CPU,
    .compute = compute,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_loss(registry, &faulty, err) < 0)
        return -1;
    return cnn_register_loss_kernels(registry, &faulty_cpu, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "faulty-loss", "1.0", init,
};
