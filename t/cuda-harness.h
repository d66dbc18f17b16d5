/* Helpers for the tests of the CUDA module: the device type cuda.so
 * registers, one context on it, and device memory moves. A failure of
 * these is the backend's, not the kernels' under test: they print
 * "Bail out!" and exit. */
#ifndef CNNLAB_T_CUDA_HARNESS_H
#define CNNLAB_T_CUDA_HARNESS_H

#include <stddef.h>

#include "cnnlab/cnnlab.h"
#include "cnnlab/registry.h"
#include "layer-harness.h"

extern const struct cnn_device_type *gpu_device;
/* Opened by gpu_open: backend and device_step set, seed the harness's. */
extern struct cnn_context gpu_context;

/* Finds the cuda device in `registry` and opens a context on GPU 0
 * (deterministic, no TF32, no graphs). 1: open; 0: no usable GPU, or no
 * device registered (err says which); -1: opening failed. */
int gpu_open(struct cnn_registry *registry, struct cnn_error *err);
void gpu_close(void);

void *gpu_alloc(size_t bytes);
void gpu_free(void *device_pointer);
void gpu_upload(void *device_pointer, const void *host, size_t bytes);
void gpu_download(void *host, const void *device_pointer, size_t bytes);

/* A device tensor holding `host`, or poison (1e6) when host is NULL, so
 * an element a kernel fails to write shows. */
struct cnn_tensor gpu_tensor(int n, struct cnn_shape shape,
                             const float *host);
void gpu_tensor_free(struct cnn_tensor *t);

/* Sets the device's step count to 0 / advances it (step_done). */
void gpu_reset_step(void);
void gpu_step_done(void);

/* compare() against float references. */
struct check_result compare_floats(const float *got, const float *want,
                                   size_t count, double tolerance,
                                   const char *what);

#endif
