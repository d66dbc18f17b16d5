/* cnnlab CUDA module — average pooling's kernels (kernels.h), the CPU's
 * plugins/layers/avgpool2d.c rule for rule: the same float additions in
 * the same order and the same division, so the two agree bit for bit
 * (no multiply here for nvcc to fuse into an FMA). */
#include "kernels.h"
#include "kernels_common.cuh"

using namespace cnn_cuda;

namespace {

/* Output o's window clipped to the input, and its divisor: the whole
 * kernel with count_include_pad (the floor output size keeps every window
 * inside input plus padding), else the input elements it covers. */
struct window {
    int y0, y1, x0, x1;
    float divisor;
};

__device__ window window_of(const cuda_pool_shape &s, int count_include_pad,
                            int oy, int ox)
{
    window w;
    int top = oy * s.stride_h - s.pad_h, left = ox * s.stride_w - s.pad_w;
    w.y0 = max(top, 0);
    w.y1 = min(top + s.kernel_h, s.in_h);
    w.x0 = max(left, 0);
    w.x1 = min(left + s.kernel_w, s.in_w);
    w.divisor = count_include_pad
                    ? (float)(s.kernel_h * s.kernel_w)
                    : (float)((w.y1 - w.y0) * (w.x1 - w.x0));
    return w;
}

/* One thread per output. */
__global__ void avgpool2d_forward_kernel(cuda_pool_shape s,
                                         int count_include_pad,
                                         const float *x, float *y)
{
    size_t in_plane = (size_t)s.in_h * s.in_w;
    size_t out_plane = (size_t)s.out_h * s.out_w;
    size_t total = (size_t)s.planes * out_plane;
    for (size_t i = thread_index(); i < total; i += thread_count()) {
        size_t p = i / out_plane;
        int o = (int)(i - p * out_plane);
        int oy = o / s.out_w, ox = o - oy * s.out_w;
        window w = window_of(s, count_include_pad, oy, ox);
        const float *plane = x + p * in_plane;
        float sum = 0.0f;
        for (int iy = w.y0; iy < w.y1; iy++)
            for (int ix = w.x0; ix < w.x1; ix++)
                sum = __fadd_rn(sum, plane[iy * s.in_w + ix]);
        y[i] = __fdiv_rn(sum, w.divisor);
    }
}

/* One thread per input, gathering from the windows that hold it (as max
 * pooling's backward, kernels.cu): no atomics, output order. */
__global__ void avgpool2d_backward_kernel(cuda_pool_shape s,
                                          int count_include_pad,
                                          const float *dy, float *dx)
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
        float sum = 0.0f;
        for (int oy = oy0; oy <= oy1; oy++)
            for (int ox = ox0; ox <= ox1; ox++) {
                window w = window_of(s, count_include_pad, oy, ox);
                sum = __fadd_rn(sum, __fdiv_rn(gradient[oy * s.out_w + ox],
                                               w.divisor));
            }
        dx[i] = sum;
    }
}

} // namespace

cudaError_t cuda_avgpool2d_forward(cudaStream_t stream,
                                   const struct cuda_pool_shape *shape,
                                   int count_include_pad, const float *x,
                                   float *y)
{
    size_t total = (size_t)shape->planes * shape->out_h * shape->out_w;
    if (total == 0)
        return cudaSuccess;
    avgpool2d_forward_kernel<<<blocks_for(total, block_size), block_size, 0,
                               stream>>>(*shape, count_include_pad, x, y);
    return cudaGetLastError();
}

cudaError_t cuda_avgpool2d_backward(cudaStream_t stream,
                                    const struct cuda_pool_shape *shape,
                                    int count_include_pad, const float *dy,
                                    float *dx)
{
    size_t total = (size_t)shape->planes * shape->in_h * shape->in_w;
    if (total == 0)
        return cudaSuccess;
    avgpool2d_backward_kernel<<<blocks_for(total, block_size), block_size,
                                0, stream>>>(*shape, count_include_pad, dy,
                                             dx);
    return cudaGetLastError();
}
