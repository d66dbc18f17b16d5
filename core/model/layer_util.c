/* cnnlab — helpers layer plugins call: from setup (tensors, state, shape
 * errors), from their kernels (checks, the buffer saved for backward). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cnnlab/cuda.h"
#include "cnnlab/layer.h"

int cnn_layer_add_tensor(struct cnn_layer *layer, const char *name, int ndim,
                         const int *dims, enum cnn_init init, float bound,
                         struct cnn_error *err)
{
    if (layer->tensor_count >= CNN_LAYER_TENSORS_MAX)
        return cnn_error_set(err, "layer %s declares more than %d tensors",
                             layer->name, CNN_LAYER_TENSORS_MAX);
    if (ndim < 1 || ndim > 4)
        return cnn_error_set(err, "layer %s: tensor '%s' has %d dims (1-4)",
                             layer->name, name, ndim);
    if (strlen(name) >= CNN_TENSOR_NAME_MAX || cnn_layer_tensor(layer, name) ||
        cnn_layer_buffer(layer, name))
        return cnn_error_set(err, "layer %s: bad or repeated tensor name '%s'",
                             layer->name, name);
    struct cnn_param_tensor *t = &layer->tensors[layer->tensor_count];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] <= 0)
            return cnn_error_set(err, "layer %s: tensor '%s' dim %d is %d",
                                 layer->name, name, i, dims[i]);
        t->dims[i] = dims[i];
        t->count *= (size_t)dims[i];
    }
    t->init = init;
    t->bound = bound;
    layer->tensor_count++;
    return 0;
}

int cnn_layer_add_buffer(struct cnn_layer *layer, const char *name,
                         enum cnn_buffer_dtype dtype, int ndim,
                         const int *dims, enum cnn_init init,
                         struct cnn_error *err)
{
    if (layer->buffer_count >= CNN_LAYER_BUFFERS_MAX)
        return cnn_error_set(err, "layer %s declares more than %d buffers",
                             layer->name, CNN_LAYER_BUFFERS_MAX);
    if (ndim < 0 || ndim > 4 || (ndim > 0 && !dims))
        return cnn_error_set(err, "layer %s: buffer '%s' has %d dims (0-4)",
                             layer->name, name, ndim);
    if (dtype != CNN_BUFFER_F32 && dtype != CNN_BUFFER_I64)
        return cnn_error_set(err, "layer %s: buffer '%s' has an unknown "
                             "dtype %d", layer->name, name, (int)dtype);
    /* Running statistics start at 0 or 1; a random start would be a
     * parameter's. */
    if (init != CNN_INIT_ZEROS && init != CNN_INIT_ONES)
        return cnn_error_set(err, "layer %s: buffer '%s' must start at zeros "
                             "or ones", layer->name, name);
    if (!name || !*name || strlen(name) >= CNN_TENSOR_NAME_MAX ||
        cnn_layer_tensor(layer, name) || cnn_layer_buffer(layer, name))
        return cnn_error_set(err, "layer %s: bad or repeated buffer name "
                             "'%s'", layer->name, name ? name : "(null)");
    struct cnn_layer_buffer *b = &layer->buffers[layer->buffer_count];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    b->dtype = dtype;
    b->ndim = ndim;
    b->count = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] <= 0)
            return cnn_error_set(err, "layer %s: buffer '%s' dim %d is %d",
                                 layer->name, name, i, dims[i]);
        b->dims[i] = dims[i];
        b->count *= (size_t)dims[i];
    }
    b->init = init;
    layer->buffer_count++;
    return 0;
}

struct cnn_layer_buffer *cnn_layer_buffer(struct cnn_layer *layer,
                                          const char *name)
{
    for (int i = 0; i < layer->buffer_count; i++)
        if (strcmp(layer->buffers[i].name, name) == 0)
            return &layer->buffers[i];
    return NULL;
}

int cnn_layer_add_weight_and_bias(struct cnn_layer *layer, int ndim,
                                  const int *dims, double fan_in, int bias,
                                  struct cnn_error *err)
{
    if (!(fan_in > 0))
        return cnn_error_set(err, "layer %s: fan-in must be positive",
                             layer->name);
    float bound = (float)(1.0 / sqrt(fan_in));
    if (cnn_layer_add_tensor(layer, "weight", ndim, dims, CNN_INIT_UNIFORM,
                             bound, err) < 0)
        return -1;
    if (bias && cnn_layer_add_tensor(layer, "bias", 1, dims, CNN_INIT_UNIFORM,
                                     bound, err) < 0)
        return -1;
    return 0;
}

int cnn_layer_keep_state(struct cnn_layer *layer, const void *config,
                         size_t size, struct cnn_error *err)
{
    void *copy = malloc(size ? size : 1);
    if (!copy)
        return cnn_error_set(err, "layer %s: out of memory", layer->name);
    memcpy(copy, config, size);
    free(layer->state);
    layer->state = copy;
    return 0;
}

void cnn_layer_free_state(struct cnn_layer *layer)
{
    free(layer->state);
    layer->state = NULL;
}

struct cnn_param_tensor *cnn_layer_tensor(struct cnn_layer *layer,
                                          const char *name)
{
    for (int i = 0; i < layer->tensor_count; i++)
        if (strcmp(layer->tensors[i].name, name) == 0)
            return &layer->tensors[i];
    return NULL;
}

