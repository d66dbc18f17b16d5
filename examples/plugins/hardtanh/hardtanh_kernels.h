/* The hardtanh example's CUDA launches (hardtanh_kernels.cu), callable
 * from C: each returns NULL once its kernel is queued on `stream` (a
 * cudaStream_t), or the CUDA runtime's message when the launch failed. */
#ifndef HARDTANH_KERNELS_H
#define HARDTANH_KERNELS_H

#include <stddef.h>

#define HARDTANH_CUDA_THREADS 256

#ifdef __cplusplus
extern "C" {
#endif

const char *hardtanh_cuda_forward(void *stream, const float *x, float *y,
                                  size_t count, float low, float high);
const char *hardtanh_cuda_backward(void *stream, const float *x,
                                   const float *dy, float *dx, size_t count,
                                   float low, float high);

#ifdef __cplusplus
}
#endif

#endif
