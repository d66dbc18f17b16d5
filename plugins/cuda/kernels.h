/* cnnlab CUDA module — the launchers of the module's own kernels
 * (kernels.cu: layers; step_kernels.cu: loss and SGD), callable from C.
 * Each enqueues its work on `stream` and nothing else: no allocation, no
 * synchronisation, no host read of device memory, so a launch may be
 * captured in a CUDA graph (backend.h). Each returns cudaGetLastError()
 * after its launches (cudaSuccess when there is nothing to do), for
 * CUDA_CHECK.
 *
 * Every pointer is device memory; float tensors are float32 NCHW. Layers
 * route the gradient exactly as the CPU kernels of plugins/layers do, so
 * the two agree bit for bit where the arithmetic allows. */
#ifndef CNNLAB_CUDA_KERNELS_H
#define CNNLAB_CUDA_KERNELS_H

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include "cnnlab/builtin_training.h"
#include "cnnlab/layer.h"
#include "cnnlab/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

/* relu: y = x < 0 ? 0 : x (NaN passes, as on the CPU and in PyTorch);
 * backward dx = y > 0 ? dy : 0. */
cudaError_t cuda_relu_forward(cudaStream_t stream, float *y, const float *x,
                              size_t count);
cudaError_t cuda_relu_backward(cudaStream_t stream, float *dx,
                               const float *dy, const float *y,
                               size_t count);

/* leaky-relu: y = x > 0 ? x : x * slope; backward dx = x > 0 ? dy :
 * dy * slope; slope 0 is relu's expressions, bit for bit (as the CPU). */
cudaError_t cuda_leaky_relu_forward(cudaStream_t stream, float *y,
                                    const float *x, size_t count,
                                    float slope);
cudaError_t cuda_leaky_relu_backward(cudaStream_t stream, float *dx,
                                     const float *dy, const float *x,
                                     size_t count, float slope);

/* Max and average pooling over `planes` planes of in_h x in_w (batch *
 * channels). */
struct cuda_pool_shape {
    long planes;
    int in_h, in_w, out_h, out_w;
    int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
};

/* y (planes, out_h, out_w) from x (planes, in_h, in_w). argmax, when not
 * NULL, receives each output's offset in its input plane (int32), for
 * backward. y may be NULL when argmax is not: the maxima's positions
 * alone (a backward after an inference forward finds them again). */
cudaError_t cuda_maxpool2d_forward(cudaStream_t stream,
                                   const struct cuda_pool_shape *shape,
                                   const float *x, float *y,
                                   int32_t *argmax);
/* dx = sum of the dy routed to each input by argmax (overwritten). */
cudaError_t cuda_maxpool2d_backward(cudaStream_t stream,
                                    const struct cuda_pool_shape *shape,
                                    const float *dy, const int32_t *argmax,
                                    float *dx);

/* Average pooling (avgpool2d_kernels.cu), with the CPU's operations in
 * its order: each window summed in float row by row from 0, then divided
 * by kernel_h * kernel_w (count_include_pad) or by the input elements it
 * covers; backward gathers dy / divisor over the windows that hold each
 * input, in output order from 0, as the CPU adds them. Overwrites y / dx. */
cudaError_t cuda_avgpool2d_forward(cudaStream_t stream,
                                   const struct cuda_pool_shape *shape,
                                   int count_include_pad, const float *x,
                                   float *y);
cudaError_t cuda_avgpool2d_backward(cudaStream_t stream,
                                    const struct cuda_pool_shape *shape,
                                    int count_include_pad, const float *dy,
                                    float *dx);

/* Batch normalisation (batchnorm_kernels.cu) of n samples of `channels`
 * planes of `plane` values, the CPU kernels' arithmetic
 * (plugins/layers/batchnorm_cpu.c): each channel's sums in double, here
 * by one block in a fixed tree (the same bits every run), the
 * normalisation as x * alpha + shift with alpha and shift rounded to
 * float per channel. `saved` (device, 4 * channels doubles) holds what a
 * forward normalised with (mean, invstd) and the backward's sums. */
struct cuda_batchnorm {
    int n, channels;
    size_t plane;
    double eps, momentum;
    int relu;
    int training;              /* forward: batch statistics and running
                                  update; backward: of such a forward */
    const float *weight, *bias; /* NULL without affine */
    float *weight_grad, *bias_grad;
    float *running_mean, *running_var;
    int64_t *tracked;          /* num_batches_tracked */
    double *saved;
};
cudaError_t cuda_batchnorm_forward(cudaStream_t stream,
                                   const struct cuda_batchnorm *b,
                                   const float *x, float *y);
/* dx may be NULL (then only the parameter gradients). */
cudaError_t cuda_batchnorm_backward(cudaStream_t stream,
                                    const struct cuda_batchnorm *b,
                                    const float *x, const float *y,
                                    const float *dy, float *dx);

/* Global pooling of `planes` planes of `area` values to one value each. */
cudaError_t cuda_globalpool_forward(cudaStream_t stream, int max,
                                    const float *x, float *y, size_t planes,
                                    size_t area);
/* max: finds each plane's maximum in x again (as the CPU does). */
cudaError_t cuda_globalpool_backward(cudaStream_t stream, int max,
                                     const float *x, const float *dy,
                                     float *dx, size_t planes, size_t area);

/* Inverted dropout: mask[i] = 1 when element i is kept (probability
 * 1 - p), y = x * (kept ? 1 / (1 - p) : 0). The draw is a hash of seed,
 * *device_step (read on the device), layer index and i. */
cudaError_t cuda_dropout_forward(cudaStream_t stream, const float *x,
                                 float *y, uint8_t *mask, size_t count,
                                 float p, uint64_t seed,
                                 const uint64_t *device_step,
                                 int layer_index);
/* dx = dy * (mask[i] ? 1 / (1 - p) : 0). */
cudaError_t cuda_dropout_backward(cudaStream_t stream, const float *dy,
                                  float *dx, const uint8_t *mask,
                                  size_t count, float p);

/* Cross-entropy with label smoothing over logits (n, classes): adds to
 * *totals (device memory, see loss.h), writes dlogits (the mean loss's
 * gradient) and predictions when not NULL. One block: the batch is
 * reduced in a fixed order and totals are updated by one thread. */
cudaError_t cuda_cross_entropy(cudaStream_t stream, const float *logits,
                               const int32_t *labels, int n, int classes,
                               double smoothing, float *dlogits,
                               int32_t *predictions,
                               struct cnn_loss_totals *totals);

/* SGD over `count` parameters as plugins/optim/sgd.c, with the settings
 * the sgd definition parsed, their lr already times the step's lr_scale.
 * The update is the first (momentum buffer = gradient) when *device_step
 * is 0. */
cudaError_t cuda_sgd_step(cudaStream_t stream,
                          struct cnn_sgd_settings settings, float *weights,
                          const float *grads, float *state, size_t count,
                          const uint64_t *device_step);

#ifdef __cplusplus
}
#endif

#ifndef __CUDACC__
#include "cnnlab/builtin_training.h"
#include "cnnlab/layer.h"

/* cnn_layer_check_tensor (layer.h) for these kernels: on CUDA. */
static inline int cuda_kernels_check_tensor(const struct cnn_tensor *t,
                                            struct cnn_shape shape,
                                            int batch, const char *role,
                                            const struct cnn_layer *layer,
                                            struct cnn_error *err)
{
    return cnn_layer_check_tensor(t, CNN_DEVICE_CUDA, shape, batch, role,
                                  layer, err);
}
#endif

#endif
