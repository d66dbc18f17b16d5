/* cnnlab CUDA module — batch normalisation's kernels (kernels.h). One
 * block per channel sums that channel in double, each thread over a fixed
 * stride of its values and then a fixed tree in shared memory: no
 * atomics, so a run gives the same bits every time. Elementwise steps
 * spell out their float operations (__fmul_rn, __fadd_rn) so that nvcc
 * fuses nothing the CPU does not. */
#include "kernels.h"
#include "kernels_common.cuh"

using namespace cnn_cuda;

namespace {

/* Value k of a channel: sample k / plane, position k % plane. */
__device__ inline size_t element_of(const cuda_batchnorm &b, int channel,
                                    size_t k)
{
    size_t sample = k / b.plane;
    return ((size_t)sample * b.channels + channel) * b.plane +
           (k - sample * b.plane);
}

/* The block's sum of every thread's `value` (all threads call it; all
 * get the sum). block_size threads, a power of two. */
__device__ double block_sum(double value, double *shared)
{
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = block_size / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half)
            shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    double sum = shared[0];
    __syncthreads();
    return sum;
}

/* Training: one block per channel: the batch's mean and biased variance,
 * the running statistics' update (the unbiased variance for running_var)
 * and saved = (mean, invstd). Block 0 counts the batch. */
__global__ void batch_statistics_kernel(cuda_batchnorm b, const float *x)
{
    __shared__ double shared[block_size];
    int channel = blockIdx.x;
    size_t count = (size_t)b.n * b.plane;
    double sum = 0.0;
    for (size_t k = threadIdx.x; k < count; k += block_size)
        sum += (double)x[element_of(b, channel, k)];
    double mean = block_sum(sum, shared) / (double)count;
    double squares = 0.0;
    for (size_t k = threadIdx.x; k < count; k += block_size) {
        double d = (double)x[element_of(b, channel, k)] - mean;
        squares += d * d;
    }
    double variance = block_sum(squares, shared) / (double)count;
    if (threadIdx.x == 0) {
        double unbiased = variance * (double)count / ((double)count - 1.0);
        b.running_mean[channel] =
            (float)(b.momentum * mean +
                    (1.0 - b.momentum) * (double)b.running_mean[channel]);
        b.running_var[channel] =
            (float)(b.momentum * unbiased +
                    (1.0 - b.momentum) * (double)b.running_var[channel]);
        b.saved[channel] = mean;
        b.saved[b.channels + channel] = 1.0 / sqrt(variance + b.eps);
        if (channel == 0)
            (*b.tracked)++;
    }
}

/* Evaluation: saved = (running_mean, 1 / sqrt(running_var + eps)). */
__global__ void running_statistics_kernel(cuda_batchnorm b)
{
    for (size_t c = thread_index(); c < (size_t)b.channels;
         c += thread_count()) {
        b.saved[c] = (double)b.running_mean[c];
        b.saved[b.channels + c] =
            1.0 / sqrt((double)b.running_var[c] + b.eps);
    }
}

__global__ void normalise_kernel(cuda_batchnorm b, const float *x, float *y)
{
    size_t total = (size_t)b.n * b.channels * b.plane;
    for (size_t i = thread_index(); i < total; i += thread_count()) {
        int channel = (int)((i / b.plane) % (size_t)b.channels);
        double mean = b.saved[channel], invstd = b.saved[b.channels + channel];
        double gamma = b.weight ? (double)b.weight[channel] : 1.0;
        double beta = b.bias ? (double)b.bias[channel] : 0.0;
        float alpha = (float)(invstd * gamma);
        float shift = (float)(beta - mean * invstd * gamma);
        float value = __fadd_rn(__fmul_rn(x[i], alpha), shift);
        y[i] = b.relu && !(value > 0.0f) ? 0.0f : value;
    }
}

