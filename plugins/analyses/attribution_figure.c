/* cnnlab — the attribution figures, in the occlusion figures' style: one
 * per image (the image beside its maps, a colour bar, the classes and
 * confidence in the caption) and an overview grid of every image and its
 * first map. A map is shown as |value| scaled to its largest, so signed
 * maps (gradient x input, integrated gradients) show where the evidence
 * is, of either sign, and every panel uses the whole colour scale. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "attribution.h"
#include "picture.h"

#define MARGIN 16.0
#define GAP 20.0
#define BAR 14.0

/* |map| / max |map| (all 0 when the map is). */
static float *scaled(struct cnn_shape shape, const float *map)
{
    size_t count = (size_t)shape.h * shape.w;
    float *out = malloc(count * sizeof *out);
    if (!out)
        return NULL;
    double top = 0;
    for (size_t p = 0; p < count; p++)
        top = fmax(top, fabs(map[p]));
    for (size_t p = 0; p < count; p++)
        out[p] = top > 0 ? (float)(fabs(map[p]) / top) : 0.0f;
    return out;
}

static const char *class_name(struct cnn_analysis *a, int k)
{
    return cnn_analysis_data(a)->class_names[k];
}

/* The panels' maps, scaled, side by side from x; 0 or -1. */
static int draw_panels(struct picture *p, struct cnn_shape shape, int scale,
                       const struct attribution_panel *panels, int count,
                       double x, struct cnn_error *err)
{
    double side_w = (double)shape.w * scale;
    for (int k = 0; k < count; k++, x += side_w + GAP) {
        float *map = scaled(shape, panels[k].map);
        if (!map)
            return cnn_error_set(err, "out of memory");
        picture_text(p, panels[k].title, x + side_w / 2, 40, 13, 0.5, 0,
                     side_w + GAP);
        picture_heat_map(p, map, shape.h, shape.w, x, 62, scale);
        free(map);
    }
    return 0;
}

int attribution_figure(struct cnn_analysis *a, const char *name,
                       const struct attribution_image *m,
                       const struct attribution_panel *panels, int count,
                       const char *description, struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    int scale = picture_scale_for(shape.h, shape.w, 224);
    double side_w = (double)shape.w * scale, side_h = (double)shape.h * scale;
    double width = 2 * MARGIN + (count + 1) * (side_w + GAP) + BAR + 30;
    double height = 62 + side_h + 60 + MARGIN;
    if (width < 420)
        width = 420;
    struct picture p;
    if (picture_begin(&p, (int)width, (int)height, err) < 0)
        return -1;
    char line[512];
    snprintf(line, sizeof line, "test image %d: %s of '%s'", m->index, name,
             class_name(a, m->predicted));
    picture_text(&p, line, width / 2, 12, 16, 0.5, 1, width - 2 * MARGIN);
    picture_text(&p, "image", MARGIN + side_w / 2, 40, 13, 0.5, 0, side_w);
    picture_image(&p, m->pixels, shape, 0, 0, shape.h, shape.w, MARGIN, 62,
                  scale);
    if (draw_panels(&p, shape, scale, panels, count,
                    MARGIN + side_w + GAP, err) < 0) {
        picture_abandon(&p);
        return -1;
    }
    double x_bar = MARGIN + (count + 1) * (side_w + GAP);
    picture_colour_bar(&p, x_bar, 62, BAR, side_h, "max", "0");
    snprintf(line, sizeof line, "true: %s    predicted: %s (%.1f%%)",
             class_name(a, m->label), class_name(a, m->predicted),
             100 * m->confidence);
    double y = 62 + side_h + 10;
    y += picture_text(&p, line, width / 2, y, 14, 0.5, 0,
                      width - 2 * MARGIN) + 4;
    picture_text(&p, description, width / 2, y, 12, 0.5, 0,
                 width - 2 * MARGIN);
    snprintf(line, sizeof line, "%s-%d.png", name, m->index);
    return picture_write(&p, a, line, err);
}

/* One cell of the overview: the image, its map, the class below. */
static int overview_cell(struct picture *p, struct cnn_analysis *a,
                         const struct attribution_image *m, const float *map,
                         double x, double y, int scale, struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    double side_w = (double)shape.w * scale, side_h = (double)shape.h * scale;
    float *shown = scaled(shape, map);
    if (!shown)
        return cnn_error_set(err, "out of memory");
    picture_image(p, m->pixels, shape, 0, 0, shape.h, shape.w, x, y, scale);
    picture_heat_map(p, shown, shape.h, shape.w, x + side_w + 4, y, scale);
    free(shown);
    char line[256];
    snprintf(line, sizeof line, "#%d %s", m->index,
             class_name(a, m->predicted));
    double below = y + side_h + 3;
    below += picture_text(p, line, x + side_w + 2, below, 12, 0.5, 0,
                          2 * side_w + 4);
    snprintf(line, sizeof line, "%.1f%%", 100 * m->confidence);
    picture_text(p, line, x + side_w + 2, below, 11, 0.5, 0, 2 * side_w + 4);
    return 0;
}

int attribution_overview(struct cnn_analysis *a, const char *name,
                         const char *title, const struct attribution_set *set,
                         float *const *maps, const char *description,
                         struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    int scale = picture_scale_for(shape.h, shape.w, 96);
    double side_w = (double)shape.w * scale, side_h = (double)shape.h * scale;
    int per_row = (int)ceil(sqrt((double)set->count));
    int rows = (set->count + per_row - 1) / per_row;
    double cell_w = 2 * side_w + 4 + GAP, cell_h = side_h + 40;
    double width = 2 * MARGIN + per_row * cell_w + BAR + 30;
    double height = 56 + rows * cell_h + MARGIN;
    if (width < 480)
        width = 480;
    struct picture p;
    if (picture_begin(&p, (int)width, (int)height, err) < 0)
        return -1;
    picture_text(&p, title, width / 2, 10, 16, 0.5, 1, width - 2 * MARGIN);
    picture_text(&p, description, width / 2, 32, 12, 0.5, 0,
                 width - 2 * MARGIN);
    for (int k = 0; k < set->count; k++)
        if (overview_cell(&p, a, &set->images[k], maps[k],
                          MARGIN + (k % per_row) * cell_w,
                          56 + (k / per_row) * cell_h, scale, err) < 0) {
            picture_abandon(&p);
            return -1;
        }
    picture_colour_bar(&p, width - MARGIN - 30 - BAR + 6, 56, BAR, side_h,
                       "max", "0");
    char file[128];
    snprintf(file, sizeof file, "%s.png", name);
    return picture_write(&p, a, file, err);
}
