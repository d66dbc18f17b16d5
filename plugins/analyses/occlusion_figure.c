/* cnnlab — the occlusion figures: one per image (the image beside its
 * map, a colour bar, the classes and confidence in the caption) and an
 * overview grid of every image and map. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "occlusion.h"

#define MARGIN 16.0
#define GAP 20.0
#define BAR 14.0

/* The map on the image's pixel grid: each cell fills the stride × stride
 * block around its window's centre; pixels no cell belongs to (the rim
 * of a `valid` map) are NaN. */
static float *spread_map(const struct occlusion_config *c,
                         struct cnn_shape shape, const float *map)
{
    size_t count = (size_t)shape.h * shape.w;
    float *out = malloc(count * sizeof *out);
    if (!out)
        return NULL;
    for (size_t p = 0; p < count; p++)
        out[p] = NAN;
    for (int i = 0; i < c->rows; i++)
        for (int j = 0; j < c->columns; j++) {
            int row, column;
            occlusion_centre(c, i, j, &row, &column);
            int top = row - (c->stride_h - 1) / 2;
            int left = column - (c->stride_w - 1) / 2;
            for (int r = top < 0 ? 0 : top;
                 r < top + c->stride_h && r < shape.h; r++)
                for (int q = left < 0 ? 0 : left;
                     q < left + c->stride_w && q < shape.w; q++)
                    out[(size_t)r * shape.w + q] = map[i * c->columns + j];
        }
    return out;
}

static const char *class_name(struct cnn_analysis *a, int k)
{
    return cnn_analysis_data(a)->class_names[k];
}

int occlusion_figure(struct cnn_analysis *a, const struct occlusion_config *c,
                     const struct occlusion_image *m, const char *description,
                     struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    int scale = picture_scale_for(shape.h, shape.w, 224);
    double side_w = (double)shape.w * scale, side_h = (double)shape.h * scale;
    double width = 2 * MARGIN + 2 * side_w + 2 * GAP + BAR + 30;
    double height = 62 + side_h + 60 + MARGIN;
    if (width < 420)
        width = 420;
    float *spread = spread_map(c, shape, m->map);
    if (!spread)
        return cnn_error_set(err, "out of memory");
    struct picture p;
    if (picture_begin(&p, (int)width, (int)height, err) < 0) {
        free(spread);
        return -1;
    }
    char line[512];
    snprintf(line, sizeof line, "test image %d: occlusion map", m->index);
    picture_text(&p, line, width / 2, 12, 16, 0.5, 1, width - 2 * MARGIN);
    double x_map = MARGIN + side_w + GAP;
    picture_text(&p, "image", MARGIN + side_w / 2, 40, 13, 0.5, 0, side_w);
    snprintf(line, sizeof line, "probability of '%s'",
             class_name(a, m->predicted));
    picture_text(&p, line, x_map + side_w / 2, 40, 13, 0.5, 0,
                 side_w + GAP);
    picture_image(&p, m->pixels, shape, 0, 0, shape.h, shape.w, MARGIN, 62,
                  scale);
    picture_heat_map(&p, spread, shape.h, shape.w, x_map, 62, scale);
    picture_colour_bar(&p, x_map + side_w + GAP, 62, BAR, side_h, "1", "0");
    snprintf(line, sizeof line, "true: %s    predicted: %s (%.1f%%)",
             class_name(a, m->label), class_name(a, m->predicted),
             100 * m->confidence);
    double y = 62 + side_h + 10;
    y += picture_text(&p, line, width / 2, y, 14, 0.5, 0,
                      width - 2 * MARGIN) + 4;
    picture_text(&p, description, width / 2, y, 12, 0.5, 0,
                 width - 2 * MARGIN);
    free(spread);
    char name[64];
    snprintf(name, sizeof name, "occlusion-%d.png", m->index);
    return picture_write(&p, a, name, err);
}

int occlusion_overview(struct cnn_analysis *a,
                       const struct occlusion_config *c,
                       const struct occlusion_image *images, int count,
                       const char *description, struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    int scale = picture_scale_for(shape.h, shape.w, 96);
    double side_w = (double)shape.w * scale, side_h = (double)shape.h * scale;
    int per_row = (int)ceil(sqrt((double)count));
    int rows = (count + per_row - 1) / per_row;
    double cell_w = 2 * side_w + 4 + GAP, cell_h = side_h + 40;
    double width = 2 * MARGIN + per_row * cell_w + BAR + 30;
    double height = 56 + rows * cell_h + MARGIN;
    if (width < 480)
        width = 480;
    struct picture p;
    if (picture_begin(&p, (int)width, (int)height, err) < 0)
        return -1;
    picture_text(&p, "occlusion maps: probability of the predicted class",
                 width / 2, 10, 16, 0.5, 1, width - 2 * MARGIN);
    picture_text(&p, description, width / 2, 32, 12, 0.5, 0,
                 width - 2 * MARGIN);
    int status = 0;
    for (int k = 0; status == 0 && k < count; k++) {
        const struct occlusion_image *m = &images[k];
        double x = MARGIN + (k % per_row) * cell_w;
        double y = 56 + (k / per_row) * cell_h;
        float *spread = spread_map(c, shape, m->map);
        if (!spread) {
            status = cnn_error_set(err, "out of memory");
            break;
        }
        picture_image(&p, m->pixels, shape, 0, 0, shape.h, shape.w, x, y,
                      scale);
        picture_heat_map(&p, spread, shape.h, shape.w, x + side_w + 4, y,
                         scale);
        free(spread);
        char line[256];
        snprintf(line, sizeof line, "#%d %s", m->index,
                 class_name(a, m->predicted));
        double below = y + side_h + 3;
        below += picture_text(&p, line, x + side_w + 2, below, 12, 0.5, 0,
                              2 * side_w + 4);
        snprintf(line, sizeof line, "%.1f%%", 100 * m->confidence);
        picture_text(&p, line, x + side_w + 2, below, 11, 0.5, 0,
                     2 * side_w + 4);
    }
    if (status < 0) {
        picture_abandon(&p);
        return -1;
    }
    picture_colour_bar(&p, width - MARGIN - 30 - BAR + 6, 56, BAR,
                       side_h, "1", "0");
    return picture_write(&p, a, "occlusion.png", err);
}
