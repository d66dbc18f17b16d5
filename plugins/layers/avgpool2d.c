/* cnnlab layers — avgpool2d: 2-D average pooling (PyTorch's nn.AvgPool2d
 * with ceil_mode False and no divisor_override); CPU kernels as direct
 * loops over the NCHW planes, split among the OpenMP threads by plane.
 * One pass over x and one over y, like max pooling (maxpool2d.c says why
 * not oneDNN's pooling). */
#include <stdio.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"
#include "pool_window.h"

static const struct cnn_param_spec avgpool2d_params[] = {
    {"kernel", CNN_PARAM_INT_PAIR, NULL, 1, 1024, NULL,
     "window size: k or [kh, kw]"},
    {"stride", CNN_PARAM_INT_PAIR, "0", 0, 1024, NULL,
     "step between windows: s or [sh, sw]; 0 (the default) means the "
     "kernel size, as in PyTorch"},
    {"padding", CNN_PARAM_INT_PAIR, "0", 0, 1024, NULL,
     "zeros added on each side: p or [ph, pw], at most half the kernel"},
    {"count_include_pad", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "divide every window by the kernel's size, its padding zeros "
     "included (PyTorch's default); false: by the input elements it "
     "covers"},
};

/* The window's fields of the settings. */
static struct pool_window window_of(const struct cnn_avgpool2d_settings *c)
{
    return (struct pool_window){c->kernel_h, c->kernel_w, c->stride_h,
                                c->stride_w, c->pad_h, c->pad_w};
}

static int avgpool2d_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    struct pool_window w;
    if (pool_window_setup(layer, "avgpool2d", &w, err) < 0)
        return -1;
    struct cnn_avgpool2d_settings c = {
        w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_h, w.pad_w,
        cnn_param_bool(&layer->params, "count_include_pad")};
    return cnn_layer_keep_state(layer, &c, sizeof c, err);
}

/* nn.AvgPool2d's extra_repr names kernel_size, stride and padding only:
 * count_include_pad does not show. */
static int avgpool2d_describe(const struct cnn_layer *layer, char *buf,
                              size_t size)
{
    struct pool_window w = window_of(layer->state);
    struct pool_window_text t;
    pool_window_describe(&w, &t);
    return snprintf(buf, size, "AvgPool2d(kernel_size=%s, stride=%s, "
                    "padding=%s)", t.kernel, t.stride, t.padding);
}

static void avgpool2d_geometry(const struct cnn_layer *layer,
                               struct cnn_geometry *g)
{
    struct pool_window w = window_of(layer->state);
    pool_window_geometry(&w, g);
}

/* Output (oy, ox)'s window clipped to the input: rows [*y0, *y1),
 * columns [*x0, *x1); returns its divisor. With count_include_pad that is
 * the whole kernel: setup's floor output size keeps every window inside
 * input plus padding, where PyTorch clips it. */
static float avgpool2d_window(const struct cnn_avgpool2d_settings *c, int h,
                              int w, int oy, int ox, int *y0, int *y1,
                              int *x0, int *x1)
{
    int top = oy * c->stride_h - c->pad_h, left = ox * c->stride_w - c->pad_w;
    *y0 = top > 0 ? top : 0;
    *y1 = top + c->kernel_h < h ? top + c->kernel_h : h;
    *x0 = left > 0 ? left : 0;
    *x1 = left + c->kernel_w < w ? left + c->kernel_w : w;
    if (c->count_include_pad)
        return (float)(c->kernel_h * c->kernel_w);
    return (float)((*y1 - *y0) * (*x1 - *x0));
}

/* The window's sum in float, row by row from 0, then divided: the same
 * operations in the same order as the CUDA kernel, so the two agree bit
 * for bit. */
static void avgpool2d_plane_forward(const struct cnn_avgpool2d_settings *c,
                                    int h, int w, int oh, int ow,
                                    const float *restrict x,
                                    float *restrict y)
{
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            int y0, y1, x0, x1;
            float divisor = avgpool2d_window(c, h, w, oy, ox, &y0, &y1, &x0,
                                             &x1);
            float sum = 0.0f;
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                    sum += x[iy * w + ix];
            y[oy * ow + ox] = sum / divisor;
        }
}

