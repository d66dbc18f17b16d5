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

/* One layer made twice from the same settings: `cpu` runs layers.so's
 * kernels, `gpu` cuda.so's, with its parameters, gradients and buffers
 * (batch norm's running statistics, one int64 slot a value as the
 * harness lays them out) in device memory, starting as the CPU twin's. */
struct gpu_twin {
    struct test_layer cpu, gpu;
    float *values, *gradients; /* device */
    void *buffers;             /* device */
    size_t buffer_bytes;
    char label[160];           /* for the test lines */
};

/* 0, or -1 after a diag saying why. Free with gpu_twin_free either way. */
int gpu_twin_make(struct gpu_twin *p, const char *type, struct cnn_shape in,
                  const char *const *settings, const char *label);
void gpu_twin_free(struct gpu_twin *p);

/* compare() against float references. */
struct check_result compare_floats(const float *got, const float *want,
                                   size_t count, double tolerance,
                                   const char *what);

#endif
