/* bench/attribution-time — times the attribution methods per image the
 * way the analyses compute them (plugins/analyses/saliency.c, gradcam.c,
 * integrated_gradients.c, built in): one seeded random 8-bit image
 * through a manifest's model with seeded random weights (random weights
 * cost what trained ones do), normalised by mean 0.5 and std 0.5 (the
 * study's manifests), the class explained being the one predicted.
 *
 *   attribution-time [--manifest FILE] [--steps S] [--batch B]
 *                    [--threads N] [--repeats R]
 *
 * After one warm-up call of each, prints "cnnlab <method>: X ms" per
 * method, the median of R calls: saliency (one gradient with respect to
 * the input, both maps), gradcam (the gradient with respect to the last
 * conv2d's output, the weighing, the upsampling), integrated-gradients
 * (S path points, B per gradient pass, black baseline, and its two end
 * forwards). Plugins come from $CNNLAB_BUILD_PLUGIN_DIR or the build
 * tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "attribution.h"
#include "bench_common.h"
#include "cnnlab/registry.h"
#include "cnnlab/rng.h"
#include "model/model.h"
#include "train/train.h"

struct options {
    const char *manifest;
    int steps, batch, threads, repeats;
};

static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){"experiments/part-a/best.yaml", 32, 16, 2, 5};
    const struct bench_option options[] = {
        {"--manifest", BENCH_TEXT, &o->manifest, 0},
        {"--steps", BENCH_INTEGER, &o->steps, 1},
        {"--batch", BENCH_INTEGER, &o->batch, 1},
        {"--threads", BENCH_INTEGER, &o->threads, 1},
        {"--repeats", BENCH_INTEGER, &o->repeats, 1},
    };
    return bench_parse_options(argc, argv, options,
                               (int)(sizeof options / sizeof *options),
                               "attribution-time [--manifest FILE] "
                               "[--steps S] [--batch B] [--threads N] "
                               "[--repeats R]");
}

enum { SALIENCY, GRADCAM, IG, METHODS };
static const char *const method_names[METHODS] = {
    "saliency", "gradcam", "integrated-gradients"};

struct bench {
    struct cnn_analysis *a;
    struct attribution_image image;
    struct gradcam_config gradcam;
    struct ig_config ig;
    float *maps, *cam;
};

static int call(struct bench *b, int method, struct cnn_error *err)
{
    size_t plane = cnn_shape_size(cnn_analysis_input_shape(b->a));
    struct ig_outcome outcome;
    switch (method) {
    case SALIENCY:
        return saliency_maps(b->a, &b->image, CNN_GRADIENT_LOGIT, b->maps,
                             b->maps + plane, err);
    case GRADCAM:
        return gradcam_map(b->a, &b->gradcam, &b->image, b->cam, b->maps,
                           err);
    default:
        return ig_map(b->a, &b->ig, &b->image, b->maps, &outcome, err);
    }
}

static int by_value(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
}

/* One warm-up call, then the median of `repeats` timed ones. */
static int time_method(struct bench *b, int method, int repeats,
                       double *median, struct cnn_error *err)
{
    double times[64];
    repeats = repeats > 64 ? 64 : repeats;
    if (call(b, method, err) < 0)
        return -1;
    for (int r = 0; r < repeats; r++) {
        double started = 1e3 * bench_now_seconds();
        if (call(b, method, err) < 0)
            return -1;
        times[r] = 1e3 * bench_now_seconds() - started;
    }
    qsort(times, (size_t)repeats, sizeof *times, by_value);
    *median = repeats % 2 ? times[repeats / 2]
                          : (times[repeats / 2 - 1] + times[repeats / 2]) / 2;
    return 0;
}

/* The image, its prediction and the methods' settings. */
static int prepare(struct bench *b, const struct options *o, uint8_t *pixels,
                   float *x, struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(b->a);
    struct cnn_rng rng;
    cnn_rng_seed(&rng, 7);
    for (size_t i = 0; i < cnn_shape_size(in); i++)
        pixels[i] = (uint8_t)cnn_rng_below(&rng, 256);
    cnn_analysis_normalize(b->a, pixels, 1, x);
    int last = cnn_analysis_layer_count(b->a) - 1;
    int classes = (int)cnn_shape_size(cnn_analysis_layer(b->a, last)->output);
    float logits[4096];
    if (classes > 4096 ||
        cnn_analysis_forward_from(b->a, 0, x, 1, last, logits, err) < 0)
        return cnn_error_set(err, "cannot predict the image");
    int k = 0;
    for (int j = 1; j < classes; j++)
        k = logits[j] > logits[k] ? j : k;
    b->image = (struct attribution_image){0, pixels, x, k, k, 0};
    b->ig = (struct ig_config){IG_BLACK, o->steps, o->batch, 5,
                               CNN_GRADIENT_LOGIT};
    b->gradcam.output = CNN_GRADIENT_LOGIT;
    if (gradcam_layer(b->a, "", &b->gradcam.layer, err) < 0)
        return -1;
    b->cam = malloc(cnn_shape_size(
                        cnn_analysis_layer(b->a, b->gradcam.layer)->output) *
                    sizeof *b->cam);
    b->maps = malloc(2 * cnn_shape_size(in) * sizeof *b->maps);
    return b->cam && b->maps ? 0 : cnn_error_set(err, "out of memory");
}

static int run(struct cnn_analysis *a, const struct options *o,
               struct cnn_error *err)
{
    struct bench b = {.a = a};
    size_t size = cnn_shape_size(cnn_analysis_input_shape(a));
    uint8_t *pixels = malloc(size);
    float *x = malloc(size * sizeof *x);
    int status = pixels && x ? prepare(&b, o, pixels, x, err)
                             : cnn_error_set(err, "out of memory");
    for (int m = 0; status == 0 && m < METHODS; m++) {
        double ms = 0;
        status = time_method(&b, m, o->repeats, &ms, err);
        if (status == 0)
            printf("cnnlab %s: %.2f ms (median of %d, threads %d%s)\n",
                   method_names[m], ms, o->repeats, o->threads,
                   m == IG ? ", steps and batch as given" : "");
    }
    free(pixels);
    free(x);
    free(b.cam);
    free(b.maps);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    struct cnn_error err = {0};
    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_model model;
    memset(&model, 0, sizeof model);
    struct cnn_train_config train;
    memset(&train, 0, sizeof train);
    train.seed = 1;
    train.normalization = (struct cnn_normalization){1, {0.5}, {0.5}};
    struct cnn_analysis *analysis = NULL;
    int status = registry ? 0 : cnn_error_set(&err, "out of memory");
    if (status == 0)
        status = cnn_registry_load_default(registry, &err);
    if (status == 0)
        status = bench_load_model(&model, registry, o.manifest, o.threads,
                                  &err);
    struct cnn_analysis_setup setup = {.directory = "/nonexistent",
                                       .variant = "bench",
                                       .model = &model,
                                       .train = &train,
                                       .threads = o.threads};
    if (status == 0)
        status = cnn_analysis_new(&analysis, &setup, &err);
    if (status == 0)
        status = run(analysis, &o, &err);
    if (status < 0)
        fprintf(stderr, "attribution-time: %s\n", err.message);
    cnn_analysis_free(analysis);
    cnn_model_free(&model);
    if (registry)
        cnn_registry_free(registry);
    return status < 0 ? 1 : 0;
}
