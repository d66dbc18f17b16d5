/* cnnlab layers module — what conv2d's definition and direct oneDNN
 * kernels (conv2d.c) and its CPU kernel dispatch between those and the
 * Winograd kernels (conv2d_cpu.c) share. Its settings, layer->state, are
 * the public struct cnn_conv2d_settings (<cnnlab/builtin_layers.h>); the
 * input channels are layer->input.c. */
#ifndef CNNLAB_LAYERS_CONV2D_H
#define CNNLAB_LAYERS_CONV2D_H

#include "../onednn.h"
#include "cnnlab/builtin_layers.h"

/* 1 when the Winograd kernels can compute this convolution: a 3x3 or
 * 5x5 kernel, stride 1, dilation 1 (any padding). */
int cnn_conv2d_winograd_fits(const struct cnn_conv2d_settings *c);

/* The direct kernels' prepare: oneDNN's four primitives for `batch`, kept
 * as layer->kernel_state (a struct cnn_onednn_weighted, which weighted.c's
 * forward, backward and release use). */
int cnn_conv2d_direct_prepare(struct cnn_context *ctx,
                              struct cnn_layer *layer, int batch,
                              struct cnn_error *err);

#endif
