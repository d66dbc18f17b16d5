/* cnnlab — the loaders' separable triangle-filter resize (see resize.h). */
#include "resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double triangle(double x)
{
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

static void axis_free(struct loaders_resize_axis *axis)
{
    free(axis->first);
    free(axis->taps);
    free(axis->weights);
    memset(axis, 0, sizeof *axis);
}

/* Output pixel i's centre sits at (i + 0.5) * scale in source pixels; the
 * triangle is stretched by the shrink factor (never narrowed below one
 * source pixel), and the weights that fall outside the image are dropped
 * and the rest renormalised, so the edges are not darkened. */
static int axis_init(struct loaders_resize_axis *axis, int source, int target,
                     struct cnn_error *err)
{
    memset(axis, 0, sizeof *axis);
    double scale = (double)source / target;
    double stretch = scale > 1.0 ? scale : 1.0;
    double support = stretch;
    axis->source = source;
    axis->target = target;
    axis->max_taps = (int)ceil(support) * 2 + 1;
    axis->first = malloc((size_t)target * sizeof *axis->first);
    axis->taps = malloc((size_t)target * sizeof *axis->taps);
    axis->weights =
        malloc((size_t)target * (size_t)axis->max_taps * sizeof *axis->weights);
    if (!axis->first || !axis->taps || !axis->weights) {
        axis_free(axis);
        return cnn_error_set(err, "out of memory for a %d-to-%d resize",
                             source, target);
    }
    for (int i = 0; i < target; i++) {
        double centre = (i + 0.5) * scale;
        int low = (int)floor(centre - support + 0.5);
        int high = (int)floor(centre + support + 0.5);
        if (low < 0)
            low = 0;
        if (high > source)
            high = source;
        if (high - low > axis->max_taps)
            high = low + axis->max_taps;
        float *weights = axis->weights + (size_t)i * axis->max_taps;
        double total = 0.0;
        for (int k = 0; k < high - low; k++) {
            double w = triangle((low + k + 0.5 - centre) / stretch);
            weights[k] = (float)w;
            total += w;
        }
        for (int k = 0; total > 0.0 && k < high - low; k++)
            weights[k] = (float)(weights[k] / total);
        axis->first[i] = low;
        axis->taps[i] = high - low;
    }
    return 0;
}

int loaders_resizer_init(struct loaders_resizer *resizer, int source_h,
                         int source_w, int target_h, int target_w,
                         struct cnn_error *err)
{
    memset(resizer, 0, sizeof *resizer);
    if (source_h < 1 || source_w < 1 || target_h < 1 || target_w < 1
        || source_h > LOADERS_RESIZE_MAX_SIDE
        || source_w > LOADERS_RESIZE_MAX_SIDE
        || target_h > LOADERS_RESIZE_MAX_SIDE
        || target_w > LOADERS_RESIZE_MAX_SIDE)
        return cnn_error_set(err,
                             "cannot resize %d×%d to %d×%d: sides must be "
                             "1..%d",
                             source_h, source_w, target_h, target_w,
                             LOADERS_RESIZE_MAX_SIDE);
    if (axis_init(&resizer->rows, source_h, target_h, err) != 0)
        return -1;
    if (axis_init(&resizer->columns, source_w, target_w, err) != 0) {
        axis_free(&resizer->rows);
        return -1;
    }
    /* The horizontal pass, then one accumulator row. */
    resizer->scratch = malloc(((size_t)source_h + 1) * (size_t)target_w
                              * sizeof *resizer->scratch);
    if (!resizer->scratch) {
        loaders_resizer_free(resizer);
        return cnn_error_set(err, "out of memory for a %d×%d-to-%d×%d resize",
                             source_h, source_w, target_h, target_w);
    }
    return 0;
}

void loaders_resizer_free(struct loaders_resizer *resizer)
{
    axis_free(&resizer->rows);
    axis_free(&resizer->columns);
    free(resizer->scratch);
    resizer->scratch = NULL;
}

static uint8_t to_byte(float value)
{
    if (!(value > 0.0f))
        return 0;
    if (value >= 255.0f)
        return 255;
    return (uint8_t)(value + 0.5f);
}

void loaders_resize_plane(struct loaders_resizer *resizer,
                          const uint8_t *source, size_t row_stride,
                          size_t pixel_stride, uint8_t *target)
{
    const struct loaders_resize_axis *rows = &resizer->rows;
    const struct loaders_resize_axis *columns = &resizer->columns;
    int width = columns->target;
    /* scratch: source_h x target_w, the rows resized horizontally. */
    float *scratch = resizer->scratch;
    for (int y = 0; y < rows->source; y++) {
        const uint8_t *row = source + (size_t)y * row_stride;
        float *out = scratch + (size_t)y * width;
        for (int x = 0; x < width; x++) {
            const float *weights =
                columns->weights + (size_t)x * columns->max_taps;
            const uint8_t *in = row + (size_t)columns->first[x] * pixel_stride;
            float sum = 0.0f;
            for (int k = 0; k < columns->taps[x]; k++)
                sum += weights[k] * in[(size_t)k * pixel_stride];
            out[x] = sum;
        }
    }
    float *accumulator = scratch + (size_t)rows->source * width;
    for (int y = 0; y < rows->target; y++) {
        const float *weights = rows->weights + (size_t)y * rows->max_taps;
        memset(accumulator, 0, (size_t)width * sizeof *accumulator);
        for (int k = 0; k < rows->taps[y]; k++) {
            const float *in = scratch + (size_t)(rows->first[y] + k) * width;
            for (int x = 0; x < width; x++)
                accumulator[x] += weights[k] * in[x];
        }
        for (int x = 0; x < width; x++)
            target[(size_t)y * width + x] = to_byte(accumulator[x]);
    }
}

void loaders_resize_gray(struct loaders_resizer *resizer,
                         const uint8_t *source, int channels, uint8_t *target)
{
    size_t plane = (size_t)resizer->rows.target * resizer->columns.target;
    loaders_resize_plane(resizer, source, (size_t)resizer->columns.source, 1,
                         target);
    for (int c = 1; c < channels; c++)
        memcpy(target + (size_t)c * plane, target, plane);
}
