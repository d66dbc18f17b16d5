/* cnnlab — one layer of the model run alone on a crop of its input
 * (analysis.h: cnn_analysis_crop_open), for analyses that recompute only
 * the part of the activations an input change can reach (incremental
 * occlusion).
 *
 * The crop runs on a second instance of the layer: the same type and
 * parameters, set up for the crop's height and width, its parameter
 * tensors pointing at the model's (so switched-off filters stay off and
 * nothing is copied), with its own kernel state prepared for the crop's
 * batch. The kernels cannot tell it from a model layer of that input
 * size, which is what makes the result equal the full layer's wherever
 * the crop holds an output's whole window. */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "model/device.h"

struct cnn_analysis_crop {
    struct cnn_model *model;
    struct cnn_layer layer;             /* the second instance */
    const struct cnn_layer_kernels *kernels;
    int set_up;                         /* layer.type->setup succeeded */
    int prepared;                       /* batch the kernels hold; 0 none */
    /* On a device other than the CPU: input and output buffers there. */
    float *device_x, *device_y;
    size_t device_capacity;             /* samples both hold */
};

void cnn_analysis_crop_close(struct cnn_analysis *analysis,
                             struct cnn_analysis_crop *crop)
{
    (void)analysis;
    if (!crop)
        return;
    struct cnn_layer *layer = &crop->layer;
    if (crop->kernels && crop->kernels->release)
        crop->kernels->release(layer);
    if (crop->set_up && layer->type->destroy)
        layer->type->destroy(layer);
    cnn_params_free(&layer->params);
    if (crop->device_x)
        cnn_model_device_free(crop->model, crop->device_x);
    if (crop->device_y)
        cnn_model_device_free(crop->model, crop->device_y);
    free(crop);
}

/* The second instance's tensors must be the model layer's, one for one:
 * setup declares them from the parameters alone, never from the input's
 * height and width. */
static int share_tensors(struct cnn_layer *copy, const struct cnn_layer *own,
                         struct cnn_error *err)
{
    if (copy->tensor_count != own->tensor_count)
        return cnn_error_set(err, "layer %s (%s): set up on a crop it "
                             "declares %d parameter tensors instead of %d",
                             own->name, own->type->name, copy->tensor_count,
                             own->tensor_count);
    for (int i = 0; i < own->tensor_count; i++) {
        if (copy->tensors[i].count != own->tensors[i].count)
            return cnn_error_set(err, "layer %s (%s): set up on a crop its "
                                 "tensor %s has %zu values instead of %zu",
                                 own->name, own->type->name,
                                 own->tensors[i].name,
                                 copy->tensors[i].count,
                                 own->tensors[i].count);
        copy->tensors[i].offset = own->tensors[i].offset;
        copy->tensors[i].data = own->tensors[i].data;
        copy->tensors[i].grad = own->tensors[i].grad;
    }
    /* Buffers (running statistics) likewise: an inference forward on the
     * crop reads the model's. */
    if (copy->buffer_count != own->buffer_count)
        return cnn_error_set(err, "layer %s (%s): set up on a crop it "
                             "declares %d buffers instead of %d",
                             own->name, own->type->name, copy->buffer_count,
                             own->buffer_count);
    for (int i = 0; i < own->buffer_count; i++) {
        if (copy->buffers[i].count != own->buffers[i].count ||
            copy->buffers[i].dtype != own->buffers[i].dtype)
            return cnn_error_set(err, "layer %s (%s): set up on a crop its "
                                 "buffer %s differs from the model's",
                                 own->name, own->type->name,
                                 own->buffers[i].name);
        copy->buffers[i].offset = own->buffers[i].offset;
        copy->buffers[i].data = own->buffers[i].data;
    }
    return 0;
}