int cnn_layer_shape_error(const struct cnn_layer *layer,
                          struct cnn_error *err, const char *fmt, ...)
{
    char detail[CNN_ERROR_MESSAGE_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    /* The model fills `previous` in the error's context; here we name the
     * layer and the input it got. */
    return cnn_error_at(err, layer->mark,
                        "layer %s (%s) cannot take input [%d, %d, %d]: %s",
                        layer->name, layer->type ? layer->type->name : "?",
                        layer->input.c, layer->input.h, layer->input.w,
                        detail);
}

int cnn_layer_check_tensor(const struct cnn_tensor *t, enum cnn_device device,
                           struct cnn_shape shape, int batch,
                           const char *role, const struct cnn_layer *layer,
                           struct cnn_error *err)
{
    if (!t || !t->data)
        return cnn_error_set(err, "layer %s (%s): %s has no data",
                             layer->name, layer->type->name, role);
    if (t->device != device)
        return cnn_error_set(err, "layer %s (%s): %s is on %s, but these "
                             "kernels run on %s", layer->name,
                             layer->type->name, role,
                             cnn_device_name(t->device),
                             device == CNN_DEVICE_CPU
                                 ? "the CPU"
                                 : cnn_device_name(device));
    if (t->shape.c != shape.c || t->shape.h != shape.h ||
        t->shape.w != shape.w)
        return cnn_error_set(err, "layer %s (%s): %s has samples of shape "
                             "[%d, %d, %d], but the layer's are [%d, %d, %d]",
                             layer->name, layer->type->name, role,
                             t->shape.c, t->shape.h, t->shape.w, shape.c,
                             shape.h, shape.w);
    if (t->n != batch)
        return cnn_error_set(err, "layer %s (%s): %s holds %d samples but "
                             "the layer was prepared for batches of %d (call"
                             " prepare when the batch size changes)",
                             layer->name, layer->type->name, role, t->n,
                             batch);
    return 0;
}

int cnn_layer_check_backward(const struct cnn_layer *layer,
                             enum cnn_device device, int batch,
                             const struct cnn_tensor *x,
                             const struct cnn_tensor *y,
                             const struct cnn_tensor *dy,
                             const struct cnn_tensor *dx,
                             struct cnn_error *err)
{
    if (cnn_layer_check_tensor(x, device, layer->input, batch, "input",
                               layer, err) ||
        cnn_layer_check_tensor(y, device, layer->output, batch, "output",
                               layer, err) ||
        cnn_layer_check_tensor(dy, device, layer->output, batch,
                               "output gradient", layer, err) ||
        (dx && cnn_layer_check_tensor(dx, device, layer->input, batch,
                                      "input gradient", layer, err)))
        return -1;
    for (int i = 0; i < layer->tensor_count; i++)
        if (!layer->tensors[i].grad)
            return cnn_error_set(err, "layer %s (%s): backward without "
                                 "parameter gradients", layer->name,
                                 layer->type->name);
    return 0;
}

/* Memory of the context's device: the host's on the CPU, the CUDA
 * module's allocator on CUDA (<cnnlab/cuda.h>). */
static void *saved_alloc(struct cnn_context *ctx, size_t bytes,
                         struct cnn_error *err)
{
    if (!ctx || ctx->device == CNN_DEVICE_CPU) {
        void *data = malloc(bytes);
        if (!data)
            cnn_error_set(err, "out of memory (try a smaller batch)");
        return data;
    }
    const struct cnn_cuda_services *cuda = cnn_cuda_services(ctx, err);
    return cuda ? cuda->alloc(ctx, bytes, err) : NULL;
}

static void saved_free(struct cnn_context *ctx, void *data)
{
    if (!data)
        return;
    if (!ctx || ctx->device == CNN_DEVICE_CPU) {
        free(data);
        return;
    }
    struct cnn_error ignored = {0};
    const struct cnn_cuda_services *cuda = cnn_cuda_services(ctx, &ignored);
    if (cuda)
        cuda->free(ctx, data);
}

void cnn_saved_release(struct cnn_layer *layer)
{
    struct cnn_saved_for_backward *saved = layer->kernel_state;
    if (!saved)
        return;
    saved_free(saved->ctx, saved->data);
    free(saved);
    layer->kernel_state = NULL;
}

int cnn_saved_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                      int batch, size_t bytes_per_sample,
                      struct cnn_error *err)
{
    struct cnn_saved_for_backward *saved = layer->kernel_state;
    if (saved && saved->batch == batch)
        return 0;
    cnn_saved_release(layer);
    if (batch < 1)
        return cnn_error_set(err, "layer %s (%s): batch size %d (must be at "
                             "least 1)", layer->name, layer->type->name,
                             batch);
    saved = calloc(1, sizeof *saved);
    if (!saved)
        return cnn_error_set(err, "layer %s: out of memory for a batch of %d"
                             " (try a smaller batch)", layer->name, batch);
    saved->ctx = ctx;
    saved->data = saved_alloc(ctx, (size_t)batch * bytes_per_sample, err);
    if (!saved->data) {
        free(saved);
        return cnn_error_prefix(err, "layer %s, a batch of %d: ", layer->name,
                                batch);
    }
    saved->batch = batch;
    layer->kernel_state = saved;
    return 0;
}

struct cnn_saved_for_backward *cnn_saved_state(struct cnn_layer *layer,
                                               struct cnn_error *err)
{
    if (!layer->kernel_state)
        cnn_error_set(err, "layer %s (%s): forward/backward before prepare",
                      layer->name, layer->type->name);
    return layer->kernel_state;
}
