/* cnnlab — memory and copies on the model's device, whichever it is: the
 * CPU (built in: malloc and memcpy) or a device module (device.h). The
 * core calls these so that one code path serves every device. `type` is
 * NULL for the CPU. */
#ifndef CNNLAB_CORE_DEVICE_H
#define CNNLAB_CORE_DEVICE_H

#include <stddef.h>

#include "cnnlab/device.h"
#include "cnnlab/layer.h"

/* Zeroed memory. */
void *cnn_device_alloc(const struct cnn_device_type *type,
                       struct cnn_context *ctx, size_t bytes,
                       struct cnn_error *err);
void cnn_device_free(const struct cnn_device_type *type,
                     struct cnn_context *ctx, void *pointer);
int cnn_device_upload(const struct cnn_device_type *type,
                      struct cnn_context *ctx, void *to, const void *from,
                      size_t bytes, struct cnn_error *err);
int cnn_device_download(const struct cnn_device_type *type,
                        struct cnn_context *ctx, void *to, const void *from,
                        size_t bytes, struct cnn_error *err);
int cnn_device_zero(const struct cnn_device_type *type,
                    struct cnn_context *ctx, void *pointer, size_t bytes,
                    struct cnn_error *err);

#endif
