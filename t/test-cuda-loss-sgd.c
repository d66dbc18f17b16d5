/* The CUDA module's cross-entropy and SGD kernels (plugins/cuda/loss.c,
 * sgd.c, kernels.cu) against the CPU's (losses.so, optim.so), both reading
 * the settings the one definition parsed. That the CUDA module registers
 * kernels only (no definitions of its own to drift from the CPU's) is
 * checked on any machine; the device runs are skipped without a GPU.
 *
 * Tolerances:
 * - cross-entropy: the loss sums are double on both sides, summed in
 *   other orders: 1e-10 relative; the gradient is a double rounded once
 *   to float on both sides: 1e-8 absolute (its values are below 1/n);
 *   correct counts, predictions, samples, batches, first_bad_batch exact.
 * - SGD performs the CPU's float operations in the CPU's order, so it is
 *   expected to agree bit for bit; 1e-6 relative (to max(1, |w|)) lets a
 *   CPU build that fuses multiply-adds pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda-harness.h"
#include "test-util.h"

static const struct cnn_loss_type *loss;
static const struct cnn_loss_kernels *cpu_loss, *gpu_loss;
static const struct cnn_optimizer_type *sgd;
static const struct cnn_optimizer_kernels *cpu_sgd, *gpu_sgd;

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

static void *host_new(size_t bytes)
{
    void *p = malloc(bytes + 1);
    if (!p) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- what needs no GPU ---- */

/* One definition per component: the CUDA module registers the device and
 * kernels, never a layer, loss or optimizer of its own. */
static void check_cuda_registers_kernels_only(void)
{
    int kernels = 0, definitions = 0;
    for (int i = 0; i < cnn_registry_count(harness_registry); i++) {
        const struct cnn_component *c = cnn_registry_at(harness_registry, i);
        if (strcmp(c->module_name, "cuda") != 0)
            continue;
        if (c->kind == CNN_COMPONENT_LAYER ||
            c->kind == CNN_COMPONENT_LOSS ||
            c->kind == CNN_COMPONENT_OPTIMIZER) {
            definitions++;
            diag("cuda.so defines %s '%s'", cnn_component_kind_name(c->kind),
                 c->name);
        }
        kernels += c->kind == CNN_COMPONENT_LOSS_KERNELS ||
                   c->kind == CNN_COMPONENT_OPTIMIZER_KERNELS;
    }
    ok(definitions == 0 && kernels == 2,
       "cuda.so registers the loss's and sgd's kernels (%d) and no "
       "definitions (%d)", kernels, definitions);
}

/* ---- cross-entropy ---- */

enum { N = 37, C = 33 };

/* Random rows, some with two equal maxima (the first wins, as
 * torch.argmax: a label on the second is wrong), some made right. */
static void make_batch(float *logits, int32_t *labels)
{
    fill_uniform(logits, (size_t)N * C, -4.0f, 4.0f);
    for (int i = 0; i < N; i++)
        labels[i] = (int32_t)cnn_rng_below(&harness_rng, C);
    for (int i = 0; i < N; i++) {
        if (i % 5 == 0) {
            logits[i * C + 3] = logits[i * C + 7] = 9.0f;
            labels[i] = i % 10 == 0 ? 3 : 7;
        } else if (i % 3 == 1) {
            logits[i * C + labels[i]] = 8.0f;
        }
    }
}

/* The device's copies of one batch and its outputs. */
struct gpu_batch {
    float *logits, *grad;
    int32_t *labels, *predictions;
    struct cnn_loss_totals *totals;
};

static struct gpu_batch gpu_batch_new(void)
{
    struct gpu_batch b;
    const struct cnn_loss_totals fresh = {.first_bad_batch = -1};
    b.logits = gpu_alloc((size_t)N * C * sizeof(float));
    b.grad = gpu_alloc((size_t)N * C * sizeof(float));
    b.labels = gpu_alloc(N * sizeof(int32_t));
    b.predictions = gpu_alloc(N * sizeof(int32_t));
    b.totals = gpu_alloc(sizeof fresh);
    gpu_upload(b.totals, &fresh, sizeof fresh);
    return b;
}

static void gpu_batch_free(struct gpu_batch *b)
{
    gpu_free(b->logits);
    gpu_free(b->grad);
    gpu_free(b->labels);
    gpu_free(b->predictions);
    gpu_free(b->totals);
}

/* One batch on the device; grad and predictions (when not NULL) come
 * back, poisoned first. */
