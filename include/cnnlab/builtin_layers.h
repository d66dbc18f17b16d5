/* cnnlab — the settings of the built-in layers (the layers module), for
 * the device kernels that implement them.
 *
 * A built-in layer's setup parses its parameters once into the struct
 * below and keeps it as layer->state (cnn_layer_keep_state); from then on
 * nothing reads the parameters by name. Device kernels, on the CPU or
 * CUDA, in tree or out, read the fields: inside a training step no
 * setting is looked up by name. Each field says which manifest key sets
 * it and its default (the layers' parameter specs, `cnnlab plugins`).
 *
 * A kernel gets the struct through the layer's accessor below, which
 * returns NULL (with the error) when the layer is of another type or has
 * not been set up, so a kernel registered for the wrong layer fails
 * naming it rather than misreading someone else's state. Call it in
 * prepare and keep what it returns (or a copy) in kernel_state: the
 * settings do not change after setup.
 *
 * relu and flatten have no settings: their layer->state is NULL. Shapes
 * derived from the input (input channels, in features) are not settings:
 * they are layer->input. */
#ifndef CNNLAB_BUILTIN_LAYERS_H
#define CNNLAB_BUILTIN_LAYERS_H

#include <string.h>

#include "error.h"
#include "layer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* conv2d's `algorithm`: which CPU kernels run (other devices ignore it). */
enum cnn_conv2d_algorithm {
    CNN_CONV2D_AUTO,     /* "auto": Winograd where it pays off */
    CNN_CONV2D_DIRECT,   /* "direct": oneDNN's direct convolution, always */
    CNN_CONV2D_WINOGRAD, /* "winograd": Winograd forwards, and backward
                            where it fits (setup refuses a layer it does
                            not fit) */
};

/* conv2d: PyTorch's nn.Conv2d (groups 1, zero padding). All sizes are in
 * input elements (positions of the input plane). */
struct cnn_conv2d_settings {
    int out;                    /* `out`: output channels; required */
    int kernel_h, kernel_w;     /* `kernel`: window size; required */
    int stride_h, stride_w;     /* `stride`: step between windows; 1 */
    int pad_h, pad_w;           /* `padding`: zeros before the first row
                                   and column (and, unless `same`, after
                                   the last: pad_bottom, pad_right); 0 */
    int dilation_h, dilation_w; /* `dilation`: spacing between taps (1:
                                   adjacent); 1 */
    int bias;                   /* `bias`: 1 when there is a "bias" tensor
                                   of `out` values; true */
    int relu;                   /* `activation`: 1 for relu, a ReLU fused
                                   after the bias; none */
    enum cnn_conv2d_algorithm algorithm; /* `algorithm`: auto */
    /* ABI 3.1. The zeros after the input's last row and column. With
     * numeric `padding` they are pad_h and pad_w; with `padding: same`
     * (stride 1 only, as in PyTorch) pad_h + pad_bottom is the dilated
     * kernel's span less one, split as PyTorch splits it: pad_h (top) is
     * half of it rounded down, and an odd total puts the extra zero here
     * (bottom, right). Kernels that pad both sides alike (cuDNN) must
     * add the difference themselves. */
    int pad_bottom, pad_right;
    int same; /* 1: the manifest said `padding: same` (the module repr
                 prints padding=same) */
};

/* linear: PyTorch's nn.Linear over the flattened input (in features:
 * cnn_shape_size(layer->input)). */
struct cnn_linear_settings {
    int out;  /* `out`: output features; required */
    int bias; /* `bias`: 1 when there is a "bias" tensor; true */
    int relu; /* `activation`: 1 for relu, fused after the bias; none */
};

/* maxpool2d: PyTorch's nn.MaxPool2d (dilation 1, ceil_mode False). Sizes
 * in input elements. */
struct cnn_maxpool2d_settings {
    int kernel_h, kernel_w; /* `kernel`: window size; required */
    int stride_h, stride_w; /* `stride`: step between windows, resolved:
                               the manifest's 0 (the default) is stored as
                               the kernel size, as PyTorch does */
    int pad_h, pad_w;       /* `padding`: -inf on each side, at most half
                               the kernel; 0 */
};

/* avgpool2d (ABI 3.1): PyTorch's nn.AvgPool2d (ceil_mode False, no
 * divisor_override). Sizes in input elements. */
struct cnn_avgpool2d_settings {
    int kernel_h, kernel_w; /* `kernel`: window size; required */
    int stride_h, stride_w; /* `stride`: resolved as maxpool2d's: the
                               manifest's 0 (the default) is stored as the
                               kernel size */
    int pad_h, pad_w;       /* `padding`: zeros on each side, at most half
                               the kernel; 0 */
    int count_include_pad;  /* `count_include_pad`: 1 divides every window
                               by kernel_h * kernel_w, padding zeros
                               included (PyTorch's default); 0 by the input
                               elements the window covers; true */
};

/* globalpool's `mode`. */
enum cnn_globalpool_mode {
    CNN_GLOBALPOOL_AVG, /* "avg": the mean of each plane (the default) */
    CNN_GLOBALPOOL_MAX, /* "max": its first maximum */
};

/* globalpool: (n, c, h, w) to (n, c, 1, 1), PyTorch's AdaptiveAvgPool2d(1)
 * or AdaptiveMaxPool2d(1). */
struct cnn_globalpool_settings {
    enum cnn_globalpool_mode mode; /* `mode`: avg */
};