/* dx = the sum over the windows that hold each input of dy / divisor,
 * added in output order from 0 (as the CUDA kernel gathers them). */
static void avgpool2d_plane_backward(const struct cnn_avgpool2d_settings *c,
                                     int h, int w, int oh, int ow,
                                     const float *restrict dy,
                                     float *restrict dx)
{
    memset(dx, 0, (size_t)h * w * sizeof *dx);
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            int y0, y1, x0, x1;
            float divisor = avgpool2d_window(c, h, w, oy, ox, &y0, &y1, &x0,
                                             &x1);
            float share = dy[oy * ow + ox] / divisor;
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                    dx[iy * w + ix] += share;
        }
}

static int avgpool2d_forward(struct cnn_context *ctx,
                             struct cnn_layer *layer,
                             const struct cnn_tensor *x,
                             struct cnn_tensor *y, int training,
                             struct cnn_error *err)
{
    (void)training;
    if (cnn_check_tensor(x, layer->input, x ? x->n : 0, "input", layer,
                         err) ||
        cnn_check_tensor(y, layer->output, x->n, "output", layer, err))
        return -1;
    cnn_onednn_set_threads(ctx);
    const struct cnn_avgpool2d_settings *c = layer->state;
    struct cnn_shape in = layer->input, out = layer->output;
    size_t in_plane = (size_t)in.h * in.w, out_plane = (size_t)out.h * out.w;
    long planes = (long)x->n * in.c;
    CNN_PARALLEL_FOR((size_t)planes * in_plane)
    for (long p = 0; p < planes; p++)
        avgpool2d_plane_forward(c, in.h, in.w, out.h, out.w,
                                x->data + p * in_plane,
                                y->data + p * out_plane);
    return 0;
}

/* No parameters, and the divisors come from the settings: backward needs
 * neither x nor y, nor anything a forward kept. */
static int avgpool2d_backward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              const struct cnn_tensor *y,
                              const struct cnn_tensor *dy,
                              struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)x;
    (void)y;
    if (!dx)
        return 0;
    if (cnn_check_tensor(dy, layer->output, dy ? dy->n : 0,
                         "output gradient", layer, err) ||
        cnn_check_tensor(dx, layer->input, dy->n, "input gradient", layer,
                         err))
        return -1;
    cnn_onednn_set_threads(ctx);
    const struct cnn_avgpool2d_settings *c = layer->state;
    struct cnn_shape in = layer->input, out = layer->output;
    size_t in_plane = (size_t)in.h * in.w, out_plane = (size_t)out.h * out.w;
    long planes = (long)dy->n * in.c;
    CNN_PARALLEL_FOR((size_t)planes * in_plane)
    for (long p = 0; p < planes; p++)
        avgpool2d_plane_backward(c, in.h, in.w, out.h, out.w,
                                 dy->data + p * out_plane,
                                 dx->data + p * in_plane);
    return 0;
}

const struct cnn_layer_type cnn_layers_avgpool2d_type = {
    .name = "avgpool2d",
    .name_prefix = "avgpool",
    .summary_name = "AvgPool2d",
    .help = "2-D average pooling (PyTorch nn.AvgPool2d); stride defaults to "
            "the kernel size",
    .params = avgpool2d_params,
    .param_count = sizeof avgpool2d_params / sizeof *avgpool2d_params,
    .setup = avgpool2d_setup,
    .destroy = cnn_layer_free_state,
    .describe = avgpool2d_describe,
    .geometry = avgpool2d_geometry,
};

const struct cnn_layer_kernels cnn_layers_avgpool2d_cpu = {
    .layer = "avgpool2d",
    .device = CNN_DEVICE_CPU,
    .prepare = NULL,
    .forward = avgpool2d_forward,
    .backward = avgpool2d_backward,
    .release = NULL,
};
