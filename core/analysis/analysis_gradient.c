/* cnnlab — gradients of one output per sample (a class's logit or its
 * softmax probability) with respect to the model's input or a layer's
 * output (analysis.h), for the attribution analyses.
 *
 * They go through the model's own kernels: an inference forward (dropout
 * is the identity; max pooling finds its maxima again in backward, see
 * layer.h), the output's gradient seeded on the host, then each layer's
 * backward down to the layer asked for. Those backwards also OVERWRITE
 * the parameter gradients (layer.h): the analysis keeps a copy and puts
 * it back, so a gradient taken after training leaves the model exactly
 * as it was, weights and gradients alike. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "model/device.h"

static int check_request(const struct cnn_model *model, int n,
                         const struct cnn_gradient_request *request,
                         struct cnn_error *err)
{
    if (model->layer_count == 0)
        return cnn_error_set(err, "the model has no layers");
    if (n < 1)
        return cnn_error_set(err, "a gradient of %d samples (at least 1)",
                             n);
    if (request->output != CNN_GRADIENT_LOGIT &&
        request->output != CNN_GRADIENT_PROBABILITY)
        return cnn_error_set(err, "a gradient of output kind %d: ask for "
                             "CNN_GRADIENT_LOGIT or CNN_GRADIENT_PROBABILITY",
                             (int)request->output);
    int last = model->layer_count - 1;
    if (request->layer < -1 || request->layer > last)
        return cnn_error_set(err,
                             "a gradient with respect to layer %d, which "
                             "does not exist: -1 is the input, 0..%d the "
                             "layers (%s..%s)",
                             request->layer, last, model->layers[0].name,
                             model->layers[last].name);
    int classes = (int)cnn_shape_size(model->layers[last].output);
    for (int i = 0; i < n; i++)
        if (!request->classes || request->classes[i] < 0 ||
            request->classes[i] >= classes)
            return cnn_error_set(err,
                                 "a gradient of class %d for sample %d: the "
                                 "model has classes 0..%d",
                                 request->classes ? request->classes[i] : -1,
                                 i, classes - 1);
    return 0;
}

/* The differentiated output of one sample and its gradient with respect
 * to the logits z: e_c for the logit; p_c (e_c - p) for the probability
 * p = softmax(z), computed in double from the largest logit. */
static void seed_sample(const float *z, int classes, int c,
                        enum cnn_gradient_output output, float *seed,
                        float *value)
{
    if (output == CNN_GRADIENT_LOGIT) {
        for (int j = 0; j < classes; j++)
            seed[j] = j == c ? 1.0f : 0.0f;
        *value = z[c];
        return;
    }
    double top = z[0], sum = 0.0;
    for (int j = 1; j < classes; j++)
        top = z[j] > top ? z[j] : top;
    for (int j = 0; j < classes; j++)
        sum += exp((double)z[j] - top);
    double p_c = exp((double)z[c] - top) / sum;
    for (int j = 0; j < classes; j++) {
        double p_j = exp((double)z[j] - top) / sum;
        seed[j] = (float)(p_c * ((j == c ? 1.0 : 0.0) - p_j));
    }
    *value = (float)p_c;
}

/* Reads the logits of the last forward, writes their gradient where the
 * last layer's backward reads it, and each sample's output into `value`
 * (when not NULL). */
static int seed_output(struct cnn_model *model, int n,
                       const struct cnn_gradient_request *request,
                       float *value, struct cnn_error *err)
{
    int last = model->layer_count - 1;
    int classes = (int)cnn_shape_size(model->layers[last].output);
    size_t count = (size_t)n * classes;
    float *logits = malloc(2 * count * sizeof *logits);
    if (!logits)
        return cnn_error_set(err, "out of memory for %d samples' logits", n);
    float *seed = logits + count;
    int status = cnn_device_download(model->device_type, &model->context,
                                     logits, model->outputs[last],
                                     count * sizeof *logits, err);
    for (int i = 0; status == 0 && i < n; i++) {
        float ignored;
        seed_sample(logits + (size_t)i * classes, classes,
                    request->classes[i], request->output,
                    seed + (size_t)i * classes, value ? &value[i] : &ignored);
    }
    if (status == 0)
        status = cnn_device_upload(model->device_type, &model->context,
                                   model->output_gradients[last], seed,
                                   count * sizeof *seed, err);
    free(logits);
    return status;
}

/* Layer 0's backward into the input-gradient buffer (the model's own
 * loop has no dx for its first layer). */
static int backward_to_input(struct cnn_model *model, int n, float *dx,
                             struct cnn_error *err)
{
    struct cnn_layer_tensors t = cnn_model_layer_tensors(model, 0, n);
    t.dx = (struct cnn_tensor){n, model->input, model->device, dx};
    struct cnn_layer *layer = &model->layers[0];
    if (model->kernels[0]->backward(&model->context, layer, &t.x, &t.y,
                                    &t.dy, &t.dx, err) < 0)
        return cnn_error_prefix(err, "layer %s backward: ", layer->name);
    return 0;
}

