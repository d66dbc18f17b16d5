/* cnnlab CUDA module — bias + ReLU after a convolution or matrix product;
 * for backward the ReLU mask, alone or with the bias gradient; and the
 * copies that give cuDNN, which pads both sides alike, the extra zeros of
 * conv2d's `padding: same`. Grid-stride loops over the flat arrays,
 * consecutive threads on consecutive elements. */
#include "weighted_kernels.h"

static const unsigned int block_size = 256;

/* Enough blocks to fill a large GPU a few times over; the grid-stride
 * loops cover the rest. */
static unsigned int grid_for(size_t count)
{
    const size_t most = 4096;
    size_t blocks = (count + block_size - 1) / block_size;
    return (unsigned int)(blocks == 0 ? 1 : blocks < most ? blocks : most);
}

static __global__ void bias_relu(float *y, const float *bias, size_t total,
                                 size_t channels, size_t spatial, int relu)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
         i < total; i += stride) {
        float v = y[i];
        if (bias)
            v += bias[(i / spatial) % channels];
        if (relu && v < 0.0f)
            v = 0.0f;
        y[i] = v;
    }
}

static __global__ void relu_mask(float *masked, const float *dy,
                                 const float *y, size_t count)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
         i < count; i += stride)
        masked[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/* Threads per block of bias_gradient: a power of two (the halving
 * reduction). */
#define BIAS_GRADIENT_THREADS 256

static __global__ void bias_gradient(float *db, float *masked,
                                     const float *dy, const float *y,
                                     unsigned int per_channel,
                                     unsigned int spatial, size_t channels,
                                     int relu)
{
    __shared__ double partial[BIAS_GRADIENT_THREADS];
    size_t channel = blockIdx.x;
    double sum = 0.0;
    for (unsigned int j = threadIdx.x; j < per_channel; j += blockDim.x) {
        unsigned int sample = j / spatial, position = j - sample * spatial;
        size_t i = ((size_t)sample * channels + channel) * spatial + position;
        float g = dy[i];
        if (relu) {
            g = y[i] > 0.0f ? g : 0.0f;
            masked[i] = g;
        }
        sum += g;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (unsigned int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half)
            partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        db[channel] = (float)partial[0];
}

extern "C" cudaError_t cuda_launch_bias_relu(float *y, const float *bias,
                                             size_t n, int channels,
                                             size_t spatial, int relu,
                                             cudaStream_t stream)
{
    size_t total = n * (size_t)channels * spatial;
    if (total == 0 || (!bias && !relu))
        return cudaSuccess;
    bias_relu<<<grid_for(total), block_size, 0, stream>>>(
        y, bias, total, (size_t)channels, spatial, relu);
    return cudaGetLastError();
}

extern "C" cudaError_t cuda_launch_relu_mask(float *masked, const float *dy,
                                             const float *y, size_t count,
                                             cudaStream_t stream)
{
    if (count == 0)
        return cudaSuccess;
    relu_mask<<<grid_for(count), block_size, 0, stream>>>(masked, dy, y,
                                                           count);
    return cudaGetLastError();
}

extern "C" cudaError_t cuda_launch_bias_gradient(float *db, float *masked,
                                                 const float *dy,
                                                 const float *y, size_t n,
                                                 int channels, size_t spatial,
                                                 int relu,
                                                 cudaStream_t stream)
{
    size_t per_channel = n * spatial;
    if (channels <= 0)
        return cudaSuccess;
    /* 32-bit indices within a channel keep the division cheap. */
    if (per_channel > 0xffffffffu)
        return cudaErrorInvalidValue;
    bias_gradient<<<(unsigned int)channels, BIAS_GRADIENT_THREADS, 0,
                    stream>>>(db, masked, dy, y, (unsigned int)per_channel,
                              (unsigned int)spatial, (size_t)channels, relu);
    return cudaGetLastError();
}

/* The padded plane (h + extra_h) x (w + extra_w) from the plane h x w:
 * the input where it is, zeros in the extra rows and columns. One thread
 * per padded element. */
static __global__ void pad_end(float *padded, const float *x, size_t total,
                               int h, int w, int extra_h, int extra_w)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    int padded_w = w + extra_w;
    size_t plane = (size_t)(h + extra_h) * padded_w;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
         i < total; i += stride) {
        size_t p = i / plane;
        int at = (int)(i - p * plane);
        int row = at / padded_w, column = at - row * padded_w;
        padded[i] = row < h && column < w
                        ? x[(p * h + (size_t)row) * w + column]
                        : 0.0f;
    }
}

/* The reverse: the h x w corner of each padded plane. */
static __global__ void crop_end(float *x, const float *padded, size_t total,
                                int h, int w, int extra_h, int extra_w)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;
    size_t plane = (size_t)h * w;
    int padded_w = w + extra_w;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
         i < total; i += stride) {
        size_t p = i / plane;
        int at = (int)(i - p * plane);
        int row = at / w, column = at - row * w;
        x[i] = padded[(p * (size_t)(h + extra_h) + (size_t)row) * padded_w +
                      column];
    }
}

extern "C" cudaError_t cuda_launch_pad_end(float *padded, const float *x,
                                           size_t planes, int h, int w,
                                           int extra_h, int extra_w,
                                           cudaStream_t stream)
{
    size_t total = planes * (size_t)(h + extra_h) * (size_t)(w + extra_w);
    if (total == 0)
        return cudaSuccess;
    pad_end<<<grid_for(total), block_size, 0, stream>>>(
        padded, x, total, h, w, extra_h, extra_w);
    return cudaGetLastError();
}

extern "C" cudaError_t cuda_launch_crop_end(float *x, const float *padded,
                                            size_t planes, int h, int w,
                                            int extra_h, int extra_w,
                                            cudaStream_t stream)
{
    size_t total = planes * (size_t)h * (size_t)w;
    if (total == 0)
        return cudaSuccess;
    crop_end<<<grid_for(total), block_size, 0, stream>>>(
        x, padded, total, h, w, extra_h, extra_w);
    return cudaGetLastError();
}
