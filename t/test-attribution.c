/* The attribution analyses on hand-built models whose answers are known
 * (t/attribution-torch.sh compares them with PyTorch on trained ones):
 * - saliency of a linear model is its weight row: |w| of the largest
 *   channel, and sum over channels of x w;
 * - Grad-CAM of a 1x1 conv (weight 2) under global average pooling is
 *   ReLU(2 x / 16) at every pixel (each channel weighs 1/16);
 * - integrated gradients' completeness error falls as steps rise (2, 8,
 *   32) on a smooth model's probability, and a blurred constant image is
 *   its own baseline (every attribution 0);
 * - gradcam's layer is checked before anything runs: the default is the
 *   last conv2d, a layer that mixes positions or one that does not exist
 *   is refused naming the layers that would do. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "partb-fixture.h"

static const char *const names[] = {"zero", "one", "two"};

static void set_pixels(struct fixture *f, uint64_t seed)
{
    struct cnn_rng rng;
    cnn_rng_seed(&rng, seed);
    size_t count = (size_t)f->data.test.count *
                   cnn_shape_size(f->model.input);
    for (size_t i = 0; i < count; i++)
        f->data.test.pixels[i] = (uint8_t)cnn_rng_below(&rng, 256);
}

static int run(struct fixture *f, const char *name,
               const char *const *settings)
{
    struct cnn_error err = {0};
    int status = fixture_run(f, name, settings, &err);
    if (status < 0)
        diag("%s: %s", name, err.message);
    return status;
}

/* The column `column` (0-based) of line `line` (1 is the first after
 * the header) of a CSV file, as a number (NaN when absent). */
static double csv_field(struct fixture *f, const char *file, int line,
                        int column)
{
    char *text = fixture_read(f, file, NULL);
    double value = NAN;
    char *at = text;
    for (int l = 0; at && l < line; l++)
        at = strchr(at, '\n') ? strchr(at, '\n') + 1 : NULL;
    for (int c = 0; at && c < column; c++)
        at = strchr(at, ',') ? strchr(at, ',') + 1 : NULL;
    if (at)
        value = strtod(at, NULL);
    free(text);
    return value;
}

/* ---- saliency of a linear model ---- */

static void check_saliency(void)
{
    static const char model[] = "input: [2, 3, 3]\n"
                                "layers:\n"
                                "  - flatten\n"
                                "  - linear: {out: 3, bias: false}\n";
    struct fixture f;
    if (fixture_open(&f, model, 3, 1, 3, names) != 1) {
        fixture_close(&f);
        return;
    }
    set_pixels(&f, 21);
    float *w = fixture_tensor(&f, 1, "weight"); /* (3, 18) */
    float x[18], logits[3], sal[9], gxi[9];
    struct cnn_error err = {0};
    cnn_analysis_normalize(f.analysis, f.data.test.pixels, 1, x);
    int ran = cnn_analysis_forward_from(f.analysis, 0, x, 1, 1, logits,
                                        &err) == 0;
    int k = logits[1] > logits[0] ? 1 : 0;
    k = logits[2] > logits[k] ? 2 : k;
    static const char *const settings[] = {"images=[0]", NULL};
    ran = ran && run(&f, "saliency", settings) == 0 &&
          fixture_npy(&f, "saliency-0.npy", 3, 3, sal) &&
          fixture_npy(&f, "saliency-gradient-input-0.npy", 3, 3, gxi);
    double worst = 0;
    for (int p = 0; ran && p < 9; p++) {
        float a = w[k * 18 + p], b = w[k * 18 + 9 + p];
        worst = fmax(worst, fabs(sal[p] - fmaxf(fabsf(a), fabsf(b))));
        worst = fmax(worst, fabs(gxi[p] - (x[p] * a + x[9 + p] * b)));
    }
    ok(ran && worst < 1e-6, "saliency of a linear model is |w| of its "
       "predicted class %d, gradient x input sums x w (worst %.2g)", k,
       worst);
    int png_w, png_h;
    ok(fixture_png(&f, "saliency-0.png", &png_w, &png_h) &&
           fixture_png(&f, "saliency.png", &png_w, &png_h),
       "saliency-0.png and saliency.png are PNGs");
    fixture_close(&f);
}

/* ---- Grad-CAM of a 1x1 conv under average pooling ---- */

static void check_gradcam(void)
{
    static const char model[] = "input: [1, 4, 4]\n"
                                "layers:\n"
                                "  - conv2d: {out: 1, kernel: 1, "
                                "bias: false}\n"
                                "  - globalpool: {mode: avg}\n"
                                "  - linear: {out: 2, bias: false}\n";
    struct fixture f;
    if (fixture_open(&f, model, 3, 1, 2, names) != 1) {
        fixture_close(&f);
        return;
    }
    set_pixels(&f, 22);
    fixture_tensor(&f, 0, "weight")[0] = 2;
    float *fc = fixture_tensor(&f, 2, "weight");
    fc[0] = 1, fc[1] = -1; /* class 0 is predicted when the mean is > 0 */
    float x[16], map[16], grid[16];
    cnn_analysis_normalize(f.analysis, f.data.test.pixels, 1, x);
    double mean = 0;
    for (int p = 0; p < 16; p++)
        mean += 2 * x[p] / 16;
    int k = mean > 0 ? 0 : 1;
    static const char *const settings[] = {"images=[0]", NULL};
    int ran = run(&f, "gradcam", settings) == 0 &&
              fixture_npy(&f, "gradcam-0.npy", 4, 4, map) &&
              fixture_npy(&f, "gradcam-grid-0.npy", 4, 4, grid);
    double worst = 0;
    for (int p = 0; ran && p < 16; p++) {
        double want = fmax(0, (k == 0 ? 1 : -1) * 2 * x[p] / 16);
        worst = fmax(worst, fabs(map[p] - want));
        worst = fmax(worst, fabs(grid[p] - want));
    }
    ok(ran && worst < 1e-6, "Grad-CAM of a 1x1 conv (weight 2) under "
       "average pooling is ReLU(+-2 x / 16) on its grid and on the input "
       "(class %d, worst %.2g)", k, worst);
    fixture_close(&f);
}

