/* The cross-entropy loss against closed forms in double: random and large
 * logits, uniform logits, label smoothing, the gradient against central
 * differences, and refusals of bad labels and shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "test-util.h"

static const struct cnn_loss_type *loss_type;
static const struct cnn_loss_kernels *loss_kernels;

/* One batch as a run computes it: the definition parses the settings from
 * `params`, the CPU kernel reads them. */
static int compute_batch(const struct cnn_params *params,
                         const struct cnn_loss_batch *batch,
                         struct cnn_error *err)
{
    void *settings = cnn_loss_parse_settings(loss_type, params, err);
    if (!settings)
        return -1;
    int status = loss_kernels->compute(NULL, settings, batch, err);
    free(settings);
    return status;
}

/* smoothing: label_smoothing as YAML text, or NULL for the default. */
static struct cnn_params make_params(const char *smoothing)
{
    char setting[64];
    snprintf(setting, sizeof setting, "label_smoothing=%s",
             smoothing ? smoothing : "");
    const char *settings[] = {setting, NULL};
    return test_params(loss_type->params, loss_type->param_count,
                       loss_type->name, smoothing ? settings : NULL);
}

static struct cnn_tensor matrix(int n, int classes, float *data)
{
    struct cnn_tensor t = {n, {classes, 1, 1}, CNN_DEVICE_CPU, data};
    return t;
}

/* The definition, in double: loss = mean_i -sum_j q_ij log softmax(z_i)_j
 * with q = (1 - e) onehot + e / C; dlogits = (softmax - q) / n. The shift
 * keeps exp() in range for large logits and is applied exactly in double. */
static double reference(const float *logits, const int32_t *labels, int n,
                        int classes, double smoothing, double *grad)
{
    double total = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        double shift = z[0];
        double sum = 0;
        for (int j = 0; j < classes; j++)
            sum += exp((double)z[j] - shift);
        for (int j = 0; j < classes; j++) {
            double log_p = (double)z[j] - shift - log(sum);
            double q = (j == labels[i] ? 1 - smoothing : 0)
                     + smoothing / classes;
            total -= q * log_p;
            if (grad)
                grad[(size_t)i * classes + j] = (exp(log_p) - q) / n;
        }
    }
    return total / n;
}

static double max_difference(const float *a, const double *b, size_t count)
{
    double worst = 0;
    for (size_t i = 0; i < count; i++) {
        if (isnan(a[i]))
            return INFINITY;
        if (fabs(a[i] - b[i]) > worst)
            worst = fabs(a[i] - b[i]);
    }
    return worst;
}

/* The old shape of the call: the batch's mean loss, through fresh totals. */
static int compute(const struct cnn_params *params,
                   const struct cnn_tensor *logits, const int32_t *labels,
                   double *loss, struct cnn_tensor *dlogits,
                   struct cnn_error *err)
{
    struct cnn_loss_totals totals = {.first_bad_batch = -1};
    const struct cnn_loss_batch batch = {logits, labels, dlogits, &totals,
                                         NULL};
    int status = compute_batch(params, &batch, err);
    if (status == 0)
        *loss = totals.loss_sum / logits->n;
    return status;
}

static void random_logits(float *logits, int32_t *labels, int n, int classes,
                          float scale, uint64_t seed)
{
    struct cnn_rng rng;
    cnn_rng_seed(&rng, seed);
    for (int i = 0; i < n * classes; i++)
        logits[i] = scale * (2 * cnn_rng_float(&rng) - 1);
    for (int i = 0; i < n; i++)
        labels[i] = (int32_t)cnn_rng_below(&rng, (uint64_t)classes);
}

static void check_random(const char *smoothing_text, double smoothing)
{
    enum { N = 7, C = 5 };
    float logits[N * C], grad[N * C];
    double expected_grad[N * C];
    int32_t labels[N];
    random_logits(logits, labels, N, C, 4.0f, 11);
    struct cnn_params params = make_params(smoothing_text);
    struct cnn_tensor z = matrix(N, C, logits), dz = matrix(N, C, grad);
    struct cnn_error err = {0};
    double loss = -1;
    int status = compute(&params, &z, labels, &loss, &dz, &err);
    ok(status == 0, "smoothing %g: random logits accepted (%s)", smoothing,
       err.message);
    double expected = reference(logits, labels, N, C, smoothing,
                                expected_grad);
    /* Both sides sum the same float inputs in double. */
    is_near(loss, expected, 1e-12, "smoothing %g: loss matches closed form",
            smoothing);
    /* The gradient is rounded to float: values below 1 carry 6e-8. */
    is_near(max_difference(grad, expected_grad, N * C), 0, 1e-7,
            "smoothing %g: gradient matches closed form", smoothing);

    /* Central differences in double from float steps: the step actually
     * taken is (float)(x+h) - (float)(x-h), exactly representable. The
     * truncation error is about h^2/6 * |third derivative| < 1e-7. */
    double worst = 0;
    const float h = 1e-3f;
    for (int k = 0; k < N * C; k++) {
        float saved = logits[k];
        double up = 0, down = 0;
        logits[k] = saved + h;
        double step = (double)logits[k];
        compute(&params, &z, labels, &up, NULL, &err);
        logits[k] = saved - h;
        step -= (double)logits[k];
        compute(&params, &z, labels, &down, NULL, &err);
        logits[k] = saved;
        double numeric = (up - down) / step;
        if (fabs(numeric - grad[k]) > worst)
            worst = fabs(numeric - grad[k]);
    }
    is_near(worst, 0, 1e-6,
            "smoothing %g: gradient agrees with central differences",
            smoothing);
    cnn_params_free(&params);
}

