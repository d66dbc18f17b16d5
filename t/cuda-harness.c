/* Helpers for the CUDA tests (see cuda-harness.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda-harness.h"
#include "tap.h"

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

int gpu_twin_make(struct gpu_twin *p, const char *type, struct cnn_shape in,
                  const char *const *settings, const char *label)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    if (test_layer_make_list(&p->cpu, type, in, settings) ||
        test_layer_make_list(&p->gpu, type, in, settings)) {
        diag("%s: %s%s", p->label, p->cpu.err.message, p->gpu.err.message);
        return -1;
    }
    p->gpu.kernels = cnn_registry_layer_kernels(harness_registry, type,
                                                CNN_DEVICE_CUDA);
    if (!p->gpu.kernels) {
        diag("no cuda kernels registered for %s", type);
        return -1;
    }
    size_t bytes = p->cpu.parameter_count * sizeof(float);
    p->values = gpu_alloc(bytes);
    p->gradients = gpu_alloc(bytes);
    if (bytes)
        gpu_upload(p->values, p->cpu.values, bytes);
    for (int i = 0; i < p->gpu.layer.tensor_count; i++) {
        struct cnn_param_tensor *t = &p->gpu.layer.tensors[i];
        t->data = p->values + t->offset;
        t->grad = p->gradients + t->offset;
    }
    size_t slots = 0;
    for (int i = 0; i < p->cpu.layer.buffer_count; i++)
        slots += p->cpu.layer.buffers[i].count;
    p->buffer_bytes = slots * sizeof(int64_t);
    p->buffers = gpu_alloc(p->buffer_bytes);
    if (p->buffer_bytes)
        gpu_upload(p->buffers, p->cpu.buffers, p->buffer_bytes);
    /* The same offsets from the start of the buffers as on the CPU. */
    for (int i = 0; i < p->gpu.layer.buffer_count; i++) {
        size_t offset = (size_t)((char *)p->cpu.layer.buffers[i].data -
                                 (char *)p->cpu.buffers);
        p->gpu.layer.buffers[i].data = (char *)p->buffers + offset;
    }
    return 0;
}

void gpu_twin_free(struct gpu_twin *p)
{
    if (p->values)
        gpu_free(p->values);
    if (p->gradients)
        gpu_free(p->gradients);
    if (p->buffers)
        gpu_free(p->buffers);
    test_layer_free(&p->cpu);
    test_layer_free(&p->gpu);
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
