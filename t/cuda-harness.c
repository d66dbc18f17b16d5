/* Helpers for the CUDA tests (see cuda-harness.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cuda-harness.h"

const struct cnn_device_type *gpu_device;
struct cnn_context gpu_context = {.device = CNN_DEVICE_CUDA, .threads = 1,
                                  .seed = 20240611};

static void bail_out(const char *what, const struct cnn_error *err)
{
    printf("Bail out! %s: %s\n", what, err->message);
    exit(1);
}

int gpu_open(struct cnn_registry *registry, struct cnn_error *err)
{
    gpu_device = cnn_registry_device(registry, CNN_DEVICE_CUDA);
    if (!gpu_device) {
        cnn_error_set(err, "no cuda device type is registered");
        return 0;
    }
    if (!gpu_device->available(err))
        return 0;
    const struct cnn_device_options options = {
        .ordinal = 0, .deterministic = 1, .allow_tf32 = 0, .graphs = 0};
    if (gpu_device->open(&gpu_context, &options, err))
        return -1;
    if (!gpu_context.backend || !gpu_context.device_step) {
        cnn_error_set(err, "open left the context without a backend or a "
                      "device step count");
        return -1;
    }
    return 1;
}

void gpu_close(void)
{
    if (gpu_device && gpu_context.backend)
        gpu_device->close(&gpu_context);
}

void *gpu_alloc(size_t bytes)
{
    struct cnn_error err = {0};
    void *p = gpu_device->alloc(&gpu_context, bytes ? bytes : 1, &err);
    if (!p)
        bail_out("device alloc", &err);
    return p;
}

void gpu_free(void *device_pointer)
{
    gpu_device->free(&gpu_context, device_pointer);
}

void gpu_upload(void *device_pointer, const void *host, size_t bytes)
{
    struct cnn_error err = {0};
    if (gpu_device->upload(&gpu_context, device_pointer, host, bytes, &err))
        bail_out("device upload", &err);
}

void gpu_download(void *host, const void *device_pointer, size_t bytes)
{
    struct cnn_error err = {0};
    if (gpu_device->download(&gpu_context, host, device_pointer, bytes,
                             &err))
        bail_out("device download", &err);
}

struct cnn_tensor gpu_tensor(int n, struct cnn_shape shape,
                             const float *host)
{
    struct cnn_tensor t = {n, shape, CNN_DEVICE_CUDA, NULL};
    size_t count = cnn_tensor_count(&t);
    float *poisoned = NULL;
    t.data = gpu_alloc(count * sizeof(float));
    if (!host) {
        poisoned = malloc(count * sizeof(float) + 1);
        if (!poisoned) {
            printf("Bail out! out of memory\n");
            exit(1);
        }
        poison(poisoned, count);
        host = poisoned;
    }
    gpu_upload(t.data, host, count * sizeof(float));
    free(poisoned);
    return t;
}

void gpu_tensor_free(struct cnn_tensor *t)
{
    gpu_free(t->data);
    t->data = NULL;
}

void gpu_reset_step(void)
{
    struct cnn_error err = {0};
    /* The context shows the count read-only; the test owns it. */
    if (gpu_device->zero(&gpu_context, (void *)gpu_context.device_step,
                         sizeof(uint64_t), &err))
        bail_out("zeroing the device step", &err);
}

void gpu_step_done(void)
{
    struct cnn_error err = {0};
    if (gpu_device->step_done(&gpu_context, &err))
        bail_out("step_done", &err);
}

struct check_result compare_floats(const float *got, const float *want,
                                   size_t count, double tolerance,
                                   const char *what)
{
    double *reference = doubles_new(count);
    for (size_t i = 0; i < count; i++)
        reference[i] = want[i];
    struct check_result r = compare(got, reference, count, tolerance, what);
    free(reference);
    return r;
}
