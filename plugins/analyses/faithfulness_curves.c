/* cnnlab — the deletion and insertion test (faithfulness.h): each
 * method's scores, the pixel order they give, the two curves of an image
 * and the areas under them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "faithfulness.h"
#include "occlusion_incremental.h"

/* The seed stream of `random`'s order of test image k: this tag in the
 * high half, k in the low. */
#define FAITHFULNESS_STREAM 0x66616974u /* "fait" */

const char *const faithfulness_method_names[METHOD_COUNT] = {
    "saliency", "gradient-input", "gradcam", "integrated-gradients",
    "occlusion", "random",
};

static void random_scores(const struct cnn_analysis *a, int index,
                          float *map, size_t count)
{
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, cnn_analysis_seed(a),
                        (uint64_t)FAITHFULNESS_STREAM << 32 |
                            (uint32_t)index);
    for (size_t p = 0; p < count; p++)
        map[p] = cnn_rng_float(&rng);
}

/* occlusion's map at stride 1 (border clip: one cell per pixel) is the
 * probability left with the pixel covered: lowest first. */
static int occlusion_scores(struct cnn_analysis *a,
                            const struct faithfulness_config *c,
                            const struct attribution_image *m,
                            const float *fill_image, float *map,
                            struct cnn_error *err)
{
    if (occlusion_map_incremental(a, &c->occlusion, m->x, fill_image,
                                  m->predicted, map, err) < 0)
        return -1;
    size_t count = (size_t)c->occlusion.rows * c->occlusion.columns;
    for (size_t p = 0; p < count; p++)
        map[p] = -map[p];
    return 0;
}

int faithfulness_scores(struct cnn_analysis *a,
                        const struct faithfulness_config *c,
                        enum faithfulness_method method,
                        const struct attribution_image *m,
                        const float *fill_image, float *map,
                        struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    size_t plane = (size_t)in.h * in.w;
    float *scratch = NULL;
    int status = 0;
    switch (method) {
    case METHOD_SALIENCY:
        return saliency_maps(a, m, c->output, map, NULL, err);
    case METHOD_GRADIENT_INPUT:
        scratch = malloc(plane * sizeof *scratch);
        status = scratch ? saliency_maps(a, m, c->output, scratch, map, err)
                         : cnn_error_set(err, "out of memory");
        break;
    case METHOD_GRADCAM:
        scratch = malloc(cnn_shape_size(cnn_analysis_layer(
                             a, c->gradcam.layer)->output) *
                         sizeof *scratch);
        status = scratch ? gradcam_map(a, &c->gradcam, m, scratch, map, err)
                         : cnn_error_set(err, "out of memory");
        break;
    case METHOD_INTEGRATED_GRADIENTS: {
        struct ig_outcome outcome;
        return ig_map(a, &c->ig, m, map, &outcome, err);
    }
    case METHOD_OCCLUSION:
        return occlusion_scores(a, c, m, fill_image, map, err);
    case METHOD_RANDOM:
    case METHOD_COUNT:
        random_scores(a, m->index, map, plane);
        return 0;
    }
    free(scratch);
    return status;
}

struct ranked {
    float score;
    int index;
};

static int by_score(const void *left, const void *right)
{
    const struct ranked *a = left, *b = right;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

void faithfulness_order(const float *scores, int count, int *order)
{
    struct ranked *r = malloc((size_t)count * sizeof *r);
    if (!r) { /* out of memory: the pixels in order, still a valid order */
        for (int p = 0; p < count; p++)
            order[p] = p;
        return;
    }
    for (int p = 0; p < count; p++)
        r[p] = (struct ranked){isnan(scores[p]) ? -INFINITY : scores[p], p};
    qsort(r, (size_t)count, sizeof *r, by_score);
    for (int p = 0; p < count; p++)
        order[p] = r[p].index;
    free(r);
}

double faithfulness_auc(const double *curve, int steps)
{
    double area = 0;
    for (int t = 0; t < steps; t++)
        area += (curve[t] + curve[t + 1]) / 2;
    return area / steps;
}

/* Point t's image: `from` with the first floor(t P / S) pixels of the
 * order taken from `to`, every channel. */
static void point_image(struct cnn_shape in, const uint8_t *from,
                        const uint8_t *to, const int *order, long moved,
                        uint8_t *out)
{
    size_t plane = (size_t)in.h * in.w;
    memcpy(out, from, plane * in.c);
    for (long k = 0; k < moved; k++)
        for (int c = 0; c < in.c; c++)
            out[c * plane + order[k]] = to[c * plane + order[k]];
}

/* The predicted class's probability at every point of one curve, the
 * points going through the model `batch` at a time. */
static int one_curve(struct cnn_analysis *a,
                     const struct faithfulness_config *c,
                     const struct attribution_image *m, const uint8_t *from,
                     const uint8_t *to, const int *order, uint8_t *images,
                     float *logits, double *curve, struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    size_t size = cnn_shape_size(in);
    long pixels = (long)in.h * in.w;
    int last = cnn_analysis_layer_count(a) - 1;
    int classes = (int)cnn_shape_size(cnn_analysis_layer(a, last)->output);
    for (int first = 0; first <= c->steps; first += c->batch) {
        int n = c->steps + 1 - first < c->batch ? c->steps + 1 - first
                                                 : c->batch;
        for (int j = 0; j < n; j++)
            point_image(in, from, to, order,
                        (long)(first + j) * pixels / c->steps,
                        images + (size_t)j * size);
        if (cnn_analysis_forward_images(a, images, n, last, logits, err) < 0)
            return -1;
        for (int j = 0; j < n; j++)
            curve[first + j] = attribution_value(
                logits + (size_t)j * classes, classes, m->predicted,
                CNN_GRADIENT_PROBABILITY);
    }
    return 0;
}

int faithfulness_curves(struct cnn_analysis *a,
                        const struct faithfulness_config *c,
                        const struct attribution_image *m, const int *order,
                        struct faithfulness_curves *out,
                        struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    size_t size = cnn_shape_size(in), plane = (size_t)in.h * in.w;
    int last = cnn_analysis_layer_count(a) - 1;
    size_t classes = cnn_shape_size(cnn_analysis_layer(a, last)->output);
    uint8_t *fill = malloc(size);
    uint8_t *images = malloc((size_t)c->batch * size);
    float *logits = malloc((size_t)c->batch * classes * sizeof *logits);
    int status = fill && images && logits ? 0
                                          : cnn_error_set(err, "out of "
                                                          "memory");
    for (int ch = 0; status == 0 && ch < in.c; ch++)
        memset(fill + ch * plane, c->fill[ch], plane);
    if (status == 0)
        status = one_curve(a, c, m, m->pixels, fill, order, images, logits,
                           out->deletion, err);
    if (status == 0)
        status = one_curve(a, c, m, fill, m->pixels, order, images, logits,
                           out->insertion, err);
    out->deletion_auc = faithfulness_auc(out->deletion, c->steps);
    out->insertion_auc = faithfulness_auc(out->insertion, c->steps);
    free(fill);
    free(images);
    free(logits);
    return status;
}
