/* cnnlab — a model's starting weights from a file (see model_weights.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/model_weights.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "model/safetensors_internal.h"

/* "<index>.<tensor>": the torch.nn.Sequential state_dict key. */
#define WEIGHT_NAME_MAX (CNN_LAYER_NAME_MAX + CNN_TENSOR_NAME_MAX + 2)
/* Differences spelled out before "and N more". */
#define DIFFERENCES_SHOWN 4

/* `weights: null` (or empty) means none, so a variant or an override can
 * undo a base manifest's weights. */
static int is_null(const struct cnn_node *value)
{
    return value->kind == CNN_NODE_SCALAR && !value->quoted &&
           (!value->text[0] || strcmp(value->text, "~") == 0 ||
            strcmp(value->text, "null") == 0);
}

int cnn_model_weights_path(const struct cnn_node *model_node, char *path,
                           size_t size, struct cnn_error *err)
{
    path[0] = '\0';
    const struct cnn_node *value = cnn_node_get(model_node, "weights");
    if (!value || is_null(value))
        return 0;
    if (value->kind != CNN_NODE_SCALAR)
        return cnn_error_at(err, value->mark,
                            "model.weights must name a safetensors file "
                            "(e.g. weights: pretrained.safetensors), got %s",
                            cnn_node_kind_name(value->kind));
    const char *name = value->text;
    /* Nodes of a manifest carry its file name and a line; those of a
     * command-line override have no line, and name a path as every other
     * command-line argument does: from the current directory. */
    const char *manifest = value->mark.line > 0 ? value->mark.file : NULL;
    const char *slash = manifest ? strrchr(manifest, '/') : NULL;
    int length;
    if (name[0] == '/' || !slash)
        length = snprintf(path, size, "%s", name);
    else
        length = snprintf(path, size, "%.*s/%s", (int)(slash - manifest),
                          manifest, name);
    if (length < 0 || (size_t)length >= size) {
        path[0] = '\0';
        return cnn_error_at(err, value->mark,
                            "model.weights: the path '%s' is too long (at "
                            "most %zu bytes)",
                            name, size - 1);
    }
    return 0;
}

struct differences {
    char text[CNN_ERROR_MESSAGE_MAX / 2];
    size_t used;
    int count;
};