/* ---- gradcam's layer ---- */

static void check_layer_choice(void)
{
    static const char model[] = "input: [1, 8, 8]\n"
                                "layers:\n"
                                "  - conv2d: {out: 2, kernel: 3}\n"
                                "  - conv2d: {out: 2, kernel: 3}\n"
                                "  - relu\n"
                                "  - flatten\n"
                                "  - linear: {out: 2}\n";
    struct fixture f;
    if (fixture_open(&f, model, 3, 1, 2, names) != 1) {
        fixture_close(&f);
        return;
    }
    const struct cnn_analysis_type *type =
        cnn_registry_analysis(f.registry, "gradcam");
    static const struct {
        const char *setting, *expected;
    } cases[] = {
        {"layer=fc1", "'fc1' (linear) mixes every position of the image, "
                      "so it has no map; choose one of conv1..relu1"},
        {"layer=flatten1", "choose one of conv1..relu1"},
        {"layer=conv9", "the model has no layer 'conv9' (layers with "
                        "positions: conv1..relu1)"},
    };
    for (size_t i = 0; type && i < sizeof cases / sizeof *cases; i++) {
        const char *settings[] = {cases[i].setting, NULL};
        struct cnn_params params = test_params(type->params,
                                               type->param_count, "gradcam",
                                               settings);
        struct cnn_error err = {0};
        int status = type->validate(f.analysis, &params, &err);
        ok(status < 0 && strstr(err.message, cases[i].expected),
           "gradcam %s is refused: %s", cases[i].setting, err.message);
        cnn_params_free(&params);
    }
    static const char *const defaults[] = {"images=[0]", NULL};
    char *csv = run(&f, "gradcam", defaults) == 0
                    ? fixture_read(&f, "gradcam.csv", NULL)
                    : NULL;
    ok(csv && strstr(csv, ",conv2,"), "the default layer is the last "
       "conv2d (conv2)");
    free(csv);
    fixture_close(&f);
}

/* ---- integrated gradients ---- */

static const char smooth_model[] = "input: [1, 6, 6]\n"
                                   "layers:\n"
                                   "  - conv2d: {out: 2, kernel: 3, "
                                   "padding: 1}\n"
                                   "  - flatten\n"
                                   "  - linear: {out: 3}\n";

/* completeness_error (column 9) of image 0 at `steps`. */
static double completeness(struct fixture *f, const char *steps,
                           const char *baseline)
{
    const char *settings[] = {"images=[0]", "output=probability", steps,
                              baseline, NULL};
    if (run(f, "integrated-gradients", settings) < 0)
        return NAN;
    return csv_field(f, "integrated-gradients.csv", 1, 9);
}

static void check_completeness(void)
{
    struct fixture f;
    if (fixture_open(&f, smooth_model, 5, 1, 3, names) != 1) {
        fixture_close(&f);
        return;
    }
    set_pixels(&f, 23);
    /* Large weights: the softmax bends along the path. */
    for (size_t i = 0; i < f.model.parameter_count; i++)
        f.model.host_parameters[i] *= 6;
    double e2 = completeness(&f, "steps=2", "baseline=black");
    double e8 = completeness(&f, "steps=8", "baseline=black");
    double e32 = completeness(&f, "steps=32", "baseline=black");
    double change = fabs(csv_field(&f, "integrated-gradients.csv", 1, 6) -
                         csv_field(&f, "integrated-gradients.csv", 1, 7));
    ok(e32 < e8 && e8 < e2 && e2 > 1e-4,
       "the completeness error falls as steps rise: %.3g (2), %.3g (8), "
       "%.3g (32)", e2, e8, e32);
    ok(e32 < 1e-2 * change, "at 32 steps the attributions sum to y(x) - "
       "y(black) = %.4f within %.2g", change, e32);
    fixture_close(&f);
}

static void check_blurred_constant(void)
{
    struct fixture f;
    if (fixture_open(&f, smooth_model, 5, 1, 3, names) != 1) {
        fixture_close(&f);
        return;
    }
    memset(f.data.test.pixels, 77, 36);
    float map[36];
    const char *settings[] = {"images=[0]", "baseline=blurred", "blur=2",
                              "steps=4", NULL};
    int ran = run(&f, "integrated-gradients", settings) == 0 &&
              fixture_npy(&f, "integrated-gradients-0.npy", 6, 6, map);
    double largest = 0;
    for (int p = 0; ran && p < 36; p++)
        largest = fmax(largest, fabs(map[p]));
    double value = csv_field(&f, "integrated-gradients.csv", 1, 6);
    double base = csv_field(&f, "integrated-gradients.csv", 1, 7);
    ok(ran && largest == 0 && value == base,
       "a blurred constant image is its own baseline: every attribution "
       "0, y(baseline) = y(x) = %g", value);
    fixture_close(&f);
}

int main(void)
{
    check_saliency();
    check_gradcam();
    check_layer_choice();
    check_completeness();
    check_blurred_constant();
    return done_testing();
}
