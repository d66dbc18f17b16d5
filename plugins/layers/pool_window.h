/* cnnlab layers — the window that maxpool2d and avgpool2d share: its
 * manifest keys (kernel, stride, padding), PyTorch's rules for them, the
 * output size, the module repr's arguments and the receptive-field
 * geometry. */
#ifndef CNNLAB_LAYERS_POOL_WINDOW_H
#define CNNLAB_LAYERS_POOL_WINDOW_H

#include <stddef.h>

#include "cnnlab/layer.h"

/* In the order both layers' public settings begin with. */
struct pool_window {
    int kernel_h, kernel_w;
    int stride_h, stride_w; /* resolved: the manifest's 0 is the kernel */
    int pad_h, pad_w;
};

/* Reads the window from layer->params, checks PyTorch's rule that no
 * window lies wholly in the padding, and sets layer->output; errors name
 * the layer and its `type` ("maxpool2d"). */
int pool_window_setup(struct cnn_layer *layer, const char *type,
                      struct pool_window *w, struct cnn_error *err);

/* The nn.MaxPool2d / nn.AvgPool2d arguments as PyTorch prints them:
 * "2" for a square window, else "(2, 3)". */
struct pool_window_text {
    char kernel[32], stride[32], padding[32];
};
void pool_window_describe(const struct pool_window *w,
                          struct pool_window_text *text);

void pool_window_geometry(const struct pool_window *w,
                          struct cnn_geometry *g);

#endif
