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
    if (value->kind == CNN_NODE_MAP)
        return 0; /* {variant: V}: manifest_sibling.c checked it */
    if (value->kind != CNN_NODE_SCALAR)
        return cnn_error_at(err, value->mark,
                            "model.weights must name a safetensors file "
                            "(e.g. weights: pretrained.safetensors) or a "
                            "variant of this experiment ({variant: "
                            "pretrain}), got %s",
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

static const char *shape_of(char *buf, size_t size, int ndim,
                            const int *model_dims)
{
    int64_t dims[4];
    for (int d = 0; d < ndim; d++)
        dims[d] = model_dims[d];
    return cnn_st_format_shape(buf, size, ndim, dims);
}

static const char *model_shape(char *buf, size_t size,
                               const struct cnn_param_tensor *tensor)
{
    return shape_of(buf, size, tensor->ndim, tensor->dims);
}

static int same_shape(const struct cnn_st_tensor *stored, int ndim,
                      const int *dims)
{
    if (stored->ndim != ndim)
        return 0;
    for (int d = 0; d < ndim; d++)
        if (stored->dims[d] != dims[d])
            return 0;
    return 1;
}

/* The tensors of the model's first `layers` layers missing from the
 * file or shaped otherwise. */
static int compare_model_tensors(const struct cnn_model *model, int layers,
                                 const struct cnn_safetensors *file,
                                 struct differences *d)
{
    int count = 0;
    for (int i = 0; i < layers; i++) {
        const struct cnn_layer *layer = &model->layers[i];
        for (int t = 0; t < cnn_layer_stored_count(layer); t++, count++) {
            struct cnn_stored_tensor tensor = cnn_layer_stored(layer, t);
            char name[WEIGHT_NAME_MAX], want[96], have[96];
            snprintf(name, sizeof name, "%d.%s", i, tensor.name);
            const struct cnn_st_tensor *stored =
                cnn_safetensors_find(file, name);
            enum cnn_st_dtype dtype = tensor.i64 ? CNN_ST_I64 : CNN_ST_F32;
            shape_of(want, sizeof want, tensor.ndim, tensor.dims);
            if (!stored)
                add_difference(d,
                               "the file has no '%s' (the %s of layer %s "
                               "(%s), %s)",
                               name, tensor.name, layer->name,
                               layer->type->name, want);
            else if (stored->dtype != dtype)
                add_difference(d, "'%s' (layer %s (%s)) is %s in the file, "
                               "%s in the model",
                               name, layer->name, layer->type->name,
                               cnn_st_dtype_name(stored->dtype),
                               cnn_st_dtype_name(dtype));
            else if (!same_shape(stored, tensor.ndim, tensor.dims))
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
        for (int t = 0; t < cnn_layer_stored_count(&model->layers[i]); t++) {
            char own[WEIGHT_NAME_MAX];
            snprintf(own, sizeof own, "%d.%s", i,
                     cnn_layer_stored(&model->layers[i], t).name);
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
    int expected = compare_model_tensors(model, model->layer_count, file,
                                         &d);
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

/* The head: the last layer with parameters, whose outputs are the
 * classes (a linear or 1x1 conv before functional layers). -1: none. */
static int head_layer(const struct cnn_model *model)
{
    for (int i = model->layer_count - 1; i >= 0; i--)
        if (model->layers[i].tensor_count > 0)
            return i;
    return -1;
}

/* The file's tensor for the head's tensor, when it differs from the
 * model's in its first dimension alone (the outputs: another class
 * count); NULL otherwise. */
static const struct cnn_st_tensor *other_outputs(
    const struct cnn_safetensors *file, int layer,
    const struct cnn_param_tensor *tensor)
{
    char name[WEIGHT_NAME_MAX];
    snprintf(name, sizeof name, "%d.%s", layer, tensor->name);
    const struct cnn_st_tensor *stored = cnn_safetensors_find(file, name);
    if (!stored || stored->ndim != tensor->ndim ||
        stored->dims[0] == tensor->dims[0])
        return NULL;
    for (int d = 1; d < tensor->ndim; d++)
        if (stored->dims[d] != tensor->dims[d])
            return NULL;
    return stored;
}

/* Whether the file fits the model but for the head's output count: every
 * other tensor as check_fits wants it, every head tensor with other
 * outputs. `detail` then shows the first head tensor's two shapes. */
static int only_head_differs(const struct cnn_model *model,
                             const struct cnn_safetensors *file, int head,
                             char *detail, size_t size)
{
    /* The layers before the head as check_fits wants them, the head's
     * tensors with other outputs, and nothing else in the file (the
     * layers after the head have no tensors). */
    struct differences d = {.used = 0};
    int expected = compare_model_tensors(model, head, file, &d);
    const struct cnn_layer *layer = &model->layers[head];
    for (int t = 0; t < layer->tensor_count; t++, expected++) {
        const struct cnn_param_tensor *tensor = &layer->tensors[t];
        const struct cnn_st_tensor *stored = other_outputs(file, head,
                                                           tensor);
        if (!stored)
            return 0;
        char have[96], want[96];
        if (t == 0)
            snprintf(detail, size, "'%s' is %s in the file, %s in the model",
                     stored->name,
                     cnn_st_format_shape(have, sizeof have, stored->ndim,
                                         stored->dims),
                     model_shape(want, sizeof want, tensor));
    }
    return d.count == 0 && expected == cnn_safetensors_count(file);
}

int cnn_model_load_weights(struct cnn_model *model, const char *path,
                           struct cnn_error *err)
{
    return cnn_model_load_start_weights(model, path, NULL, err);
}

/* A file that fits but for the head, where no new head may start: the
 * error says what would take it. */
static void add_head_hint(struct cnn_error *err)
{
    size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used,
             " (only the head's outputs differ: a run that trains, "
             "train.epochs > 0, would start it afresh to fine-tune on this "
             "class count)");
}

int cnn_model_load_start_weights(struct cnn_model *model, const char *path,
                                 struct cnn_new_head *head,
                                 struct cnn_error *err)
{
    if (head)
        head->layer = -1;
    if (access(path, R_OK) != 0)
        return cnn_error_set(err, "cannot read the weights file '%s': %s",
                             path, strerror(errno));
    struct cnn_safetensors *file;
    if (cnn_safetensors_open(path, &file, err) < 0)
        return -1;
    int keep = -1;
    int status = check_fits(model, file, path, err);
    int last = head_layer(model);
    /* Asked for: the head starts afresh whether or not the file's fits;
     * everything else must fit as always. */
    if (status == 0 && head && head->requested && head->allowed &&
        last >= 0) {
        keep = head->layer = last;
        snprintf(head->detail, sizeof head->detail,
                 "model.new_head: true (the file's head fits, and is not "
                 "used)");
    }
    /* Fine-tuning on another class count: the checkpoint's head cannot
     * serve, the rest can. Only the head, only its outputs: anything else
     * means another model and stays an error. */
    char detail[sizeof head->detail];
    if (status < 0 && last >= 0 &&
        only_head_differs(model, file, last, detail, sizeof detail)) {
        if (head && head->allowed) {
            keep = head->layer = last;
            snprintf(head->detail, sizeof head->detail, "%s", detail);
            cnn_error_clear(err);
            status = 0;
        } else {
            add_head_hint(err);
        }
    }
    cnn_safetensors_close(file);
    if (status == 0)
        status = cnn_model_load_except(model, path, keep, err);
    return status;
}

int cnn_model_new_head_wanted(const struct cnn_node *model_node, int *wanted,
                              struct cnn_error *err)
{
    *wanted = 0;
    const struct cnn_node *value = cnn_node_get(model_node, "new_head");
    if (!value)
        return 0;
    if (cnn_node_to_bool(value, wanted, err) < 0)
        return cnn_error_at(err, value->mark,
                            "model.new_head is true or false, got '%s'",
                            value->kind == CNN_NODE_SCALAR ? value->text
                                                           : "a collection");
    const struct cnn_node *weights = cnn_node_get(model_node, "weights");
    int has_weights = weights && !is_null(weights);
    if (*wanted && !has_weights && !cnn_node_get(model_node, "from"))
        return cnn_error_at(err, value->mark,
                            "model.new_head starts the head afresh while "
                            "the other layers start from saved weights, "
                            "but this model has none: add model.weights "
                            "(a file, or {variant: V}) or model.from, or "
                            "remove model.new_head");
    return 0;
}

int cnn_model_load_node_weights(struct cnn_model *model,
                                const struct cnn_node *model_node,
                                struct cnn_new_head *head,
                                struct cnn_error *err)
{
    if (head)
        head->layer = -1;
    char path[4096];
    if (cnn_model_weights_path(model_node, path, sizeof path, err) < 0)
        return -1;
    if (!path[0])
        return 0;
    const struct cnn_node *value = cnn_node_get(model_node, "weights");
    int missing = access(path, R_OK) != 0 && errno == ENOENT;
    if (cnn_model_load_start_weights(model, path, head, err) == 0)
        return 0;
    struct cnn_error unplaced = *err;
    return cnn_error_at(err, value->mark, "model.weights: %s%s",
                        unplaced.message,
                        missing && strcmp(path, value->text) != 0
                            ? " (a relative name is resolved against the "
                              "directory of the manifest that names it)"
                            : "");
}
