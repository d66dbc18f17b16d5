/* The buffer a layer keeps for its backward (cnn_saved_*, layer.h) on the
 * CPU and on a CUDA context. The CUDA side needs no GPU: a context whose
 * backend is a stand-in for the CUDA module's services (<cnnlab/cuda.h>)
 * shows that the buffer comes from, and goes back to, the device's
 * allocator, never malloc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/cuda.h"
#include "cnnlab/layer.h"
#include "tap.h"

static const struct cnn_layer_type fake_type = {.name = "fake"};

/* The stand-in device allocator: host memory, counted. */
static int device_allocations, device_frees;
static size_t device_bytes;

static void *device_alloc(struct cnn_context *ctx, size_t bytes,
                          struct cnn_error *err)
{
    (void)ctx;
    (void)err;
    device_allocations++;
    device_bytes = bytes;
    return malloc(bytes);
}

static void device_free(struct cnn_context *ctx, void *pointer)
{
    (void)ctx;
    device_frees++;
    free(pointer);
}

int main(void)
{
    struct cnn_layer layer = {.type = &fake_type, .name = "fake1"};
    struct cnn_error err = {0};
    struct cnn_context cpu = {.device = CNN_DEVICE_CPU, .threads = 1};

    ok(cnn_saved_state(&layer, &err) == NULL &&
           strstr(err.message, "fake1 (fake): forward/backward before "
                               "prepare"),
       "before prepare there is no record, and the error says so");
    ok(cnn_saved_prepare(&cpu, &layer, 0, 16, &err) < 0 &&
           strstr(err.message, "batch size 0"),
       "a batch of 0 is refused");

    ok(cnn_saved_prepare(&cpu, &layer, 4, 16, &err) == 0,
       "prepare for batches of 4 samples of 16 bytes");
    struct cnn_saved_for_backward *saved = cnn_saved_state(&layer, &err);
    ok(saved && saved->batch == 4 && saved->data && saved->ctx == &cpu &&
           !saved->valid,
       "the record: batch 4, its data, its context, not yet valid");
    memset(saved->data, 0xab, 4 * 16); /* all 64 bytes are writable */
    void *data = saved->data;
    ok(cnn_saved_prepare(&cpu, &layer, 4, 16, &err) == 0 &&
           cnn_saved_state(&layer, &err)->data == data,
       "the same batch again keeps the buffer (a captured step's address)");
    ok(cnn_saved_prepare(&cpu, &layer, 8, 16, &err) == 0 &&
           cnn_saved_state(&layer, &err)->batch == 8,
       "another batch size makes a new buffer");
    memset(cnn_saved_state(&layer, &err)->data, 0, 8 * 16);
    cnn_saved_release(&layer);
    ok(layer.kernel_state == NULL, "release frees it");
    cnn_saved_release(&layer);
    ok(1, "release without a record does nothing");

    /* A CUDA context: its backend starts with the CUDA services. */
    struct cnn_cuda_services services = {
        .stream = NULL, .alloc = device_alloc, .free = device_free};
    struct cnn_context cuda = {.device = CNN_DEVICE_CUDA, .backend = &services};
    ok(cnn_saved_prepare(&cuda, &layer, 3, 40, &err) == 0,
       "prepare on a CUDA context");
    is_int(device_allocations, 1, "the buffer came from the device allocator");
    is_int(device_bytes, 120, "for batch * bytes per sample");
    cnn_saved_release(&layer);
    is_int(device_frees, 1, "and release gave it back to the device");

    struct cnn_context closed = {.device = CNN_DEVICE_CUDA, .backend = NULL};
    ok(cnn_saved_prepare(&closed, &layer, 2, 8, &err) < 0 &&
           strstr(err.message, "without an open CUDA context"),
       "a CUDA context that is not open is an error, not a crash");
    return done_testing();
}