static void check_large_logits(void)
{
    enum { N = 3, C = 4 };
    struct cnn_params params = make_params(NULL);
    struct cnn_error err = {0};
    /* Each row is 100 + small values: softmax is shift-invariant, so the
     * reference shifts by exactly 100 in double before exp(). */
    float logits[N * C], grad[N * C];
    double expected_grad[N * C];
    int32_t labels[N];
    random_logits(logits, labels, N, C, 3.0f, 5);
    for (int i = 0; i < N * C; i++)
        logits[i] += i < C ? 100.0f : i < 2 * C ? -100.0f : 1000.0f;
    struct cnn_tensor z = matrix(N, C, logits), dz = matrix(N, C, grad);
    double loss = -1;
    ok(compute(&params, &z, labels, &loss, &dz, &err) == 0,
       "logits near +100, -100 and +1000 accepted");
    ok(isfinite(loss), "loss stays finite for large logits (%g)", loss);
    is_near(loss, reference(logits, labels, N, C, 0, expected_grad), 1e-12,
            "large logits: loss matches closed form");
    is_near(max_difference(grad, expected_grad, N * C), 0, 1e-7,
            "large logits: gradient matches closed form");

    /* One row spanning 200: loss = 50 + log(1 + e^-50 + e^-200) = 50. */
    float spread[3] = {100.0f, -100.0f, 50.0f}, spread_grad[3];
    int32_t label = 2;
    struct cnn_tensor s = matrix(1, 3, spread), ds = matrix(1, 3, spread_grad);
    compute(&params, &s, &label, &loss, &ds, &err);
    is_near(loss, 50.0, 1e-12, "logits [100, -100, 50], label 2: loss 50");
    ok(fabs(spread_grad[0] - 1) < 1e-7 && fabs(spread_grad[1]) < 1e-7
           && fabs(spread_grad[2] + 1) < 1e-7,
       "its gradient is [1, 0, -1] (got [%g, %g, %g])", spread_grad[0],
       spread_grad[1], spread_grad[2]);
    cnn_params_free(&params);
}

static void check_uniform(void)
{
    struct cnn_params params = make_params(NULL);
    int sizes[3] = {2, 10, 1000};
    for (int s = 0; s < 3; s++) {
        int n = 3, classes = sizes[s];
        float *logits = calloc((size_t)n * classes, sizeof *logits);
        float *grad = calloc((size_t)n * classes, sizeof *grad);
        int32_t labels[3] = {0, classes - 1, classes / 2};
        for (int i = 0; i < n * classes; i++)
            logits[i] = 7.25f; /* any constant gives uniform softmax */
        struct cnn_tensor z = matrix(n, classes, logits);
        struct cnn_tensor dz = matrix(n, classes, grad);
        struct cnn_error err = {0};
        double loss = -1;
        compute(&params, &z, labels, &loss, &dz, &err);
        is_near(loss, log((double)classes), 1e-12,
                "uniform logits over %d classes: loss log(%d)", classes,
                classes);
        /* d/dz = (1/C - [j == y]) / n */
        double expected_on = (1.0 / classes - 1) / n,
               expected_off = 1.0 / classes / n;
        /* float rounding: 1e-7 relative to values below 1 */
        is_near(grad[(size_t)classes + classes - 1], expected_on, 1e-7,
                "uniform logits over %d classes: gradient at the label",
                classes);
        is_near(grad[1], expected_off, 1e-7,
                "uniform logits over %d classes: gradient elsewhere", classes);
        free(logits);
        free(grad);
    }
    cnn_params_free(&params);
}

