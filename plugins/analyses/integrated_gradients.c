/* cnnlab — analysis `integrated-gradients` (attribution.h; Sundararajan
 * et al.): attribution_i = (x_i - x'_i) times the mean of dy/dx_i along
 * the straight path from a baseline image x' to x, by the midpoint rule
 * over `steps` points (x' + (k + 1/2)/steps (x - x'), k = 0..steps-1),
 * `batch` points per gradient pass. The baseline is made in pixel space,
 * as occlusion's fill, then normalised: black (0), gray (128), or the
 * image blurred (a Gaussian of `blur` pixels, edges repeated).
 *
 * Completeness: the attributions sum to y(x) - y(x') when the path
 * integral is exact; the midpoint rule's error falls as steps rise
 * (as 1/steps^2 where y is smooth along the path), and
 * integrated-gradients.csv reports it per image, so a reader sees
 * whether `steps` was enough. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attribution.h"
#include "map_files.h"
#include "picture.h"
#include "test_images.h"

static const struct cnn_param_spec ig_params[] = {
    TEST_IMAGES_PARAM,
    ATTRIBUTION_OUTPUT_PARAM,
    {"baseline", CNN_PARAM_CHOICE, "black", 0, 0, "black|gray|blurred",
     "the image the path starts from, in pixel space: black (0), gray "
     "(128) or the image blurred (see blur)"},
    {"steps", CNN_PARAM_INT, "32", 1, 100000, NULL,
     "points on the path (midpoint rule): more makes the attributions "
     "sum closer to y(x) - y(baseline)"},
    {"batch", CNN_PARAM_INT, "16", 1, 65536, NULL,
     "path points per gradient pass"},
    {"blur", CNN_PARAM_FLOAT, "5", 0.1, 1000, NULL,
     "the blurred baseline's Gaussian sigma, in pixels"},
};

static const char *const baseline_names[] = {"black", "gray", "blurred"};

/* One channel plane blurred along rows (step 1) or columns (step w),
 * edges repeated, into out. */
static void blur_line(const double *in, double *out, int n, int stride,
                      const double *kernel, int radius)
{
    for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int k = -radius; k <= radius; k++) {
            int j = i + k < 0 ? 0 : i + k >= n ? n - 1 : i + k;
            sum += kernel[k + radius] * in[(size_t)j * stride];
        }
        out[(size_t)i * stride] = sum;
    }
}

static void blur_plane(const uint8_t *pixels, int h, int w, double sigma,
                       double *a, double *b, double *kernel, uint8_t *out)
{
    int radius = (int)ceil(3 * sigma);
    double total = 0;
    for (int k = -radius; k <= radius; k++)
        total += kernel[k + radius] = exp(-0.5 * k * k / (sigma * sigma));
    for (int k = 0; k <= 2 * radius; k++)
        kernel[k] /= total;
    for (int p = 0; p < h * w; p++)
        a[p] = pixels[p];
    for (int y = 0; y < h; y++)
        blur_line(a + (size_t)y * w, b + (size_t)y * w, w, 1, kernel, radius);
    for (int x = 0; x < w; x++)
        blur_line(b + x, a + x, h, w, kernel, radius);
    for (int p = 0; p < h * w; p++)
        out[p] = (uint8_t)lround(fmin(255, fmax(0, a[p])));
}

void ig_baseline_pixels(const struct cnn_analysis *a,
                        const struct ig_config *c, const uint8_t *pixels,
                        uint8_t *baseline)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    size_t plane = (size_t)shape.h * shape.w;
    if (c->baseline != IG_BLURRED) {
        memset(baseline, c->baseline == IG_BLACK ? 0 : 128,
               plane * shape.c);
        return;
    }
    int radius = (int)ceil(3 * c->blur);
    double *scratch = malloc((2 * plane + 2 * radius + 1) * sizeof *scratch);
    if (!scratch) { /* out of memory: the gray baseline rather than none */
        memset(baseline, 128, plane * shape.c);
        return;
    }
    for (int k = 0; k < shape.c; k++)
        blur_plane(pixels + k * plane, shape.h, shape.w, c->blur, scratch,
                   scratch + plane, scratch + 2 * plane,
                   baseline + k * plane);
    free(scratch);
}

