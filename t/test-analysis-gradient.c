/* Gradients through the analysis API (cnn_analysis_gradient, analysis.h)
 * without PyTorch (t/gradients-torch.sh compares with autograd):
 * - central differences of the model's own evaluation forward agree with
 *   the gradient of a probability and of a logit, input and layer places;
 * - a batch gives each sample what it gets alone;
 * - the gradient with respect to the logits is the seed: one-hot for a
 *   logit, p_c (e_c - p) for a probability;
 * - nothing is disturbed: weights and parameter gradients hold the same
 *   bits afterwards, and dropout stays off (two calls agree bit for bit);
 * - a bad layer, class or count is an error naming the valid range. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "partb-fixture.h"

static const char model_text[] =
    "input: [2, 8, 8]\n"
    "layers:\n"
    "  - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2, padding: 1}\n"
    "  - dropout: {p: 0.5}\n"
    "  - conv2d: {out: 5, kernel: 3}\n"
    "  - flatten\n"
    "  - linear: {out: 4}\n";
/* PLACE: the largest place (conv1's output). */
enum { LAST = 5, CLASSES = 4, N = 3, INPUT = 2 * 8 * 8, PLACE = 4 * 8 * 8 };

static void fill(float *x, size_t count, uint64_t seed)
{
    struct cnn_rng rng;
    cnn_rng_seed(&rng, seed);
    for (size_t i = 0; i < count; i++)
        x[i] = 4.0f * cnn_rng_float(&rng) - 2.0f;
}

static int gradient(struct fixture *f, const float *x, int n,
                    const int32_t *classes, enum cnn_gradient_output kind,
                    int layer, float *g, float *value)
{
    struct cnn_error err = {0};
    struct cnn_gradient_request request = {kind, classes, layer};
    struct cnn_gradient_result result = {g, NULL, value};
    if (cnn_analysis_gradient(f->analysis, x, n, &request, &result, &err) <
        0) {
        diag("gradient: %s", err.message);
        return -1;
    }
    return 0;
}

/* The output `kind` of class c for one input, by the evaluation forward. */
static double output_of(struct fixture *f, const float *x, int c,
                        enum cnn_gradient_output kind)
{
    float logits[CLASSES];
    struct cnn_error err = {0};
    if (cnn_analysis_forward_from(f->analysis, 0, x, 1, LAST, logits, &err))
        return NAN;
    if (kind == CNN_GRADIENT_LOGIT)
        return logits[c];
    double sum = 0;
    for (int j = 0; j < CLASSES; j++)
        sum += exp((double)logits[j] - logits[c]);
    return 1.0 / sum;
}

/* Central differences (double-sided, step 1e-2) on every 7th input
 * value: |analytic - numeric| <= 2e-2 max(|numeric|, max |analytic|),
 * skipping values whose step crosses a ReLU kink or a pooling switch
 * (the numeric derivative is then no derivative at all). */
static void check_differences(struct fixture *f,
                              enum cnn_gradient_output kind,
                              const char *what)
{
    float x[INPUT], g[INPUT], value;
    int32_t c = 2;
    fill(x, INPUT, 11);
    if (gradient(f, x, 1, &c, kind, -1, g, &value) < 0) {
        ok(0, "%s: the gradient is taken", what);
        return;
    }
    double scale = 0;
    for (int i = 0; i < INPUT; i++)
        scale = fmax(scale, fabs(g[i]));
    int checked = 0, bad = 0;
    for (int i = 0; i < INPUT; i += 7) {
        float step = 1e-2f, kept = x[i];
        x[i] = kept + step;
        double up = output_of(f, x, c, kind);
        x[i] = kept - step;
        double down = output_of(f, x, c, kind);
        x[i] = kept;
        double numeric = (up - down) / (2.0 * step);
        double mid = (up + down) / 2.0 - value;
        if (fabs(mid) > 1e-3 * fmax(fabs(value), 1.0))
            continue; /* not smooth across this step */
        checked++;
        if (fabs(numeric - g[i]) > 2e-2 * fmax(fabs(numeric), scale)) {
            bad++;
            diag("%s: input %d: analytic %g, numeric %g", what, i, g[i],
                 numeric);
        }
    }
    ok(bad == 0 && checked >= 10,
       "%s: central differences agree (%d of %d checked values)", what,
       checked - bad, checked);
}

/* N samples at once give each sample's own gradient, at every place. */
static void check_batched(struct fixture *f)
{
    float x[N * INPUT], batched[N * PLACE], alone[PLACE];
    int32_t classes[N] = {0, 3, 1};
    fill(x, N * INPUT, 12);
    int worst_layer = -2;
    double worst = 0;
    for (int layer = -1; layer <= LAST; layer++) {
        size_t size = layer < 0
                          ? INPUT
                          : cnn_shape_size(f->model.layers[layer].output);
        if (gradient(f, x, N, classes, CNN_GRADIENT_PROBABILITY, layer,
                     batched, NULL) < 0) {
            worst = INFINITY;
            break;
        }
        for (int i = 0; i < N; i++) {
            if (gradient(f, x + i * INPUT, 1, &classes[i],
                         CNN_GRADIENT_PROBABILITY, layer, alone, NULL) < 0)
                worst = INFINITY;
            for (size_t k = 0; k < size && isfinite(worst); k++) {
                double d = fabs(alone[k] - batched[i * size + k]);
                if (d > worst) {
                    worst = d;
                    worst_layer = layer;
                }
            }
        }
    }
    ok(worst <= 1e-6, "a batch of %d gives each sample's own gradient at "
       "every place (worst %.2g at place %d, <= 1e-6)", N, worst,
       worst_layer);
}

