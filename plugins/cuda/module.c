/* cnnlab CUDA module — registers the CUDA device and the device kernels of
 * every built-in layer, the cross-entropy loss and SGD, as one plugin. The
 * definitions themselves (parameters, setup or parsed settings, shapes)
 * are the layers, losses and optim modules': these are their kernels for
 * CNN_DEVICE_CUDA. */
#include "backend.h"

static const struct cnn_layer_kernels *const cuda_layer_kernels[] = {
    &cuda_conv2d_kernels,     &cuda_linear_kernels,
    &cuda_maxpool2d_kernels,  &cuda_relu_kernels,
    &cuda_globalpool_kernels, &cuda_flatten_kernels,
    &cuda_dropout_kernels,    &cuda_avgpool2d_kernels,
    &cuda_leaky_relu_kernels, &cuda_batchnorm2d_kernels,
    &cuda_batchnorm1d_kernels,
};

static int cuda_init(struct cnn_registry *registry, struct cnn_error *err)
{
    if (cnn_register_device(registry, &cuda_device_type, err))
        return -1;
    for (size_t i = 0;
         i < sizeof cuda_layer_kernels / sizeof *cuda_layer_kernels; i++)
        if (cnn_register_layer_kernels(registry, cuda_layer_kernels[i], err))
            return -1;
    if (cnn_register_loss_kernels(registry, &cuda_cross_entropy_kernels,
                                  err))
        return -1;
    return cnn_register_optimizer_kernels(registry, &cuda_sgd_kernels, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "cuda", "0.1.0", cuda_init,
};