/* y(x) and y(baseline) by one forward of both. */
static int end_values(struct cnn_analysis *a, const struct ig_config *c,
                      const float *pair, int k, struct ig_outcome *outcome,
                      struct cnn_error *err)
{
    int last = cnn_analysis_layer_count(a) - 1;
    int classes = (int)cnn_shape_size(cnn_analysis_layer(a, last)->output);
    float *logits = malloc(2 * (size_t)classes * sizeof *logits);
    if (!logits)
        return cnn_error_set(err, "out of memory");
    int status = cnn_analysis_forward_from(a, 0, pair, 2, last, logits, err);
    if (status == 0) {
        outcome->value = attribution_value(logits, classes, k, c->output);
        outcome->baseline_value = attribution_value(logits + classes,
                                                    classes, k, c->output);
    }
    free(logits);
    return status;
}

/* sum (doubles, input size) += the gradients at path points
 * first..first+n-1 of `steps`. */
static int path_gradients(struct cnn_analysis *a, const struct ig_config *c,
                          const float *x, const float *base, int32_t *classes,
                          int first, int n, float *points, float *g,
                          double *sum, struct cnn_error *err)
{
    size_t size = cnn_shape_size(cnn_analysis_input_shape(a));
    for (int j = 0; j < n; j++) {
        double alpha = (first + j + 0.5) / c->steps;
        for (size_t i = 0; i < size; i++)
            points[j * size + i] =
                (float)(base[i] + alpha * ((double)x[i] - base[i]));
    }
    struct cnn_gradient_request request = {c->output, classes, -1};
    struct cnn_gradient_result result = {g, NULL, NULL};
    if (cnn_analysis_gradient(a, points, n, &request, &result, err) < 0)
        return -1;
    for (int j = 0; j < n; j++)
        for (size_t i = 0; i < size; i++)
            sum[i] += g[j * size + i];
    return 0;
}

/* The attributions (x - x') sum / steps, summed over channels. */
static void attributions(struct cnn_shape shape, const float *x,
                         const float *base, const double *sum, int steps,
                         float *map, struct ig_outcome *outcome)
{
    size_t plane = (size_t)shape.h * shape.w;
    outcome->sum = 0;
    for (size_t p = 0; p < plane; p++) {
        double cell = 0;
        for (int k = 0; k < shape.c; k++) {
            size_t i = k * plane + p;
            cell += ((double)x[i] - base[i]) * sum[i] / steps;
        }
        map[p] = (float)cell;
        outcome->sum += cell;
    }
}

struct ig_buffers {
    uint8_t *base_pixels;
    float *pair;      /* x, then the baseline, normalised */
    float *points, *g;
    double *sum;
    int32_t *classes;
};

static int ig_buffers_alloc(struct ig_buffers *b, size_t size, int batch,
                            struct cnn_error *err)
{
    b->base_pixels = malloc(size);
    b->pair = malloc(2 * size * sizeof *b->pair);
    b->points = malloc((size_t)batch * size * sizeof *b->points);
    b->g = malloc((size_t)batch * size * sizeof *b->g);
    b->sum = calloc(size, sizeof *b->sum);
    b->classes = malloc((size_t)batch * sizeof *b->classes);
    if (!b->base_pixels || !b->pair || !b->points || !b->g || !b->sum ||
        !b->classes)
        return cnn_error_set(err, "out of memory");
    return 0;
}

static void ig_buffers_free(struct ig_buffers *b)
{
    free(b->base_pixels);
    free(b->pair);
    free(b->points);
    free(b->g);
    free(b->sum);
    free(b->classes);
}

int ig_map(struct cnn_analysis *a, const struct ig_config *c,
           const struct attribution_image *m, float *map,
           struct ig_outcome *outcome, struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    size_t size = cnn_shape_size(shape);
    int batch = c->batch < c->steps ? c->batch : c->steps;
    struct ig_buffers b = {0};
    int status = ig_buffers_alloc(&b, size, batch, err);
    if (status == 0) {
        for (int j = 0; j < batch; j++)
            b.classes[j] = m->predicted;
        memcpy(b.pair, m->x, size * sizeof *b.pair);
        ig_baseline_pixels(a, c, m->pixels, b.base_pixels);
        cnn_analysis_normalize(a, b.base_pixels, 1, b.pair + size);
        status = end_values(a, c, b.pair, m->predicted, outcome, err);
    }
    for (int first = 0; status == 0 && first < c->steps; first += batch) {
        int n = c->steps - first < batch ? c->steps - first : batch;
        status = path_gradients(a, c, m->x, b.pair + size, b.classes, first,
                                n, b.points, b.g, b.sum, err);
    }
    if (status == 0)
        attributions(shape, m->x, b.pair + size, b.sum, c->steps, map,
                     outcome);
    ig_buffers_free(&b);
    return status;
}

