/* The hardtanh example's CUDA kernels: the same comparisons as its CPU
 * loops, one thread an element (no arithmetic, so the two agree bit for
 * bit). Built by `make cuda` with nvcc into hardtanh-cuda.so beside the C
 * file (see Makefile); the C side reaches them through the two launch
 * functions below, on the stream cnnlab gives it (cnn_cuda_services,
 * <cnnlab/cuda.h>). */
#include <cuda_runtime.h>
#include <stddef.h>

#include "hardtanh_kernels.h"

static __global__ void forward_kernel(const float *x, float *y, size_t count,
                                      float low, float high)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) {
        float v = x[i];
        y[i] = v < low ? low : v > high ? high : v;
    }
}

static __global__ void backward_kernel(const float *x, const float *dy,
                                       float *dx, size_t count, float low,
                                       float high)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) {
        float v = x[i];
        dx[i] = v > low && v < high ? dy[i] : 0.0f;
    }
}

static unsigned blocks_for(size_t count)
{
    return (unsigned)((count + HARDTANH_CUDA_THREADS - 1) /
                      HARDTANH_CUDA_THREADS);
}

extern "C" const char *hardtanh_cuda_forward(void *stream, const float *x,
                                             float *y, size_t count,
                                             float low, float high)
{
    if (count == 0)
        return NULL;
    forward_kernel<<<blocks_for(count), HARDTANH_CUDA_THREADS, 0,
                     (cudaStream_t)stream>>>(x, y, count, low, high);
    cudaError_t status = cudaGetLastError();
    return status == cudaSuccess ? NULL : cudaGetErrorString(status);
}

extern "C" const char *hardtanh_cuda_backward(void *stream, const float *x,
                                              const float *dy, float *dx,
                                              size_t count, float low,
                                              float high)
{
    if (count == 0)
        return NULL;
    backward_kernel<<<blocks_for(count), HARDTANH_CUDA_THREADS, 0,
                      (cudaStream_t)stream>>>(x, dy, dx, count, low, high);
    cudaError_t status = cudaGetLastError();
    return status == cudaSuccess ? NULL : cudaGetErrorString(status);
}
