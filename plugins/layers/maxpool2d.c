/* cnnlab layers — maxpool2d: 2-D max pooling (PyTorch's nn.MaxPool2d with
 * dilation 1 and ceil_mode False); CPU kernels as direct loops. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"
#include "pool_window.h"

static const struct cnn_param_spec maxpool2d_params[] = {
    {"kernel", CNN_PARAM_INT_PAIR, NULL, 1, 1024, NULL,
     "window size: k or [kh, kw]"},
    {"stride", CNN_PARAM_INT_PAIR, "0", 0, 1024, NULL,
     "step between windows: s or [sh, sw]; 0 (the default) means the "
     "kernel size, as in PyTorch"},
    {"padding", CNN_PARAM_INT_PAIR, "0", 0, 1024, NULL,
     "-inf padding on each side: p or [ph, pw], at most half the kernel"},
};

/* The window's fields of the settings. */
static struct pool_window window_of(const struct cnn_maxpool2d_settings *c)
{
    return (struct pool_window){c->kernel_h, c->kernel_w, c->stride_h,
                                c->stride_w, c->pad_h, c->pad_w};
}

static int maxpool2d_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    struct pool_window w;
    if (pool_window_setup(layer, "maxpool2d", &w, err) < 0)
        return -1;
    struct cnn_maxpool2d_settings c = {w.kernel_h, w.kernel_w, w.stride_h,
                                     w.stride_w, w.pad_h, w.pad_w};
    return cnn_layer_keep_state(layer, &c, sizeof c, err);
}

static int maxpool2d_describe(const struct cnn_layer *layer, char *buf,
                              size_t size)
{
    struct pool_window w = window_of(layer->state);
    struct pool_window_text t;
    pool_window_describe(&w, &t);
    return snprintf(buf, size,
                    "MaxPool2d(kernel_size=%s, stride=%s, padding=%s, "
                    "dilation=1, ceil_mode=False)",
                    t.kernel, t.stride, t.padding);
}

static void maxpool2d_geometry(const struct cnn_layer *layer,
                               struct cnn_geometry *g)
{
    struct pool_window w = window_of(layer->state);
    pool_window_geometry(&w, g);
}

/* CPU kernels: direct loops over the caller's NCHW planes, split among
 * the OpenMP threads by plane. oneDNN's jit pooling needs channel-blocked
 * data, and the reorders to and from that layout cost more than the
 * pooling: these loops read x once and write y once, several times
 * faster on the quickstart's pools. They follow PyTorch exactly: the first
 * maximum of a window wins, a NaN wins over numbers, and backward adds dy
 * to where each maximum came from (in output order, so overlapping
 * windows sum the same way on every run). The training forward records
 * those positions (as offsets into the plane) in the saved buffer for
 * backward (cnn_saved_prepare, layer.h). */
static int maxpool2d_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                             int batch, struct cnn_error *err)
{
    return cnn_saved_prepare(ctx, layer, batch,
                             cnn_shape_size(layer->output) * sizeof(int), err);
}

/* Output (oy, ox) of a plane: y[oy * ow + ox] from x (h, w), and in
 * argmax the offset in x of its maximum. Any kernel, stride and padding. */
static void maxpool2d_output(const struct cnn_maxpool2d_settings *c, int h,
                             int w, int ow, int oy, int ox, const float *x,
                             float *y, int *argmax)
{
    /* The window's rows and columns inside the input (the padding is
     * -inf, which never wins: setup keeps a window from lying wholly in
     * it). */
    int y0 = oy * c->stride_h - c->pad_h;
    int y1 = y0 + c->kernel_h < h ? y0 + c->kernel_h : h;
    y0 = y0 > 0 ? y0 : 0;
    int x0 = ox * c->stride_w - c->pad_w;
    int x1 = x0 + c->kernel_w < w ? x0 + c->kernel_w : w;
    x0 = x0 > 0 ? x0 : 0;
    int best_at = y0 * w + x0;
    float best = x[best_at];
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            float v = x[iy * w + ix];
            if (v > best || isnan(v)) {
                best = v;
                best_at = iy * w + ix;
            }
        }
    y[oy * ow + ox] = best;
    argmax[oy * ow + ox] = best_at;
}

/* The outputs [*first, *last) of a row whose windows lie wholly inside
 * the input's columns: ox * sw - pw >= 0 and ox * sw - pw + kernel_w <= w. */