static int gpu_compute(const void *settings, struct gpu_batch *b,
                       const float *logits, const int32_t *labels,
                       float *grad, int32_t *predictions)
{
    gpu_upload(b->logits, logits, (size_t)N * C * sizeof(float));
    gpu_upload(b->labels, labels, N * sizeof(int32_t));
    float *poisoned = host_new((size_t)N * C * sizeof(float));
    int32_t poisoned_labels[N];
    poison(poisoned, (size_t)N * C);
    for (int i = 0; i < N; i++)
        poisoned_labels[i] = -7;
    gpu_upload(b->grad, poisoned, (size_t)N * C * sizeof(float));
    gpu_upload(b->predictions, poisoned_labels, sizeof poisoned_labels);
    free(poisoned);
    struct cnn_tensor z = {N, {C, 1, 1}, CNN_DEVICE_CUDA, b->logits};
    struct cnn_tensor dz = {N, {C, 1, 1}, CNN_DEVICE_CUDA, b->grad};
    const struct cnn_loss_batch batch = {&z, b->labels, grad ? &dz : NULL,
                                         b->totals,
                                         predictions ? b->predictions : NULL};
    struct cnn_error err = {0};
    if (gpu_loss->compute(&gpu_context, settings, &batch, &err)) {
        diag("cuda cross-entropy failed: %s", err.message);
        return 0;
    }
    if (grad)
        gpu_download(grad, b->grad, (size_t)N * C * sizeof(float));
    if (predictions)
        gpu_download(predictions, b->predictions, N * sizeof(int32_t));
    return 1;
}

static void check_totals(const struct cnn_loss_totals *got,
                         const struct cnn_loss_totals *want,
                         const char *what)
{
    double allowed = 1e-10 * fmax(1.0, fabs(want->loss_sum));
    if (!ok(fabs(got->loss_sum - want->loss_sum) <= allowed &&
                got->correct == want->correct &&
                got->samples == want->samples &&
                got->batches == want->batches &&
                got->first_bad_batch == want->first_bad_batch,
            "%s: totals match the CPU's (loss sum within %.1g)", what,
            allowed))
        diag("  got loss %.17g correct %g samples %g batches %g bad %g; "
             "expected %.17g %g %g %g %g",
             got->loss_sum, got->correct, got->samples, got->batches,
             got->first_bad_batch, want->loss_sum, want->correct,
             want->samples, want->batches, want->first_bad_batch);
}

/* Two batches with gradient and predictions, then the second again
 * without either, accumulating into one set of totals on each side. */
static void check_cross_entropy(const char *smoothing)
{
    const char *const settings[] = {smoothing, NULL};
    struct cnn_params params = test_params(loss->params, loss->param_count,
                                           "cross-entropy", settings);
    struct cnn_error parse_err = {0};
    void *parsed = cnn_loss_parse_settings(loss, &params, &parse_err);
    if (!ok(parsed != NULL, "cross-entropy %s: parsed (%s)", smoothing,
            parse_err.message)) {
        cnn_params_free(&params);
        return;
    }
    float *logits = host_new((size_t)N * C * sizeof(float));
    float *cpu_grad = host_new((size_t)N * C * sizeof(float));
    float *gpu_grad = host_new((size_t)N * C * sizeof(float));
    int32_t labels[N], cpu_predictions[N], gpu_predictions[N];
    struct cnn_loss_totals cpu_totals = {.first_bad_batch = -1}, totals;
    struct gpu_batch b = gpu_batch_new();
    char what[160];
    for (int round = 0; round < 3; round++) {
        int full = round < 2;
        if (full)
            make_batch(logits, labels);
        struct cnn_tensor z = {N, {C, 1, 1}, CNN_DEVICE_CPU, logits};
        struct cnn_tensor dz = {N, {C, 1, 1}, CNN_DEVICE_CPU, cpu_grad};
        const struct cnn_loss_batch batch = {
            &z, labels, full ? &dz : NULL, &cpu_totals,
            full ? cpu_predictions : NULL};
        struct cnn_error err = {0};
        snprintf(what, sizeof what, "cross-entropy %s, batch %d%s",
                 smoothing, round,
                 full ? "" : " again without gradient or predictions");
        int ran = cpu_loss->compute(&harness_context, parsed, &batch,
                                    &err) == 0 &&
                  gpu_compute(parsed, &b, logits, labels,
                              full ? gpu_grad : NULL,
                              full ? gpu_predictions : NULL);
        if (!ran)
            diag("CPU: %s", err.message);
        if (full) {
            char label[200];
            snprintf(label, sizeof label, "%s: gradient", what);
            report(ran ? compare_floats(gpu_grad, cpu_grad, (size_t)N * C,
                                        1e-8, label)
                       : check_not_run(label));
            int differ = !ran;
            for (int i = 0; i < N && ran; i++)
                differ += gpu_predictions[i] != cpu_predictions[i];
            is_int(differ, 0, "%s: predictions (first maximum wins)",
                   what);
        }
        gpu_download(&totals, b.totals, sizeof totals);
        check_totals(&totals, &cpu_totals, what);
    }
    ok(cpu_totals.correct > 0 && cpu_totals.correct < cpu_totals.samples,
       "cross-entropy %s: the batches have right and wrong predictions "
       "(%g of %g)", smoothing, cpu_totals.correct, cpu_totals.samples);
    gpu_batch_free(&b);
    free(logits);
    free(cpu_grad);
    free(gpu_grad);
    free(parsed);
    cnn_params_free(&params);
}

