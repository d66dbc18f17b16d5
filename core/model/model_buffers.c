/* cnnlab — the layers' buffers (layer.h: state such as batch norm's
 * running statistics that is saved like a parameter but never trained)
 * in the model's flat buffer, and the list of what a checkpoint holds of
 * each layer. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

size_t cnn_model_place_buffers(struct cnn_model *model, size_t offset)
{
    model->buffer_offset = offset;
    for (int i64 = 0; i64 <= 1; i64++) {
        for (int i = 0; i < model->layer_count; i++)
            for (int b = 0; b < model->layers[i].buffer_count; b++) {
                struct cnn_layer_buffer *buffer = &model->layers[i].buffers[b];
                if ((buffer->dtype == CNN_BUFFER_I64) != i64)
                    continue;
                /* An int64 value takes two floats; an even offset keeps
                 * it 8-byte aligned, as the allocators align the
                 * buffer's start. A model without one pads nothing. */
                if (i64 && offset % 2)
                    offset++;
                buffer->offset = offset;
                offset += buffer->count * (i64 ? 2 : 1);
            }
    }
    return offset;
}

void cnn_model_init_buffers(struct cnn_model *model)
{
    for (int i = 0; i < model->layer_count; i++)
        for (int b = 0; b < model->layers[i].buffer_count; b++) {
            struct cnn_layer_buffer *buffer = &model->layers[i].buffers[b];
            float *host = model->host_parameters + buffer->offset;
            int one = buffer->init == CNN_INIT_ONES;
            for (size_t k = 0; k < buffer->count; k++) {
                if (buffer->dtype == CNN_BUFFER_I64) {
                    int64_t value = one;
                    memcpy(host + 2 * k, &value, sizeof value);
                } else {
                    host[k] = one ? 1.0f : 0.0f;
                }
            }
            buffer->data = model->parameters + buffer->offset;
        }
}

static int all_finite(const float *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(values[i]))
            return 0;
    return 1;
}

int cnn_model_host_finite(const struct cnn_model *model)
{
    if (!all_finite(model->host_parameters, model->buffer_offset))
        return 0;
    for (int i = 0; i < model->layer_count; i++)
        for (int b = 0; b < model->layers[i].buffer_count; b++) {
            const struct cnn_layer_buffer *buffer =
                &model->layers[i].buffers[b];
            if (buffer->dtype == CNN_BUFFER_F32 &&
                !all_finite(model->host_parameters + buffer->offset,
                            buffer->count))
                return 0;
        }
    return 1;
}

int cnn_layer_stored_count(const struct cnn_layer *layer)
{
    return layer->tensor_count + layer->buffer_count;
}

struct cnn_stored_tensor cnn_layer_stored(const struct cnn_layer *layer,
                                          int k)
{
    if (k < layer->tensor_count) {
        const struct cnn_param_tensor *t = &layer->tensors[k];
        return (struct cnn_stored_tensor){t->name, t->ndim, t->dims,
                                          t->count, 0, 0, t->offset};
    }
    const struct cnn_layer_buffer *b = &layer->buffers[k -
                                                       layer->tensor_count];
    return (struct cnn_stored_tensor){b->name, b->ndim, b->dims, b->count,
                                      b->dtype == CNN_BUFFER_I64, 1,
                                      b->offset};
}

float *cnn_model_keep_buffers(struct cnn_model *model, struct cnn_error *err)
{
    size_t floats = model->parameter_count - model->buffer_offset;
    float *kept = malloc((floats + 1) * sizeof *kept);
    if (!kept) {
        cnn_error_set(err, "out of memory keeping the running statistics");
        return NULL;
    }
    if (cnn_model_parameters_to_host(model, err) < 0) {
        free(kept);
        return NULL;
    }
    memcpy(kept, model->host_parameters + model->buffer_offset,
           floats * sizeof *kept);
    return kept;
}

int cnn_model_restore_buffers(struct cnn_model *model, float *kept,
                              struct cnn_error *err)
{
    if (!kept)
        return 0;
    /* The parameters on the host are the device's (kept downloaded
     * them, and nothing stepped since): the upload changes only the
     * buffers. */
    memcpy(model->host_parameters + model->buffer_offset, kept,
           (model->parameter_count - model->buffer_offset) * sizeof *kept);
    free(kept);
    return cnn_model_parameters_from_host(model, err);
}
