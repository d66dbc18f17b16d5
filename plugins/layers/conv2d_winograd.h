/* cnnlab layers module — Winograd F(2x2, 3x3) forward convolution for
 * conv2d's 3x3, stride 1, dilation 1 layers (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of
 * outputs ("tile") costs 16 multiply-adds per input channel instead of 36,
 * and those 16 run as 16 matrix products in oneDNN's sgemm, which is
 * faster per multiply-add than its direct convolution. */
#ifndef CNNLAB_LAYERS_CONV2D_WINOGRAD_H
#define CNNLAB_LAYERS_CONV2D_WINOGRAD_H

#include "onednn.h"

/* What one convolution computes, per batch of `batch` NCHW samples:
 * y (batch, out, out_h, out_w) = conv(x (batch, in, in_h, in_w), weight
 * (out, in, 3, 3), zero padding pad_h / pad_w) + bias (out; when `bias`),
 * then max(0, .) when `relu`. */
struct cnn_winograd_shape {
    int batch;
    int in, out;
    int in_h, in_w;
    int out_h, out_w;
    int pad_h, pad_w;
    int bias, relu;
};

struct cnn_winograd;

/* Allocates the transformed weights and the scratch of `threads` threads
 * for batches of shape->batch samples (nothing is allocated per call). */
int cnn_winograd_create(struct cnn_winograd **winograd,
                        const struct cnn_winograd_shape *shape, int threads,
                        const struct cnn_layer *layer,
                        struct cnn_error *err);

/* y = the convolution of x. The weights are transformed again whenever
 * they differ from the ones the last call transformed: a training step,
 * an ablated filter and a loaded checkpoint all change them in place, with
 * nothing to tell the layer, so each call compares them in full with a
 * copy (one read of the weights, small next to the products). Each
 * sample's output depends only on that sample (not on the batch or the
 * thread count). */
int cnn_winograd_forward(struct cnn_winograd *winograd, const float *x,
                         float *y, const float *weight, const float *bias,
                         const struct cnn_layer *layer,
                         struct cnn_error *err);

void cnn_winograd_destroy(struct cnn_winograd *winograd);

#endif
