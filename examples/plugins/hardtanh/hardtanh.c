/* An out-of-tree cnnlab layer: hardtanh, x clamped to [min_val, max_val]
 * (PyTorch's nn.Hardtanh; with min_val 0 and max_val 6 it is ReLU6). It
 * shows the whole of a layer plugin: a parameter schema, setup that
 * checks what the schema cannot (min_val below max_val) and keeps the
 * parsed settings, the PyTorch repr, receptive-field geometry, CPU
 * forward and backward, and the one exported descriptor; built with
 * HARDTANH_CUDA (`make cuda`), CUDA kernels too, launched on the stream
 * cnnlab gives (<cnnlab/cuda.h>).
 *
 * Build: make, or make cuda (see Makefile; needs `pkg-config cnnlab`, and
 * nvcc for cuda). Use:
 *     CNNLAB_PLUGIN_PATH=$PWD cnnlab run hardtanh.yaml */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cnnlab/plugin.h>
#ifdef HARDTANH_CUDA
#include <cnnlab/cuda.h>

#include "hardtanh_kernels.h"
#endif

static const struct cnn_param_spec hardtanh_params[] = {
    /* min == max == 0: any number; setup checks the two together. */
    {"min_val", CNN_PARAM_FLOAT, "-1", 0, 0, NULL,
     "lower bound (PyTorch's min_val)"},
    {"max_val", CNN_PARAM_FLOAT, "1", 0, 0, NULL,
     "upper bound, above min_val (PyTorch's max_val)"},
};

/* The settings, parsed once in setup and kept as layer->state: the
 * kernels read the floats, the repr the manifest's doubles. */
struct hardtanh_state {
    double min_val, max_val;
    float low, high;
};

static int hardtanh_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    struct hardtanh_state s;
    s.min_val = cnn_param_float(&layer->params, "min_val");
    s.max_val = cnn_param_float(&layer->params, "max_val");
    s.low = (float)s.min_val;
    s.high = (float)s.max_val;
    /* PyTorch asserts max_val > min_val; so does this, at the layer's
     * place in the manifest, before anything trains (on the floats the
     * kernels compare with). */
    if (!(s.low < s.high))
        return cnn_error_at(err, layer->mark,
                            "layer %s (hardtanh): min_val %g is not below "
                            "max_val %g; lower min_val or raise max_val",
                            layer->name, s.min_val, s.max_val);
    layer->output = layer->input;
    return cnn_layer_keep_state(layer, &s, sizeof s, err);
}

/* Python's repr of a float, as PyTorch prints min_val and max_val: the
 * shortest digits that read back as the same double, positional with
 * ".0" on whole numbers from 1e-4 up to 1e16, else in exponent form
 * ("1e+30", "1.5e-05"). */
static void python_float(char *buf, size_t size, double value)
{
    char digits[40];
    int precision = 1;
    for (; precision < 17; precision++) {
        snprintf(digits, sizeof digits, "%.*e", precision - 1, value);
        if (strtod(digits, NULL) == value)
            break;
    }
    snprintf(digits, sizeof digits, "%.*e", precision - 1, value);
    int exponent = atoi(strchr(digits, 'e') + 1);
    if (exponent < -4 || exponent >= 16) {
        /* "1.5e+30" as C writes it is Python's form too. */
        snprintf(buf, size, "%s", digits);
        return;
    }
    int decimals = precision - 1 - exponent;
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, value);
    if (!strchr(buf, '.'))
        strncat(buf, ".0", size - strlen(buf) - 1);
}

static int hardtanh_describe(const struct cnn_layer *layer, char *buf,
                             size_t size)
{
    const struct hardtanh_state *s = layer->state;
    char low[40], high[40];
    python_float(low, sizeof low, s->min_val);
    python_float(high, sizeof high, s->max_val);
    return snprintf(buf, size, "Hardtanh(min_val=%s, max_val=%s)", low,
                    high);
}

