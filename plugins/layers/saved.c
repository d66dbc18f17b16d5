/* cnnlab layers module — what a training forward records for its backward
 * (dropout's mask, max pooling's argmax): one buffer sized for the batch
 * the kernels were prepared for, kept as the layer's kernel_state. */
#include <stdlib.h>

#include "onednn.h"

void cnn_saved_release(struct cnn_layer *layer)
{
    struct cnn_saved_for_backward *saved = layer->kernel_state;
    if (!saved)
        return;
    free(saved->data);
    free(saved);
    layer->kernel_state = NULL;
}

int cnn_saved_prepare(struct cnn_layer *layer, int batch,
                      size_t bytes_per_sample, struct cnn_error *err)
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
    if (saved)
        saved->data = malloc((size_t)batch * bytes_per_sample);
    if (!saved || !saved->data) {
        free(saved);
        return cnn_error_set(err, "layer %s: out of memory for a batch of %d"
                             " (try a smaller batch)", layer->name, batch);
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
