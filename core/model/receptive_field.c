/* Receptive fields by the standard arithmetic (see receptive_field.h). */
#include "cnnlab/receptive_field.h"

#include <string.h>

/* The whole input, as a layer that mixes all positions sees it. */
static struct cnn_receptive_field whole_input(struct cnn_shape input)
{
    return (struct cnn_receptive_field){
        .global = 1,
        .size_h = input.h, .size_w = input.w,
        .jump_h = 0, .jump_w = 0,
        .start_h = 0, .start_w = 0,
    };
}

static void window_step(int *size, int *jump, int *start, int kernel,
                        int stride, int pad, int dilation)
{
    /* The window's taps span (kernel - 1) * dilation positions of the
     * layer's input, each of which is `jump` input pixels apart. */
    *size += (kernel - 1) * dilation * *jump;
    *start -= pad * *jump;
    *jump *= stride;
}

void cnn_receptive_fields(const struct cnn_layer *layers, int count,
                          struct cnn_receptive_field *fields)
{
    if (count <= 0)
        return;
    struct cnn_shape input = layers[0].input;
    struct cnn_receptive_field rf = {
        .size_h = 1, .size_w = 1, .jump_h = 1, .jump_w = 1,
    };
    for (int k = 0; k < count; k++) {
        struct cnn_geometry g;
        memset(&g, 0, sizeof g);
        /* A third-party layer without geometry may move positions in any
         * way; claiming the whole input is the answer that cannot be
         * wrong. */
        g.kind = CNN_GEOMETRY_GLOBAL;
        if (layers[k].type && layers[k].type->geometry)
            layers[k].type->geometry(&layers[k], &g);
        if (rf.global || g.kind == CNN_GEOMETRY_GLOBAL) {
            rf = whole_input(input);
        } else if (g.kind == CNN_GEOMETRY_WINDOW) {
            /* Zero means "not set" for a plugin that fills only some
             * fields; no real window has a zero stride or dilation. */
            window_step(&rf.size_h, &rf.jump_h, &rf.start_h, g.kernel_h,
                        g.stride_h > 0 ? g.stride_h : 1, g.pad_h,
                        g.dilation_h > 0 ? g.dilation_h : 1);
            window_step(&rf.size_w, &rf.jump_w, &rf.start_w, g.kernel_w,
                        g.stride_w > 0 ? g.stride_w : 1, g.pad_w,
                        g.dilation_w > 0 ? g.dilation_w : 1);
        }
        fields[k] = rf;
    }
}

static void clip_span(int start, int size, int limit, int *first, int *end)
{
    int a = start, b = start + size;
    if (a < 0)
        a = 0;
    if (b > limit)
        b = limit;
    if (b < a)
        b = a;
    *first = a;
    *end = b;
}

void cnn_receptive_patch(const struct cnn_receptive_field *rf, int height,
                         int width, int i, int j, int *top, int *left,
                         int *bottom, int *right)
{
    if (rf->global) {
        *top = 0;
        *left = 0;
        *bottom = height;
        *right = width;
        return;
    }
    clip_span(rf->start_h + i * rf->jump_h, rf->size_h, height, top, bottom);
    clip_span(rf->start_w + j * rf->jump_w, rf->size_w, width, left, right);
}
