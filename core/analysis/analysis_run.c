/* cnnlab — running the model in pieces for analyses (analysis.h, Part B):
 * images in and any layer's output out, a forward from any layer's
 * input, and filters switched off and on. Everything goes through the
 * model's buffers and the device copies of device.h, so it works on every
 * device; nothing here knows a backend.
 *
 * Switching a filter off zeroes its slice of the host copy of the
 * parameters and sends that slice to the device. The kernels read the
 * weights at every forward (the CPU kernels reorder them each call, the
 * CUDA ones use them in place), so the change takes effect at once. The
 * selected parameters are kept aside while any filter is off, which is
 * what makes switching it back on exact. */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "model/device.h"

void cnn_analysis_normalize(const struct cnn_analysis *a,
                            const uint8_t *pixels, int n, float *out)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    const struct cnn_train_config *train = cnn_analysis_train_config(a);
    size_t per_image = cnn_shape_size(shape);
    for (int i = 0; i < n; i++)
        cnn_normalize_pixels(pixels + (size_t)i * per_image, shape,
                             &train->normalization,
                             out + (size_t)i * per_image);
}

static int check_layer(const struct cnn_model *model, int layer,
                       const char *what, struct cnn_error *err)
{
    if (model->layer_count == 0)
        return cnn_error_set(err, "the model has no layers");
    if (layer < 0 || layer >= model->layer_count)
        return cnn_error_set(err,
                             "%s layer %d does not exist: the model's layers "
                             "are 0..%d (%s..%s)",
                             what, layer, model->layer_count - 1,
                             model->layers[0].name,
                             model->layers[model->layer_count - 1].name);
    return 0;
}

static int check_range(const struct cnn_model *model, int first, int last,
                       int n, struct cnn_error *err)
{
    if (check_layer(model, first, "first", err) < 0 ||
        check_layer(model, last, "last", err) < 0)
        return -1;
    if (last < first)
        return cnn_error_set(err,
                             "a forward from layer %d (%s) cannot end before "
                             "it, at layer %d (%s)",
                             first, model->layers[first].name, last,
                             model->layers[last].name);
    if (n < 1)
        return cnn_error_set(err, "a forward of %d samples (at least 1)", n);
    return 0;
}

/* Layers first..last in evaluation mode on n samples already in layer
 * first's input buffer, then layer last's output into `out` (host). */
static int run_layers(struct cnn_model *model, int first, int last, int n,
                      float *out, struct cnn_error *err)
{
    if (cnn_model_prepare(model, n, err) < 0)
        return -1;
    model->batch = n;
    if (cnn_model_forward_layers(model, first, last, n, 0, err) < 0)
        return -1;
    size_t bytes = (size_t)n * cnn_shape_size(model->layers[last].output) *
                   sizeof(float);
    return cnn_device_download(model->device_type, &model->context, out,
                               model->outputs[last], bytes, err);
}

int cnn_analysis_forward_images(struct cnn_analysis *a,
                                const uint8_t *pixels, int n, int last,
                                float *out, struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(a);
    if (check_range(model, 0, last, n, err) < 0 ||
        cnn_model_reserve(model, n, err) < 0)
        return -1;
    cnn_analysis_normalize(a, pixels, n, cnn_model_input(model));
    size_t bytes = (size_t)n * cnn_shape_size(model->input) * sizeof(float);
    if (cnn_device_upload(model->device_type, &model->context,
                          model->input_buffer, cnn_model_input(model), bytes,
                          err) < 0)
        return -1;
    return run_layers(model, 0, last, n, out, err);
}

int cnn_analysis_forward_from(struct cnn_analysis *a, int first,
                              const float *x, int n, int last, float *out,
                              struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(a);
    if (check_range(model, first, last, n, err) < 0 ||
        cnn_model_reserve(model, n, err) < 0)
        return -1;
    struct cnn_shape shape =
        first == 0 ? model->input : model->layers[first - 1].output;
    float *target = first == 0 ? model->input_buffer
                               : model->outputs[first - 1];
    if (cnn_device_upload(model->device_type, &model->context, target, x,
                          (size_t)n * cnn_shape_size(shape) * sizeof(float),
                          err) < 0)
        return -1;
    return run_layers(model, first, last, n, out, err);
}

static const struct cnn_param_tensor *find_tensor(
    const struct cnn_layer *layer, const char *name)
{
    for (int t = 0; t < layer->tensor_count; t++)
        if (strcmp(layer->tensors[t].name, name) == 0)
            return &layer->tensors[t];
    return NULL;
}

/* The tensor whose rows are the layer's filters, and its bias (NULL when
 * it has none). */
