/* cnnlab layers — batchnorm2d and batchnorm1d: PyTorch's nn.BatchNorm2d
 * and nn.BatchNorm1d (track_running_stats), optionally with a fused ReLU
 * so that a manifest writes conv2d (no activation) then batchnorm2d
 * {activation: relu}, the usual conv → BN → ReLU block. The definitions:
 * schema, settings, shapes, parameters and buffers; the CPU kernels are
 * in batchnorm_cpu.c. */
#include <stdio.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"

static const struct cnn_param_spec batchnorm_params[] = {
    {"eps", CNN_PARAM_FLOAT, "1e-5", 0, 1, NULL,
     "added to the variance before its square root, above 0"},
    {"momentum", CNN_PARAM_FLOAT, "0.1", 0, 1, NULL,
     "weight of each batch in the running statistics (PyTorch's)"},
    {"affine", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "learn a scale (weight) and shift (bias) per channel"},
    {"activation", CNN_PARAM_CHOICE, "none", 0, 0, "none|relu",
     "activation fused after the normalisation"},
};

static int setup(struct cnn_layer *layer, int spatial,
                 struct cnn_error *err)
{
    const struct cnn_params *p = &layer->params;
    struct cnn_batchnorm_settings s = {
        .eps = cnn_param_float(p, "eps"),
        .momentum = cnn_param_float(p, "momentum"),
        .affine = cnn_param_bool(p, "affine"),
        .relu = strcmp(cnn_param_string(p, "activation"), "relu") == 0,
        .spatial = spatial,
    };
    /* eps 0 divides by a zero variance (a constant channel). */
    if (!(s.eps > 0))
        return cnn_error_at(err, layer->mark,
                            "layer %s (%s): eps must be above 0 (PyTorch's "
                            "default is 1e-5)",
                            layer->name, layer->type->name);
    if (!spatial && (layer->input.h != 1 || layer->input.w != 1))
        return cnn_layer_shape_error(
            layer, err,
            "batchnorm1d normalises features, samples of [C, 1, 1] (a "
            "linear layer's output, or a flatten's); for [C, H, W] use "
            "batchnorm2d, or put it after the flatten");
    layer->output = layer->input;
    int channels[1] = {layer->input.c};
    if (s.affine &&
        (cnn_layer_add_tensor(layer, "weight", 1, channels, CNN_INIT_ONES, 0,
                              err) < 0 ||
         cnn_layer_add_tensor(layer, "bias", 1, channels, CNN_INIT_ZEROS, 0,
                              err) < 0))
        return -1;
    /* PyTorch's buffers, in its state_dict's order. */
    if (cnn_layer_add_buffer(layer, "running_mean", CNN_BUFFER_F32, 1,
                             channels, CNN_INIT_ZEROS, err) < 0 ||
        cnn_layer_add_buffer(layer, "running_var", CNN_BUFFER_F32, 1,
                             channels, CNN_INIT_ONES, err) < 0 ||
        cnn_layer_add_buffer(layer, "num_batches_tracked", CNN_BUFFER_I64, 0,
                             NULL, CNN_INIT_ZEROS, err) < 0)
        return -1;
    return cnn_layer_keep_state(layer, &s, sizeof s, err);
}

static int setup_2d(struct cnn_layer *layer, struct cnn_error *err)
{
    return setup(layer, 1, err);
}

static int setup_1d(struct cnn_layer *layer, struct cnn_error *err)
{
    return setup(layer, 0, err);
}

/* "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True,
 * track_running_stats=True)", numbers as Python prints floats. */
static int describe(const struct cnn_layer *layer, char *buf, size_t size)
{
    const struct cnn_batchnorm_settings *s = layer->state;
    char eps[40], momentum[40];
    cnn_layers_python_float(eps, sizeof eps, s->eps);
    cnn_layers_python_float(momentum, sizeof momentum, s->momentum);
    return snprintf(buf, size,
                    "%s(%d, eps=%s, momentum=%s, affine=%s, "
                    "track_running_stats=True)",
                    layer->type->summary_name, layer->input.c, eps, momentum,
                    s->affine ? "True" : "False");
}

static void geometry(const struct cnn_layer *layer, struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_IDENTITY};
}

const struct cnn_layer_type cnn_layers_batchnorm2d_type = {
    .name = "batchnorm2d",
    .name_prefix = "bn",
    .summary_name = "BatchNorm2d",
    .help = "batch normalisation per channel of [C, H, W] (PyTorch "
            "nn.BatchNorm2d), optionally with a fused ReLU",
    .params = batchnorm_params,
    .param_count = sizeof batchnorm_params / sizeof *batchnorm_params,
    .setup = setup_2d,
    .destroy = cnn_layer_free_state,
    .describe = describe,
    .geometry = geometry,
};

const struct cnn_layer_type cnn_layers_batchnorm1d_type = {
    .name = "batchnorm1d",
    .name_prefix = "bn",
    .summary_name = "BatchNorm1d",
    .help = "batch normalisation per feature of [C, 1, 1], after linear "
            "(PyTorch nn.BatchNorm1d), optionally with a fused ReLU",
    .params = batchnorm_params,
    .param_count = sizeof batchnorm_params / sizeof *batchnorm_params,
    .setup = setup_1d,
    .destroy = cnn_layer_free_state,
    .describe = describe,
    .geometry = geometry,
};
