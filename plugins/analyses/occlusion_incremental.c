/* cnnlab — occlusion maps incrementally: an occluding window changes only
 * a cone of activations, so each layer recomputes only that part, on
 * crops, and takes the clean image's activations everywhere else. The
 * result equals the brute-force engine's (occlusion_brute.c) up to float
 * rounding: every recomputed value comes from the same layer, weights and
 * inputs, through the core's crop API (analysis.h), which runs the layer
 * as if its input were the crop. occlusion_cone.c plans which outputs
 * each cell recomputes and from which crop; here the cells of a batch run
 * layer by layer, crops of one size together, and from the first layer
 * that mixes all positions (global pooling, flatten, linear) on, the
 * model runs on whole activations: the clean ones with each cell's
 * recomputed part pasted in.
 *
 * Cost on the study's best model (84x84, 11x11 window): per cell about a
 * fifth of a whole forward's multiply-adds; the cone grows with the
 * receptive field until the last convolution recomputes 12x12 of its
 * 13x13 outputs, which is what bounds the gain. */
#include <stdlib.h>
#include <string.h>

#include "occlusion_cone.h"
#include "occlusion_incremental.h"

/* The copies around each layer's crops (assembling their inputs from
 * the clean activations, taking the recomputed outputs out) took about
 * 8 % of the time on one thread; they run on the model's threads, not on one
 * while the others wait. Each cell's copy writes only its own floats. */
#ifdef _OPENMP
#define OCCLUSION_PRAGMA(x) _Pragma(#x)
#define OCCLUSION_PARALLEL_FOR(engine)                                      \
    OCCLUSION_PRAGMA(omp parallel for schedule(static)                      \
                     num_threads(engine_threads(engine)))
#else
#define OCCLUSION_PARALLEL_FOR(engine)
#endif

/* A layer set up for one crop size. */
struct sized_crop {
    int height, width;
    struct cnn_analysis_crop *crop;
    struct cnn_shape output;
};

/* The crop sizes a layer has been set up for so far. */
struct layer_crops {
    struct sized_crop *crops;
    int crop_count;
};

struct engine {
    struct cnn_analysis *analysis;
    const struct occlusion_config *config;
    struct cnn_shape input;
    int local;                 /* layers before the first global one */
    struct occlusion_cone_layer *cone; /* local */
    struct layer_crops *plans; /* local: the crops opened */
    float **clean;             /* local: the clean image's outputs */
    const float *image, *fill;
    int *axes;                 /* every axis array, in one block */
    /* Per batch of cells: recomputed outputs (two, alternating between
     * layers), crops in and out, whole activations, logits. */
    float *current, *next, *crops_in, *crops_out, *whole, *logits;
    size_t crops_in_floats, crops_out_floats;
    int *members;              /* cells of one crop size */
    unsigned char *done;       /* cells of the batch already run */
};

#ifdef _OPENMP
static int engine_threads(const struct engine *e)
{
    int threads = cnn_analysis_threads(e->analysis);
    return threads > 0 ? threads : 1;
}
#endif

static void engine_free(struct engine *e)
{
    for (int k = 0; e->plans && k < e->local; k++) {
        struct layer_crops *p = &e->plans[k];
        for (int c = 0; c < p->crop_count; c++)
            cnn_analysis_crop_close(e->analysis, p->crops[c].crop);
        free(p->crops);
    }
    for (int k = 0; e->clean && k < e->local; k++)
        free(e->clean[k]);
    free(e->plans);
    free(e->cone);
    free(e->clean);
    free(e->axes);
    free(e->current);
    free(e->next);
    free(e->crops_in);
    free(e->crops_out);
    free(e->whole);
    free(e->logits);
    free(e->members);
    free(e->done);
}

/* Values of a layer's input that differ from the clean ones: rows
 * [top, top + height) and columns [left, left + width), stored with the
 * given strides (in floats). */
struct patch {
    const float *data;
    int top, left, height, width;
    size_t row_stride, plane_stride;
};

/* dst (channels × (bottom - top) × (right - left)): rows [top, bottom) and
 * columns [left, right) of `clean` (channels × height × width), with the
 * patch's values where it covers them. */
