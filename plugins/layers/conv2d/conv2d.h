/* cnnlab layers module — conv2d's configuration, shared by its definition
 * and direct oneDNN kernels (conv2d.c) and its CPU kernel dispatch between
 * those and the Winograd kernels (conv2d_cpu.c). */
#ifndef CNNLAB_LAYERS_CONV2D_H
#define CNNLAB_LAYERS_CONV2D_H

#include "../onednn.h"

/* The `algorithm` parameter: which CPU kernels run. */
enum conv2d_algorithm {
    CONV2D_AUTO,     /* Winograd where it pays off (conv2d_cpu.c) */
    CONV2D_DIRECT,   /* oneDNN's direct convolution, always */
    CONV2D_WINOGRAD, /* Winograd forwards, and backward where it fits */
};

struct conv2d_config {
    int in, out;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_h, pad_w;
    int dilation_h, dilation_w;
    int bias; /* 1: a bias tensor (out) */
    int relu; /* 1: ReLU fused after the bias */
    enum conv2d_algorithm algorithm;
};

/* 1 when the Winograd kernels can compute this convolution: a 3x3 or
 * 5x5 kernel, stride 1, dilation 1 (any padding). */
int cnn_conv2d_winograd_fits(const struct conv2d_config *c);

/* The direct kernels' prepare: oneDNN's four primitives for `batch`, kept
 * as layer->kernel_state (a struct cnn_onednn_weighted, which weighted.c's
 * forward, backward and release use). */
int cnn_conv2d_direct_prepare(struct cnn_context *ctx,
                              struct cnn_layer *layer, int batch,
                              struct cnn_error *err);

#endif