/* At the logits the gradient is the seed itself. */
static void check_seed(struct fixture *f)
{
    float x[INPUT], g[CLASSES], p_c, logits[CLASSES];
    int32_t c = 1;
    struct cnn_error err = {0};
    fill(x, INPUT, 13);
    int ran = gradient(f, x, 1, &c, CNN_GRADIENT_LOGIT, LAST, g, NULL) == 0;
    ok(ran && g[0] == 0 && g[1] == 1 && g[2] == 0 && g[3] == 0,
       "d logit_1 / d logits is e_1 (%g %g %g %g)", g[0], g[1], g[2], g[3]);
    ran = gradient(f, x, 1, &c, CNN_GRADIENT_PROBABILITY, LAST, g, &p_c) ==
              0 &&
          cnn_analysis_forward_from(f->analysis, 0, x, 1, LAST, logits,
                                    &err) == 0;
    double sum = 0, worst = 0;
    for (int j = 0; j < CLASSES; j++)
        sum += exp((double)logits[j] - logits[c]);
    for (int j = 0; ran && j < CLASSES; j++) {
        double p_j = exp((double)logits[j] - logits[c]) / sum;
        double want = (1.0 / sum) * ((j == c) - p_j);
        worst = fmax(worst, fabs(g[j] - want));
    }
    ok(ran && worst < 1e-7 && fabs(p_c - 1.0 / sum) < 1e-7,
       "d p_1 / d logits is p_1 (e_1 - p) and the value p_1 = %.6f "
       "(worst %.2g)", p_c, worst);
}

/* Weights and parameter gradients keep their bits; two calls agree (no
 * dropout mask drawn). */
static void check_undisturbed(struct fixture *f)
{
    struct cnn_model *m = &f->model;
    size_t count = m->parameter_count;
    float *weights = malloc(count * sizeof *weights);
    float *grads = malloc(count * sizeof *grads);
    float x[N * INPUT], first[N * PLACE], second[N * PLACE];
    int32_t classes[N] = {2, 2, 0};
    fill(m->gradients, count, 14); /* as a training step would leave them */
    memcpy(weights, m->parameters, count * sizeof *weights);
    memcpy(grads, m->gradients, count * sizeof *grads);
    fill(x, N * INPUT, 15);
    int ran = gradient(f, x, N, classes, CNN_GRADIENT_LOGIT, -1, first,
                       NULL) == 0 &&
              gradient(f, x, N, classes, CNN_GRADIENT_LOGIT, 2, second,
                       NULL) == 0 &&
              gradient(f, x, N, classes, CNN_GRADIENT_LOGIT, -1, second,
                       NULL) == 0;
    ok(ran && memcmp(weights, m->parameters, count * sizeof *weights) == 0,
       "the weights keep their bits");
    ok(ran && memcmp(grads, m->gradients, count * sizeof *grads) == 0,
       "the parameter gradients keep their bits (the kernels' backward "
       "overwrote them; the analysis put them back)");
    ok(ran && memcmp(first, second, N * INPUT * sizeof *first) == 0,
       "two calls give the same bits (dropout stays off)");
    free(weights);
    free(grads);
}

static void check_error(struct fixture *f, int n, int32_t c, int layer,
                        const char *expected, const char *what)
{
    float x[INPUT] = {0}, g[INPUT];
    struct cnn_error err = {0};
    struct cnn_gradient_request request = {CNN_GRADIENT_LOGIT, &c, layer};
    struct cnn_gradient_result result = {g, NULL, NULL};
    int status = cnn_analysis_gradient(f->analysis, x, n, &request, &result,
                                       &err);
    ok(status < 0 && strstr(err.message, expected), "%s: %s", what,
       err.message);
}

int main(void)
{
    struct fixture f;
    int ready = fixture_open(&f, model_text, 7, 1, CLASSES, NULL);
    if (ready == 1) {
        check_differences(&f, CNN_GRADIENT_PROBABILITY,
                          "d probability / d input");
        check_differences(&f, CNN_GRADIENT_LOGIT, "d logit / d input");
        check_batched(&f);
        check_seed(&f);
        check_undisturbed(&f);
        check_error(&f, 1, 0, 6, "-1 is the input, 0..5 the layers",
                    "a layer past the last");
        check_error(&f, 1, 0, -2, "does not exist", "layer -2");
        check_error(&f, 1, 4, 0, "classes 0..3", "class 4 of 4");
        check_error(&f, 0, 0, 0, "at least 1", "no samples");
    }
    if (ready != 0)
        fixture_close(&f);
    return done_testing();
}