static void inner_columns(const struct cnn_maxpool2d_settings *c, int w,
                          int ow, int *first, int *last)
{
    int sw = c->stride_w, pw = c->pad_w;
    *first = (pw + sw - 1) / sw;
    *last = w + pw >= c->kernel_w ? (w + pw - c->kernel_w) / sw + 1 : 0;
    if (*last > ow)
        *last = ow;
    if (*first > *last)
        *first = *last;
}

/* The input rows [*r0, *r1) of output row oy's windows (those inside
 * the input). */
static void window_rows(const struct cnn_maxpool2d_settings *c, int h,
                        int oy, int *r0, int *r1)
{
    int y0 = oy * c->stride_h - c->pad_h;
    *r1 = y0 + c->kernel_h < h ? y0 + c->kernel_h : h;
    *r0 = y0 > 0 ? y0 : 0;
}

/* Output row oy's outputs outside [first, last): windows that reach into
 * the padding, one by one. */
static void border_outputs(const struct cnn_maxpool2d_settings *c, int h,
                           int w, int ow, int oy, int first, int last,
                           const float *x, float *y, int *argmax)
{
    for (int ox = 0; ox < first; ox++)
        maxpool2d_output(c, h, w, ow, oy, ox, x, y, argmax);
    for (int ox = last; ox < ow; ox++)
        maxpool2d_output(c, h, w, ow, oy, ox, x, y, argmax);
}

/* One plane, any window. For the outputs whose windows lie wholly inside
 * their rows (columns [ox_first, ox_last)) each output's elements are
 * visited in maxpool2d_output's order (row by row, left to right), so the
 * same element wins, but the loop over outputs is innermost and
 * branch-free, which lets the compiler vectorise it: the 3x3 stride-2
 * pools of the study's best model ran several times faster than with one
 * maxpool2d_output per output, whose branches mispredict. The outputs
 * next to a padded border go through maxpool2d_output. */
static void maxpool2d_plane_rows(const struct cnn_maxpool2d_settings *c,
                                 int h, int w, int oh, int ow,
                                 const float *restrict x, float *restrict y,
                                 int *restrict argmax)
{
    int sw = c->stride_w, pw = c->pad_w;
    int ox_first, ox_last;
    inner_columns(c, w, ow, &ox_first, &ox_last);
    for (int oy = 0; oy < oh; oy++) {
        int r0, r1;
        window_rows(c, h, oy, &r0, &r1);
        float *y_row = y + (size_t)oy * ow;
        int *argmax_row = argmax + (size_t)oy * ow;
        /* The window's first element starts each output. */
        int offset = r0 * w - pw;
        for (int ox = ox_first; ox < ox_last; ox++) {
            y_row[ox] = x[offset + ox * sw];
            argmax_row[ox] = offset + ox * sw;
        }
        for (int r = r0; r < r1; r++)
            for (int dx = r == r0 ? 1 : 0; dx < c->kernel_w; dx++) {
                offset = r * w + dx - pw;
#pragma omp simd
                for (int ox = ox_first; ox < ox_last; ox++) {
                    float v = x[offset + ox * sw], best = y_row[ox];
                    int at = argmax_row[ox];
                    int wins = (v > best) | (v != v);
                    y_row[ox] = wins ? v : best;
                    argmax_row[ox] = wins ? offset + ox * sw : at;
                }
            }
        border_outputs(c, h, w, ow, oy, ox_first, ox_last, x, y, argmax);
    }
}

/* Columns an inference forward's row of maxima may hold (stack floats
 * per thread); wider inputs take maxpool2d_plane_rows. */
enum { MAXPOOL_COLUMNS_MAX = 4096 };

/* 1 when x holds a -0 or a NaN: values whose maximum's bits depend on
 * the order in which a window is visited (0 and -0 tie, and which NaN
 * wins decides the payload). */
static int plane_has_order_dependent(const float *restrict x, size_t count)
{
    int found = 0;
#pragma omp simd reduction(| : found)
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        found |= (bits == 0x80000000u) | ((bits & 0x7fffffffu) > 0x7f800000u);
    }
    return found;
}

/* One plane of an inference forward, any window, on a plane without -0
 * or NaN (plane_has_order_dependent; the maximum of each window is then
 * one value and one bit pattern, whatever the order): with no positions
 * to record, each output row first takes the maxima down the window's
 * rows (contiguous, vectorised), then across the window's columns, about
 * half the work of maxpool2d_plane_rows (incremental occlusion pools many
 * small crops). */
