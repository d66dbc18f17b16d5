/* bench/occlusion-time — times one occlusion map the way the `occlusion`
 * analysis computes it (plugins/analyses/occlusion_incremental.c and
 * occlusion_brute.c, built in), on one seeded random image through a
 * manifest's model with seeded random weights, fill gray 211 normalised
 * by mean 0.5 and std 0.5 (the study's manifests).
 *
 *   occlusion-time [--manifest FILE] [--window K] [--stride S]
 *                  [--batch N] [--threads N] [--valid] [--brute]
 *                  [--cpu-clock]
 *
 * Prints "cnnlab occlusion incremental ...: X s" and, with --brute, the
 * brute-force engine's seconds too and the largest difference between the
 * two maps. --cpu-clock times with the process's CPU time instead of the
 * wall clock (with --threads 1 on a shared machine, a fair comparison of
 * the two engines' work). Plugins come from $CNNLAB_BUILD_PLUGIN_DIR or
 * the build tree. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "bench_common.h"
#include "cnnlab/cnnlab.h"
#include "cnnlab/registry.h"
#include "model/model.h"
#include "occlusion_incremental.h"
#include "train/train.h"

struct options {
    const char *manifest;
    int window, stride, batch, threads, valid, brute;
};

static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){"experiments/part-a/best.yaml", 11, 1, 64, 2, 0, 0};
    int cpu_clock = 0;
    const struct bench_option options[] = {
        {"--manifest", BENCH_TEXT, &o->manifest, 0},
        {"--window", BENCH_INTEGER, &o->window, 1},
        {"--stride", BENCH_INTEGER, &o->stride, 1},
        {"--batch", BENCH_INTEGER, &o->batch, 1},
        {"--threads", BENCH_INTEGER, &o->threads, 1},
        {"--valid", BENCH_FLAG, &o->valid, 0},
        {"--brute", BENCH_FLAG, &o->brute, 0},
        {"--cpu-clock", BENCH_FLAG, &cpu_clock, 0},
    };
    if (bench_parse_options(argc, argv, options,
                            (int)(sizeof options / sizeof *options),
                            "occlusion-time [--manifest FILE] [--window K] "
                            "[--stride S] [--batch N] [--threads N] "
                            "[--valid] [--brute] [--cpu-clock]") < 0)
        return -1;
    if (cpu_clock)
        bench_use_cpu_clock();
    return 0;
}

/* Times one engine on the image; *seconds its wall time. */
static int time_engine(struct cnn_analysis *a, occlusion_engine engine,
                       const struct occlusion_config *c, const float *image,
                       const float *fill, float *map, double *seconds,
                       struct cnn_error *err)
{
    int last = cnn_analysis_layer_count(a) - 1;
    int classes = (int)cnn_shape_size(cnn_analysis_layer(a, last)->output);
    float *logits = malloc((size_t)classes * sizeof *logits);
    if (!logits)
        return cnn_error_set(err, "out of memory");
    double started = bench_now_seconds();
    int status = cnn_analysis_forward_from(a, 0, image, 1, last, logits, err);
    if (status == 0)
        status = engine(a, c, image, fill, occlusion_arg_max(logits, classes),
                        map, err);
    *seconds = bench_now_seconds() - started;
    free(logits);
    return status;
}

static int run(struct cnn_analysis *a, const struct options *o,
               struct cnn_shape shape, struct cnn_error *err)
{
    struct occlusion_config c = {o->window, o->window, o->stride, o->stride,
                                 o->valid, o->batch, 0, 0};
    occlusion_grid(&c, shape.h, shape.w);
    if (c.rows < 1 || c.columns < 1)
        return cnn_error_set(err, "the window does not fit the image");
    size_t size = cnn_shape_size(shape), cells = (size_t)c.rows * c.columns;
    float *image = malloc(size * sizeof *image);
    float *fill = malloc(size * sizeof *fill);
    float *map = malloc(cells * sizeof *map);
    float *reference = malloc(cells * sizeof *reference);
    if (!image || !fill || !map || !reference) {
        free(image);
        free(fill);
        free(map);
        free(reference);
        return cnn_error_set(err, "out of memory");
    }
    struct cnn_rng rng;
    cnn_rng_seed(&rng, 7);
    for (size_t i = 0; i < size; i++) {
        image[i] = 2.0f * cnn_rng_float(&rng) - 1.0f;
        fill[i] = (211.0f / 255.0f - 0.5f) / 0.5f;
    }
    double seconds = 0, brute_seconds = 0;
    int status = time_engine(a, occlusion_map_incremental, &c, image, fill,
                             map, &seconds, err);
    if (status == 0)
        printf("cnnlab occlusion incremental %dx%d cells, window %d, stride "
               "%d, %s, batch %d, threads %d: %.3f s\n", c.rows, c.columns,
               o->window, o->stride, o->valid ? "valid" : "clip", o->batch,
               o->threads, seconds);
    if (status == 0 && o->brute)
        status = time_engine(a, occlusion_map_brute_force, &c, image, fill,
                             reference, &brute_seconds, err);
    if (status == 0 && o->brute) {
        double worst = 0;
        for (size_t i = 0; i < cells; i++)
            worst = fmax(worst, fabs((double)map[i] - reference[i]));
        printf("cnnlab occlusion brute force: %.3f s (%.2fx the incremental"
               " engine's time); max |map difference| %.3g\n", brute_seconds,
               brute_seconds / seconds, worst);
    }
    free(image);
    free(fill);
    free(map);
    free(reference);
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
        status = run(analysis, &o, model.input, &err);
    if (status < 0)
        fprintf(stderr, "occlusion-time: %s\n", err.message);
    cnn_analysis_free(analysis);
    cnn_model_free(&model);
    if (registry)
        cnn_registry_free(registry);
    return status < 0 ? 1 : 0;
}
