/* cnnlab CUDA module — the backend: one stream, the cuDNN and cuBLAS
 * handles on it, the workspace arena every layer shares, the device step
 * counter; and the checks that turn a failed call into a cnn_error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "libraries.h"

/* cuBLAS's recommended workspace on Hopper is 32 MiB (4 MiB before it);
 * cuDNN's layers grow the arena in prepare when they need more. */
#define CUDA_WORKSPACE_INITIAL ((size_t)32 << 20)
#define CUDA_WORKSPACE_ROUND ((size_t)1 << 20)

/* The backend with what only this file uses. Arenas outgrown by a later
 * prepare are kept, not freed: a step captured before the growth still
 * points at the old one, and replaying it must not touch freed memory.
 * Growth at least doubles, so they add up to less than the current one. */
struct backend_owned {
    struct cuda_backend backend; /* first: ctx->backend points at it */
    void **retired;
    int retired_count;
};

/* "cudaMalloc(&p, n)" -> "cudaMalloc": the macros pass the whole call. */
static void call_name(char *name, size_t size, const char *call)
{
    size_t length = strcspn(call, "( ");
    if (length >= size)
        length = size - 1;
    memcpy(name, call, length);
    name[length] = '\0';
}

static int check_failed(const char *call, const char *where,
                        const char *status, const char *detail,
                        struct cnn_error *err)
{
    char name[96];
    call_name(name, sizeof name, call);
    return cnn_error_set(err, "%s failed%s%s: %s%s%s%s", name,
                         where ? " in " : "", where ? where : "", status,
                         detail && *detail ? " (" : "",
                         detail ? detail : "", detail && *detail ? ")" : "");
}

int cuda_check(cudaError_t status, const char *call, const char *where,
               struct cnn_error *err)
{
    if (status == cudaSuccess)
        return 0;
    return check_failed(call, where, cudaGetErrorName(status),
                        cudaGetErrorString(status), err);
}

int cudnn_check(cudnnStatus_t status, const char *call, const char *where,
                struct cnn_error *err)
{
    if (status == CUDNN_STATUS_SUCCESS)
        return 0;
    /* cuDNN 9 keeps a sentence about the last failure: which parameter. */
    char detail[512] = "";
    cudnnGetLastErrorString(detail, sizeof detail);
    return check_failed(call, where, cudnnGetErrorString(status), detail,
                        err);
}

int cublas_check(cublasStatus_t status, const char *call, const char *where,
                 struct cnn_error *err)
{
    if (status == CUBLAS_STATUS_SUCCESS)
        return 0;
    return check_failed(call, where, cublasGetStatusName(status),
                        cublasGetStatusString(status), err);
}

int cuda_workspace_reserve(struct cuda_backend *backend, size_t bytes,
                           struct cnn_error *err)
{
    struct backend_owned *owned = (struct backend_owned *)backend;
    if (bytes <= backend->workspace_size)
        return 0;
    if (backend->capturing)
        return cnn_error_set(err, "the CUDA workspace would grow to %zu "
                             "bytes during a captured step: workspace is "
                             "reserved in prepare, never in a step (a bug "
                             "in the layer that asked)", bytes);
    size_t size = backend->workspace_size * 2;
    if (size < bytes)
        size = bytes;
    size = (size + CUDA_WORKSPACE_ROUND - 1) / CUDA_WORKSPACE_ROUND *
           CUDA_WORKSPACE_ROUND;

    void **retired = realloc(owned->retired, (size_t)(owned->retired_count +
                                                      1) * sizeof *retired);
    if (!retired)
        return cnn_error_set(err, "out of memory for the CUDA workspace "
                             "list");
    owned->retired = retired;
    char where[96];
    snprintf(where, sizeof where, "the CUDA workspace arena (%zu MiB)",
             size >> 20);
    void *grown = NULL;
    if (CUDA_CHECK(cudaMalloc(&grown, size), where, err))
        return -1;
    if (backend->workspace)
        owned->retired[owned->retired_count++] = backend->workspace;
    backend->workspace = grown;
    backend->workspace_size = size;
    /* cuBLAS would otherwise allocate its own in a captured step. */
    return CUBLAS_CHECK(cublasSetWorkspace(backend->cublas, grown, size),
                        where, err);
}

