/* cnnlab CUDA module — what every file of the module shares: the backend
 * (one stream, the cuDNN and cuBLAS handles, a workspace arena, pinned
 * staging for uploads, the device step counter) and the checks that turn a
 * failed CUDA, cuDNN or cuBLAS call into a cnn_error naming the call.
 *
 * Everything a layer, loss or optimizer launches goes to backend->stream,
 * so that a whole training step can be captured as one CUDA graph. Hence
 * the rules for forward/backward/compute/step: no cudaMalloc, no
 * synchronisation, no host reads of device memory; anything sized by the
 * batch is created in prepare; anything that changes between steps is read
 * from device memory (ctx->device_step). */
#ifndef CNNLAB_CUDA_BACKEND_H
#define CNNLAB_CUDA_BACKEND_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "cnnlab/cuda.h"
#include "cnnlab/device.h"
#include "cnnlab/layer.h"
#include "cnnlab/plugin.h"

/* Two uploads a step (images, labels); four slots let the host prepare the
 * next step while the device still copies the current one. */
#define CUDA_STAGING_SLOTS 4

struct cuda_staging {
    void *host;           /* pinned */
    size_t size;
    cudaEvent_t done;     /* recorded after the copy out of it */
    int used;
};

struct cuda_backend {
    /* First: what include/cnnlab/cuda.h gives plugins (cnn_cuda_services
     * reads ctx->backend as this). */
    struct cnn_cuda_services services;
    int ordinal;
    struct cnn_device_options options;
    cudaStream_t stream;
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    /* One scratch area for every layer's cuDNN/cuBLAS workspace: layers
     * run one at a time on one stream, so they can share it. Grown only
     * in prepare (cuda_workspace_reserve), never during a step. */
    void *workspace;
    size_t workspace_size;
    uint64_t *device_step;  /* device memory: steps taken */
    struct cuda_staging staging[CUDA_STAGING_SLOTS];
    int next_staging;
    int capturing;
};

static inline struct cuda_backend *cuda_backend_of(struct cnn_context *ctx)
{
    return (struct cuda_backend *)ctx->backend;
}

/* The checks: each returns 0, or -1 with `err` naming the call, the
 * library's own error text and `where` (e.g. the layer name). */
int cuda_check(cudaError_t status, const char *call, const char *where,
               struct cnn_error *err);
int cudnn_check(cudnnStatus_t status, const char *call, const char *where,
                struct cnn_error *err);
int cublas_check(cublasStatus_t status, const char *call, const char *where,
                 struct cnn_error *err);

#define CUDA_CHECK(call, where, err) cuda_check((call), #call, (where), (err))
#define CUDNN_CHECK(call, where, err) \
    cudnn_check((call), #call, (where), (err))
#define CUBLAS_CHECK(call, where, err) \
    cublas_check((call), #call, (where), (err))

/* Makes the shared workspace at least `bytes` (prepare only). */
int cuda_workspace_reserve(struct cuda_backend *backend, size_t bytes,
                           struct cnn_error *err);

/* The backend's lifecycle (backend.c), for the device type (device.c):
 * create makes the stream, the cuDNN and cuBLAS handles, the workspace
 * arena and the step counter on GPU o->ordinal; destroy waits for the
 * stream and frees all of it, staging included (NULL is fine). */
struct cuda_backend *cuda_backend_create(const struct cnn_device_options *o,
                                         struct cnn_error *err);
void cuda_backend_destroy(struct cuda_backend *backend);

/* The device type (device.h) this module registers. */
extern const struct cnn_device_type cuda_device_type;

/* Kernel tables, one per layer type, in their own files. */
extern const struct cnn_layer_kernels cuda_conv2d_kernels;
extern const struct cnn_layer_kernels cuda_linear_kernels;
extern const struct cnn_layer_kernels cuda_maxpool2d_kernels;
extern const struct cnn_layer_kernels cuda_avgpool2d_kernels;
extern const struct cnn_layer_kernels cuda_relu_kernels;
extern const struct cnn_layer_kernels cuda_leaky_relu_kernels;
extern const struct cnn_layer_kernels cuda_globalpool_kernels;
extern const struct cnn_layer_kernels cuda_flatten_kernels;
extern const struct cnn_layer_kernels cuda_dropout_kernels;
extern const struct cnn_layer_kernels cuda_batchnorm2d_kernels;
extern const struct cnn_layer_kernels cuda_batchnorm1d_kernels;
extern const struct cnn_loss_kernels cuda_cross_entropy_kernels;
extern const struct cnn_optimizer_kernels cuda_sgd_kernels;

#endif
