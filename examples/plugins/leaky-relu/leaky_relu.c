/* An out-of-tree cnnlab layer: leaky ReLU, y = x for x > 0, slope * x
 * otherwise (PyTorch's nn.LeakyReLU). It shows the whole of a layer
 * plugin: a parameter schema, setup, the PyTorch repr, receptive-field
 * geometry, CPU forward and backward, and the one exported descriptor;
 * built with LEAKY_RELU_CUDA (`make cuda`), CUDA kernels too, launched on
 * the stream cnnlab gives (<cnnlab/cuda.h>).
 *
 * Build: make, or make cuda (see Makefile; needs `pkg-config cnnlab`, and
 * nvcc for cuda). Use:
 *     CNNLAB_PLUGIN_PATH=$PWD cnnlab run leaky-relu.yaml */
#include <stdio.h>
#include <string.h>

#include <cnnlab/plugin.h>
#ifdef LEAKY_RELU_CUDA
#include <cnnlab/cuda.h>

#include "leaky_relu_kernels.h"
#endif

static const struct cnn_param_spec leaky_relu_params[] = {
    {"slope", CNN_PARAM_FLOAT, "0.01", 0, 1, NULL,
     "gradient for negative inputs (PyTorch's negative_slope)"},
};

/* The layer keeps its slope as state, read once here rather than looked
 * up by name in every kernel call. */
struct leaky_relu_state {
    float slope;
};

static int leaky_relu_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    struct leaky_relu_state state = {
        (float)cnn_param_float(&layer->params, "slope")};
    layer->output = layer->input;
    return cnn_layer_keep_state(layer, &state, sizeof state, err);
}

/* As PyTorch prints it, to 6 significant digits ("0.0", not "0"). */
static int leaky_relu_describe(const struct cnn_layer *layer, char *buf,
                               size_t size)
{
    char slope[32];
    snprintf(slope, sizeof slope, "%g",
             cnn_param_float(&layer->params, "slope"));
    return snprintf(buf, size, "LeakyReLU(negative_slope=%s%s)", slope,
                    strpbrk(slope, ".e") ? "" : ".0");
}

static void leaky_relu_geometry(const struct cnn_layer *layer,
                                struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_IDENTITY};
}

/* A kernel checks what it is handed against the shapes setup agreed on
 * (cnn_layer_check_tensor, layer.h), so a core or harness bug is an error
 * naming the layer, not a bad read. The layer keeps its shape. */
static int check_tensor(const struct cnn_layer *layer,
                        const struct cnn_tensor *t, int batch,
                        const char *role, struct cnn_error *err)
{
    return cnn_layer_check_tensor(t, CNN_DEVICE_CPU, layer->input, batch,
                                  role, layer, err);
}

static int leaky_relu_forward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              struct cnn_tensor *y, int training,
                              struct cnn_error *err)
{
    (void)ctx;
    (void)training;
    int batch = x ? x->n : 0;
    if (check_tensor(layer, x, batch, "input", err) < 0 ||
        check_tensor(layer, y, batch, "output", err) < 0)
        return -1;
    const struct leaky_relu_state *state = layer->state;
    size_t count = cnn_tensor_count(x);
    for (size_t i = 0; i < count; i++) {
        float v = x->data[i];
        y->data[i] = v > 0.0f ? v : state->slope * v;
    }
    return 0;
}

/* dL/dx = dL/dy * (1 for x > 0, slope otherwise). The layer has no
 * parameters, so there is no gradient of its own to overwrite. */
static int leaky_relu_backward(struct cnn_context *ctx,
                               struct cnn_layer *layer,
                               const struct cnn_tensor *x,
                               const struct cnn_tensor *y,
                               const struct cnn_tensor *dy,
                               struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)ctx;
    (void)y;
    if (!dx)
        return 0; /* the model's first layer: nobody needs dL/dx */
    int batch = x ? x->n : 0;
    if (check_tensor(layer, x, batch, "input", err) < 0 ||
        check_tensor(layer, dy, batch, "output gradient", err) < 0 ||
        check_tensor(layer, dx, batch, "input gradient", err) < 0)
        return -1;
    const struct leaky_relu_state *state = layer->state;
    size_t count = cnn_tensor_count(x);
    for (size_t i = 0; i < count; i++)
        dx->data[i] = x->data[i] > 0.0f ? dy->data[i]
                                        : state->slope * dy->data[i];
    return 0;
}

