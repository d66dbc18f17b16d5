/* The incremental occlusion engine (plugins/analyses/occlusion_incremental.c)
 * against the brute-force one (occlusion_brute.c), map for map, on
 * seeded random weights and images: the study's best model at its real
 * size (84x84x3, 33 classes; a coarse stride keeps the brute force to
 * about a hundred forwards) and a small model that has every case the
 * cone arithmetic must get right — zero and -inf padding, strides that
 * do not divide the padding, a dilated rectangular kernel, a 1x1 stride-2
 * convolution (whose outputs can miss a change entirely), layers that
 * keep positions (relu, dropout) and a non-square input — each with
 * border clip and valid, odd, even and rectangular windows; and the
 * layers added later (padding: same, one zero more after than before).
 *
 * Tolerance: max |incremental - brute| <= 1e-4 per map cell (the issue's
 * bound; the same kernels on the same values, so differences come only
 * from the order of float additions). Random weights give nearly uniform
 * probabilities, which would hide a wrong map inside the tolerance, so
 * the last layer's weights and bias are scaled up until occluding moves
 * the probability by far more than 1e-4; each comparison requires that
 * it does (some cell differs from the clean image's confidence by over
 * 100 times the tolerance) and reports the cells predicted as another
 * class (0 in both engines). */
#include <math.h>

#include "cnnlab/rng.h"
#include "occlusion_incremental.h"
#include "partb-fixture.h"

#define TOLERANCE 1e-4

static const char best_model[] =
    "input: [3, 84, 84]\n"
    "layers:\n"
    "  - conv2d: {out: 64, kernel: 3, activation: relu}\n"
    "  - conv2d: {out: 64, kernel: 3, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2}\n"
    "  - conv2d: {out: 128, kernel: 3, activation: relu}\n"
    "  - conv2d: {out: 128, kernel: 3, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2}\n"
    "  - conv2d: {out: 256, kernel: 3, activation: relu}\n"
    "  - conv2d: {out: 256, kernel: 3, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2}\n"
    "  - globalpool\n"
    "  - linear: {out: 256, activation: relu}\n"
    "  - linear: {out: 256, activation: relu}\n"
    "  - linear: {out: 33}\n";

static const char small_model[] =
    "input: [3, 23, 18]\n"
    "layers:\n"
    "  - conv2d: {out: 6, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2, padding: 1}\n"
    "  - conv2d: {out: 5, kernel: [3, 2], stride: [2, 1], padding: [1, 2],"
    " dilation: [2, 1]}\n"
    "  - relu\n"
    "  - dropout: {p: 0.5}\n"
    "  - conv2d: {out: 7, kernel: 1, stride: 2}\n"
    "  - conv2d: {out: 4, kernel: 2, padding: 1, activation: relu}\n"
    "  - flatten\n"
    "  - linear: {out: 5}\n";

/* The layers added after the study (issue 21): padding: same with an even
 * span pads one zero more after than before, which a crop's own padding
 * must supply at the bottom and right edges alike; average pooling,
 * whose divisor without count_include_pad depends on where the window
 * meets the border. */
static const char added_model[] =
    "input: [3, 17, 14]\n"
    "layers:\n"
    "  - conv2d: {out: 5, kernel: 4, padding: same, activation: relu}\n"
    "  - avgpool2d: {kernel: 3, stride: 2, padding: 1,"
    " count_include_pad: false}\n"
    "  - conv2d: {out: 4, kernel: [3, 2], dilation: [2, 1], padding: same}\n"
    "  - leaky-relu: {slope: 0.1}\n"
    "  - avgpool2d: {kernel: 2, stride: 1, padding: 1}\n"
    "  - flatten\n"
    "  - linear: {out: 5}\n";

struct occlusion_case {
    int window_h, window_w, stride_h, stride_w, valid, batch;
};