/* Labels out of range and NaN logits: NaN losses, and first_bad_batch
 * names the first bad batch (loss.h); the device never reads out of
 * bounds. */
static void check_bad_batches(void)
{
    float *logits = host_new((size_t)N * C * sizeof(float));
    float *grad = host_new((size_t)N * C * sizeof(float));
    int32_t labels[N], predictions[N];
    struct cnn_loss_totals totals;
    const struct cnn_cross_entropy_settings defaults = {0};
    struct gpu_batch b = gpu_batch_new();
    make_batch(logits, labels);
    int ran = gpu_compute(&defaults, &b, logits, labels, grad, predictions);
    labels[5] = C;
    labels[9] = -1;
    ran = ran && gpu_compute(&defaults, &b, logits, labels, grad, predictions);
    int nan_rows = 0, finite_rows = 0, in_range = 0;
    for (int i = 0; i < N && ran; i++) {
        int nan = 0, finite = 0;
        for (int j = 0; j < C; j++) {
            nan += isnan(grad[i * C + j]);
            finite += isfinite(grad[i * C + j]);
        }
        nan_rows += nan == C;
        finite_rows += finite == C;
        in_range += predictions[i] >= 0 && predictions[i] < C;
    }
    ok(ran && nan_rows == 2 && finite_rows == N - 2 && in_range == N,
       "cross-entropy: labels %d and -1 give NaN gradient rows (%d), the "
       "others stay finite (%d of %d), predictions are written (%d)", C,
       nan_rows, finite_rows, N - 2, in_range);
    labels[5] = 1;
    labels[9] = 2;
    logits[3] = NAN;
    ran = ran && gpu_compute(&defaults, &b, logits, labels, grad, predictions);
    gpu_download(&totals, b.totals, sizeof totals);
    ok(ran && totals.first_bad_batch == 1 && totals.batches == 3 &&
           totals.samples == 3 * N && isnan(totals.loss_sum),
       "cross-entropy: bad labels in batch 1, NaN logits in batch 2: "
       "first_bad_batch %g, batches %g, samples %g, loss sum %g",
       totals.first_bad_batch, totals.batches, totals.samples,
       totals.loss_sum);
    gpu_batch_free(&b);

    b = gpu_batch_new();
    ran = gpu_compute(&defaults, &b, logits, labels, NULL, NULL);
    gpu_download(&totals, b.totals, sizeof totals);
    ok(ran && totals.first_bad_batch == 0 && totals.batches == 1,
       "cross-entropy: NaN logits in the first batch: first_bad_batch %g",
       totals.first_bad_batch);
    gpu_batch_free(&b);
    free(logits);
    free(grad);
}

/* ---- SGD ---- */

/* Five steps on both devices from the same weights and gradients, lr
 * scaled by 0.5 on even steps, state starting as garbage (the first step
 * must ignore it), the device's count reset to 0 first. */
