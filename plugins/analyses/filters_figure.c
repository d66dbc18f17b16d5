/* cnnlab — the figure of one filter's top activations: the whole images
 * above with the receptive-field patch outlined, the patches below,
 * enlarged to the same box, in the order of their response. */
#include <stdio.h>
#include <string.h>

#include "filters.h"

#define MARGIN 16.0
#define GAP 14.0

int filters_figure(struct cnn_analysis *a, int layer, int filter,
                   const struct top_list *list,
                   const struct cnn_receptive_field *field,
                   struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    const struct cnn_layer *l = cnn_analysis_layer(a, layer);
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    size_t per_image = cnn_shape_size(shape);
    int scale = picture_scale_for(shape.h, shape.w, 128);
    double box_w = (double)shape.w * scale, box_h = (double)shape.h * scale;
    int columns = list->count > 0 ? list->count : 1;
    double width = 2 * MARGIN + columns * box_w + (columns - 1) * GAP;
    if (width < 360)
        width = 360;
    double caption = 36, top_y = 62;
    double height = top_y + 2 * (box_h + caption) + 10 + MARGIN;
    struct picture p;
    if (picture_begin(&p, (int)width, (int)height, err) < 0)
        return -1;
    char line[256];
    snprintf(line, sizeof line, "%s (%s) filter %d: top %d activations",
             l->name, l->type->name, filter, list->capacity);
    picture_text(&p, line, width / 2, 10, 16, 0.5, 1, width - 2 * MARGIN);
    if (field->global)
        snprintf(line, sizeof line, "receptive field: the whole image");
    else
        snprintf(line, sizeof line, "receptive field %dx%d, jump %dx%d",
                 field->size_h, field->size_w, field->jump_h, field->jump_w);
    if (list->count > 0 && list->items[0].response <= 0) {
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used,
                 "; no positive response on the test split");
    }
    picture_text(&p, line, width / 2, 34, 12, 0.5, 0, width - 2 * MARGIN);
    if (list->count == 0)
        picture_text(&p, "no activation (every response was NaN)",
                     width / 2, top_y + box_h / 2, 14, 0.5, 0, 0);
    double patch_y = top_y + box_h + caption + 10;
    for (int r = 0; r < list->count; r++) {
        const struct activation *x = &list->items[r];
        const uint8_t *pixels = data->test.pixels + (size_t)x->image *
                                                        per_image;
        int top, left, bottom, right;
        cnn_receptive_patch(field, shape.h, shape.w, x->row, x->column, &top,
                            &left, &bottom, &right);
        double x0 = MARGIN + r * (box_w + GAP);
        picture_image(&p, pixels, shape, 0, 0, shape.h, shape.w, x0, top_y,
                      scale);
        picture_outline(&p, x0 + left * scale, top_y + top * scale,
                        (right - left) * scale, (bottom - top) * scale, 2,
                        0.9, 0.1, 0.1);
        snprintf(line, sizeof line, "#%d: %.4g", r + 1, (double)x->response);
        double y = top_y + box_h + 3;
        y += picture_text(&p, line, x0 + box_w / 2, y, 12, 0.5, 1, box_w);
        snprintf(line, sizeof line, "image %d: %s", x->image,
                 data->class_names[data->test.labels[x->image]]);
        picture_text(&p, line, x0 + box_w / 2, y, 11, 0.5, 0, box_w);

        /* The patch, enlarged by the largest whole factor that fits. */
        int patch_h = bottom - top, patch_w = right - left;
        int by_h = (int)(box_h / patch_h), by_w = (int)(box_w / patch_w);
        int patch_scale = by_h < by_w ? by_h : by_w;
        if (patch_scale < 1)
            patch_scale = 1;
        double px = x0 + (box_w - patch_w * patch_scale) / 2;
        double py = patch_y + (box_h - patch_h * patch_scale) / 2;
        picture_image(&p, pixels, shape, top, left, bottom, right, px, py,
                      patch_scale);
        snprintf(line, sizeof line, "rows %d-%d, columns %d-%d", top,
                 bottom - 1, left, right - 1);
        picture_text(&p, line, x0 + box_w / 2, patch_y + box_h + 3, 11, 0.5,
                     0, box_w);
    }
    char name[128];
    snprintf(name, sizeof name, "filters-%s-%d.png", l->name, filter);
    return picture_write(&p, a, name, err);
}