static void maxpool2d_plane_maxima(const struct cnn_maxpool2d_settings *c,
                                   int h, int w, int oh, int ow,
                                   const float *restrict x,
                                   float *restrict y, int *restrict argmax)
{
    float column[MAXPOOL_COLUMNS_MAX];
    int sw = c->stride_w, pw = c->pad_w;
    int ox_first, ox_last;
    inner_columns(c, w, ow, &ox_first, &ox_last);
    for (int oy = 0; oy < oh; oy++) {
        int r0, r1;
        window_rows(c, h, oy, &r0, &r1);
        memcpy(column, x + (size_t)r0 * w, (size_t)w * sizeof *column);
        for (int r = r0 + 1; r < r1; r++) {
            const float *row = x + (size_t)r * w;
#pragma omp simd
            for (int j = 0; j < w; j++)
                column[j] = row[j] > column[j] ? row[j] : column[j];
        }
        float *y_row = y + (size_t)oy * ow;
        for (int ox = ox_first; ox < ox_last; ox++)
            y_row[ox] = column[ox * sw - pw];
        for (int dx = 1; dx < c->kernel_w; dx++) {
#pragma omp simd
            for (int ox = ox_first; ox < ox_last; ox++) {
                float v = column[ox * sw - pw + dx];
                y_row[ox] = v > y_row[ox] ? v : y_row[ox];
            }
        }
        border_outputs(c, h, w, ow, oy, ox_first, ox_last, x, y, argmax);
    }
}

/* The same for the usual 2x2 window with stride 2 and no padding (every
 * window lies inside x), written without branches over the outputs of a
 * row so that the compiler vectorises it: which element of a window wins
 * is data, and the branches of the loop above mispredict on about half of
 * them, which made it 8x slower. */
static void maxpool2d_plane_2x2(int w, int oh, int ow,
                                const float *restrict x, float *restrict y,
                                int *restrict argmax)
{
    for (int oy = 0; oy < oh; oy++) {
        const float *top = x + 2 * oy * w, *bottom = top + w;
        int row_start = 2 * oy * w;
        float *y_row = y + oy * ow;
        int *argmax_row = argmax + oy * ow;
#pragma omp simd
        for (int ox = 0; ox < ow; ox++) {
            float a = top[2 * ox], b = top[2 * ox + 1];
            float c = bottom[2 * ox], d = bottom[2 * ox + 1];
            float best = a;
            int at = 0, wins;
            wins = (b > best) | (b != b);
            best = wins ? b : best;
            at = wins ? 1 : at;
            wins = (c > best) | (c != c);
            best = wins ? c : best;
            at = wins ? w : at;
            wins = (d > best) | (d != d);
            best = wins ? d : best;
            at = wins ? w + 1 : at;
            y_row[ox] = best;
            argmax_row[ox] = row_start + 2 * ox + at;
        }
    }
}

static int maxpool2d_is_2x2(const struct cnn_maxpool2d_settings *c)
{
    return c->kernel_h == 2 && c->kernel_w == 2 && c->stride_h == 2 &&
           c->stride_w == 2 && c->pad_h == 0 && c->pad_w == 0;
}

/* Maxima and where they came from, for every plane of x: what a training
 * forward computes (the inference forward may take maxpool2d_plane_maxima
 * instead, which records no positions). */
static void maxpool2d_planes(const struct cnn_maxpool2d_settings *c,
                             struct cnn_shape in, struct cnn_shape out,
                             long planes, const float *src, float *dst,
                             int *argmax, int maxima_only)
{
    size_t in_plane = (size_t)in.h * in.w, out_plane = (size_t)out.h * out.w;
    int two_by_two = maxpool2d_is_2x2(c);
    CNN_PARALLEL_FOR((size_t)planes * in_plane)
    for (long p = 0; p < planes; p++) {
        if (two_by_two)
            maxpool2d_plane_2x2(in.w, out.h, out.w, src + p * in_plane,
                                dst + p * out_plane, argmax + p * out_plane);
        else if (maxima_only &&
                 !plane_has_order_dependent(src + p * in_plane, in_plane))
            maxpool2d_plane_maxima(c, in.h, in.w, out.h, out.w,
                                   src + p * in_plane, dst + p * out_plane,
                                   argmax + p * out_plane);
        else
            maxpool2d_plane_rows(c, in.h, in.w, out.h, out.w,
                                 src + p * in_plane, dst + p * out_plane,
                                 argmax + p * out_plane);
    }
}

