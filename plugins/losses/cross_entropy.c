/* cnnlab — the cross-entropy loss over logits, as PyTorch's
 * nn.CrossEntropyLoss (mean reduction, optional label smoothing).
 *
 * With label smoothing e and C classes the target distribution of a sample
 * with label y is q_j = (1 - e) [j == y] + e / C, the loss is
 * -sum_j q_j log softmax(z)_j, and its gradient is softmax(z) - q. */
#include <math.h>
#include <stddef.h>

#include "cnnlab/builtin_training.h"
#include "cnnlab/plugin.h"

static const struct cnn_param_spec cross_entropy_params[] = {
    {"label_smoothing", CNN_PARAM_FLOAT, "0", 0, 1, NULL,
     "mix the one-hot target with a uniform one: 0 none, 1 uniform "
     "(as PyTorch's label_smoothing)"},
};

static int cross_entropy_parse(const struct cnn_params *params, void *out,
                               struct cnn_error *err)
{
    (void)err;
    struct cnn_cross_entropy_settings *settings = out;
    settings->label_smoothing = cnn_param_float(params, "label_smoothing");
    return 0;
}

static int check_shapes(const struct cnn_tensor *logits,
                        const struct cnn_tensor *dlogits,
                        const int32_t *labels, struct cnn_error *err)
{
    if (logits == NULL || logits->data == NULL || labels == NULL)
        return cnn_error_set(err, "cross-entropy: no logits or labels given");
    if (logits->device != CNN_DEVICE_CPU)
        return cnn_error_set(err,
                             "cross-entropy: this loss runs on the CPU but the "
                             "logits are on %s",
                             cnn_device_name(logits->device));
    if (logits->n <= 0 || logits->shape.c <= 0)
        return cnn_error_set(err,
                             "cross-entropy: empty logits (batch %d, %d "
                             "classes)",
                             logits->n, logits->shape.c);
    if (logits->shape.h != 1 || logits->shape.w != 1)
        return cnn_error_set(
            err,
            "cross-entropy: logits must have shape (n, classes, 1, 1), got "
            "(%d, %d, %d, %d): end the model with a linear layer or a global "
            "pooling layer",
            logits->n, logits->shape.c, logits->shape.h, logits->shape.w);
    if (dlogits != NULL
        && (dlogits->data == NULL || dlogits->n != logits->n
            || dlogits->shape.c != logits->shape.c
            || dlogits->shape.h != 1 || dlogits->shape.w != 1))
        return cnn_error_set(err,
                             "cross-entropy: the gradient tensor must have the "
                             "logits' shape (%d, %d, 1, 1)",
                             logits->n, logits->shape.c);
    return 0;
}

/* The arg-max of a row; the first of equal maxima wins, as torch.argmax. */
static int arg_max(const float *row, int classes)
{
    int best = 0;
    for (int k = 1; k < classes; k++)
        if (row[k] > row[best])
            best = k;
    return best;
}

/* logits, dlogits: (n, classes, 1, 1), i.e. row-major n x classes. */
static int cross_entropy_compute(struct cnn_context *ctx,
                                 const void *settings,
                                 const struct cnn_loss_batch *batch,
                                 struct cnn_error *err)
{
    (void)ctx;
    const struct cnn_tensor *logits = batch->logits;
    const int32_t *labels = batch->labels;
    struct cnn_tensor *dlogits = batch->dlogits;
    struct cnn_loss_totals *totals = batch->totals;
    if (totals == NULL || settings == NULL)
        return cnn_error_set(err, "cross-entropy: no totals or settings "
                             "given");
    if (check_shapes(logits, dlogits, labels, err) != 0)
        return -1;
    int n = logits->n, classes = logits->shape.c;
    double smoothing =
        ((const struct cnn_cross_entropy_settings *)settings)->label_smoothing;
    /* Every label first, so a bad batch leaves dlogits untouched. */
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return cnn_error_set(err,
                                 "cross-entropy: sample %d of the batch has "
                                 "label %d, outside 0..%d (the model has %d "
                                 "classes): the data's classes and the "
                                 "model's output size disagree",
                                 i, (int)labels[i], classes - 1, classes);

    double total = 0.0;
    int correct = 0;
    double off_target = smoothing / classes;
    double on_target = 1.0 - smoothing + off_target;
    for (int i = 0; i < n; i++) {
        const float *row = logits->data + (size_t)i * classes;
        /* Subtracting the row's max keeps exp() from overflowing. */
        double max = row[0];
        for (int j = 1; j < classes; j++)
            if (row[j] > max)
                max = row[j];
        double sum = 0.0, sum_shifted = 0.0;
        for (int j = 0; j < classes; j++) {
            sum += exp((double)row[j] - max);
            sum_shifted += (double)row[j] - max;
        }
        double log_sum = log(sum);
        int label = labels[i];
        /* -log p_y and the mean of -log p_j over all classes. */
        double nll = log_sum - ((double)row[label] - max);
        double uniform_nll = log_sum - sum_shifted / classes;
        total += (1.0 - smoothing) * nll + smoothing * uniform_nll;
        int predicted = arg_max(row, classes);
        correct += predicted == label;
        if (batch->predictions != NULL)
            batch->predictions[i] = predicted;
        if (dlogits != NULL) {
            float *grad = dlogits->data + (size_t)i * classes;
            for (int j = 0; j < classes; j++) {
                double p = exp((double)row[j] - max) / sum;
                double q = j == label ? on_target : off_target;
                grad[j] = (float)((p - q) / n);
            }
        }
    }
    if (!isfinite(total) && totals->first_bad_batch < 0)
        totals->first_bad_batch = totals->batches;
    totals->loss_sum += total;
    totals->correct += correct;
    totals->samples += n;
    totals->batches += 1;
    return 0;
}

static const struct cnn_loss_type cross_entropy_type = {
    .name = "cross-entropy",
    .help = "softmax cross-entropy over logits, mean over the batch "
            "(PyTorch's nn.CrossEntropyLoss)",
    .params = cross_entropy_params,
    .param_count = (int)(sizeof cross_entropy_params
                         / sizeof cross_entropy_params[0]),
    .settings_size = sizeof(struct cnn_cross_entropy_settings),
    .parse = cross_entropy_parse,
};

static const struct cnn_loss_kernels cross_entropy_cpu = {
    .loss = "cross-entropy",
    .device = CNN_DEVICE_CPU,
    .compute = cross_entropy_compute,
};

static int losses_init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_loss(registry, &cross_entropy_type, err) != 0)
        return -1;
    return cnn_register_loss_kernels(registry, &cross_entropy_cpu, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "losses", "0.1.0", losses_init};
