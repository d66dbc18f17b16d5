/* cnnlab — what a plugin's own CUDA kernels need from a CUDA context: the
 * stream every kernel of a step runs on, and device memory. With it an
 * out-of-tree layer can ship a CUDA kernel beside its CPU one
 * (examples/plugins/hardtanh, docs/plugin-guide.md).
 *
 * The rules are the built-in kernels' (a whole training step may be
 * captured as one CUDA graph and replayed): launch on `stream` only, never
 * synchronise or read device memory from the host in forward or backward,
 * and allocate in prepare, never during a step.
 *
 * The header needs no CUDA header: the stream is a cudaStream_t held as a
 * void *, to be cast back where the kernel is launched. */
#ifndef CNNLAB_CUDA_H
#define CNNLAB_CUDA_H

#include <stddef.h>

#include "error.h"
#include "layer.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_cuda_services {
    void *stream; /* cudaStream_t */
    /* Device memory for the context's GPU (prepare only); free may be
     * called from release. */
    void *(*alloc)(struct cnn_context *ctx, size_t bytes,
                   struct cnn_error *err);
    void (*free)(struct cnn_context *ctx, void *device_pointer);
};

/* The services of an open CUDA context, or NULL with the error when `ctx`
 * belongs to another device (a kernel registered for CUDA is only called
 * with a CUDA context: this is the check that it was). */
static inline const struct cnn_cuda_services *
cnn_cuda_services(const struct cnn_context *ctx, struct cnn_error *err)
{
    if (!ctx || ctx->device != CNN_DEVICE_CUDA || !ctx->backend) {
        cnn_error_set(err, "a CUDA kernel was called without an open CUDA "
                      "context (a bug in whatever called it)");
        return NULL;
    }
    /* The CUDA module's backend starts with these services. */
    return (const struct cnn_cuda_services *)ctx->backend;
}

#ifdef __cplusplus
}
#endif

#endif