static void read_config(const struct cnn_params *params, struct ig_config *c)
{
    const char *baseline = cnn_param_string(params, "baseline");
    c->baseline = strcmp(baseline, "gray") == 0      ? IG_GRAY
                  : strcmp(baseline, "blurred") == 0 ? IG_BLURRED
                                                     : IG_BLACK;
    c->steps = (int)cnn_param_int(params, "steps");
    c->batch = (int)cnn_param_int(params, "batch");
    c->blur = cnn_param_float(params, "blur");
    c->output = attribution_output(params);
}

static int write_csv(struct cnn_analysis *a, const struct attribution_set *s,
                     const struct ig_outcome *outcomes, struct cnn_error *err)
{
    struct analysis_text text = {0};
    analysis_text_printf(&text, ATTRIBUTION_CSV_HEADER
                         ",value,baseline_value,attribution_sum,"
                         "completeness_error\n");
    for (int k = 0; k < s->count; k++) {
        const struct ig_outcome *o = &outcomes[k];
        attribution_csv_row(&text, a, &s->images[k]);
        analysis_text_printf(&text, ",%.7g,%.7g,%.7g,%.3g\n", o->value,
                             o->baseline_value, o->sum,
                             fabs(o->sum - (o->value - o->baseline_value)));
    }
    return analysis_text_write(&text, a, "integrated-gradients.csv", err);
}

static int explain(struct cnn_analysis *a, const struct ig_config *c,
                   const struct attribution_image *m, float *map,
                   struct ig_outcome *outcome, const char *description,
                   struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    char title[96];
    snprintf(title, sizeof title, "integrated gradients (%s)",
             baseline_names[c->baseline]);
    const struct attribution_panel panel = {title, map};
    if (ig_map(a, c, m, map, outcome, err) < 0 ||
        map_files_write(a, "integrated-gradients", m->index, map, in.h, in.w,
                        err) < 0 ||
        attribution_figure(a, "integrated-gradients", m, &panel, 1,
                           description, err) < 0)
        return cnn_error_prefix(err, "integrated gradients of test image "
                                "%d: ", m->index);
    return 0;
}

static int run_images(struct cnn_analysis *a, const struct ig_config *c,
                      const struct attribution_set *set, float *maps,
                      float **each, struct ig_outcome *outcomes,
                      struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    char description[160];
    snprintf(description, sizeof description,
             "baseline %s, %d steps, gradient of the %s",
             baseline_names[c->baseline], c->steps,
             c->output == CNN_GRADIENT_LOGIT ? "logit" : "probability");
    int status = 0;
    for (int k = 0; status == 0 && k < set->count; k++) {
        each[k] = maps + (size_t)k * in.h * in.w;
        status = explain(a, c, &set->images[k], each[k], &outcomes[k],
                         description, err);
    }
    if (status == 0)
        status = write_csv(a, set, outcomes, err);
    if (status == 0)
        status = attribution_overview(a, "integrated-gradients",
                                      "integrated gradients of the "
                                      "predicted class", set, each,
                                      description, err);
    return status;
}

static int ig_run(struct cnn_analysis *a, const struct cnn_params *params,
                  struct cnn_error *err)
{
    struct ig_config c;
    struct attribution_set set;
    read_config(params, &c);
    if (attribution_set_open(a, "integrated-gradients", params, &set,
                             err) < 0) {
        attribution_set_close(&set);
        return -1;
    }
    struct cnn_shape in = cnn_analysis_input_shape(a);
    float *maps = malloc(((size_t)set.count * in.h * in.w + 1) *
                         sizeof *maps);
    float **each = calloc((size_t)set.count + 1, sizeof *each);
    struct ig_outcome *outcomes = calloc((size_t)set.count + 1,
                                         sizeof *outcomes);
    int status = maps && each && outcomes
                     ? run_images(a, &c, &set, maps, each, outcomes, err)
                     : cnn_error_set(err, "out of memory");
    free(maps);
    free(each);
    free(outcomes);
    attribution_set_close(&set);
    picture_release_caches();
    return status;
}

const struct cnn_analysis_type analyses_integrated_gradients_type = {
    .name = "integrated-gradients",
    .help = "integrated-gradients maps of test images with their "
            "completeness error: integrated-gradients.csv, "
            "integrated-gradients-<image>.{csv,npy,png}, "
            "integrated-gradients.png",
    .params = ig_params,
    .param_count = sizeof ig_params / sizeof *ig_params,
    .run = ig_run,
};