static const struct cnn_layer_type leaky_relu_type = {
    .name = "leaky-relu",
    .name_prefix = "leaky",
    .summary_name = "LeakyReLU",
    .help = "leaky rectified linear unit, x > 0 ? x : slope * x "
            "(example plugin)",
    .params = leaky_relu_params,
    .param_count = sizeof leaky_relu_params / sizeof *leaky_relu_params,
    .setup = leaky_relu_setup,
    .destroy = cnn_layer_free_state,
    .describe = leaky_relu_describe,
    .geometry = leaky_relu_geometry,
};

static const struct cnn_layer_kernels leaky_relu_cpu = {
    .layer = "leaky-relu",
    .device = CNN_DEVICE_CPU,
    .prepare = NULL,
    .forward = leaky_relu_forward,
    .backward = leaky_relu_backward,
    .release = NULL,
};

#ifdef LEAKY_RELU_CUDA
/* The same on a GPU: the tensors are in device memory; the kernels are
 * queued on cnnlab's stream (nothing waits for them here, so a step can be
 * captured and replayed). */
static int leaky_relu_forward_cuda(struct cnn_context *ctx,
                                   struct cnn_layer *layer,
                                   const struct cnn_tensor *x,
                                   struct cnn_tensor *y, int training,
                                   struct cnn_error *err)
{
    (void)training;
    const struct cnn_cuda_services *cuda = cnn_cuda_services(ctx, err);
    int batch = x ? x->n : 0;
    if (!cuda ||
        cnn_layer_check_tensor(x, CNN_DEVICE_CUDA, layer->input, batch,
                               "input", layer, err) < 0 ||
        cnn_layer_check_tensor(y, CNN_DEVICE_CUDA, layer->input, batch,
                               "output", layer, err) < 0)
        return -1;
    const struct leaky_relu_state *state = layer->state;
    const char *failed = leaky_relu_cuda_forward(
        cuda->stream, x->data, y->data, cnn_tensor_count(x), state->slope);
    if (failed)
        return cnn_error_set(err, "layer %s: the CUDA forward did not "
                             "launch: %s", layer->name, failed);
    return 0;
}

static int leaky_relu_backward_cuda(struct cnn_context *ctx,
                                    struct cnn_layer *layer,
                                    const struct cnn_tensor *x,
                                    const struct cnn_tensor *y,
                                    const struct cnn_tensor *dy,
                                    struct cnn_tensor *dx,
                                    struct cnn_error *err)
{
    (void)y;
    if (!dx)
        return 0;
    const struct cnn_cuda_services *cuda = cnn_cuda_services(ctx, err);
    int batch = x ? x->n : 0;
    if (!cuda ||
        cnn_layer_check_tensor(x, CNN_DEVICE_CUDA, layer->input, batch,
                               "input", layer, err) < 0 ||
        cnn_layer_check_tensor(dy, CNN_DEVICE_CUDA, layer->input, batch,
                               "output gradient", layer, err) < 0 ||
        cnn_layer_check_tensor(dx, CNN_DEVICE_CUDA, layer->input, batch,
                               "input gradient", layer, err) < 0)
        return -1;
    const struct leaky_relu_state *state = layer->state;
    const char *failed = leaky_relu_cuda_backward(
        cuda->stream, x->data, dy->data, dx->data, cnn_tensor_count(x),
        state->slope);
    if (failed)
        return cnn_error_set(err, "layer %s: the CUDA backward did not "
                             "launch: %s", layer->name, failed);
    return 0;
}

static const struct cnn_layer_kernels leaky_relu_cuda = {
    .layer = "leaky-relu",
    .device = CNN_DEVICE_CUDA,
    .forward = leaky_relu_forward_cuda,
    .backward = leaky_relu_backward_cuda,
};
#endif

static int leaky_relu_init(struct cnn_registry *registry,
                           struct cnn_error *err)
{
    if (cnn_register_layer(registry, &leaky_relu_type, err) < 0)
        return -1;
#ifdef LEAKY_RELU_CUDA
    if (cnn_register_layer_kernels(registry, &leaky_relu_cuda, err) < 0)
        return -1;
#endif
    return cnn_register_layer_kernels(registry, &leaky_relu_cpu, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    .abi_major = CNN_ABI_MAJOR,
    .abi_minor = CNN_ABI_MINOR,
    .name = "leaky-relu",
    .version = "1.0.0",
    .init = leaky_relu_init,
};
