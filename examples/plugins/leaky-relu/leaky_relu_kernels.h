/* The leaky-relu example's CUDA launches (leaky_relu_kernels.cu), callable
 * from C: each returns NULL once its kernel is queued on `stream` (a
 * cudaStream_t), or the CUDA runtime's message when the launch failed. */
#ifndef LEAKY_RELU_KERNELS_H
#define LEAKY_RELU_KERNELS_H

#include <stddef.h>

#define LEAKY_RELU_CUDA_THREADS 256

#ifdef __cplusplus
extern "C" {
#endif

const char *leaky_relu_cuda_forward(void *stream, const float *x, float *y,
                                    size_t count, float slope);
const char *leaky_relu_cuda_backward(void *stream, const float *x,
                                     const float *dy, float *dx,
                                     size_t count, float slope);

#ifdef __cplusplus
}
#endif

#endif