int cnn_analysis_crop_open(struct cnn_analysis *analysis, int index,
                           int height, int width,
                           struct cnn_analysis_crop **crop_out,
                           struct cnn_shape *output, struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(analysis);
    *crop_out = NULL;
    if (index < 0 || index >= model->layer_count)
        return cnn_error_set(err, "a crop of layer %d: the model's layers "
                             "are 0..%d", index, model->layer_count - 1);
    const struct cnn_layer *own = &model->layers[index];
    if (height < 1 || width < 1)
        return cnn_error_set(err, "a crop of layer %s of %dx%d positions "
                             "(at least 1x1)", own->name, height, width);
    struct cnn_analysis_crop *crop = calloc(1, sizeof *crop);
    if (!crop)
        return cnn_error_set(err, "out of memory");
    crop->model = model;
    struct cnn_layer *layer = &crop->layer;
    layer->type = own->type;
    layer->index = own->index;
    layer->mark = own->mark;
    memcpy(layer->name, own->name, sizeof layer->name);
    layer->input = (struct cnn_shape){own->input.c, height, width};
    int status = cnn_params_copy(&layer->params, &own->params, err);
    if (status == 0) {
        status = layer->type->setup(layer, err);
        crop->set_up = status == 0;
        if (status < 0)
            cnn_error_prefix(err, "layer %s on a %dx%d crop: ", own->name,
                             height, width);
    }
    if (status == 0)
        status = share_tensors(layer, own, err);
    if (status == 0) {
        crop->kernels = model->kernels[index];
        *output = layer->output;
        *crop_out = crop;
        return 0;
    }
    cnn_analysis_crop_close(analysis, crop);
    return -1;
}

/* Device buffers for n samples (grown, never shrunk). */
static int reserve_device(struct cnn_analysis_crop *crop, int n,
                          struct cnn_error *err)
{
    if ((size_t)n <= crop->device_capacity)
        return 0;
    if (crop->device_x)
        cnn_model_device_free(crop->model, crop->device_x);
    if (crop->device_y)
        cnn_model_device_free(crop->model, crop->device_y);
    crop->device_y = NULL;
    crop->device_capacity = 0;
    size_t floats_x = (size_t)n * cnn_shape_size(crop->layer.input);
    size_t floats_y = (size_t)n * cnn_shape_size(crop->layer.output);
    crop->device_x = cnn_model_device_alloc(crop->model,
                                            floats_x * sizeof(float), err);
    if (crop->device_x)
        crop->device_y = cnn_model_device_alloc(
            crop->model, floats_y * sizeof(float), err);
    if (!crop->device_y)
        return -1;
    crop->device_capacity = (size_t)n;
    return 0;
}

int cnn_analysis_crop_forward(struct cnn_analysis *analysis,
                              struct cnn_analysis_crop *crop, const float *x,
                              int n, float *y, struct cnn_error *err)
{
    (void)analysis;
    struct cnn_model *model = crop->model;
    struct cnn_layer *layer = &crop->layer;
    if (n < 1)
        return cnn_error_set(err, "a crop forward of %d samples (at least "
                             "1)", n);
    if (crop->prepared != n && crop->kernels->prepare) {
        crop->prepared = 0;
        if (crop->kernels->prepare(&model->context, layer, n, err) < 0)
            return cnn_error_prefix(err, "layer %s on a crop: ",
                                    layer->name);
    }
    crop->prepared = n;
    size_t bytes_x = (size_t)n * cnn_shape_size(layer->input) * sizeof(float);
    size_t bytes_y = (size_t)n * cnn_shape_size(layer->output) *
                     sizeof(float);
    /* On the CPU the kernels read and write the caller's arrays (the
     * forward only reads x, whatever the tensor's non-const pointer). */
    float *in = (float *)x, *out = y;
    if (model->device_type) {
        if (reserve_device(crop, n, err) < 0 ||
            cnn_device_upload(model->device_type, &model->context,
                              crop->device_x, x, bytes_x, err) < 0)
            return -1;
        in = crop->device_x;
        out = crop->device_y;
    }
    struct cnn_tensor tx = {n, layer->input, model->device, in};
    struct cnn_tensor ty = {n, layer->output, model->device, out};
    if (crop->kernels->forward(&model->context, layer, &tx, &ty, 0, err) < 0)
        return cnn_error_prefix(err, "layer %s on a crop: ", layer->name);
    if (model->device_type)
        return cnn_device_download(model->device_type, &model->context, y,
                                   out, bytes_y, err);
    return 0;
}