static const struct cnn_param_tensor *filter_tensor(
    const struct cnn_layer *layer, const struct cnn_param_tensor **bias)
{
    const struct cnn_param_tensor *weight = find_tensor(layer, "weight");
    *bias = NULL;
    if (!weight || weight->ndim < 1 || weight->dims[0] < 1)
        return NULL;
    const struct cnn_param_tensor *b = find_tensor(layer, "bias");
    if (b && b->count == (size_t)weight->dims[0])
        *bias = b;
    return weight;
}

int cnn_analysis_filter_count(const struct cnn_analysis *a, int layer)
{
    const struct cnn_layer *l = cnn_analysis_layer(a, layer);
    const struct cnn_param_tensor *bias;
    const struct cnn_param_tensor *weight = l ? filter_tensor(l, &bias)
                                              : NULL;
    return weight ? weight->dims[0] : 0;
}

static int check_filter(const struct cnn_model *model, int layer,
                        int filter, const struct cnn_param_tensor **weight,
                        const struct cnn_param_tensor **bias,
                        struct cnn_error *err)
{
    if (check_layer(model, layer, "filter of", err) < 0)
        return -1;
    const struct cnn_layer *l = &model->layers[layer];
    *weight = filter_tensor(l, bias);
    if (!*weight)
        return cnn_error_set(err,
                             "layer %d (%s, %s) has no filters to switch: "
                             "only layers with a weight tensor (conv2d, "
                             "linear) have them",
                             layer, l->name, l->type->name);
    if (filter < 0 || filter >= (*weight)->dims[0])
        return cnn_error_set(err,
                             "layer %d (%s, %s) has filters 0..%d, not %d",
                             layer, l->name, l->type->name,
                             (*weight)->dims[0] - 1, filter);
    return 0;
}

/* Sends `count` floats at `offset` of the host copy to the device. */
static int upload_range(struct cnn_model *model, size_t offset, size_t count,
                        struct cnn_error *err)
{
    return cnn_device_upload(model->device_type, &model->context,
                             model->parameters + offset,
                             model->host_parameters + offset,
                             count * sizeof(float), err);
}

/* Sets the filter's weights (and bias element when `with_bias`) from
 * `source` (NULL: zeros) and sends them to the device. */
static int set_filter(struct cnn_model *model,
                      const struct cnn_param_tensor *weight,
                      const struct cnn_param_tensor *bias, int filter,
                      int with_bias, const float *source,
                      struct cnn_error *err)
{
    size_t row = weight->count / (size_t)weight->dims[0];
    size_t start = weight->offset + (size_t)filter * row;
    if (source)
        memcpy(model->host_parameters + start, source + start,
               row * sizeof(float));
    else
        memset(model->host_parameters + start, 0, row * sizeof(float));
    if (upload_range(model, start, row, err) < 0)
        return -1;
    if (!bias || !with_bias)
        return 0;
    size_t at = bias->offset + (size_t)filter;
    model->host_parameters[at] = source ? source[at] : 0.0f;
    return upload_range(model, at, 1, err);
}

int cnn_analysis_filter_off(struct cnn_analysis *a, int layer, int filter,
                            int with_bias, struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(a);
    const struct cnn_param_tensor *weight, *bias;
    if (check_filter(model, layer, filter, &weight, &bias, err) < 0)
        return -1;
    float **saved = cnn_analysis_saved_parameters(a);
    if (!*saved) {
        /* The device holds the truth; the host copy may lag on a device. */
        if (cnn_model_parameters_to_host(model, err) < 0)
            return -1;
        *saved = malloc((model->parameter_count + 1) * sizeof(float));
        if (!*saved)
            return cnn_error_set(err, "out of memory for a copy of the "
                                 "model's %zu parameters",
                                 model->parameter_count);
        memcpy(*saved, model->host_parameters,
               model->parameter_count * sizeof(float));
    }
    return set_filter(model, weight, bias, filter, with_bias, NULL, err);
}

int cnn_analysis_filter_on(struct cnn_analysis *a, int layer, int filter,
                           struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(a);
    const struct cnn_param_tensor *weight, *bias;
    if (check_filter(model, layer, filter, &weight, &bias, err) < 0)
        return -1;
    const float *saved = *cnn_analysis_saved_parameters(a);
    if (!saved) /* nothing is off */
        return 0;
    return set_filter(model, weight, bias, filter, 1, saved, err);
}

int cnn_analysis_filters_restore(struct cnn_analysis *a,
                                 struct cnn_error *err)
{
    float **saved = cnn_analysis_saved_parameters(a);
    if (!*saved)
        return 0;
    struct cnn_model *model = cnn_analysis_model(a);
    memcpy(model->host_parameters, *saved,
           model->parameter_count * sizeof(float));
    free(*saved);
    *saved = NULL;
    return cnn_model_parameters_from_host(model, err);
}

uint64_t cnn_analysis_seed(const struct cnn_analysis *a)
{
    const struct cnn_train_config *train = cnn_analysis_train_config(a);
    return train ? train->seed : 0;
}
