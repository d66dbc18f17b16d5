/* `faithfulness` on a model whose answer is known: it looks at one
 * quadrant only. Input 1 x 8 x 8 through a 1x1 conv of weight 1 (so
 * Grad-CAM has a layer), then fc1: class 0's logit is 0.5 times the sum
 * of the top-left 4 x 4 pixels (normalised) minus 3, class 1's is 0. The
 * two test images are bright in that quadrant (so class 0 is predicted)
 * and darker elsewhere.
 *
 * Every map ranks the quadrant's 16 pixels first: saliency and gradient x
 * input are 0 elsewhere, integrated gradients (black baseline, logit) are
 * (x + 1) 0.5 there and 0 elsewhere, Grad-CAM is ReLU(x / 8) with the
 * quadrant brightest, occlusion (window 1) lowers the probability only
 * there. With 4 steps of 16 pixels and fill 0 (x = -1), deletion is then
 * [p, q, q, q, q] and insertion [q, p, p, p, p], p the clean image's
 * probability and q = sigmoid(-11), so by the trapezoid rule
 *   deletion AUC = ((p + q) / 2 + 3 q) / 4,
 *   insertion AUC = ((q + p) / 2 + 3 p) / 4.
 * With 8 steps saliency's ties fall to the lower pixel index: step 1
 * removes the quadrant's rows 0 and 1. The table's mean and sample
 * standard deviation over the two images, `random` losing to saliency,
 * and a misspelt method refused before anything runs are checked too. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "partb-fixture.h"

static const char model_text[] = "input: [1, 8, 8]\n"
                                 "layers:\n"
                                 "  - conv2d: {out: 1, kernel: 1, "
                                 "bias: false}\n"
                                 "  - flatten\n"
                                 "  - linear: {out: 2}\n";
static const char *const names[] = {"quadrant", "other"};
enum { SIDE = 8, PIXELS = 64 };

static int in_quadrant(int p)
{
    return p / SIDE < 4 && p % SIDE < 4;
}

static uint8_t pixel_value(int image, int p)
{
    int bright = image == 0 ? 200 : 180, dark = image == 0 ? 100 : 90;
    return (uint8_t)(in_quadrant(p) ? bright + (p / SIDE) * 4 + p % SIDE
                                    : dark + p % 30);
}

static double normalised(int v)
{
    return 2.0 * v / 255.0 - 1.0;
}

static double sigmoid(double z)
{
    return 1 / (1 + exp(-z));
}

static void make_model(struct fixture *f)
{
    fixture_tensor(f, 0, "weight")[0] = 1;
    float *w = fixture_tensor(f, 2, "weight"); /* (2, 64) */
    float *b = fixture_tensor(f, 2, "bias");
    for (int p = 0; p < PIXELS; p++) {
        w[p] = in_quadrant(p) ? 0.5f : 0.0f;
        w[PIXELS + p] = 0;
    }
    b[0] = -3, b[1] = 0;
    for (int k = 0; k < 2; k++) {
        f->data.test.labels[k] = 0;
        for (int p = 0; p < PIXELS; p++)
            f->data.test.pixels[k * PIXELS + p] = pixel_value(k, p);
    }
}

/* Class 0's logit of image k with the quadrant pixels of the first
 * `removed` (in index order) replaced by the fill 0. */
static double logit(int k, int removed)
{
    double sum = 0;
    int seen = 0;
    for (int p = 0; p < PIXELS; p++)
        if (in_quadrant(p))
            sum += seen++ < removed ? -1.0 : normalised(pixel_value(k, p));
    return 0.5 * sum - 3;
}

/* deletion_auc (column 3) or insertion_auc (4) of faithfulness.csv's row
 * for `method` and image k. */
static double auc(struct fixture *f, const char *method, int k, int column)
{
    char *text = fixture_read(f, "faithfulness.csv", NULL), key[64];
    snprintf(key, sizeof key, "\n%s,%d,", method, k);
    char *at = text ? strstr(text, key) : NULL;
    for (int c = 0; at && c < column; c++)
        at = strchr(at + 1, ',');
    double value = at ? strtod(at + 1, NULL) : NAN;
    free(text);
    return value;
}

static int run(struct fixture *f, const char *const *settings)
{
    struct cnn_error err = {0};
    int status = fixture_run(f, "faithfulness", settings, &err);
    if (status < 0)
        diag("faithfulness: %s", err.message);
    return status;
}