/* dy masked by the fused ReLU, as a double. */
__device__ inline double masked(const cuda_batchnorm &b, const float *y,
                                const float *dy, size_t at)
{
    return b.relu && !(y[at] > 0.0f) ? 0.0 : (double)dy[at];
}

/* One block per channel: sum(g) and sum(g * (x - mean)) into saved,
 * and the parameter gradients. */
__global__ void gradient_sums_kernel(cuda_batchnorm b, const float *x,
                                     const float *y, const float *dy)
{
    __shared__ double shared[block_size];
    int channel = blockIdx.x;
    size_t count = (size_t)b.n * b.plane;
    double mean = b.saved[channel], invstd = b.saved[b.channels + channel];
    double sum = 0.0, dot = 0.0;
    for (size_t k = threadIdx.x; k < count; k += block_size) {
        size_t at = element_of(b, channel, k);
        double g = masked(b, y, dy, at);
        sum += g;
        dot += g * ((double)x[at] - mean);
    }
    sum = block_sum(sum, shared);
    dot = block_sum(dot, shared);
    if (threadIdx.x == 0) {
        b.saved[2 * b.channels + channel] = sum;
        b.saved[3 * b.channels + channel] = dot;
        if (b.weight_grad) {
            b.weight_grad[channel] = (float)(dot * invstd);
            b.bias_grad[channel] = (float)sum;
        }
    }
}

/* dx as the CPU's batchnorm_backward writes it. */
__global__ void input_gradient_kernel(cuda_batchnorm b, const float *x,
                                      const float *y, const float *dy,
                                      float *dx)
{
    size_t total = (size_t)b.n * b.channels * b.plane;
    double count = (double)b.n * (double)b.plane;
    for (size_t i = thread_index(); i < total; i += thread_count()) {
        int channel = (int)((i / b.plane) % (size_t)b.channels);
        double mean = b.saved[channel], invstd = b.saved[b.channels + channel];
        double sum = b.saved[2 * b.channels + channel];
        double dot = b.saved[3 * b.channels + channel];
        double gamma = b.weight ? (double)b.weight[channel] : 1.0;
        double projection = b.training ? dot * invstd * invstd / count : 0.0;
        double mean_gradient = b.training ? sum / count : 0.0;
        double g = masked(b, y, dy, i);
        dx[i] = (float)((g - mean_gradient -
                         ((double)x[i] - mean) * projection) *
                        (invstd * gamma));
    }
}

} // namespace

cudaError_t cuda_batchnorm_forward(cudaStream_t stream,
                                   const struct cuda_batchnorm *b,
                                   const float *x, float *y)
{
    size_t total = (size_t)b->n * b->channels * b->plane;
    if (total == 0)
        return cudaSuccess;
    if (b->training)
        batch_statistics_kernel<<<b->channels, block_size, 0, stream>>>(*b,
                                                                        x);
    else
        running_statistics_kernel<<<blocks_for(b->channels, block_size),
                                    block_size, 0, stream>>>(*b);
    cudaError_t status = cudaGetLastError();
    if (status != cudaSuccess)
        return status;
    normalise_kernel<<<blocks_for(total, block_size), block_size, 0,
                       stream>>>(*b, x, y);
    return cudaGetLastError();
}

cudaError_t cuda_batchnorm_backward(cudaStream_t stream,
                                    const struct cuda_batchnorm *b,
                                    const float *x, const float *y,
                                    const float *dy, float *dx)
{
    size_t total = (size_t)b->n * b->channels * b->plane;
    if (total == 0)
        return cudaSuccess;
    gradient_sums_kernel<<<b->channels, block_size, 0, stream>>>(*b, x, y,
                                                                 dy);
    cudaError_t status = cudaGetLastError();
    if (status != cudaSuccess || !dx)
        return status;
    input_gradient_kernel<<<blocks_for(total, block_size), block_size, 0,
                            stream>>>(*b, x, y, dy, dx);
    return cudaGetLastError();
}
