/* cnnlab CUDA module — the module's own layer kernels: relu, leaky-relu,
 * max and global pooling, dropout (convolutions and matrix products are
 * cuDNN's and cuBLAS's; the loss and SGD are in step_kernels.cu, average
 * pooling in avgpool2d_kernels.cu). Each follows the
 * CPU kernel of plugins/layers rule for rule (ties, NaN, the order of
 * additions where that decides the rounding), so the tests can compare the
 * two exactly or to a stated tolerance. Plain grid-stride loops: these
 * kernels are memory-bound, and at small batches their cost is the launch,
 * which graphs remove. */
#include "kernels.h"
#include "kernels_common.cuh"

using namespace cnn_cuda;

namespace {

/* ---- relu ---- */

__global__ void relu_forward_kernel(float *y, const float *x, size_t count)
{
    for (size_t i = thread_index(); i < count; i += thread_count()) {
        float v = x[i];
        /* Not fmaxf: NaN must pass through (as on the CPU). */
        y[i] = v < 0.0f ? 0.0f : v;
    }
}

__global__ void relu_backward_kernel(float *dx, const float *dy,
                                     const float *y, size_t count)
{
    for (size_t i = thread_index(); i < count; i += thread_count())
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/* ---- leaky-relu ---- */

/* The CPU's rule (plugins/layers/leaky_relu.c): x > 0 ? x : x * slope,
 * but slope 0 is relu's own expression (0 * x would give -0, or NaN for
 * -inf, where relu gives 0); backward likewise from x. One multiply, no
 * FMA to fuse. */
__global__ void leaky_relu_forward_kernel(float *y, const float *x,
                                          size_t count, float slope)
{
    for (size_t i = thread_index(); i < count; i += thread_count()) {
        float v = x[i];
        if (slope == 0.0f)
            y[i] = v < 0.0f ? 0.0f : v;
        else
            y[i] = v > 0.0f ? v : v * slope;
    }
}

__global__ void leaky_relu_backward_kernel(float *dx, const float *dy,
                                           const float *x, size_t count,
                                           float slope)
{
    for (size_t i = thread_index(); i < count; i += thread_count())
        dx[i] = x[i] > 0.0f ? dy[i] : slope == 0.0f ? 0.0f : dy[i] * slope;
}

/* ---- max pooling ---- */

/* One thread per output. The window is clipped to the input (the -inf
 * padding never wins, and setup keeps a window from lying wholly in it);
 * the first maximum wins and a NaN wins over numbers, the last NaN over
 * an earlier one: PyTorch's and the CPU's rule. */
template <bool record, bool output>
__global__ void maxpool2d_forward_kernel(cuda_pool_shape s, const float *x,
                                         float *y, int32_t *argmax)
{
    size_t in_plane = (size_t)s.in_h * s.in_w;
    size_t out_plane = (size_t)s.out_h * s.out_w;
    size_t total = (size_t)s.planes * out_plane;
    for (size_t i = thread_index(); i < total; i += thread_count()) {
        size_t p = i / out_plane;
        int o = (int)(i - p * out_plane);
        int oy = o / s.out_w, ox = o - oy * s.out_w;
        int y0 = oy * s.stride_h - s.pad_h;
        int y1 = min(y0 + s.kernel_h, s.in_h);
        y0 = max(y0, 0);
        int x0 = ox * s.stride_w - s.pad_w;
        int x1 = min(x0 + s.kernel_w, s.in_w);
        x0 = max(x0, 0);
        const float *plane = x + p * in_plane;
        int best_at = y0 * s.in_w + x0;
        float best = plane[best_at];
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) {
                float v = plane[iy * s.in_w + ix];
                if (v > best || isnan(v)) {
                    best = v;
                    best_at = iy * s.in_w + ix;
                }
            }
        if (output)
            y[i] = best;
        if (record)
            argmax[i] = best_at;
    }
}

/* One thread per input, gathering from the windows that cover it: no
 * atomics, and the sum over overlapping windows (kernel 3, stride 2) is
 * taken in output order from 0, as the CPU's scatter adds, so the two
 * agree bit for bit and every run gives the same result. */
__global__ void maxpool2d_backward_kernel(cuda_pool_shape s, const float *dy,
                                          const int32_t *argmax, float *dx)
{
    size_t in_plane = (size_t)s.in_h * s.in_w;
    size_t out_plane = (size_t)s.out_h * s.out_w;
    size_t total = (size_t)s.planes * in_plane;
    for (size_t i = thread_index(); i < total; i += thread_count()) {
        size_t p = i / in_plane;
        int at = (int)(i - p * in_plane);
        int iy = at / s.in_w, ix = at - iy * s.in_w;
        /* Windows oy with oy*stride - pad <= iy < oy*stride - pad + k. */
        int oy0 = iy + s.pad_h < s.kernel_h
                      ? 0
                      : (iy + s.pad_h - s.kernel_h) / s.stride_h + 1;
        int oy1 = min((iy + s.pad_h) / s.stride_h, s.out_h - 1);
        int ox0 = ix + s.pad_w < s.kernel_w
                      ? 0
                      : (ix + s.pad_w - s.kernel_w) / s.stride_w + 1;
        int ox1 = min((ix + s.pad_w) / s.stride_w, s.out_w - 1);
        const float *gradient = dy + p * out_plane;
        const int32_t *from = argmax + p * out_plane;
        float sum = 0.0f;
        for (int oy = oy0; oy <= oy1; oy++)
            for (int ox = ox0; ox <= ox1; ox++) {
                int o = oy * s.out_w + ox;
                if (from[o] == at)
                    sum += gradient[o];
            }
        dx[i] = sum;
    }
}

/* ---- global pooling: one warp per plane ---- */

__global__ void globalpool_forward_kernel(int max, const float *x, float *y,
                                          size_t planes, size_t area)
{
    unsigned lane = threadIdx.x % warp_size;
    for (size_t p = warp_index(); p < planes; p += warp_count()) {
        const float *plane = x + p * area;
        if (max) {
            first_max best = warp_first_max(plane, area);
            if (lane == 0)
                y[p] = best.value;
        } else {
            /* In double, as the CPU sums. */
            double sum = 0.0;
            for (size_t j = lane; j < area; j += warp_size)
                sum += plane[j];
            sum = warp_sum(sum);
            if (lane == 0)
                y[p] = (float)(sum / (double)area);
        }
    }
}

__global__ void globalpool_avg_backward_kernel(const float *dy, float *dx,
                                               size_t planes, size_t area)
{
    size_t total = planes * area;
    for (size_t i = thread_index(); i < total; i += thread_count())
        dx[i] = (float)(dy[i / area] / (double)area);
}

/* The gradient goes to the plane's first maximum only (PyTorch routes
 * it to one position too). */
__global__ void globalpool_max_backward_kernel(const float *x,
                                               const float *dy, float *dx,
                                               size_t planes, size_t area)
{
    unsigned lane = threadIdx.x % warp_size;
    for (size_t p = warp_index(); p < planes; p += warp_count()) {
        first_max best = warp_first_max(x + p * area, area);
        float *plane = dx + p * area;
        float gradient = dy[p];
        for (size_t j = lane; j < area; j += warp_size)
            plane[j] = j == best.index ? gradient : 0.0f;
    }
}

/* ---- dropout ---- */

/* SplitMix64's output function: a bijection that mixes every input bit
 * into every output bit. */
__device__ uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

constexpr uint64_t golden_gamma = 0x9e3779b97f4a7c15ULL;

/* Element i's draw is SplitMix64's i-th output from a key made of the
 * seed, the step and the layer: counter-based, so any thread computes its
 * own without a sequential stream, and a replayed graph that reads the
 * step from device memory gets a fresh mask each step. The CPU draws from
 * a sequential stream instead, so the two masks differ (same statistics,
 * not the same bits). */
__global__ void dropout_forward_kernel(const float *x, float *y,
                                       uint8_t *mask, size_t count, float p,
                                       float scale, uint64_t seed,
                                       const uint64_t *device_step,
                                       int layer_index)
{
    uint64_t key = mix64(seed ^ mix64(*device_step * golden_gamma +
                                      (uint64_t)(uint32_t)layer_index));
    for (size_t i = thread_index(); i < count; i += thread_count()) {
        uint64_t bits = mix64(key + (uint64_t)(i + 1) * golden_gamma);
        /* U[0, 1) in steps of 2^-24, kept when >= p as on the CPU. */
        float draw = (float)(bits >> 40) * 0x1.0p-24f;
        int kept = draw >= p;
        mask[i] = (uint8_t)kept;
        /* x times the multiplier, as the CPU: a NaN input stays NaN even
         * where dropped. */
        y[i] = x[i] * (kept ? scale : 0.0f);
    }
}

__global__ void dropout_backward_kernel(const float *dy, float *dx,
                                        const uint8_t *mask, size_t count,
                                        float scale)
{
    for (size_t i = thread_index(); i < count; i += thread_count())
        dx[i] = dy[i] * (mask[i] ? scale : 0.0f);
}

/* p = 1 drops everything: no 1 / 0 (as the CPU). */
float dropout_scale(float p)
{
    return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
}

} // namespace

