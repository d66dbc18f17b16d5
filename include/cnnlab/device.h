/* cnnlab — devices other than the CPU (CUDA): memory, copies, streams and
 * captured steps, provided by the module that implements the device's
 * kernels. The core moves data only through these, so it never links a
 * device runtime.
 *
 * Ordering: every operation runs in one stream per context, in the order
 * issued, like the kernels; `download` and `synchronize` wait for all of
 * it. Pointers called "device" below are the device's own memory, from
 * `alloc`. */
#ifndef CNNLAB_DEVICE_H
#define CNNLAB_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_context;

/* Settings of a device context, from the manifest's `cuda:` section. */
struct cnn_device_options {
    int ordinal;       /* which GPU, 0-based */
    int deterministic; /* only deterministic algorithms */
    int allow_tf32;    /* tensor-float-32 matrix arithmetic allowed */
    int graphs;        /* capture and replay steps (0: launch every time) */
};

struct cnn_device_type {
    const char *name;       /* "cuda" */
    enum cnn_device device;
    const char *help;

    /* Is a usable device present? Fills `err` with why not (no driver, no
     * GPU, driver too old) when it returns 0. Cheap enough to call at
     * validation. */
    int (*available)(struct cnn_error *err);
    /* Creates the stream and library handles and sets ctx->backend and
     * ctx->device_step. */
    int (*open)(struct cnn_context *ctx, const struct cnn_device_options *o,
                struct cnn_error *err);
    void (*close)(struct cnn_context *ctx);
    /* One line naming the device, e.g. "NVIDIA H200, 132 SMs, CUDA 13.0". */
    void (*describe)(struct cnn_context *ctx, char *buf, size_t size);

    void *(*alloc)(struct cnn_context *ctx, size_t bytes,
                   struct cnn_error *err);
    void (*free)(struct cnn_context *ctx, void *device_pointer);
    /* Host to device; returns once `host` may be reused (the copy itself
     * may still be in flight: staged through pinned memory). */
    int (*upload)(struct cnn_context *ctx, void *device_pointer,
                  const void *host, size_t bytes, struct cnn_error *err);
    /* Device to host; waits for everything issued before it. */
    int (*download)(struct cnn_context *ctx, void *host,
                    const void *device_pointer, size_t bytes,
                    struct cnn_error *err);
    int (*copy)(struct cnn_context *ctx, void *device_to,
                const void *device_from, size_t bytes, struct cnn_error *err);
    int (*zero)(struct cnn_context *ctx, void *device_pointer, size_t bytes,
                struct cnn_error *err);
    int (*synchronize)(struct cnn_context *ctx, struct cnn_error *err);

    /* Marks the end of a training step: advances the step count at
     * ctx->device_step on the device, so that kernels replayed from a
     * captured step see the right count. */
    int (*step_done)(struct cnn_context *ctx, struct cnn_error *err);

    /* Step capture (may be NULL: every step is launched). Between
     * capture_begin and capture_end the core issues one whole step; the
     * kernels must neither allocate nor wait then (prepare did that).
     * replay runs the captured step again with the same pointers. */
    int (*capture_begin)(struct cnn_context *ctx, struct cnn_error *err);
    int (*capture_end)(struct cnn_context *ctx, void **graph,
                       struct cnn_error *err);
    int (*replay)(struct cnn_context *ctx, void *graph,
                  struct cnn_error *err);
    void (*graph_free)(struct cnn_context *ctx, void *graph);
};

#ifdef __cplusplus
}
#endif
#endif
