/* cnnlab layers — globalpool: average or maximum over each channel's whole
 * plane, (n, c, h, w) to (n, c, 1, 1): PyTorch's AdaptiveAvgPool2d(1) /
 * AdaptiveMaxPool2d(1). One pass over the input, so plain C loops. */
#include <stdio.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"

static const struct cnn_param_spec globalpool_params[] = {
    {"mode", CNN_PARAM_CHOICE, "avg", 0, 0, "avg|max",
     "average or maximum over each channel"},
};

static int globalpool_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    struct cnn_globalpool_settings s = {
        .mode = strcmp(cnn_param_string(&layer->params, "mode"), "max") == 0
                    ? CNN_GLOBALPOOL_MAX
                    : CNN_GLOBALPOOL_AVG,
    };
    layer->output = (struct cnn_shape){layer->input.c, 1, 1};
    return cnn_layer_keep_state(layer, &s, sizeof s, err);
}

static int globalpool_is_max(const struct cnn_layer *layer)
{
    const struct cnn_globalpool_settings *s = layer->state;
    return s->mode == CNN_GLOBALPOOL_MAX;
}

static int globalpool_describe(const struct cnn_layer *layer, char *buf,
                               size_t size)
{
    return snprintf(buf, size, "Adaptive%sPool2d(output_size=1)",
                    globalpool_is_max(layer) ? "Max" : "Avg");
}

static void globalpool_geometry(const struct cnn_layer *layer,
                                struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_GLOBAL};
}

/* The first position of the plane's maximum (PyTorch routes the gradient
 * to one position too). */
static size_t first_max(const float *plane, size_t count)
{
    size_t best = 0;
    for (size_t i = 1; i < count; i++)
        if (plane[i] > plane[best])
            best = i;
    return best;
}

static int globalpool_forward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              struct cnn_tensor *y, int training,
                              struct cnn_error *err)
{
    (void)ctx;
    (void)training;
    if (cnn_check_tensor(x, layer->input, x ? x->n : 0, "input", layer,
                         err) ||
        cnn_check_tensor(y, layer->output, x->n, "output", layer, err))
        return -1;
    size_t planes = (size_t)x->n * (size_t)x->shape.c;
    size_t area = (size_t)x->shape.h * (size_t)x->shape.w;
    int max = globalpool_is_max(layer);
    for (size_t p = 0; p < planes; p++) {
        const float *plane = x->data + p * area;
        if (max) {
            y->data[p] = plane[first_max(plane, area)];
        } else {
            double sum = 0.0;
            for (size_t i = 0; i < area; i++)
                sum += plane[i];
            y->data[p] = (float)(sum / (double)area);
        }
    }
    return 0;
}

static int globalpool_backward(struct cnn_context *ctx,
                               struct cnn_layer *layer,
                               const struct cnn_tensor *x,
                               const struct cnn_tensor *y,
                               const struct cnn_tensor *dy,
                               struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)ctx;
    (void)y;
    if (!dx)
        return 0;
    if (cnn_check_tensor(x, layer->input, x ? x->n : 0, "input", layer,
                         err) ||
        cnn_check_tensor(dy, layer->output, x->n, "output gradient", layer,
                         err) ||
        cnn_check_tensor(dx, layer->input, x->n, "input gradient", layer,
                         err))
        return -1;
    size_t planes = (size_t)x->n * (size_t)x->shape.c;
    size_t area = (size_t)x->shape.h * (size_t)x->shape.w;
    int max = globalpool_is_max(layer);
    for (size_t p = 0; p < planes; p++) {
        float *grad = dx->data + p * area;
        if (max) {
            memset(grad, 0, area * sizeof *grad);
            grad[first_max(x->data + p * area, area)] = dy->data[p];
        } else {
            float share = (float)(dy->data[p] / (double)area);
            for (size_t i = 0; i < area; i++)
                grad[i] = share;
        }
    }
    return 0;
}

const struct cnn_layer_type cnn_layers_globalpool_type = {
    .name = "globalpool",
    .name_prefix = "gp",
    .summary_name = NULL,
    .help = "global average or max pooling to one value per channel",
    .params = globalpool_params,
    .param_count = sizeof globalpool_params / sizeof *globalpool_params,
    .setup = globalpool_setup,
    .destroy = cnn_layer_free_state,
    .describe = globalpool_describe,
    .geometry = globalpool_geometry,
};

const struct cnn_layer_kernels cnn_layers_globalpool_cpu = {
    .layer = "globalpool",
    .device = CNN_DEVICE_CPU,
    .prepare = NULL,
    .forward = globalpool_forward,
    .backward = globalpool_backward,
    .release = NULL,
};
