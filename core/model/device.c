/* cnnlab — device memory: the CPU's own, or a device module's. */
#include <stdlib.h>
#include <string.h>

#include "model/device.h"

void *cnn_device_alloc(const struct cnn_device_type *type,
                       struct cnn_context *ctx, size_t bytes,
                       struct cnn_error *err)
{
    /* Never zero bytes: an empty buffer still gets a distinct pointer. */
    size_t size = bytes ? bytes : sizeof(float);
    if (!type) {
        void *memory = calloc(1, size);
        if (!memory)
            cnn_error_set(err, "out of memory for %zu bytes", bytes);
        return memory;
    }
    void *memory = type->alloc(ctx, size, err);
    if (memory && type->zero(ctx, memory, size, err) < 0) {
        type->free(ctx, memory);
        return NULL;
    }
    return memory;
}

void cnn_device_free(const struct cnn_device_type *type,
                     struct cnn_context *ctx, void *pointer)
{
    if (!pointer)
        return;
    if (type)
        type->free(ctx, pointer);
    else
        free(pointer);
}

int cnn_device_upload(const struct cnn_device_type *type,
                      struct cnn_context *ctx, void *to, const void *from,
                      size_t bytes, struct cnn_error *err)
{
    if (type)
        return type->upload(ctx, to, from, bytes, err);
    if (to != from)
        memmove(to, from, bytes);
    return 0;
}

int cnn_device_download(const struct cnn_device_type *type,
                        struct cnn_context *ctx, void *to, const void *from,
                        size_t bytes, struct cnn_error *err)
{
    if (type)
        return type->download(ctx, to, from, bytes, err);
    if (to != from)
        memmove(to, from, bytes);
    return 0;
}

int cnn_device_zero(const struct cnn_device_type *type,
                    struct cnn_context *ctx, void *pointer, size_t bytes,
                    struct cnn_error *err)
{
    if (type)
        return type->zero(ctx, pointer, bytes, err);
    memset(pointer, 0, bytes);
    return 0;
}
