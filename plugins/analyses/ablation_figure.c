/* cnnlab — the figure of one ablated filter's misses: up to `shown` of
 * them, drawn at random from the seed, in test order, five to a row, each
 * with its true and its new label. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablation.h"
#include "cnnlab/rng.h"

#define MARGIN 16.0
#define GAP 12.0
#define PER_ROW 5

/* The seed stream of the misses shown for (layer, filter). */
#define ABLATION_STREAM 0x61626c61u /* "abla" */

static int compare_ints(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* Positions in row->misses of the ones shown, ascending. */
static int *draw_shown(struct cnn_analysis *a, int layer,
                       const struct ablation_row *row, int *shown)
{
    int count = row->miss_count;
    int *order = malloc(((size_t)count + 1) * sizeof *order);
    if (!order)
        return NULL;
    for (int i = 0; i < count; i++)
        order[i] = i;
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng,
                        cnn_analysis_seed(a) ^ (uint64_t)ABLATION_STREAM
                                                   << 32,
                        (uint64_t)layer << 32 | (uint64_t)row->filter);
    cnn_rng_shuffle(&rng, order, (size_t)count);
    if (*shown > count)
        *shown = count;
    qsort(order, (size_t)*shown, sizeof *order, compare_ints);
    return order;
}

int ablation_figure(struct cnn_analysis *a, int layer,
                    const struct ablation_row *row, int shown,
                    struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    const struct cnn_layer *l = cnn_analysis_layer(a, layer);
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    size_t per_image = cnn_shape_size(shape);
    int *order = draw_shown(a, layer, row, &shown);
    if (!order)
        return cnn_error_set(err, "out of memory");
    int scale = picture_scale_for(shape.h, shape.w, 96);
    double box_w = (double)shape.w * scale, box_h = (double)shape.h * scale;
    if (box_w < 96)
        box_w = 96; /* room for the captions */
    int columns = shown < PER_ROW ? (shown > 0 ? shown : 1) : PER_ROW;
    int rows = shown > 0 ? (shown + PER_ROW - 1) / PER_ROW : 1;
    double caption = 34, top_y = 58;
    double width = 2 * MARGIN + columns * box_w + (columns - 1) * GAP;
    if (width < 420)
        width = 420;
    double height = top_y + rows * (box_h + caption + GAP) + MARGIN;
    struct picture p;
    if (picture_begin(&p, (int)width, (int)height, err) < 0) {
        free(order);
        return -1;
    }
    char line[256];
    snprintf(line, sizeof line, "%s (%s) filter %d off", l->name,
             l->type->name, row->filter);
    picture_text(&p, line, width / 2, 10, 16, 0.5, 1, width - 2 * MARGIN);
    snprintf(line, sizeof line, "%d miss%s on the test split%s", row->miss_count,
             row->miss_count == 1 ? "" : "es",
             shown < row->miss_count ? ", some drawn at random" : "");
    picture_text(&p, line, width / 2, 34, 12, 0.5, 0, width - 2 * MARGIN);
    if (shown == 0)
        picture_text(&p, "no misses", width / 2, top_y + box_h / 2, 14, 0.5,
                     0, 0);
    for (int k = 0; k < shown; k++) {
        int image = row->misses[order[k]];
        double x = MARGIN + (k % PER_ROW) * (box_w + GAP);
        double y = top_y + (k / PER_ROW) * (box_h + caption + GAP);
        picture_image(&p, data->test.pixels + (size_t)image * per_image,
                      shape, 0, 0, shape.h, shape.w,
                      x + (box_w - shape.w * scale) / 2, y, scale);
        snprintf(line, sizeof line, "#%d true: %s", image,
                 data->class_names[data->test.labels[image]]);
        double below = y + box_h + 2;
        below += picture_text(&p, line, x + box_w / 2, below, 11, 0.5, 0,
                              box_w);
        snprintf(line, sizeof line, "now: %s",
                 data->class_names[row->missed_as[order[k]]]);
        picture_text(&p, line, x + box_w / 2, below, 11, 0.5, 1, box_w);
    }
    free(order);
    char name[128];
    snprintf(name, sizeof name, "ablation-%s-%d.png", l->name, row->filter);
    return picture_write(&p, a, name, err);
}