/* Runs both engines on one image and compares the maps. */
static void compare_engines(struct fixture *f, const char *model_name,
                            const float *image, const float *fill,
                            struct occlusion_case k)
{
    struct occlusion_config c = {k.window_h, k.window_w, k.stride_h,
                                 k.stride_w, k.valid, k.batch, 0, 0};
    struct cnn_shape shape = f->model.input;
    occlusion_grid(&c, shape.h, shape.w);
    char label[200];
    snprintf(label, sizeof label, "%s: window %dx%d, stride %dx%d, border "
             "%s, batch %d (%dx%d cells)", model_name, k.window_h,
             k.window_w, k.stride_h, k.stride_w, k.valid ? "valid" : "clip",
             k.batch, c.rows, c.columns);
    int last = f->model.layer_count - 1;
    int classes = (int)cnn_shape_size(f->model.layers[last].output);
    size_t cells = (size_t)c.rows * c.columns;
    float *logits = malloc((size_t)classes * sizeof *logits);
    float *brute = malloc(cells * sizeof *brute);
    float *fast = malloc(cells * sizeof *fast);
    struct cnn_error err = {0};
    int status = logits && brute && fast ? 0 : -1;
    if (status == 0)
        status = cnn_analysis_forward_from(f->analysis, 0, image, 1, last,
                                           logits, &err);
    int predicted = status == 0 ? occlusion_arg_max(logits, classes) : 0;
    if (status == 0)
        status = occlusion_map_brute_force(f->analysis, &c, image, fill,
                                           predicted, brute, &err);
    if (status == 0)
        status = occlusion_map_incremental(f->analysis, &c, image, fill,
                                           predicted, fast, &err);
    if (!ok(status == 0, "%s: both engines run (%s)", label, err.message)) {
        free(logits);
        free(brute);
        free(fast);
        return;
    }
    double clean = occlusion_probability(logits, classes, predicted);
    double worst = 0, moved = 0, lowest = INFINITY, highest = -INFINITY;
    size_t at = 0, flipped = 0;
    for (size_t i = 0; i < cells; i++) {
        double d = fabs((double)fast[i] - brute[i]);
        if (d > worst || isnan(d)) {
            worst = isnan(d) ? INFINITY : d;
            at = i;
        }
        moved = fmax(moved, fabs(brute[i] - clean));
        lowest = fmin(lowest, brute[i]);
        highest = fmax(highest, brute[i]);
        flipped += brute[i] == 0.0f;
    }
    if (!ok(worst <= TOLERANCE && moved > 100 * TOLERANCE,
            "%s: maps equal (max |diff| %.2g, allowed %g; brute force "
            "ranges %.4f..%.4f around the clean %.4f, %zu cells predicted "
            "otherwise)",
            label, worst, TOLERANCE, lowest, highest, clean, flipped))
        diag("  cell %zu: incremental %.9g, brute force %.9g", at, fast[at],
             brute[at]);
    free(logits);
    free(brute);
    free(fast);
}

/* A faint seeded random image (within 0.1 of 0) and a strong random
 * fill (within 10): what the window pastes dominates the cells it
 * reaches, and a fill that differs pixel by pixel shows whether each
 * crop took the right pixels of it. Both are normalised inputs, which is
 * what the engines take. */
static void make_inputs(struct fixture *f, uint64_t seed, float **image,
                        float **fill)
{
    size_t size = cnn_shape_size(f->model.input);
    *image = malloc(size * sizeof **image);
    *fill = malloc(size * sizeof **fill);
    struct cnn_rng rng;
    cnn_rng_seed(&rng, seed);
    for (size_t i = 0; *image && *fill && i < size; i++) {
        (*image)[i] = 0.2f * cnn_rng_float(&rng) - 0.1f;
        (*fill)[i] = 20.0f * cnn_rng_float(&rng) - 10.0f;
    }
}

static void run_model(const char *name, const char *text, uint64_t seed,
                      int classes, float scale,
                      const struct occlusion_case *cases, int count)
{
    struct fixture f;
    int opened = fixture_open(&f, text, seed, 1, classes, NULL);
    if (opened == 0) {
        fixture_close(&f);
        return;
    }
    /* Spread the logits (on the CPU the host copy is the model's). */
    int last = opened > 0 ? f.model.layer_count - 1 : 0;
    struct cnn_param_tensor *tensors = f.model.layers[last].tensors;
    for (int t = 0; opened > 0 && t < f.model.layers[last].tensor_count; t++)
        for (size_t i = 0; i < tensors[t].count; i++)
            tensors[t].data[i] *= scale;
    float *image = NULL, *fill = NULL;
    if (opened > 0)
        make_inputs(&f, seed, &image, &fill);
    if (opened > 0 && image && fill)
        for (int i = 0; i < count; i++)
            compare_engines(&f, name, image, fill, cases[i]);
    free(image);
    free(fill);
    fixture_close(&f);
}

int main(void)
{
    /* The best model: an 11x11 window (the benchmark's) at a coarse
     * stride, batches that end mid-row; border valid with a rectangular
     * window and a batch that does not divide the cells. */
    static const struct occlusion_case best[] = {
        {11, 11, 12, 12, 0, 32},
        {11, 7, 13, 10, 1, 7},
    };
    run_model("best model", best_model, 3, 33, 60.0f, best,
              (int)(sizeof best / sizeof *best));

    static const struct occlusion_case small[] = {
        {3, 3, 1, 1, 0, 64},  {4, 4, 1, 1, 0, 50}, {5, 2, 2, 3, 0, 9},
        {3, 3, 1, 1, 1, 64},  {4, 6, 3, 1, 1, 13}, {1, 1, 1, 1, 0, 414},
        {23, 18, 1, 1, 1, 1}, {30, 30, 4, 4, 0, 16},
    };
    run_model("small model", small_model, 11, 5, 4.0f, small,
              (int)(sizeof small / sizeof *small));

    static const struct occlusion_case added[] = {
        {3, 3, 1, 1, 0, 64}, {4, 4, 2, 3, 0, 11}, {5, 2, 2, 1, 1, 9},
    };
    run_model("added layers", added_model, 5, 5, 4.0f, added,
              (int)(sizeof added / sizeof *added));
    return done_testing();
}