static void add_difference(struct differences *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_difference(struct differences *d, const char *fmt, ...)
{
    if (++d->count > DIFFERENCES_SHOWN || d->used >= sizeof d->text)
        return;
    if (d->used > 0)
        d->used += (size_t)snprintf(d->text + d->used,
                                    sizeof d->text - d->used, "; ");
    if (d->used >= sizeof d->text)
        return;
    va_list ap;
    va_start(ap, fmt);
    d->used += (size_t)vsnprintf(d->text + d->used, sizeof d->text - d->used,
                                 fmt, ap);
    va_end(ap);
}

static const char *model_shape(char *buf, size_t size,
                               const struct cnn_param_tensor *tensor)
{
    int64_t dims[4];
    for (int d = 0; d < tensor->ndim; d++)
        dims[d] = tensor->dims[d];
    return cnn_st_format_shape(buf, size, tensor->ndim, dims);
}

static int same_shape(const struct cnn_st_tensor *stored,
                      const struct cnn_param_tensor *tensor)
{
    if (stored->ndim != tensor->ndim)
        return 0;
    for (int d = 0; d < tensor->ndim; d++)
        if (stored->dims[d] != tensor->dims[d])
            return 0;
    return 1;
}

/* The model's tensors missing from the file or shaped otherwise. */
static int compare_model_tensors(const struct cnn_model *model,
                                 const struct cnn_safetensors *file,
                                 struct differences *d)
{
    int count = 0;
    for (int i = 0; i < model->layer_count; i++) {
        const struct cnn_layer *layer = &model->layers[i];
        for (int t = 0; t < layer->tensor_count; t++, count++) {
            const struct cnn_param_tensor *tensor = &layer->tensors[t];
            char name[WEIGHT_NAME_MAX], want[96], have[96];
            snprintf(name, sizeof name, "%d.%s", i, tensor->name);
            const struct cnn_st_tensor *stored =
                cnn_safetensors_find(file, name);
            model_shape(want, sizeof want, tensor);
            if (!stored)
                add_difference(d,
                               "the file has no '%s' (the %s of layer %s "
                               "(%s), %s)",
                               name, tensor->name, layer->name,
                               layer->type->name, want);
            else if (!same_shape(stored, tensor))
                add_difference(
                    d, "'%s' (layer %s (%s)) is %s in the file, %s in the "
                    "model",
                    name, layer->name, layer->type->name,
                    cnn_st_format_shape(have, sizeof have, stored->ndim,
                                        stored->dims),
                    want);
        }
    }
    return count;
}

static int model_has(const struct cnn_model *model, const char *name)
{
    for (int i = 0; i < model->layer_count; i++)
        for (int t = 0; t < model->layers[i].tensor_count; t++) {
            char own[WEIGHT_NAME_MAX];
            snprintf(own, sizeof own, "%d.%s", i,
                     model->layers[i].tensors[t].name);
            if (strcmp(own, name) == 0)
                return 1;
        }
    return 0;
}

/* Compares names and shapes only: the values are the point of the file. */
static int check_fits(const struct cnn_model *model,
                      const struct cnn_safetensors *file, const char *path,
                      struct cnn_error *err)
{
    struct differences d = {.used = 0};
    int expected = compare_model_tensors(model, file, &d);
    int stored = cnn_safetensors_count(file);
    for (int k = 0; k < stored; k++) {
        const struct cnn_st_tensor *tensor = cnn_safetensors_at(file, k);
        char shape[96];
        if (!model_has(model, tensor->name))
            add_difference(&d,
                           "the file's '%s' %s is not a tensor of the "
                           "model",
                           tensor->name,
                           cnn_st_format_shape(shape, sizeof shape,
                                               tensor->ndim, tensor->dims));
    }
    if (d.count == 0)
        return 0;
    char more[48] = "";
    if (d.count > DIFFERENCES_SHOWN)
        snprintf(more, sizeof more, "; and %d more",
                 d.count - DIFFERENCES_SHOWN);
    return cnn_error_set(
        err,
        "'%s' does not fit this model (%d tensors in the file, %d in the "
        "model): %s%s. Were the weights saved from another model or "
        "variant? Tensors are named '<layer index>.<tensor>', the keys of a "
        "torch.nn.Sequential with one module per cnnlab layer",
        path, stored, expected, d.text, more);
}

int cnn_model_load_weights(struct cnn_model *model, const char *path,
                           struct cnn_error *err)
{
    if (access(path, R_OK) != 0)
        return cnn_error_set(err, "cannot read the weights file '%s': %s",
                             path, strerror(errno));
    struct cnn_safetensors *file;
    if (cnn_safetensors_open(path, &file, err) < 0)
        return -1;
    int status = check_fits(model, file, path, err);
    cnn_safetensors_close(file);
    if (status == 0)
        status = cnn_model_load(model, path, err);
    return status;
}

int cnn_model_load_node_weights(struct cnn_model *model,
                                const struct cnn_node *model_node,
                                struct cnn_error *err)
{
    char path[4096];
    if (cnn_model_weights_path(model_node, path, sizeof path, err) < 0)
        return -1;
    if (!path[0])
        return 0;
    const struct cnn_node *value = cnn_node_get(model_node, "weights");
    int missing = access(path, R_OK) != 0 && errno == ENOENT;
    if (cnn_model_load_weights(model, path, err) == 0)
        return 0;
    struct cnn_error unplaced = *err;
    return cnn_error_at(err, value->mark, "model.weights: %s%s",
                        unplaced.message,
                        missing && strcmp(path, value->text) != 0
                            ? " (a relative name is resolved against the "
                              "directory of the manifest that names it)"
                            : "");
}