/* Device memory for the input's gradient, grown to n samples. */
static float *input_gradient_buffer(struct cnn_analysis *a, int n,
                                    struct cnn_error *err)
{
    struct cnn_analysis_gradient_buffers *b = cnn_analysis_gradient_buffers(a);
    struct cnn_model *model = cnn_analysis_model(a);
    if (b->input_capacity >= n)
        return b->input_gradient;
    cnn_model_device_free(model, b->input_gradient);
    b->input_capacity = 0;
    b->input_gradient = cnn_model_device_alloc(
        model, (size_t)n * cnn_shape_size(model->input) * sizeof(float),
        err);
    if (b->input_gradient)
        b->input_capacity = n;
    return b->input_gradient;
}

/* What the request asked for into `result`: the gradient and the values
 * of layer `layer`'s output (or of the input). */
static int download_result(struct cnn_analysis *a, const float *x, int n,
                           int layer, const float *dx,
                           const struct cnn_gradient_result *result,
                           struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(a);
    struct cnn_shape shape = layer < 0 ? model->input
                                       : model->layers[layer].output;
    size_t bytes = (size_t)n * cnn_shape_size(shape) * sizeof(float);
    if (result->gradient &&
        cnn_device_download(model->device_type, &model->context,
                            result->gradient,
                            layer < 0 ? dx : model->output_gradients[layer],
                            bytes, err) < 0)
        return -1;
    if (!result->activation)
        return 0;
    if (layer < 0) {
        memcpy(result->activation, x, bytes);
        return 0;
    }
    return cnn_device_download(model->device_type, &model->context,
                               result->activation, model->outputs[layer],
                               bytes, err);
}

/* Forward in evaluation mode, the output's gradient, backward down to
 * the requested layer, the result. */
static int forward_and_back(struct cnn_analysis *a, const float *x, int n,
                            const struct cnn_gradient_request *request,
                            const struct cnn_gradient_result *result,
                            struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(a);
    int last = model->layer_count - 1, layer = request->layer;
    float *dx = layer < 0 ? input_gradient_buffer(a, n, err) : NULL;
    if (layer < 0 && !dx)
        return -1;
    if (cnn_device_upload(model->device_type, &model->context,
                          model->input_buffer, x,
                          (size_t)n * cnn_shape_size(model->input) *
                              sizeof(float),
                          err) < 0 ||
        cnn_model_forward_layers(model, 0, last, n, 0, err) < 0 ||
        seed_output(model, n, request, result->value, err) < 0)
        return -1;
    for (int i = last; i > layer && i > 0; i--)
        if (cnn_model_backward_layer(model, i, n, err) < 0)
            return -1;
    if (layer < 0 && backward_to_input(model, n, dx, err) < 0)
        return -1;
    return download_result(a, x, n, layer, dx, result, err);
}

/* The parameter gradients as they are now, into the host copy kept for
 * the analysis (allocated once). */
static int keep_parameter_gradients(struct cnn_analysis *a,
                                    struct cnn_error *err)
{
    struct cnn_analysis_gradient_buffers *b = cnn_analysis_gradient_buffers(a);
    struct cnn_model *model = cnn_analysis_model(a);
    if (!b->kept_gradients) {
        b->kept_gradients = malloc((model->parameter_count + 1) *
                                   sizeof(float));
        if (!b->kept_gradients)
            return cnn_error_set(err, "out of memory for a copy of the "
                                 "model's %zu parameter gradients",
                                 model->parameter_count);
    }
    return cnn_device_download(model->device_type, &model->context,
                               b->kept_gradients, model->gradients,
                               model->parameter_count * sizeof(float), err);
}

static int restore_parameter_gradients(struct cnn_analysis *a,
                                       struct cnn_error *err)
{
    struct cnn_analysis_gradient_buffers *b = cnn_analysis_gradient_buffers(a);
    struct cnn_model *model = cnn_analysis_model(a);
    return cnn_device_upload(model->device_type, &model->context,
                             model->gradients, b->kept_gradients,
                             model->parameter_count * sizeof(float), err);
}

int cnn_analysis_gradient(struct cnn_analysis *a, const float *x, int n,
                          const struct cnn_gradient_request *request,
                          const struct cnn_gradient_result *result,
                          struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(a);
    if (check_request(model, n, request, err) < 0 ||
        cnn_model_reserve(model, n, err) < 0 ||
        cnn_model_prepare(model, n, err) < 0 ||
        keep_parameter_gradients(a, err) < 0)
        return -1;
    model->batch = n;
    int status = forward_and_back(a, x, n, request, result, err);
    /* Put the gradients back even after a failure, keeping its message. */
    struct cnn_error restoring = {0};
    if (restore_parameter_gradients(a, &restoring) < 0 && status == 0) {
        *err = restoring;
        status = -1;
    }
    return status;
}

void cnn_analysis_gradient_release(struct cnn_analysis *a)
{
    struct cnn_analysis_gradient_buffers *b = cnn_analysis_gradient_buffers(a);
    if (b->input_gradient)
        cnn_model_device_free(cnn_analysis_model(a), b->input_gradient);
    free(b->kept_gradients);
    memset(b, 0, sizeof *b);
}
