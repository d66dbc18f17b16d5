/* cnnlab CUDA module — what the module's own kernel files (kernels.cu,
 * step_kernels.cu) share: launch sizes, grid-stride indices and the
 * warp-wide reductions. Device code only; inline, so each file that
 * includes it gets its own copy. */
#ifndef CNNLAB_CUDA_KERNELS_COMMON_CUH
#define CNNLAB_CUDA_KERNELS_COMMON_CUH

#include <climits>
#include <cmath>
#include <cstddef>

namespace cnn_cuda {

constexpr int block_size = 256;
constexpr int warp_size = 32;
constexpr unsigned full_mask = 0xffffffffu;
constexpr unsigned long long no_index = ULLONG_MAX;

/* Blocks for `items` work items of `per_block` each, capped: every loop
 * strides over the grid, so a cap only means more turns. */
inline unsigned blocks_for(size_t items, size_t per_block)
{
    size_t blocks = (items + per_block - 1) / per_block;
    return blocks < 65536 ? (unsigned)blocks : 65536u;
}

__device__ inline size_t thread_index()
{
    return (size_t)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ inline size_t thread_count()
{
    return (size_t)gridDim.x * blockDim.x;
}

__device__ inline size_t warp_index()
{
    return thread_index() / warp_size;
}

__device__ inline size_t warp_count()
{
    return thread_count() / warp_size;
}

struct first_max {
    float value;
    unsigned long long index;
};

/* What the CPU's `best = 0; for i: if (v[i] > v[best]) best = i` finds
 * (global max pooling, the loss's arg-max), computed by the 32 lanes of a
 * warp (all lanes must call it; all get the answer): the first index of
 * the largest non-NaN value, or 0 when v[0] is NaN (a NaN there is never
 * beaten, and a NaN elsewhere never wins). count must be at least 1. */
__device__ inline first_max warp_first_max(const float *values,
                                           size_t count)
{
    unsigned lane = threadIdx.x % warp_size;
    first_max best = {0.0f, no_index};
    for (size_t j = lane; j < count; j += warp_size) {
        float v = values[j];
        if (!isnan(v) && (best.index == no_index || v > best.value)) {
            best.value = v;
            best.index = j;
        }
    }
    /* A maximum under (value, then lower index): the same in every lane
     * whatever the order of combination. */
    for (int offset = warp_size / 2; offset > 0; offset /= 2) {
        float other_value = __shfl_xor_sync(full_mask, best.value, offset);
        unsigned long long other_index =
            __shfl_xor_sync(full_mask, best.index, offset);
        if (other_index != no_index &&
            (best.index == no_index || other_value > best.value ||
             (other_value == best.value && other_index < best.index))) {
            best.value = other_value;
            best.index = other_index;
        }
    }
    if (best.index == no_index || isnan(values[0]))
        best.index = 0;
    best.value = values[best.index];
    return best;
}

/* The sum over the warp's lanes, in every lane. */
__device__ inline double warp_sum(double value)
{
    for (int offset = warp_size / 2; offset > 0; offset /= 2)
        value += __shfl_xor_sync(full_mask, value, offset);
    return value;
}

} // namespace cnn_cuda

#endif