static void check_four_steps(struct fixture *f)
{
    static const char *const settings[] = {
        "images=[0, 1]", "steps=4", "fill=[0]", "window=1", "ig_steps=4",
        NULL};
    static const char *const methods[] = {
        "saliency", "gradient-input", "gradcam", "integrated-gradients",
        "occlusion"};
    int ran = run(f, settings) == 0;
    double q = sigmoid(logit(0, 16));
    for (int k = 0; k < 2; k++) {
        double p = sigmoid(logit(k, 0));
        double deletion = ((p + q) / 2 + 3 * q) / 4;
        double insertion = ((q + p) / 2 + 3 * p) / 4;
        for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
            double d = auc(f, methods[m], k, 3), i = auc(f, methods[m], k, 4);
            ok(ran && fabs(d - deletion) < 2e-6 &&
                   fabs(i - insertion) < 2e-6,
               "%s, image %d: deletion AUC %.6f (by hand %.6f), insertion "
               "%.6f (%.6f)", methods[m], k, d, deletion, i, insertion);
        }
        double rd = auc(f, "random", k, 3), ri = auc(f, "random", k, 4);
        ok(ran && rd > deletion + 1e-3 && ri < insertion - 1e-3,
           "random, image %d: deletion AUC %.4f above the quadrant order's "
           "%.4f, insertion %.4f below its %.4f", k, rd, deletion, ri,
           insertion);
    }
    /* The table: mean and sample standard deviation over both images. */
    double a = ((sigmoid(logit(0, 0)) + q) / 2 + 3 * q) / 4;
    double b = ((sigmoid(logit(1, 0)) + q) / 2 + 3 * q) / 4;
    char *table = fixture_read(f, "faithfulness-summary.csv", NULL);
    char *row = table ? strstr(table, "\nsaliency,2,") : NULL;
    double mean = NAN, sd = NAN;
    if (row)
        sscanf(row, "\nsaliency,2,%lf,%lf", &mean, &sd);
    ok(fabs(mean - (a + b) / 2) < 2e-6 &&
           fabs(sd - fabs(a - b) / sqrt(2)) < 2e-6,
       "faithfulness-summary.csv: saliency's deletion AUC %.6f ± %.6f "
       "(by hand %.6f ± %.6f)", mean, sd, (a + b) / 2, fabs(a - b) / sqrt(2));
    free(table);
    int w, h;
    ok(fixture_png(f, "faithfulness-deletion.png", &w, &h) &&
           fixture_png(f, "faithfulness-insertion.png", &w, &h),
       "the deletion and insertion charts are PNGs");
}

static void check_eight_steps(struct fixture *f)
{
    static const char *const settings[] = {"images=[0]", "steps=8",
                                           "methods=[saliency]", NULL};
    int ran = run(f, settings) == 0;
    double curve[9];
    for (int t = 0; t <= 8; t++)
        curve[t] = sigmoid(logit(0, t * 8 > 16 ? 16 : t * 8));
    double deletion = 0;
    for (int t = 0; t < 8; t++)
        deletion += (curve[t] + curve[t + 1]) / 2 / 8;
    double d = auc(f, "saliency", 0, 3);
    ok(ran && fabs(d - deletion) < 2e-6,
       "8 steps: saliency's ties fall to the lower index (rows 0-1 of the "
       "quadrant first): deletion AUC %.6f, by hand %.6f", d, deletion);
}

static void check_refusal(struct fixture *f)
{
    const struct cnn_analysis_type *type =
        cnn_registry_analysis(f->registry, "faithfulness");
    static const char *const settings[] = {"methods=[salency]", NULL};
    struct cnn_params params = test_params(type->params, type->param_count,
                                           "faithfulness", settings);
    struct cnn_error err = {0};
    int status = type->validate(f->analysis, &params, &err);
    ok(status < 0 && strstr(err.message, "no method 'salency'; did you "
                                         "mean 'saliency'?"),
       "a misspelt method is refused before training: %s", err.message);
    cnn_params_free(&params);
}

int main(void)
{
    struct fixture f;
    int ready = fixture_open(&f, model_text, 3, 2, 2, names);
    if (ready == 1) {
        make_model(&f);
        check_four_steps(&f);
        check_eight_steps(&f);
        check_refusal(&f);
    }
    if (ready != 0)
        fixture_close(&f);
    return done_testing();
}
