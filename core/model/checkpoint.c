/* cnnlab — a model's parameters as a safetensors file, one tensor per
 * layer tensor and buffer, named "<index>.<tensor>" ("0.weight",
 * "1.running_mean") by the layer's position in the manifest's list: the
 * state_dict keys of the equivalent torch.nn.Sequential, so PyTorch loads
 * the file directly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "model/safetensors.h"

static int tensor_count(const struct cnn_model *model)
{
    int count = 0;
    for (int i = 0; i < model->layer_count; i++)
        count += cnn_layer_stored_count(&model->layers[i]);
    return count;
}

int cnn_model_save(const struct cnn_model *model, const char *path,
                   int epoch, struct cnn_error *err)
{
    int count = tensor_count(model);
    struct cnn_st_tensor *tensors = calloc((size_t)count + 1, sizeof *tensors);
    char (*names)[CNN_LAYER_NAME_MAX + CNN_TENSOR_NAME_MAX + 2] =
        calloc((size_t)count + 1, sizeof *names);
    if (!tensors || !names) {
        free(tensors);
        free(names);
        return cnn_error_set(err, "out of memory saving '%s'", path);
    }
    int k = 0;
    for (int i = 0; i < model->layer_count; i++)
        for (int t = 0; t < cnn_layer_stored_count(&model->layers[i]);
             t++, k++) {
            struct cnn_stored_tensor tensor =
                cnn_layer_stored(&model->layers[i], t);
            snprintf(names[k], sizeof names[k], "%d.%s", i, tensor.name);
            tensors[k].name = names[k];
            tensors[k].ndim = tensor.ndim;
            for (int d = 0; d < tensor.ndim; d++)
                tensors[k].dims[d] = tensor.dims[d];
            tensors[k].data = model->host_parameters + tensor.offset;
            tensors[k].dtype = tensor.i64 ? CNN_ST_I64 : CNN_ST_F32;
        }
    char epoch_text[32];
    snprintf(epoch_text, sizeof epoch_text, "%d", epoch);
    const struct cnn_st_metadata metadata[] = {
        {"format", "cnnlab"},
        {"epoch", epoch_text},
    };
    int status = cnn_safetensors_write(path, tensors, count, metadata, 2, err);
    free(tensors);
    free(names);
    return status;
}

/* Weights that hold NaN or infinity give NaN for every image: evaluating
 * or analysing them would write numbers that were never measured. Each
 * tensor is checked after reading, and the first bad one is named. */
static int check_finite(const struct cnn_model *model, const char *path,
                        struct cnn_error *err)
{
    for (int i = 0; i < model->layer_count; i++)
        for (int t = 0; t < cnn_layer_stored_count(&model->layers[i]); t++) {
            struct cnn_stored_tensor stored =
                cnn_layer_stored(&model->layers[i], t);
            const struct cnn_stored_tensor *tensor = &stored;
            if (tensor->i64)
                continue; /* integers are always finite */
            const float *values = model->host_parameters + tensor->offset;
            size_t bad = 0, first = 0;
            for (size_t k = 0; k < tensor->count; k++)
                if (!isfinite(values[k]) && bad++ == 0)
                    first = k;
            if (bad)
                return cnn_error_set(
                    err,
                    "'%s': tensor '%d.%s' (layer %s) holds NaN or infinity "
                    "(%zu of its %zu values, the first at index %zu): "
                    "nothing can be computed from these weights; were they "
                    "saved from a run whose loss diverged?",
                    path, i, tensor->name, model->layers[i].name, bad,
                    tensor->count, first);
        }
    return 0;
}

int cnn_model_load(struct cnn_model *model, const char *path,
                   struct cnn_error *err)
{
    return cnn_model_load_except(model, path, -1, err);
}

int cnn_model_load_except(struct cnn_model *model, const char *path,
                          int keep_layer, struct cnn_error *err)
{
    struct cnn_safetensors *file;
    if (cnn_safetensors_open(path, &file, err) < 0)
        return -1;
    int status = 0;
    int expected = tensor_count(model);
    if (cnn_safetensors_count(file) != expected)
        status = cnn_error_set(err,
                               "'%s' holds %d tensors, the model has %d: it "
                               "is a checkpoint of another model",
                               path, cnn_safetensors_count(file), expected);
    for (int i = 0; status == 0 && i < model->layer_count; i++)
        for (int t = 0; status == 0 && i != keep_layer &&
                        t < cnn_layer_stored_count(&model->layers[i]);
             t++) {
            struct cnn_stored_tensor tensor =
                cnn_layer_stored(&model->layers[i], t);
            char name[CNN_LAYER_NAME_MAX + CNN_TENSOR_NAME_MAX + 2];
            int64_t dims[4];
            snprintf(name, sizeof name, "%d.%s", i, tensor.name);
            for (int d = 0; d < tensor.ndim; d++)
                dims[d] = tensor.dims[d];
            float *into = model->host_parameters + tensor.offset;
            status = tensor.i64
                         ? cnn_safetensors_read_i64_into(file, name,
                                                         tensor.ndim, dims,
                                                         into, err)
                         : cnn_safetensors_read_into(file, name, tensor.ndim,
                                                     dims, into, err);
            if (status < 0)
                cnn_error_prefix(err, "layer %s (%s): ",
                                 model->layers[i].name,
                                 model->layers[i].type->name);
        }
    cnn_safetensors_close(file);
    if (status == 0)
        status = check_finite(model, path, err);
    if (status == 0)
        status = cnn_model_parameters_from_host(model, err);
    return status;
}
