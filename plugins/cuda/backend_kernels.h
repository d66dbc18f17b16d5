/* cnnlab CUDA module — the backend's own kernel (backend_kernels.cu),
 * callable from C. It returns cudaGetLastError() after the launch, for
 * CUDA_CHECK. */
#ifndef CNNLAB_CUDA_BACKEND_KERNELS_H
#define CNNLAB_CUDA_BACKEND_KERNELS_H

#include <stdint.h>

#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/* *step += 1 on the device, in stream order (one thread). */
cudaError_t cuda_launch_step_increment(uint64_t *step, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif
