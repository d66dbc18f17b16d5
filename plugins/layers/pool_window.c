/* cnnlab layers — the pooling window (pool_window.h). */
#include <stdio.h>

#include "pool_window.h"

/* floor((size + 2 pad - kernel) / stride) + 1, or 0 when it does not fit. */
static int output_size(int size, int kernel, int stride, int pad)
{
    long room = (long)size + 2L * pad - kernel;
    return room < 0 ? 0 : (int)(room / stride + 1);
}

int pool_window_setup(struct cnn_layer *layer, const char *type,
                      struct pool_window *w, struct cnn_error *err)
{
    const struct cnn_params *p = &layer->params;
    cnn_param_pair(p, "kernel", &w->kernel_h, &w->kernel_w);
    cnn_param_pair(p, "stride", &w->stride_h, &w->stride_w);
    cnn_param_pair(p, "padding", &w->pad_h, &w->pad_w);
    if (w->stride_h == 0)
        w->stride_h = w->kernel_h;
    if (w->stride_w == 0)
        w->stride_w = w->kernel_w;
    /* PyTorch's rule: a window must never lie wholly in the padding
     * (without it, average pooling that counts only the input would
     * divide by 0). */
    if (w->pad_h > w->kernel_h / 2 || w->pad_w > w->kernel_w / 2)
        return cnn_error_at(err, layer->mark,
                            "layer %s (%s): padding (%d, %d) is more than "
                            "half the kernel (%d, %d); use padding at most "
                            "(%d, %d) or a larger kernel",
                            layer->name, type, w->pad_h, w->pad_w,
                            w->kernel_h, w->kernel_w, w->kernel_h / 2,
                            w->kernel_w / 2);
    int out_h = output_size(layer->input.h, w->kernel_h, w->stride_h,
                            w->pad_h);
    int out_w = output_size(layer->input.w, w->kernel_w, w->stride_w,
                            w->pad_w);
    if (out_h < 1 || out_w < 1)
        return cnn_layer_shape_error(
            layer, err,
            "the kernel (%d, %d) is larger than the %dx%d input plus "
            "padding (%d, %d); the largest kernel that fits is (%d, %d)",
            w->kernel_h, w->kernel_w, layer->input.h, layer->input.w,
            w->pad_h, w->pad_w, layer->input.h + 2 * w->pad_h,
            layer->input.w + 2 * w->pad_w);
    layer->output = (struct cnn_shape){layer->input.c, out_h, out_w};
    return 0;
}

/* PyTorch prints what the module was given: one int for a square window. */
static void format_pair(char *buf, size_t size, int first, int second)
{
    if (first == second)
        snprintf(buf, size, "%d", first);
    else
        snprintf(buf, size, "(%d, %d)", first, second);
}

void pool_window_describe(const struct pool_window *w,
                          struct pool_window_text *text)
{
    format_pair(text->kernel, sizeof text->kernel, w->kernel_h, w->kernel_w);
    format_pair(text->stride, sizeof text->stride, w->stride_h, w->stride_w);
    format_pair(text->padding, sizeof text->padding, w->pad_h, w->pad_w);
}

void pool_window_geometry(const struct pool_window *w,
                          struct cnn_geometry *g)
{
    *g = (struct cnn_geometry){
        .kind = CNN_GEOMETRY_WINDOW,
        .kernel_h = w->kernel_h, .kernel_w = w->kernel_w,
        .stride_h = w->stride_h, .stride_w = w->stride_w,
        .pad_h = w->pad_h, .pad_w = w->pad_w,
        .dilation_h = 1, .dilation_w = 1,
    };
}
