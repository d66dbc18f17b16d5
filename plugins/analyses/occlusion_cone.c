/* cnnlab — an occluding window's cone, layer by layer (occlusion_cone.h).
 *
 * For each map row i the occluded input rows are the window's; a layer
 * with window span K, stride s and padding p changes output o when its
 * window [o s - p, o s - p + K) meets the changed input rows. Per layer
 * every cell recomputes the same number of outputs (the largest changed
 * span), starting where its changed ones start (moved back inside the
 * map at the far edge), so cells batch together on crops of equal size.
 * The crop holds the inputs those outputs read, starting at a multiple of
 * s, so that the crop's outputs line up with the full layer's, and at 0
 * when the windows reach into the padding, which the crop's own padding
 * (the core's crop API pads every edge as the layer does) then supplies;
 * it ends at the input's end under the same rule. Any other output the
 * crop gives reads padding that is not the layer's and is never used.
 * Layers that keep positions count as K = s = 1, p = 0. */
#include <stdlib.h>
#include <string.h>

#include "occlusion_cone.h"

static int floor_div(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Kernel, stride and padding of a layer that keeps positions or slides a
 * window: 1; 0 for one that mixes all positions (or does not say). */
static int layer_window(const struct cnn_layer *layer,
                        struct occlusion_axis *rows,
                        struct occlusion_axis *columns)
{
    struct cnn_geometry g;
    memset(&g, 0, sizeof g);
    g.kind = CNN_GEOMETRY_GLOBAL;
    if (layer->type->geometry)
        layer->type->geometry(layer, &g);
    if (g.kind == CNN_GEOMETRY_GLOBAL)
        return 0;
    int window = g.kind == CNN_GEOMETRY_WINDOW;
    int dh = g.dilation_h > 0 ? g.dilation_h : 1;
    int dw = g.dilation_w > 0 ? g.dilation_w : 1;
    rows->kernel = window ? (g.kernel_h - 1) * dh + 1 : 1;
    columns->kernel = window ? (g.kernel_w - 1) * dw + 1 : 1;
    rows->stride = window && g.stride_h > 0 ? g.stride_h : 1;
    columns->stride = window && g.stride_w > 0 ? g.stride_w : 1;
    rows->pad = window ? g.pad_h : 0;
    columns->pad = window ? g.pad_w : 0;
    return 1;
}

int occlusion_cone_depth(struct cnn_analysis *analysis)
{
    int count = cnn_analysis_layer_count(analysis), depth = 0;
    struct occlusion_axis rows, columns;
    while (depth < count &&
           layer_window(cnn_analysis_layer(analysis, depth), &rows,
                        &columns))
        depth++;
    return depth;
}

/* Fills an axis from the changed input positions of each map index
 * ([in_low, in_high): the previous layer's low and high). */
static void plan_axis(struct occlusion_axis *a, int count, const int *in_low,
                      const int *in_high)
{
    a->span = 1;
    for (int i = 0; i < count; i++) {
        int low = floor_div(in_low[i] + a->pad - a->kernel, a->stride) + 1;
        int high = floor_div(in_high[i] + a->pad - 1, a->stride) + 1;
        low = low < 0 ? 0 : low;
        high = high > a->out ? a->out : high;
        if (in_low[i] >= in_high[i] || low >= high)
            low = high = 0; /* the change does not reach this layer */
        a->low[i] = low;
        a->high[i] = high;
        if (high - low > a->span)
            a->span = high - low;
    }
    if (a->span > a->out)
        a->span = a->out;
    for (int i = 0; i < count; i++) {
        int start = a->low[i] < a->out - a->span ? a->low[i]
                                                 : a->out - a->span;
        int first = start * a->stride - a->pad;
        int last = (start + a->span - 1) * a->stride - a->pad + a->kernel;
        int crop_low = first < 0 ? 0 : first / a->stride * a->stride;
        a->start[i] = start;
        a->crop_low[i] = crop_low;
        a->crop_high[i] = last < a->in ? last : a->in;
        a->offset[i] = start - crop_low / a->stride;
    }
}

/* Points the axis's six arrays into `block`; returns what follows them. */
static int *place_axis(struct occlusion_axis *a, int count, int *block)
{
    int **arrays[6] = {&a->low,      &a->high,      &a->start,
                       &a->crop_low, &a->crop_high, &a->offset};
    for (int n = 0; n < 6; n++) {
        *arrays[n] = block;
        block += count;
    }
    return block;
}

int occlusion_cone_plan(struct cnn_analysis *analysis,
                        const struct occlusion_config *c, int depth,
                        struct occlusion_cone_layer *layers, int **block,
                        struct cnn_error *err)
{
    struct cnn_shape input = cnn_analysis_input_shape(analysis);
    int rows = c->rows, columns = c->columns;
    size_t per_layer = 6 * ((size_t)rows + columns);
    *block = malloc(((size_t)depth + 1) * per_layer * sizeof **block);
    if (!*block)
        return cnn_error_set(err, "out of memory");
    /* The window's rows and columns act as the changed outputs of a layer
     * before the first. */
    int *row_low = *block + (size_t)depth * per_layer;
    int *row_high = row_low + rows;
    int *column_low = row_high + rows;
    int *column_high = column_low + columns;
    for (int i = 0; i < rows; i++) {
        int left, right;
        occlusion_window(c, input.h, input.w, i, 0, &row_low[i], &left,
                         &row_high[i], &right);
    }
    for (int j = 0; j < columns; j++) {
        int top, bottom;
        occlusion_window(c, input.h, input.w, 0, j, &top, &column_low[j],
                         &bottom, &column_high[j]);
    }
    for (int k = 0; k < depth; k++) {
        const struct cnn_layer *layer = cnn_analysis_layer(analysis, k);
        struct occlusion_cone_layer *p = &layers[k];
        layer_window(layer, &p->rows, &p->columns);
        p->channels_in = layer->input.c;
        p->channels_out = layer->output.c;
        p->rows.in = layer->input.h;
        p->rows.out = layer->output.h;
        p->columns.in = layer->input.w;
        p->columns.out = layer->output.w;
        int *next = place_axis(&p->rows, rows,
                               *block + (size_t)k * per_layer);
        place_axis(&p->columns, columns, next);
        plan_axis(&p->rows, rows, row_low, row_high);
        plan_axis(&p->columns, columns, column_low, column_high);
        row_low = p->rows.low;
        row_high = p->rows.high;
        column_low = p->columns.low;
        column_high = p->columns.high;
    }
    return 0;
}