/* ---- launchers ---- */

cudaError_t cuda_relu_forward(cudaStream_t stream, float *y, const float *x,
                              size_t count)
{
    if (count == 0)
        return cudaSuccess;
    relu_forward_kernel<<<blocks_for(count, block_size), block_size, 0,
                          stream>>>(y, x, count);
    return cudaGetLastError();
}

cudaError_t cuda_relu_backward(cudaStream_t stream, float *dx,
                               const float *dy, const float *y, size_t count)
{
    if (count == 0)
        return cudaSuccess;
    relu_backward_kernel<<<blocks_for(count, block_size), block_size, 0,
                           stream>>>(dx, dy, y, count);
    return cudaGetLastError();
}

cudaError_t cuda_leaky_relu_forward(cudaStream_t stream, float *y,
                                    const float *x, size_t count,
                                    float slope)
{
    if (count == 0)
        return cudaSuccess;
    leaky_relu_forward_kernel<<<blocks_for(count, block_size), block_size,
                                0, stream>>>(y, x, count, slope);
    return cudaGetLastError();
}

cudaError_t cuda_leaky_relu_backward(cudaStream_t stream, float *dx,
                                     const float *dy, const float *x,
                                     size_t count, float slope)
{
    if (count == 0)
        return cudaSuccess;
    leaky_relu_backward_kernel<<<blocks_for(count, block_size), block_size,
                                 0, stream>>>(dx, dy, x, count, slope);
    return cudaGetLastError();
}