static void assemble(float *dst, int channels, const float *clean, int height,
                     int width, int top, int bottom, int left, int right,
                     const struct patch *patch)
{
    int crop_w = right - left;
    int from = patch->left > left ? patch->left : left;
    int to = patch->left + patch->width < right ? patch->left + patch->width
                                                : right;
    for (int ch = 0; ch < channels; ch++) {
        const float *plane = clean + (size_t)ch * height * width;
        for (int r = top; r < bottom; r++) {
            memcpy(dst, plane + (size_t)r * width + left,
                   (size_t)crop_w * sizeof *dst);
            if (r >= patch->top && r < patch->top + patch->height &&
                from < to)
                memcpy(dst + (from - left),
                       patch->data + (size_t)ch * patch->plane_stride +
                           (size_t)(r - patch->top) * patch->row_stride +
                           (from - patch->left),
                       (size_t)(to - from) * sizeof *dst);
            dst += crop_w;
        }
    }
}

/* What map cell `cell` changed in layer k's input (k = 0: the window of
 * the fill), with `recomputed` holding the outputs of layer k - 1 of each
 * cell of the batch, the cell's at `slot`. */
static struct patch input_patch(const struct engine *e, int k, int cell,
                                int slot, const float *recomputed)
{
    const struct occlusion_config *c = e->config;
    int i = cell / c->columns, j = cell % c->columns;
    if (k == 0) {
        int top, left, bottom, right;
        occlusion_window(c, e->input.h, e->input.w, i, j, &top, &left,
                         &bottom, &right);
        size_t width = (size_t)e->input.w;
        return (struct patch){e->fill + (size_t)top * width + left, top,
                              left, bottom - top, right - left, width,
                              width * e->input.h};
    }
    const struct occlusion_cone_layer *p = &e->cone[k - 1];
    size_t plane = (size_t)p->rows.span * p->columns.span;
    return (struct patch){recomputed + (size_t)slot * p->channels_out * plane,
                          p->rows.start[i], p->columns.start[j],
                          p->rows.span, p->columns.span,
                          (size_t)p->columns.span, plane};
}

/* Layer k set up for crops of height × width (opened on first use). */
static struct sized_crop *sized_crop(struct engine *e, int k, int height,
                                     int width, struct cnn_error *err)
{
    struct layer_crops *p = &e->plans[k];
    for (int c = 0; c < p->crop_count; c++)
        if (p->crops[c].height == height && p->crops[c].width == width)
            return &p->crops[c];
    struct sized_crop *grown = realloc(p->crops, ((size_t)p->crop_count + 1) *
                                                     sizeof *grown);
    if (!grown) {
        cnn_error_set(err, "out of memory");
        return NULL;
    }
    p->crops = grown;
    struct sized_crop *s = &p->crops[p->crop_count];
    s->height = height;
    s->width = width;
    if (cnn_analysis_crop_open(e->analysis, k, height, width, &s->crop,
                               &s->output, err) < 0)
        return NULL;
    p->crop_count++;
    return s;
}

static int grow(float **buffer, size_t *capacity, size_t floats,
                struct cnn_error *err)
{
    if (floats <= *capacity)
        return 0;
    free(*buffer);
    *buffer = malloc(floats * sizeof **buffer);
    *capacity = *buffer ? floats : 0;
    return *buffer ? 0 : cnn_error_set(err, "out of memory for occlusion "
                                            "crops (lower `batch`)");
}

/* Layer k for cells first..first+n-1 of the batch: from each cell's
 * recomputed inputs (e->current; the window at k = 0) to its recomputed
 * outputs (e->next), crops of one size at a time. */
