/* cnnlab layers — linear: a fully connected layer (PyTorch's nn.Linear)
 * over the flattened input, optionally with a fused ReLU; CPU kernels on
 * oneDNN's inner product. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"

static const struct cnn_param_spec linear_params[] = {
    {"out", CNN_PARAM_INT, NULL, 1, 1048576, NULL, "output features"},
    {"bias", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "learn a bias per output feature"},
    {"activation", CNN_PARAM_CHOICE, "none", 0, 0, "none|relu",
     "activation fused into the layer"},
};

/* The most input features: weight tensor dims are int. */
#define LINEAR_IN_MAX 2147483647L

static int linear_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    const struct cnn_params *p = &layer->params;
    struct cnn_linear_settings c;

    size_t in = cnn_shape_size(layer->input);
    c.out = (int)cnn_param_int(p, "out");
    c.bias = cnn_param_bool(p, "bias");
    c.relu = strcmp(cnn_param_string(p, "activation"), "relu") == 0;
    if (in < 1 || in > (size_t)LINEAR_IN_MAX)
        return cnn_layer_shape_error(layer, err,
                                     "%zu input features; a linear layer "
                                     "takes 1 to %ld", in, LINEAR_IN_MAX);
    layer->output = (struct cnn_shape){c.out, 1, 1};

    int weight_dims[2] = {c.out, (int)in};
    if (cnn_layer_add_weight_and_bias(layer, 2, weight_dims, (double)in,
                                      c.bias, err) < 0)
        return -1;
    return cnn_layer_keep_state(layer, &c, sizeof c, err);
}

static int linear_describe(const struct cnn_layer *layer, char *buf,
                           size_t size)
{
    const struct cnn_linear_settings *c = layer->state;
    return snprintf(buf, size,
                    "Linear(in_features=%zu, out_features=%d, bias=%s)",
                    cnn_shape_size(layer->input), c->out,
                    c->bias ? "True" : "False");
}

static void linear_geometry(const struct cnn_layer *layer,
                            struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_GLOBAL};
}

/* CPU kernels: the input (n, c, h, w) is contiguous, so oneDNN sees it as
 * (n, in) and the weight as (out, in). Unlike conv2d these stay plain: on
 * AVX2 oneDNN's inner product is gemm-based whatever the layout, and left
 * to choose it only transposes the weights, which then cost a reorder per
 * step (about twice the forward's time on the quickstart's 3136 -> 128
 * layer: bench/RESULTS.md). */
static int linear_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                          int batch, struct cnn_error *err)
{
    const struct cnn_linear_settings *c = layer->state;
    size_t in = cnn_shape_size(layer->input);
    struct cnn_onednn_weighted *k;
    int begun = cnn_onednn_weighted_begin(ctx, layer, batch, &k, err);
    if (begun != 0)
        return begun > 0 ? 0 : -1;

    dnnl_memory_desc_t src, weights, bias, dst;
    dnnl_inner_product_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    const dnnl_memory_desc_t *bias_md = c->bias ? &bias : NULL;

    int failed =
        cnn_onednn_md_nc(&src, batch, in, layer, err) ||
        cnn_onednn_md_nc(&dst, batch, (size_t)c->out, layer, err) ||
        cnn_onednn_md_oi(&weights, c->out, in, layer, err) ||
        cnn_onednn_md_vector(&bias, c->out, layer, err) ||
        cnn_onednn_relu_attr(&attr, c->relu, layer, err) ||
        CNN_ONEDNN(layer, err, dnnl_inner_product_forward_desc_init, &desc,
                   dnnl_forward_training, &src, &weights, bias_md, &dst) ||
        cnn_onednn_primitive_create(&k->forward_training, &desc, attr, NULL,
                                    "inner product forward", layer, err) ||
        CNN_ONEDNN(layer, err, dnnl_inner_product_forward_desc_init, &desc,
                   dnnl_forward_inference, &src, &weights, bias_md, &dst) ||
        cnn_onednn_primitive_create(&k->forward_inference, &desc, attr, NULL,
                                    "inner product inference", layer, err) ||
        CNN_ONEDNN(layer, err, dnnl_inner_product_backward_data_desc_init,
                   &desc, &src, &weights, &dst) ||
        cnn_onednn_primitive_create(&k->backward_data, &desc, NULL,
                                    &k->forward_training,
                                    "inner product backward data", layer,
                                    err) ||
        CNN_ONEDNN(layer, err, dnnl_inner_product_backward_weights_desc_init,
                   &desc, &src, &weights, bias_md, &dst) ||
        cnn_onednn_primitive_create(&k->backward_weights, &desc, NULL,
                                    &k->forward_training,
                                    "inner product backward weights", layer,
                                    err);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (failed) {
        cnn_onednn_weighted_release(layer);
        return -1;
    }
    return cnn_onednn_weighted_finish(k, &src, &weights, bias_md, &dst,
                                      c->relu, layer, err);
}

const struct cnn_layer_type cnn_layers_linear_type = {
    .name = "linear",
    .name_prefix = "fc",
    .summary_name = "Linear",
    .help = "fully connected layer over the flattened input (PyTorch "
            "nn.Linear), optionally with a fused ReLU",
    .params = linear_params,
    .param_count = sizeof linear_params / sizeof *linear_params,
    .setup = linear_setup,
    .destroy = cnn_layer_free_state,
    .describe = linear_describe,
    .geometry = linear_geometry,
};

const struct cnn_layer_kernels cnn_layers_linear_cpu = {
    .layer = "linear",
    .device = CNN_DEVICE_CPU,
    .prepare = linear_prepare,
    .forward = cnn_onednn_weighted_forward,
    .backward = cnn_onednn_weighted_backward,
    .release = cnn_onednn_weighted_release,
};