static void hardtanh_geometry(const struct cnn_layer *layer,
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

/* y = x below low ? low : above high ? high : x. A NaN passes (neither
 * comparison holds), and with low 0 the result is relu's bit for bit:
 * negatives give low, +0; -0 and 0 pass as they are. */
static int hardtanh_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                            const struct cnn_tensor *x, struct cnn_tensor *y,
                            int training, struct cnn_error *err)
{
    (void)ctx;
    (void)training;
    int batch = x ? x->n : 0;
    if (check_tensor(layer, x, batch, "input", err) < 0 ||
        check_tensor(layer, y, batch, "output", err) < 0)
        return -1;
    const struct hardtanh_state *s = layer->state;
    size_t count = cnn_tensor_count(x);
    for (size_t i = 0; i < count; i++) {
        float v = x->data[i];
        y->data[i] = v < s->low ? s->low : v > s->high ? s->high : v;
    }
    return 0;
}

/* dL/dx = dL/dy strictly inside (low, high), 0 elsewhere. PyTorch lets a
 * NaN input's gradient through; here it is 0, as relu's, so that min_val
 * 0 with a max_val no input reaches trains exactly as relu. The layer has
 * no parameters, so there is no gradient of its own to overwrite. */
static int hardtanh_backward(struct cnn_context *ctx,
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
    const struct hardtanh_state *s = layer->state;
    size_t count = cnn_tensor_count(x);
    for (size_t i = 0; i < count; i++) {
        float v = x->data[i];
        dx->data[i] = v > s->low && v < s->high ? dy->data[i] : 0.0f;
    }
    return 0;
}

static const struct cnn_layer_type hardtanh_type = {
    .name = "hardtanh",
    .name_prefix = "hardtanh",
    .summary_name = "Hardtanh",
    .help = "hard tanh, x clamped to [min_val, max_val] (example plugin)",
    .params = hardtanh_params,
    .param_count = sizeof hardtanh_params / sizeof *hardtanh_params,
    .setup = hardtanh_setup,
    .destroy = cnn_layer_free_state,
    .describe = hardtanh_describe,
    .geometry = hardtanh_geometry,
};

static const struct cnn_layer_kernels hardtanh_cpu = {
    .layer = "hardtanh",
    .device = CNN_DEVICE_CPU,
    .prepare = NULL,
    .forward = hardtanh_forward,
    .backward = hardtanh_backward,
    .release = NULL,
};

#ifdef HARDTANH_CUDA
/* The same on a GPU: the tensors are in device memory; the kernels are
 * queued on cnnlab's stream (nothing waits for them here, so a step can be
 * captured and replayed). */
static int hardtanh_forward_cuda(struct cnn_context *ctx,
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
    const struct hardtanh_state *s = layer->state;
    const char *failed = hardtanh_cuda_forward(
        cuda->stream, x->data, y->data, cnn_tensor_count(x), s->low,
        s->high);
    if (failed)
        return cnn_error_set(err, "layer %s: the CUDA forward did not "
                             "launch: %s", layer->name, failed);
    return 0;
}

static int hardtanh_backward_cuda(struct cnn_context *ctx,
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
    const struct hardtanh_state *s = layer->state;
    const char *failed = hardtanh_cuda_backward(
        cuda->stream, x->data, dy->data, dx->data, cnn_tensor_count(x),
        s->low, s->high);
    if (failed)
        return cnn_error_set(err, "layer %s: the CUDA backward did not "
                             "launch: %s", layer->name, failed);
    return 0;
}

static const struct cnn_layer_kernels hardtanh_cuda = {
    .layer = "hardtanh",
    .device = CNN_DEVICE_CUDA,
    .forward = hardtanh_forward_cuda,
    .backward = hardtanh_backward_cuda,
};
#endif

static int hardtanh_init(struct cnn_registry *registry,
                         struct cnn_error *err)
{
    if (cnn_register_layer(registry, &hardtanh_type, err) < 0)
        return -1;
#ifdef HARDTANH_CUDA
    if (cnn_register_layer_kernels(registry, &hardtanh_cuda, err) < 0)
        return -1;
#endif
    return cnn_register_layer_kernels(registry, &hardtanh_cpu, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    .abi_major = CNN_ABI_MAJOR,
    .abi_minor = CNN_ABI_MINOR,
    .name = "hardtanh",
    .version = "1.0.0",
    .init = hardtanh_init,
};