/* dropout: PyTorch's nn.Dropout (inverted: kept values are scaled by
 * 1 / (1 - p) while training; the identity in evaluation). */
struct cnn_dropout_settings {
    double p; /* `p`: the probability of zeroing each value while
                 training, 0 to 1; 0.5 */
};

/* leaky-relu (ABI 3.1): PyTorch's nn.LeakyReLU, y = x for x > 0, else
 * slope * x. */
struct cnn_leaky_relu_settings {
    double slope; /* `slope`: PyTorch's negative_slope, 0 to 1, as the
                     manifest's double (kernels compute with the float);
                     0.01 */
};

/* batchnorm2d and batchnorm1d (ABI 3.2): PyTorch's nn.BatchNorm2d over
 * (n, c, h, w), statistics per channel over n, h and w, and
 * nn.BatchNorm1d over (n, c) (a linear layer's output, [c, 1, 1] per
 * sample), statistics per feature over n; track_running_stats always.
 * Buffers (layer.h): "running_mean" and "running_var" (c floats, 0 and
 * 1 at first) and "num_batches_tracked" (an int64 scalar). A training
 * forward normalises with the batch's mean and biased variance and
 * updates running = (1 - momentum) * running + momentum * batch, with
 * the unbiased variance (count / (count - 1)) for running_var, and adds
 * 1 to num_batches_tracked; an evaluation forward normalises with the
 * running statistics. */
struct cnn_batchnorm_settings {
    double eps;      /* `eps`: added to the variance; 1e-5 */
    double momentum; /* `momentum`: the running statistics' update
                        weight, 0 to 1; 0.1 */
    int affine;      /* `affine`: 1 when there are "weight" (gamma, ones
                        at first) and "bias" (beta, zeros) tensors of c
                        values; true */
    int relu;        /* `activation`: 1 for relu, fused after the affine
                        step; none */
    int spatial;     /* 1 for batchnorm2d (h and w are part of each
                        channel's statistics), 0 for batchnorm1d */
};

/* layer->state when `layer` is of type `type` and set up, else NULL with
 * the error. The accessors below are this with the type named. */
static inline const void *cnn_builtin_layer_settings(
    const struct cnn_layer *layer, const char *type, struct cnn_error *err)
{
    const char *name = layer && layer->type ? layer->type->name : NULL;
    if (!name || strcmp(name, type) != 0) {
        cnn_error_set(err, "layer %s (%s): its settings were read as a %s "
                      "layer's (a bug in the kernels registered for it)",
                      layer ? layer->name : "(none)",
                      name ? name : "no type", type);
        return NULL;
    }
    if (!layer->state) {
        cnn_error_set(err, "layer %s (%s): no settings: the layer was not "
                      "set up (a bug in whatever called its kernels)",
                      layer->name, type);
        return NULL;
    }
    return layer->state;
}

static inline const struct cnn_conv2d_settings *
cnn_conv2d_settings_of(const struct cnn_layer *layer, struct cnn_error *err)
{
    return (const struct cnn_conv2d_settings *)cnn_builtin_layer_settings(
        layer, "conv2d", err);
}

static inline const struct cnn_linear_settings *
cnn_linear_settings_of(const struct cnn_layer *layer, struct cnn_error *err)
{
    return (const struct cnn_linear_settings *)cnn_builtin_layer_settings(
        layer, "linear", err);
}

static inline const struct cnn_maxpool2d_settings *
cnn_maxpool2d_settings_of(const struct cnn_layer *layer,
                          struct cnn_error *err)
{
    return (const struct cnn_maxpool2d_settings *)cnn_builtin_layer_settings(
        layer, "maxpool2d", err);
}

static inline const struct cnn_avgpool2d_settings *
cnn_avgpool2d_settings_of(const struct cnn_layer *layer,
                          struct cnn_error *err)
{
    return (const struct cnn_avgpool2d_settings *)cnn_builtin_layer_settings(
        layer, "avgpool2d", err);
}

static inline const struct cnn_leaky_relu_settings *
cnn_leaky_relu_settings_of(const struct cnn_layer *layer,
                           struct cnn_error *err)
{
    return (const struct cnn_leaky_relu_settings *)
        cnn_builtin_layer_settings(layer, "leaky-relu", err);
}

static inline const struct cnn_globalpool_settings *
cnn_globalpool_settings_of(const struct cnn_layer *layer,
                           struct cnn_error *err)
{
    return (const struct cnn_globalpool_settings *)
        cnn_builtin_layer_settings(layer, "globalpool", err);
}

static inline const struct cnn_dropout_settings *
cnn_dropout_settings_of(const struct cnn_layer *layer, struct cnn_error *err)
{
    return (const struct cnn_dropout_settings *)cnn_builtin_layer_settings(
        layer, "dropout", err);
}

/* Either batch norm type: the kernels of both read the same settings. */
static inline const struct cnn_batchnorm_settings *
cnn_batchnorm_settings_of(const struct cnn_layer *layer,
                          struct cnn_error *err)
{
    const char *name = layer && layer->type ? layer->type->name : "";
    return (const struct cnn_batchnorm_settings *)cnn_builtin_layer_settings(
        layer, strcmp(name, "batchnorm1d") == 0 ? "batchnorm1d"
                                                : "batchnorm2d",
        err);
}

#ifdef __cplusplus
}
#endif
#endif