struct cuda_backend *cuda_backend_create(const struct cnn_device_options *o,
                                         struct cnn_error *err)
{
    static const char where[] = "opening the CUDA device";
    int count = 0;
    if (cuda_libraries_load(err) ||
        CUDA_CHECK(cudaGetDeviceCount(&count), where, err))
        return NULL;
    if (o->ordinal < 0 || o->ordinal >= count) {
        cnn_error_set(err, "cuda: GPU %d was asked for (ordinal), but this "
                      "machine has %d, numbered from 0 to %d", o->ordinal,
                      count, count - 1);
        return NULL;
    }
    struct backend_owned *owned = calloc(1, sizeof *owned);
    if (!owned) {
        cnn_error_set(err, "out of memory for the CUDA backend");
        return NULL;
    }
    struct cuda_backend *b = &owned->backend;
    b->ordinal = o->ordinal;
    b->options = *o;
    int failed =
        CUDA_CHECK(cudaSetDevice(o->ordinal), where, err) ||
        CUDA_CHECK(cudaStreamCreateWithFlags(&b->stream,
                                             cudaStreamNonBlocking),
                   where, err) ||
        CUDNN_CHECK(cudnnCreate(&b->cudnn), where, err) ||
        CUDNN_CHECK(cudnnSetStream(b->cudnn, b->stream), where, err) ||
        CUBLAS_CHECK(cublasCreate(&b->cublas), where, err) ||
        /* Before the workspace: setting the stream resets it. */
        CUBLAS_CHECK(cublasSetStream(b->cublas, b->stream), where, err) ||
        CUBLAS_CHECK(cublasSetMathMode(b->cublas,
                                       o->allow_tf32
                                           ? CUBLAS_TF32_TENSOR_OP_MATH
                                           : CUBLAS_DEFAULT_MATH),
                     where, err) ||
        cuda_workspace_reserve(b, CUDA_WORKSPACE_INITIAL, err) ||
        CUDA_CHECK(cudaMalloc((void **)&b->device_step,
                              sizeof *b->device_step),
                   where, err) ||
        CUDA_CHECK(cudaMemsetAsync(b->device_step, 0,
                                   sizeof *b->device_step, b->stream),
                   where, err);
    for (int i = 0; i < CUDA_STAGING_SLOTS && !failed; i++)
        failed = CUDA_CHECK(cudaEventCreateWithFlags(
                                &b->staging[i].done, cudaEventDisableTiming),
                            where, err);
    if (!failed)
        failed = CUDA_CHECK(cudaStreamSynchronize(b->stream), where, err);
    if (failed) {
        cuda_backend_destroy(b);
        return NULL;
    }
    return b;
}

void cuda_backend_destroy(struct cuda_backend *b)
{
    struct backend_owned *owned = (struct backend_owned *)b;
    if (!b)
        return;
    /* Nothing left running may touch what is freed below. */
    if (b->stream)
        cudaStreamSynchronize(b->stream);
    for (int i = 0; i < CUDA_STAGING_SLOTS; i++) {
        if (b->staging[i].host)
            cudaFreeHost(b->staging[i].host);
        if (b->staging[i].done)
            cudaEventDestroy(b->staging[i].done);
    }
    cudaFree(b->device_step);
    cudaFree(b->workspace);
    for (int i = 0; i < owned->retired_count; i++)
        cudaFree(owned->retired[i]);
    free(owned->retired);
    if (b->cublas)
        cublasDestroy(b->cublas);
    if (b->cudnn)
        cudnnDestroy(b->cudnn);
    if (b->stream)
        cudaStreamDestroy(b->stream);
    free(owned);
}