cudaError_t cuda_maxpool2d_forward(cudaStream_t stream,
                                   const struct cuda_pool_shape *shape,
                                   const float *x, float *y, int32_t *argmax)
{
    size_t total = (size_t)shape->planes * shape->out_h * shape->out_w;
    if (total == 0)
        return cudaSuccess;
    unsigned blocks = blocks_for(total, block_size);
    if (argmax && y)
        maxpool2d_forward_kernel<true, true>
            <<<blocks, block_size, 0, stream>>>(*shape, x, y, argmax);
    else if (argmax)
        maxpool2d_forward_kernel<true, false>
            <<<blocks, block_size, 0, stream>>>(*shape, x, y, argmax);
    else
        maxpool2d_forward_kernel<false, true>
            <<<blocks, block_size, 0, stream>>>(*shape, x, y, argmax);
    return cudaGetLastError();
}

cudaError_t cuda_maxpool2d_backward(cudaStream_t stream,
                                    const struct cuda_pool_shape *shape,
                                    const float *dy, const int32_t *argmax,
                                    float *dx)
{
    size_t total = (size_t)shape->planes * shape->in_h * shape->in_w;
    if (total == 0)
        return cudaSuccess;
    maxpool2d_backward_kernel<<<blocks_for(total, block_size), block_size, 0,
                                stream>>>(*shape, dy, argmax, dx);
    return cudaGetLastError();
}

cudaError_t cuda_globalpool_forward(cudaStream_t stream, int max,
                                    const float *x, float *y, size_t planes,
                                    size_t area)
{
    if (planes == 0 || area == 0)
        return cudaSuccess;
    globalpool_forward_kernel<<<blocks_for(planes, block_size / warp_size),
                                block_size, 0, stream>>>(max, x, y, planes,
                                                         area);
    return cudaGetLastError();
}

cudaError_t cuda_globalpool_backward(cudaStream_t stream, int max,
                                     const float *x, const float *dy,
                                     float *dx, size_t planes, size_t area)
{
    if (planes == 0 || area == 0)
        return cudaSuccess;
    if (max)
        globalpool_max_backward_kernel<<<blocks_for(planes,
                                                    block_size / warp_size),
                                         block_size, 0, stream>>>(
            x, dy, dx, planes, area);
    else
        globalpool_avg_backward_kernel<<<blocks_for(planes * area,
                                                    block_size),
                                         block_size, 0, stream>>>(
            dy, dx, planes, area);
    return cudaGetLastError();
}

cudaError_t cuda_dropout_forward(cudaStream_t stream, const float *x,
                                 float *y, uint8_t *mask, size_t count,
                                 float p, uint64_t seed,
                                 const uint64_t *device_step,
                                 int layer_index)
{
    if (count == 0)
        return cudaSuccess;
    dropout_forward_kernel<<<blocks_for(count, block_size), block_size, 0,
                             stream>>>(x, y, mask, count, p,
                                       dropout_scale(p), seed, device_step,
                                       layer_index);
    return cudaGetLastError();
}

cudaError_t cuda_dropout_backward(cudaStream_t stream, const float *dy,
                                  float *dx, const uint8_t *mask,
                                  size_t count, float p)
{
    if (count == 0)
        return cudaSuccess;
    dropout_backward_kernel<<<blocks_for(count, block_size), block_size, 0,
                              stream>>>(dy, dx, mask, count,
                                        dropout_scale(p));
    return cudaGetLastError();
}

