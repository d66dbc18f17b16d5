/* The leaky-relu example's CUDA kernels: the same float operations as its
 * CPU loops, one thread an element. Built by `make cuda` with nvcc into
 * leaky-relu-cuda.so beside the C file (see Makefile); the C side reaches
 * them through the two launch functions below, on the stream cnnlab
 * gives it (cnn_cuda_services, <cnnlab/cuda.h>). */
#include <cuda_runtime.h>
#include <stddef.h>

#include "leaky_relu_kernels.h"

static __global__ void forward_kernel(const float *x, float *y, size_t count,
                                      float slope)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) {
        float v = x[i];
        y[i] = v > 0.0f ? v : __fmul_rn(slope, v);
    }
}

static __global__ void backward_kernel(const float *x, const float *dy,
                                       float *dx, size_t count, float slope)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count)
        dx[i] = x[i] > 0.0f ? dy[i] : __fmul_rn(slope, dy[i]);
}

static unsigned blocks_for(size_t count)
{
    return (unsigned)((count + LEAKY_RELU_CUDA_THREADS - 1) /
                      LEAKY_RELU_CUDA_THREADS);
}

extern "C" const char *leaky_relu_cuda_forward(void *stream, const float *x,
                                               float *y, size_t count,
                                               float slope)
{
    if (count == 0)
        return NULL;
    forward_kernel<<<blocks_for(count), LEAKY_RELU_CUDA_THREADS, 0,
                     (cudaStream_t)stream>>>(x, y, count, slope);
    cudaError_t status = cudaGetLastError();
    return status == cudaSuccess ? NULL : cudaGetErrorString(status);
}

extern "C" const char *leaky_relu_cuda_backward(void *stream, const float *x,
                                                const float *dy, float *dx,
                                                size_t count, float slope)
{
    if (count == 0)
        return NULL;
    backward_kernel<<<blocks_for(count), LEAKY_RELU_CUDA_THREADS, 0,
                      (cudaStream_t)stream>>>(x, dy, dx, count, slope);
    cudaError_t status = cudaGetLastError();
    return status == cudaSuccess ? NULL : cudaGetErrorString(status);
}