static void check_sgd(const char *const *settings, const char *what)
{
    enum { COUNT = 1003, STEPS = 5 };
    struct cnn_params params = test_params(sgd->params, sgd->param_count,
                                           "sgd", settings);
    struct cnn_error parse_err = {0};
    void *parsed = cnn_optimizer_parse_settings(sgd, &params, &parse_err);
    if (!ok(parsed != NULL, "sgd %s: parsed (%s)", what,
            parse_err.message)) {
        cnn_params_free(&params);
        return;
    }
    int with_state = sgd->state_per_param(parsed) > 0;
    float *w = host_new(COUNT * sizeof(float));
    float *g = host_new(COUNT * sizeof(float));
    float *state = host_new(COUNT * sizeof(float));
    float *got = host_new(COUNT * sizeof(float));
    fill_uniform(w, COUNT, -1.0f, 1.0f);
    fill_constant(state, COUNT, 123.0f);
    float *W = gpu_alloc(COUNT * sizeof(float));
    float *G = gpu_alloc(COUNT * sizeof(float));
    float *S = gpu_alloc(COUNT * sizeof(float));
    gpu_upload(W, w, COUNT * sizeof(float));
    gpu_upload(S, state, COUNT * sizeof(float));
    gpu_reset_step();
    int ran = 1;
    for (uint64_t k = 1; k <= STEPS && ran; k++) {
        double scale = k % 2 ? 1.0 : 0.5;
        struct cnn_error err = {0};
        fill_uniform(g, COUNT, -1.0f, 1.0f);
        gpu_upload(G, g, COUNT * sizeof(float));
        const struct cnn_optimizer_step cpu_step = {
            w, g, with_state ? state : NULL, COUNT, k, scale};
        const struct cnn_optimizer_step gpu_step = {
            W, G, with_state ? S : NULL, COUNT, k, scale};
        ran = cpu_sgd->step(&harness_context, parsed, &cpu_step, &err) ==
                  0 &&
              gpu_sgd->step(&gpu_context, parsed, &gpu_step, &err) == 0;
        if (!ran)
            diag("step %d: %s", (int)k, err.message);
        gpu_step_done();
    }
    char label[160];
    snprintf(label, sizeof label, "sgd %s: weights after %d steps", what,
             STEPS);
    if (ran)
        gpu_download(got, W, COUNT * sizeof(float));
    report(ran ? compare_floats(got, w, COUNT, 1e-6, label)
               : check_not_run(label));
    if (with_state) {
        snprintf(label, sizeof label, "sgd %s: momentum buffers", what);
        if (ran)
            gpu_download(got, S, COUNT * sizeof(float));
        report(ran ? compare_floats(got, state, COUNT, 1e-6, label)
                   : check_not_run(label));
    }
    gpu_free(W);
    gpu_free(G);
    gpu_free(S);
    free(w);
    free(g);
    free(state);
    free(got);
    free(parsed);
    cnn_params_free(&params);
}

static void check_sgd_cases(void)
{
    const char *const plain[] = {"lr=0.1", NULL};
    const char *const momentum[] = {"lr=0.1", "momentum=0.9", NULL};
    const char *const damped[] = {"lr=0.05", "momentum=0.9",
                                  "dampening=0.3", "weight_decay=0.01",
                                  NULL};
    const char *const nesterov[] = {"lr=0.1", "momentum=0.9",
                                    "nesterov=true", "weight_decay=0.001",
                                    NULL};
    check_sgd(plain, "plain");
    check_sgd(momentum, "momentum 0.9");
    check_sgd(damped, "momentum, dampening 0.3, weight decay 0.01");
    check_sgd(nesterov, "nesterov, weight decay 0.001");
}

static int load(const char *file)
{
    return test_load_plugin(harness_registry, file) == 1;
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    if (load("losses.so") && load("optim.so") && load("cuda.so")) {
        loss = cnn_registry_loss(harness_registry, "cross-entropy");
        cpu_loss = cnn_registry_loss_kernels(harness_registry,
                                             "cross-entropy", CNN_DEVICE_CPU);
        gpu_loss = cnn_registry_loss_kernels(
            harness_registry, "cross-entropy", CNN_DEVICE_CUDA);
        sgd = cnn_registry_optimizer(harness_registry, "sgd");
        cpu_sgd = cnn_registry_optimizer_kernels(harness_registry, "sgd",
                                                 CNN_DEVICE_CPU);
        gpu_sgd = cnn_registry_optimizer_kernels(harness_registry, "sgd",
                                                 CNN_DEVICE_CUDA);
        ok(loss && cpu_loss && gpu_loss && sgd && cpu_sgd && gpu_sgd,
           "cross-entropy and sgd have kernels for the CPU and cuda");
    }
    if (loss && cpu_loss && gpu_loss && sgd && cpu_sgd && gpu_sgd) {
        check_cuda_registers_kernels_only();
        int opened = gpu_open(harness_registry, &err);
        if (opened == 0)
            skip(err.message, "cross-entropy and sgd on cuda against the "
                 "CPU's");
        else
            ok(opened == 1, "the cuda device opens (%s)", err.message);
        if (opened == 1) {
            check_cross_entropy("label_smoothing=0");
            check_cross_entropy("label_smoothing=0.1");
            check_bad_batches();
            check_sgd_cases();
            gpu_close();
        }
    }
    harness_finish();
    return done_testing();
}
