/* cnnlab — receptive fields: which input pixels can influence one output
 * position of a layer, by the standard arithmetic over the layers'
 * geometry (layer.h: kernel, stride, padding, dilation).
 *
 * With the top-left convention used here, position i (a row; columns
 * alike) of layer k's output sees input rows
 *     [start + i * jump, start + i * jump + size)
 * before clipping to the image, where, layer by layer from the input
 * (size 1, jump 1, start 0):
 *     size  += (kernel - 1) * dilation * jump
 *     start -= pad * jump
 *     jump  *= stride
 * Layers that keep positions (relu, dropout) change nothing; after a
 * layer that mixes all positions (global pooling, flatten, linear) every
 * output sees the whole input. */
#ifndef CNNLAB_RECEPTIVE_FIELD_H
#define CNNLAB_RECEPTIVE_FIELD_H

#include "layer.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_receptive_field {
    int global;               /* 1: every output sees the whole input */
    int size_h, size_w;       /* input pixels one output position sees */
    int jump_h, jump_w;       /* input pixels between neighbouring outputs */
    int start_h, start_w;     /* top-left input pixel of output (0, 0)'s
                                 field; negative where it reaches into
                                 the padding */
};
/* A global field has size = the model input's height and width, jump 0
 * and start 0. A layer type without a geometry callback counts as
 * global: it may move positions in any way. */

/* Fills fields[k] for the output of each of `count` layers, in order,
 * from their geometry. */
void cnn_receptive_fields(const struct cnn_layer *layers, int count,
                          struct cnn_receptive_field *fields);

/* The input patch that output position (i, j) of a layer with field `rf`
 * sees, clipped to the input image (height × width): rows
 * [*top, *bottom), columns [*left, *right). Never empty for a position
 * inside the layer's output. */
void cnn_receptive_patch(const struct cnn_receptive_field *rf, int height,
                         int width, int i, int j, int *top, int *left,
                         int *bottom, int *right);

#ifdef __cplusplus
}
#endif
#endif
