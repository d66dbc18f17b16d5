/* cnnlab CUDA module — the step counter's kernel. A captured step replays
 * this launch, so the count advances on the device at every replay
 * without the host writing it. */
#include "backend_kernels.h"

static __global__ void step_increment(unsigned long long *step)
{
    *step += 1ULL;
}

extern "C" cudaError_t cuda_launch_step_increment(uint64_t *step,
                                                  cudaStream_t stream)
{
    step_increment<<<1, 1, 0, stream>>>(
        reinterpret_cast<unsigned long long *>(step));
    return cudaGetLastError();
}
