/* cnnlab layers module — Winograd convolutions for conv2d's 3x3 and 5x5,
 * stride 1, dilation 1 layers (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016): F(2x2, 3x3) or F(2x2, 5x5) for
 * the forward and the input gradient (a convolution too), their
 * transpositions F(3x3, 2x2) and F(5x5, 2x2) for the weight gradient. Each
 * 2x2 block of outputs ("tile") costs 16 multiply-adds per input channel
 * instead of 36 (5x5: 36 instead of 100), and those run as 16 (36) matrix
 * products in oneDNN's sgemm, which is faster per multiply-add than its
 * direct convolution. */
#ifndef CNNLAB_LAYERS_CONV2D_WINOGRAD_H
#define CNNLAB_LAYERS_CONV2D_WINOGRAD_H

#include "../onednn.h"

/* What one convolution computes, per batch of `batch` NCHW samples:
 * y (batch, out, out_h, out_w) = conv(x (batch, in, in_h, in_w), weight
 * (out, in, kernel, kernel), zero padding pad_h / pad_w) + bias (out;
 * when `bias`),
 * then max(0, .) when `relu`. */
struct cnn_winograd_shape {
    int kernel; /* 3: F(2x2, 3x3), or 5: F(2x2, 5x5) */
    int batch;
    int in, out;
    int in_h, in_w;
    int out_h, out_w;
    int pad_h, pad_w;
    int bias, relu;
    /* 1: cnn_winograd_weight_gradient may be called (allocates its
     * scratch: (kernel + 1)^2 * out * in floats per thread). */
    int weight_gradient;
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

/* The input gradient of the convolution `forward` computes: the
 * convolution of the output gradient with the filters transposed (in <->
 * out) and turned by 180 degrees, padded by kernel - 1 minus forward's
 * padding (which must not be more than kernel - 1). A 3x3 one shares
 * forward's transformed weights; a 5x5 one transforms its own. */
int cnn_winograd_create_input_gradient(struct cnn_winograd **winograd,
                                       struct cnn_winograd *forward,
                                       const struct cnn_layer *layer,
                                       struct cnn_error *err);
/* dx (the forward's input shape) from dy (ReLU mask already applied) and
 * the forward's weights, transformed again if they changed. */
int cnn_winograd_input_gradient(struct cnn_winograd *input_gradient,
                                const float *dy, float *dx,
                                const float *weight,
                                const struct cnn_layer *layer,
                                struct cnn_error *err);

/* The weight gradient (out, in, kernel, kernel) of the forward convolution
 * `winograd` computes, from its input x and the gradient dy of its output
 * (ReLU mask already applied), written (not added) to dweight, and the
 * bias gradient (out) to dbias unless NULL. The sums over the batch's
 * tiles are split among the threads, so the last bits depend on the
 * thread count (as oneDNN's do), not on anything else. */
int cnn_winograd_weight_gradient(struct cnn_winograd *winograd,
                                 const float *x, const float *dy,
                                 float *dweight, float *dbias,
                                 const struct cnn_layer *layer,
                                 struct cnn_error *err);

void cnn_winograd_destroy(struct cnn_winograd *winograd);

#endif