static int maxpool2d_forward(struct cnn_context *ctx,
                             struct cnn_layer *layer,
                             const struct cnn_tensor *x,
                             struct cnn_tensor *y, int training,
                             struct cnn_error *err)
{
    struct cnn_saved_for_backward *k = cnn_saved_state(layer, err);
    if (!k ||
        cnn_check_tensor(x, layer->input, k->batch, "input", layer, err) ||
        cnn_check_tensor(y, layer->output, k->batch, "output", layer, err))
        return -1;
    cnn_onednn_set_threads(ctx);
    struct cnn_shape in = layer->input;
    /* The 2x2 path records the maxima in inference too (it costs little
     * there), but they are not kept for backward. */
    int maxima_only = !training && in.w <= MAXPOOL_COLUMNS_MAX;
    maxpool2d_planes(layer->state, in, layer->output, (long)k->batch * in.c,
                     x->data, y->data, k->data, maxima_only);
    k->valid = training;
    return 0;
}

/* After an inference forward no positions were kept: find them again in
 * x exactly as a training forward would (the first maximum of a window
 * wins, as in PyTorch), so gradients can be taken through a model in
 * evaluation mode (the attribution analyses) at the cost of one more
 * pass, paid only then. The maxima go to scratch: y is the caller's. */
static int maxpool2d_find_maxima(struct cnn_layer *layer,
                                 struct cnn_saved_for_backward *k,
                                 const struct cnn_tensor *x,
                                 struct cnn_error *err)
{
    size_t count = (size_t)k->batch * cnn_shape_size(layer->output);
    float *maxima = malloc((count + 1) * sizeof *maxima);
    if (!maxima)
        return cnn_error_set(err, "layer %s (maxpool2d): out of memory for "
                             "the maxima of a backward after an inference "
                             "forward (%zu floats)", layer->name, count);
    maxpool2d_planes(layer->state, layer->input, layer->output,
                     (long)k->batch * layer->input.c, x->data, maxima,
                     k->data, 0);
    free(maxima);
    k->valid = 1;
    return 0;
}

static int maxpool2d_backward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              const struct cnn_tensor *y,
                              const struct cnn_tensor *dy,
                              struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)y;
    struct cnn_saved_for_backward *k = cnn_saved_state(layer, err);
    if (!k)
        return -1;
    /* No parameters: without dx there is nothing to compute. */
    if (!dx)
        return 0;
    if (cnn_check_tensor(dy, layer->output, k->batch, "output gradient",
                         layer, err) ||
        cnn_check_tensor(dx, layer->input, k->batch, "input gradient", layer,
                         err))
        return -1;
    cnn_onednn_set_threads(ctx);
    if (!k->valid &&
        (cnn_check_tensor(x, layer->input, k->batch, "input", layer, err) ||
         maxpool2d_find_maxima(layer, k, x, err) < 0))
        return -1;
    struct cnn_shape in = layer->input, out = layer->output;
    size_t in_plane = (size_t)in.h * in.w, out_plane = (size_t)out.h * out.w;
    long planes = (long)k->batch * in.c;
    const float *from = dy->data;
    const int *argmax = k->data;
    float *to = dx->data;
    CNN_PARALLEL_FOR((size_t)planes * in_plane)
    for (long p = 0; p < planes; p++) {
        float *plane = to + p * in_plane;
        const float *gradient = from + p * out_plane;
        const int *at = argmax + p * out_plane;
        memset(plane, 0, in_plane * sizeof *plane);
        for (size_t i = 0; i < out_plane; i++)
            plane[at[i]] += gradient[i];
    }
    return 0;
}

const struct cnn_layer_type cnn_layers_maxpool2d_type = {
    .name = "maxpool2d",
    .name_prefix = "pool",
    .summary_name = "MaxPool2d",
    .help = "2-D max pooling (PyTorch nn.MaxPool2d); stride defaults to the "
            "kernel size",
    .params = maxpool2d_params,
    .param_count = sizeof maxpool2d_params / sizeof *maxpool2d_params,
    .setup = maxpool2d_setup,
    .destroy = cnn_layer_free_state,
    .describe = maxpool2d_describe,
    .geometry = maxpool2d_geometry,
};

const struct cnn_layer_kernels cnn_layers_maxpool2d_cpu = {
    .layer = "maxpool2d",
    .device = CNN_DEVICE_CPU,
    .prepare = maxpool2d_prepare,
    .forward = maxpool2d_forward,
    .backward = maxpool2d_backward,
    .release = cnn_saved_release,
};
