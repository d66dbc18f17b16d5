/* cnnlab layers — flatten: (n, c, h, w) to (n, c*h*w, 1, 1), PyTorch's
 * nn.Flatten(). NCHW is already flat per sample, so it is a copy. */
#include <stdio.h>
#include <string.h>

#include "onednn.h"

static int flatten_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    size_t features = cnn_shape_size(layer->input);
    if (features < 1 || features > 2147483647u)
        return cnn_layer_shape_error(layer, err, "%zu features do not fit "
                                     "a flat shape (1 to 2147483647)",
                                     features);
    layer->output = (struct cnn_shape){(int)features, 1, 1};
    return 0;
}

static int flatten_describe(const struct cnn_layer *layer, char *buf,
                            size_t size)
{
    (void)layer;
    return snprintf(buf, size, "Flatten(start_dim=1, end_dim=-1)");
}

static void flatten_geometry(const struct cnn_layer *layer,
                             struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_GLOBAL};
}

static int flatten_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                           const struct cnn_tensor *x, struct cnn_tensor *y,
                           int training, struct cnn_error *err)
{
    (void)ctx;
    (void)training;
    if (cnn_check_tensor(x, layer->input, x ? x->n : 0, "input", layer,
                         err) ||
        cnn_check_tensor(y, layer->output, x->n, "output", layer, err))
        return -1;
    memcpy(y->data, x->data, cnn_tensor_count(x) * sizeof(float));
    return 0;
}

static int flatten_backward(struct cnn_context *ctx, struct cnn_layer *layer,
                            const struct cnn_tensor *x,
                            const struct cnn_tensor *y,
                            const struct cnn_tensor *dy,
                            struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)ctx;
    (void)x;
    (void)y;
    if (!dx)
        return 0;
    if (cnn_check_tensor(dy, layer->output, dy ? dy->n : 0,
                         "output gradient", layer, err) ||
        cnn_check_tensor(dx, layer->input, dy->n, "input gradient", layer,
                         err))
        return -1;
    memcpy(dx->data, dy->data, cnn_tensor_count(dy) * sizeof(float));
    return 0;
}

const struct cnn_layer_type cnn_layers_flatten_type = {
    .name = "flatten",
    .name_prefix = "flatten",
    .summary_name = NULL,
    .help = "flattens each sample to a vector of c*h*w features",
    .params = NULL,
    .param_count = 0,
    .setup = flatten_setup,
    .destroy = NULL,
    .describe = flatten_describe,
    .geometry = flatten_geometry,
};

const struct cnn_layer_kernels cnn_layers_flatten_cpu = {
    .layer = "flatten",
    .device = CNN_DEVICE_CPU,
    .prepare = NULL,
    .forward = flatten_forward,
    .backward = flatten_backward,
    .release = NULL,
};
