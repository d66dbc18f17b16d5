/* cnnlab CUDA module — the small kernels of the layers with weights
 * (conv2d, linear): what cuDNN and cuBLAS leave to us. Callable from C;
 * each only enqueues on `stream` (so it may be captured in a graph) and
 * returns cudaGetLastError() after its launch, for CUDA_CHECK. Tensors
 * are float32, NCHW contiguous, in device memory. */
#ifndef CNNLAB_CUDA_WEIGHTED_KERNELS_H
#define CNNLAB_CUDA_WEIGHTED_KERNELS_H

#include <stddef.h>

#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/* y (n, channels, spatial) += bias[channel] (bias may be NULL), then, with
 * `relu`, y = y < 0 ? 0 : y (NaN kept, as PyTorch's relu). One pass
 * instead of two launches. */
cudaError_t cuda_launch_bias_relu(float *y, const float *bias, size_t n,
                                  int channels, size_t spatial, int relu,
                                  cudaStream_t stream);

/* masked = y > 0 ? dy : 0: the gradient through a fused ReLU given its
 * output y (the CPU kernels' rule: a NaN output passes no gradient). */
cudaError_t cuda_launch_relu_mask(float *masked, const float *dy,
                                  const float *y, size_t count,
                                  cudaStream_t stream);

/* The bias gradient db (channels) = the sum of g over samples and
 * positions, where g = dy, or with `relu` g = y > 0 ? dy : 0, which is
 * then also written to `masked` for the weight and input gradients: one
 * pass for both. One block per channel sums in double, in a fixed order,
 * so the result does not vary from run to run (atomics would).
 * Overwrites db. */
cudaError_t cuda_launch_bias_gradient(float *db, float *masked,
                                      const float *dy, const float *y,
                                      size_t n, int channels, size_t spatial,
                                      int relu, cudaStream_t stream);

/* conv2d's `padding: same` with an even span pads one zero more after
 * (bottom, right) than before, and cuDNN pads both sides alike: the
 * convolution runs on a copy of x with the extra rows and columns of
 * zeros at the end of each of its `planes` (n * channels) planes, and its
 * input gradient is cropped back. pad_end: padded (planes, h + extra_h,
 * w + extra_w) from x (planes, h, w); crop_end: x from padded's h x w
 * corners. Both overwrite their whole output. */
cudaError_t cuda_launch_pad_end(float *padded, const float *x, size_t planes,
                                int h, int w, int extra_h, int extra_w,
                                cudaStream_t stream);
cudaError_t cuda_launch_crop_end(float *x, const float *padded,
                                 size_t planes, int h, int w, int extra_h,
                                 int extra_w, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif
