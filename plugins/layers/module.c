/* cnnlab layers module — the built-in layer types and their CPU kernels
 * (oneDNN), registered as one plugin. */
#include "onednn.h"

static const struct {
    const struct cnn_layer_type *type;
    const struct cnn_layer_kernels *cpu;
} layers[] = {
    {&cnn_layers_conv2d_type, &cnn_layers_conv2d_cpu},
    {&cnn_layers_linear_type, &cnn_layers_linear_cpu},
    {&cnn_layers_maxpool2d_type, &cnn_layers_maxpool2d_cpu},
    {&cnn_layers_avgpool2d_type, &cnn_layers_avgpool2d_cpu},
    {&cnn_layers_relu_type, &cnn_layers_relu_cpu},
    {&cnn_layers_leaky_relu_type, &cnn_layers_leaky_relu_cpu},
    {&cnn_layers_globalpool_type, &cnn_layers_globalpool_cpu},
    {&cnn_layers_flatten_type, &cnn_layers_flatten_cpu},
    {&cnn_layers_dropout_type, &cnn_layers_dropout_cpu},
    {&cnn_layers_batchnorm2d_type, &cnn_layers_batchnorm2d_cpu},
    {&cnn_layers_batchnorm1d_type, &cnn_layers_batchnorm1d_cpu},
};

static int layers_init(struct cnn_registry *registry, struct cnn_error *err)
{
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++)
        if (cnn_register_layer(registry, layers[i].type, err) ||
            cnn_register_layer_kernels(registry, layers[i].cpu, err))
            return -1;
    return 0;
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "layers", "0.1.0", layers_init,
};