static int run_layer(struct engine *e, int k, int first, int n,
                     struct cnn_error *err)
{
    const struct occlusion_cone_layer *p = &e->cone[k];
    const struct occlusion_axis *rows = &p->rows, *columns = &p->columns;
    int per_row = e->config->columns;
    const float *clean_in = k == 0 ? e->image : e->clean[k - 1];
    size_t span_plane = (size_t)rows->span * columns->span;
    size_t recomputed = (size_t)p->channels_out * span_plane;
    memset(e->done, 0, (size_t)n);
    for (int s = 0; s < n; s++) {
        if (e->done[s])
            continue;
        int i = (first + s) / per_row, j = (first + s) % per_row;
        int height = rows->crop_high[i] - rows->crop_low[i];
        int width = columns->crop_high[j] - columns->crop_low[j];
        int count = 0;
        for (int t = s; t < n; t++) {
            int ti = (first + t) / per_row, tj = (first + t) % per_row;
            if (!e->done[t] &&
                rows->crop_high[ti] - rows->crop_low[ti] == height &&
                columns->crop_high[tj] - columns->crop_low[tj] == width) {
                e->members[count++] = t;
                e->done[t] = 1;
            }
        }
        struct sized_crop *sized = sized_crop(e, k, height, width, err);
        if (!sized)
            return -1;
        size_t in_size = (size_t)p->channels_in * height * width;
        size_t out_size = cnn_shape_size(sized->output);
        if (grow(&e->crops_in, &e->crops_in_floats, (size_t)count * in_size,
                 err) < 0 ||
            grow(&e->crops_out, &e->crops_out_floats,
                 (size_t)count * out_size, err) < 0)
            return -1;
        for (int m = 0; m < count; m++) {
            int cell = first + e->members[m];
            int ci = cell / per_row, cj = cell % per_row;
            if (rows->offset[ci] + rows->span > sized->output.h ||
                columns->offset[cj] + columns->span > sized->output.w)
                return cnn_error_set(err, "occlusion: layer %d on a %dx%d "
                                     "crop gives %dx%d outputs, fewer than "
                                     "its geometry promises (use method: "
                                     "brute)", k, height, width,
                                     sized->output.h, sized->output.w);
        }
        OCCLUSION_PARALLEL_FOR(e)
        for (int m = 0; m < count; m++) {
            int cell = first + e->members[m];
            int ci = cell / per_row, cj = cell % per_row;
            struct patch patch =
                input_patch(e, k, cell, e->members[m], e->current);
            assemble(e->crops_in + (size_t)m * in_size, p->channels_in,
                     clean_in, rows->in, columns->in, rows->crop_low[ci],
                     rows->crop_high[ci], columns->crop_low[cj],
                     columns->crop_high[cj], &patch);
        }
        if (cnn_analysis_crop_forward(e->analysis, sized->crop, e->crops_in,
                                      count, e->crops_out, err) < 0)
            return -1;
        OCCLUSION_PARALLEL_FOR(e)
        for (int m = 0; m < count; m++) {
            int cell = first + e->members[m];
            int ci = cell / per_row, cj = cell % per_row;
            const float *from = e->crops_out + (size_t)m * out_size;
            float *to = e->next + (size_t)e->members[m] * recomputed;
            size_t plane = (size_t)sized->output.h * sized->output.w;
            for (int ch = 0; ch < p->channels_out; ch++)
                for (int r = 0; r < rows->span; r++)
                    memcpy(to + ch * span_plane + (size_t)r * columns->span,
                           from + ch * plane +
                               (size_t)(rows->offset[ci] + r) *
                                   sized->output.w +
                               columns->offset[cj],
                           (size_t)columns->span * sizeof *to);
        }
    }
    float *swap = e->current;
    e->current = e->next;
    e->next = swap;
    return 0;
}

/* The layers from the first global one on, on whole activations: the
 * clean ones with each cell's recomputed part pasted in; then the map. */
static int run_tail(struct engine *e, int first, int n, int predicted,
                    float *map, struct cnn_error *err)
{
    int g = e->local, last = cnn_analysis_layer_count(e->analysis) - 1;
    const struct occlusion_cone_layer *p = &e->cone[g - 1];
    size_t size = (size_t)p->channels_out * p->rows.out * p->columns.out;
    OCCLUSION_PARALLEL_FOR(e)
    for (int s = 0; s < n; s++) {
        struct patch patch = input_patch(e, g, first + s, s, e->current);
        assemble(e->whole + (size_t)s * size, p->channels_out,
                 e->clean[g - 1], p->rows.out, p->columns.out, 0,
                 p->rows.out, 0, p->columns.out, &patch);
    }
    const float *logits = e->whole;
    if (g <= last) {
        if (cnn_analysis_forward_from(e->analysis, g, e->whole, n, last,
                                      e->logits, err) < 0)
            return -1;
        logits = e->logits;
    }
    int classes =
        (int)cnn_shape_size(cnn_analysis_layer(e->analysis, last)->output);
    for (int s = 0; s < n; s++) {
        const float *own = logits + (size_t)s * classes;
        map[first + s] =
            occlusion_arg_max(own, classes) == predicted
                ? (float)occlusion_probability(own, classes, predicted)
                : 0.0f;
    }
    return 0;
}