static void check_smoothing_by_hand(void)
{
    /* logits [1, 2, 3], label 0, e = 0.1: -log p = lse - z with
     * lse = 3 + log(1 + e^-1 + e^-2); q = [0.9 + 0.1/3, 0.1/3, 0.1/3]. */
    float logits[3] = {1, 2, 3}, grad[3];
    int32_t label = 0;
    double lse = 3 + log(1 + exp(-1.0) + exp(-2.0));
    double expected = (0.9 + 0.1 / 3) * (lse - 1) + 0.1 / 3 * (lse - 2)
                    + 0.1 / 3 * (lse - 3);
    struct cnn_params params = make_params("0.1");
    struct cnn_tensor z = matrix(1, 3, logits), dz = matrix(1, 3, grad);
    struct cnn_error err = {0};
    double loss = -1;
    compute(&params, &z, &label, &loss, &dz, &err);
    is_near(loss, expected, 1e-12,
            "label smoothing 0.1 on [1, 2, 3]: loss by hand (2.3076...)");
    is_near(grad[0], exp(1 - lse) - (0.9 + 0.1 / 3), 1e-7,
            "label smoothing 0.1: gradient at the label is p - q");
    cnn_params_free(&params);

    /* Smoothing 1: the target is uniform, the label no longer matters. */
    params = make_params("1");
    int32_t other = 2;
    double loss_label0, loss_label2;
    compute(&params, &z, &label, &loss_label0, NULL, &err);
    compute(&params, &z, &other, &loss_label2, NULL, &err);
    is_near(loss_label0, lse - 2, 1e-12,
            "label smoothing 1: loss is the mean of -log p");
    is_near(loss_label0, loss_label2, 1e-15,
            "label smoothing 1: the label does not matter");
    cnn_params_free(&params);

    /* Out of range smoothing is refused by the schema. */
    struct cnn_params refused = make_params(NULL);
    struct cnn_mark mark = {"m.yaml", 4, 7};
    ok(cnn_params_set_text(&refused, "label_smoothing", "1.5", mark,
                           loss_type->name, &err)
           != 0,
       "label_smoothing 1.5 is refused by the schema");
    cnn_params_free(&refused);
}

static void check_refusals(void)
{
    struct cnn_params params = make_params(NULL);
    float logits[2 * 5] = {0}, grad[2 * 5];
    for (int i = 0; i < 10; i++)
        grad[i] = 42.0f;
    struct cnn_tensor z = matrix(2, 5, logits), dz = matrix(2, 5, grad);
    struct cnn_error err = {0};
    double loss = -1;
    int32_t high[2] = {0, 5};
    ok(compute(&params, &z, high, &loss, &dz, &err) != 0,
       "label 5 with 5 classes is refused");
    like(err.message, "sample 1", "message names the sample");
    like(err.message, "label 5", "message names the label");
    like(err.message, "5 classes", "message names the class count");
    ok(grad[0] == 42.0f && grad[9] == 42.0f,
       "a refused batch leaves the gradient untouched");

    int32_t negative[2] = {-1, 0};
    struct cnn_error err2 = {0};
    ok(compute(&params, &z, negative, &loss, &dz, &err2) != 0,
       "label -1 is refused");
    like(err2.message, "sample 0", "message names sample 0");
    like(err2.message, "label -1", "message names label -1");

    struct cnn_tensor spatial = {2, {5, 2, 1}, CNN_DEVICE_CPU, logits};
    int32_t fine[2] = {0, 1};
    struct cnn_error err3 = {0};
    ok(compute(&params, &spatial, fine, &loss, NULL, &err3) != 0,
       "logits with spatial size 2x1 are refused");
    like(err3.message, "(2, 5, 2, 1)", "message shows the shape");
    cnn_params_free(&params);
}

static void check_totals(void)
{
    /* Rows with a clear winner, one tie (the first maximum wins, as
     * torch.argmax) and one NaN row that must be reported as batch 1. */
    float logits[3 * 3] = {0, 5, 1, /* -> 1 */ 2, 2, 0, /* tie -> 0 */
                           -1, 0, 3 /* -> 2 */};
    int32_t labels[3] = {1, 1, 2};
    int32_t predictions[3] = {-1, -1, -1};
    struct cnn_loss_totals totals = {.first_bad_batch = -1};
    struct cnn_tensor z = matrix(3, 3, logits);
    struct cnn_params params = make_params(NULL);
    struct cnn_error err = {0};
    struct cnn_loss_batch batch = {&z, labels, NULL, &totals, predictions};
    ok(compute_batch(&params, &batch, &err) == 0,
       "a batch with totals (%s)", err.message);
    ok(predictions[0] == 1 && predictions[1] == 0 && predictions[2] == 2,
       "predictions are the arg-max, first maximum on ties (%d %d %d)",
       predictions[0], predictions[1], predictions[2]);
    is_near(totals.correct, 2, 0, "two of three correct");
    is_near(totals.samples, 3, 0, "three samples counted");
    is_near(totals.batches, 1, 0, "one batch counted");
    is_near(totals.first_bad_batch, -1, 0, "no bad batch yet");
    double first_sum = totals.loss_sum;
    logits[4] = NAN;
    batch.predictions = NULL;
    ok(compute_batch(&params, &batch, &err) == 0,
       "a NaN logit is no error: the totals record it");
    is_near(totals.first_bad_batch, 1, 0,
            "the second batch (index 1) is named as the first bad one");
    ok(!isfinite(totals.loss_sum) && first_sum > 0,
       "the running sum shows the NaN");
    cnn_params_free(&params);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "losses.so") == 1) {
        loss_type = cnn_registry_loss(registry, "cross-entropy");
        loss_kernels = cnn_registry_loss_kernels(registry, "cross-entropy",
                                                 CNN_DEVICE_CPU);
        if (ok(loss_type != NULL && loss_kernels != NULL,
               "cross-entropy and its CPU kernel are registered")) {
            check_random(NULL, 0);
            check_random("0.2", 0.2);
            check_large_logits();
            check_uniform();
            check_smoothing_by_hand();
            check_refusals();
            check_totals();
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
