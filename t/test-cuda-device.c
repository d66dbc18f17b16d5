/* The CUDA module's device type (plugins/cuda/device.c): availability
 * and its reasons, memory, copies through the pinned staging slots, the
 * device step counter, step capture and replay, and what is refused
 * during a capture. Without a GPU only the refusal of a machine without
 * one is checked, and the rest is skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda-harness.h"
#include "test-util.h"

static uint64_t read_step(void)
{
    uint64_t step = 0;
    gpu_download(&step, gpu_context.device_step, sizeof step);
    return step;
}

static void check_describe(void)
{
    char text[256] = "";
    gpu_device->describe(&gpu_context, text, sizeof text);
    ok(strstr(text, "SMs") && strstr(text, "compute") &&
           strstr(text, "cuDNN") && strstr(text, "cuBLAS"),
       "describe names the GPU and the libraries: %s", text);
}

/* Each upload must copy its data away at once: the source is changed
 * right after it, and the slots are cycled and grown (3 MiB > a slot's
 * first 1 MiB). */
static void check_copies(void)
{
    const size_t small = 5, large = 3 << 18; /* floats: 20 B, 3 MiB */
    float *host = malloc(large * sizeof(float));
    float *back = malloc(large * sizeof(float));
    if (!host || !back) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    float *a = gpu_alloc(large * sizeof(float));
    float *b = gpu_alloc(large * sizeof(float));
    float *c = gpu_alloc(small * sizeof(float));
    for (size_t i = 0; i < large; i++)
        host[i] = (float)i;
    gpu_upload(a, host, large * sizeof(float));
    for (size_t i = 0; i < large; i++)
        host[i] = -(float)i;
    gpu_upload(b, host, large * sizeof(float));
    host[0] = 42.0f;
    gpu_upload(c, host, small * sizeof(float));
    host[0] = 0.0f;

    gpu_download(back, a, large * sizeof(float));
    size_t wrong = 0;
    for (size_t i = 0; i < large; i++)
        wrong += back[i] != (float)i;
    ok(wrong == 0, "an upload keeps what the host buffer held at the call "
       "(%zu of %zu values differ)", wrong, large);
    gpu_download(back, b, large * sizeof(float));
    wrong = 0;
    for (size_t i = 0; i < large; i++)
        wrong += back[i] != -(float)i;
    ok(wrong == 0, "the next upload, through the other slot, too (%zu "
       "differ)", wrong);
    gpu_download(back, c, small * sizeof(float));
    ok(back[0] == 42.0f && back[4] == -4.0f, "a small upload after large "
       "ones (got %g and %g)", (double)back[0], (double)back[4]);

    struct cnn_error err = {0};
    ok(gpu_device->copy(&gpu_context, b, a, large * sizeof(float), &err) ==
           0 &&
           gpu_device->zero(&gpu_context, a, 16, &err) == 0,
       "copy and zero run (%s)", err.message);
    gpu_download(back, b, large * sizeof(float));
    ok(back[large - 1] == (float)(large - 1), "copy moved the values");
    gpu_download(back, a, 8 * sizeof(float));
    ok(back[0] == 0.0f && back[3] == 0.0f && back[4] == 4.0f,
       "zero cleared 16 bytes and no more");
    gpu_free(a);
    gpu_free(b);
    gpu_free(c);
    free(host);
    free(back);
}

/* step_done advances the count; a captured step_done advances it at
 * every replay; allocation, uploads and waits are refused in a capture
 * and leave it usable. */
static void check_steps_and_capture(void)
{
    struct cnn_error err = {0};
    gpu_reset_step();
    gpu_step_done();
    gpu_step_done();
    gpu_step_done();
    ok(read_step() == 3, "three step_done: the device count is 3");

    void *graph = NULL;
    ok(gpu_device->capture_begin(&gpu_context, &err) == 0,
       "capture begins (%s)", err.message);
    gpu_step_done();
    gpu_step_done();
    float host = 1.0f;
    ok(gpu_device->alloc(&gpu_context, 64, &err) == NULL &&
           strstr(err.message, "captured step"),
       "alloc during a capture is refused: %s", err.message);
    cnn_error_clear(&err);
    ok(gpu_device->upload(&gpu_context, (void *)gpu_context.device_step,
                          &host, sizeof host, &err) == -1 &&
           gpu_device->synchronize(&gpu_context, &err) == -1,
       "upload and synchronize during a capture are refused: %s",
       err.message);
    cnn_error_clear(&err);
    ok(gpu_device->capture_end(&gpu_context, &graph, &err) == 0 && graph,
       "capture ends with a graph (%s)", err.message);
    ok(read_step() == 3, "capturing ran nothing (count %llu)",
       (unsigned long long)read_step());
    for (int i = 0; i < 3; i++)
        if (gpu_device->replay(&gpu_context, graph, &err))
            diag("replay failed: %s", err.message);
    ok(read_step() == 9, "three replays of two step_done: count 9 (got "
       "%llu)", (unsigned long long)read_step());
    gpu_device->graph_free(&gpu_context, graph);
}

static void check_refusals(void)
{
    struct cnn_error err = {0};
    void *huge = gpu_device->alloc(&gpu_context, (size_t)1 << 50, &err);
    ok(huge == NULL && strstr(err.message, "cudaMalloc") &&
           strstr(err.message, "free"),
       "1 PiB is refused, with the GPU's free memory: %s", err.message);
    cnn_error_clear(&err);
    struct cnn_context other = {.device = CNN_DEVICE_CUDA};
    const struct cnn_device_options options = {.ordinal = 999};
    ok(gpu_device->open(&other, &options, &err) == -1 &&
           strstr(err.message, "GPU 999") && other.backend == NULL,
       "ordinal 999 is refused: %s", err.message);
}

int main(void)
{
    struct cnn_error err = {0};
    struct cnn_registry *registry = cnn_registry_new();
    if (!registry) {
        printf("Bail out! out of memory\n");
        return 1;
    }
    if (test_load_plugin(registry, "cuda.so") == 1) {
        int opened = gpu_open(registry, &err);
        ok(gpu_device && strcmp(gpu_device->name, "cuda") == 0 &&
               gpu_device->capture_begin && gpu_device->replay,
           "cuda.so registers the cuda device, with step capture");
        if (opened == 0) {
            /* What `device: cuda` shows on such a machine. */
            ok(err.message[0] && strstr(err.message, "device: cpu"),
               "without a GPU, available() says why: %s", err.message);
            char text[64] = "";
            if (gpu_device)
                gpu_device->describe(&gpu_context, text, sizeof text);
            like(text, "not open", "describe of an unopened context");
            skip(err.message, "the cuda device's memory, copies and "
                              "capture");
        } else {
            ok(opened == 1, "the cuda device opens (%s)", err.message);
        }
        if (opened == 1) {
            check_describe();
            check_copies();
            check_steps_and_capture();
            check_refusals();
            gpu_close();
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