/* The clean image's output of every local layer, one layer at a time. */
static int engine_clean(struct engine *e, struct cnn_error *err)
{
    for (int k = 0; k < e->local; k++) {
        const struct cnn_layer *layer = cnn_analysis_layer(e->analysis, k);
        e->clean[k] = malloc(cnn_shape_size(layer->output) * sizeof(float));
        if (!e->clean[k])
            return cnn_error_set(err, "out of memory");
        if (cnn_analysis_forward_from(e->analysis, k,
                                      k == 0 ? e->image : e->clean[k - 1],
                                      1, k, e->clean[k], err) < 0)
            return -1;
    }
    return 0;
}

static int engine_buffers(struct engine *e, int batch, struct cnn_error *err)
{
    size_t largest = 1;
    for (int k = 0; k < e->local; k++) {
        const struct occlusion_cone_layer *p = &e->cone[k];
        size_t size = (size_t)p->channels_out * p->rows.span *
                      p->columns.span;
        largest = size > largest ? size : largest;
    }
    int last = cnn_analysis_layer_count(e->analysis) - 1;
    size_t whole = cnn_shape_size(
        cnn_analysis_layer(e->analysis, e->local - 1)->output);
    size_t classes =
        cnn_shape_size(cnn_analysis_layer(e->analysis, last)->output);
    e->current = malloc((size_t)batch * largest * sizeof(float));
    e->next = malloc((size_t)batch * largest * sizeof(float));
    e->whole = malloc((size_t)batch * whole * sizeof(float));
    e->logits = malloc((size_t)batch * classes * sizeof(float));
    e->members = malloc((size_t)batch * sizeof(int));
    e->done = malloc((size_t)batch);
    if (!e->current || !e->next || !e->whole || !e->logits || !e->members ||
        !e->done)
        return cnn_error_set(err, "out of memory for %d occluded images "
                                  "(lower `batch`)",
                             batch);
    return 0;
}

int occlusion_map_incremental(struct cnn_analysis *analysis,
                              const struct occlusion_config *config,
                              const float *image, const float *fill,
                              int predicted, float *map,
                              struct cnn_error *err)
{
    int local = occlusion_cone_depth(analysis);
    if (local == 0)
        return occlusion_map_brute_force(analysis, config, image, fill,
                                         predicted, map, err);
    struct engine e;
    memset(&e, 0, sizeof e);
    e.analysis = analysis;
    e.config = config;
    e.input = cnn_analysis_input_shape(analysis);
    e.local = local;
    e.image = image;
    e.fill = fill;
    e.cone = calloc((size_t)local, sizeof *e.cone);
    e.plans = calloc((size_t)local, sizeof *e.plans);
    e.clean = calloc((size_t)local, sizeof *e.clean);
    int total = config->rows * config->columns;
    int batch = config->batch < total ? config->batch : total;
    int status = e.cone && e.plans && e.clean
                     ? 0
                     : cnn_error_set(err, "out of memory");
    if (status == 0)
        status = occlusion_cone_plan(analysis, config, local, e.cone, &e.axes,
                                     err);
    if (status == 0)
        status = engine_clean(&e, err);
    if (status == 0)
        status = engine_buffers(&e, batch, err);
    for (int first = 0; status == 0 && first < total; first += batch) {
        int n = total - first < batch ? total - first : batch;
        for (int k = 0; status == 0 && k < local; k++)
            status = run_layer(&e, k, first, n, err);
        if (status == 0)
            status = run_tail(&e, first, n, predicted, map, err);
    }
    engine_free(&e);
    return status;
}
