/* cnnlab CUDA module — the kernels of a training step's loss and update:
 * cross-entropy with label smoothing (plugins/losses/cross_entropy.c) and
 * SGD (plugins/optim/sgd.c), each the CPU's arithmetic on the device. */
#include "kernels.h"
#include "kernels_common.cuh"

using namespace cnn_cuda;

namespace {

/* The loss runs as one block of this many threads (see below). */
constexpr int loss_block_size = 512;
constexpr int loss_warps = loss_block_size / warp_size;

/* ---- cross-entropy ---- */

/* One block for the whole batch, a warp per row. A batch is small (at most
 * a few thousand rows of tens to thousands of classes), one block keeps
 * the totals' update in one thread after a reduction in a fixed order —
 * no atomics, the same sums on every run — and `batches`, read to name a
 * bad batch, is read and advanced by that same thread. The arithmetic is
 * the CPU's, in double: the shift by the row's maximum (the CPU's max,
 * which warp_first_max's value is), log-sum-exp, the smoothed loss
 * (1 - e) nll + e mean_j(-log p_j), and the gradient (p - q) / n. A label
 * outside [0, classes) is a NaN loss and a NaN gradient row (loss.h). */
__global__ void __launch_bounds__(loss_block_size)
cross_entropy_kernel(const float *logits, const int32_t *labels, int n,
                     int classes, double smoothing, float *dlogits,
                     int32_t *predictions, cnn_loss_totals *totals)
{
    __shared__ double warp_loss[loss_warps];
    __shared__ double warp_correct[loss_warps];
    int lane = threadIdx.x % warp_size, warp = threadIdx.x / warp_size;
    double off_target = smoothing / classes;
    double on_target = 1.0 - smoothing + off_target;
    double loss_total = 0.0, correct = 0.0;
    for (int r = warp; r < n; r += loss_warps) {
        const float *row = logits + (size_t)r * classes;
        first_max best = warp_first_max(row, (size_t)classes);
        double max = best.value;
        double sum = 0.0, sum_shifted = 0.0;
        for (int j = lane; j < classes; j += warp_size) {
            double shifted = (double)row[j] - max;
            sum += exp(shifted);
            sum_shifted += shifted;
        }
        sum = warp_sum(sum);
        sum_shifted = warp_sum(sum_shifted);
        double log_sum = log(sum);
        int label = labels[r];
        int valid = label >= 0 && label < classes;
        double loss = NAN;
        if (valid) {
            double nll = log_sum - ((double)row[label] - max);
            double uniform_nll = log_sum - sum_shifted / classes;
            loss = (1.0 - smoothing) * nll + smoothing * uniform_nll;
        }
        if (dlogits) {
            float *grad = dlogits + (size_t)r * classes;
            for (int j = lane; j < classes; j += warp_size) {
                double p = exp((double)row[j] - max) / sum;
                double q = j == label ? on_target : off_target;
                grad[j] = valid ? (float)((p - q) / n) : NAN;
            }
        }
        if (lane == 0) {
            loss_total += loss;
            correct += valid && best.index == (unsigned long long)label;
            if (predictions)
                predictions[r] = (int32_t)best.index;
        }
    }
    if (lane == 0) {
        warp_loss[warp] = loss_total;
        warp_correct[warp] = correct;
    }
    __syncthreads();
    if (threadIdx.x != 0)
        return;
    double batch_loss = 0.0, batch_correct = 0.0;
    for (int w = 0; w < loss_warps; w++) {
        batch_loss += warp_loss[w];
        batch_correct += warp_correct[w];
    }
    /* The batch is bad when its sum is not finite, as on the CPU. */
    double batch = totals->batches;
    if (!isfinite(batch_loss) && totals->first_bad_batch < 0)
        totals->first_bad_batch = batch;
    totals->loss_sum += batch_loss;
    totals->correct += batch_correct;
    totals->samples += n;
    totals->batches = batch + 1;
}

/* ---- SGD ---- */

/* The CPU's formulas operation for operation, with the _rn intrinsics so
 * that nvcc does not fuse a multiply and an add (the CPU build does not):
 * the two give the same bits. */
__global__ void sgd_kernel(cnn_sgd_settings s, float *weights,
                           const float *grads, float *state, size_t count,
                           const uint64_t *device_step)
{
    /* PyTorch starts the momentum buffer at the first gradient; the step
     * count lives on the device so that a replayed graph sees it. */
    int first = s.momentum != 0.0f && *device_step == 0;
    float keep_new = __fsub_rn(1.0f, s.dampening);
    for (size_t i = thread_index(); i < count; i += thread_count()) {
        float weight = weights[i];
        float gradient = __fadd_rn(grads[i], __fmul_rn(s.weight_decay, weight));
        if (s.momentum == 0.0f) {
            weights[i] = __fsub_rn(weight, __fmul_rn(s.lr, gradient));
            continue;
        }
        float buffer = first ? gradient
                             : __fadd_rn(__fmul_rn(s.momentum, state[i]),
                                         __fmul_rn(keep_new, gradient));
        state[i] = buffer;
        float direction = s.nesterov
                              ? __fadd_rn(gradient,
                                          __fmul_rn(s.momentum, buffer))
                              : buffer;
        weights[i] = __fsub_rn(weight, __fmul_rn(s.lr, direction));
    }
}

} // namespace

/* ---- launchers ---- */

cudaError_t cuda_cross_entropy(cudaStream_t stream, const float *logits,
                               const int32_t *labels, int n, int classes,
                               double smoothing, float *dlogits,
                               int32_t *predictions,
                               struct cnn_loss_totals *totals)
{
    /* One block (see the kernel); compute has refused an empty batch. */
    cross_entropy_kernel<<<1, loss_block_size, 0, stream>>>(
        logits, labels, n, classes, smoothing, dlogits, predictions, totals);
    return cudaGetLastError();
}

cudaError_t cuda_sgd_step(cudaStream_t stream,
                          struct cnn_sgd_settings settings, float *weights,
                          const float *grads, float *state, size_t count,
                          const uint64_t *device_step)
{
    if (count == 0)
        return cudaSuccess;
    sgd_kernel<<<blocks_for(count, block_size), block_size, 0, stream>>>(
        settings, weights, grads, state, count, device_step);
    return cudaGetLastError();
}
