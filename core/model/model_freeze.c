/* cnnlab — frozen layers for transfer learning: a layer's `trainable:
 * false` and train.freeze, and what they change in the model (where the
 * frozen parameters sit, how far down a backward goes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/params_node.h"
#include "model/model.h"

/* The core's own keys of a layer entry, beside its type's settings. */
static const struct cnn_param_spec core_layer_specs[] = {
    {"trainable", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "false: training leaves the layer's parameters as they are (transfer "
     "learning; train.freeze does the same by name)"},
};

static int type_declares(const struct cnn_layer_type *type, const char *key)
{
    for (int i = 0; i < type->param_count; i++)
        if (strcmp(type->params[i].name, key) == 0)
            return 1;
    return 0;
}

/* A key that is neither the type's nor the core's but reads like
 * `trainable` (`trainabel`) is pointed at it; other unknown keys are left
 * to the type's schema, whose message they always had. */
static int check_misspelt_core_key(const struct cnn_layer_type *type,
                                   const struct cnn_node *params,
                                   struct cnn_error *err)
{
    const char *names[65];
    int count = 0;
    for (int i = 0; i < type->param_count && count < 64; i++)
        names[count++] = type->params[i].name;
    names[count++] = core_layer_specs[0].name;
    for (int k = 0; k < params->count; k++) {
        const char *key = params->keys[k];
        if (type_declares(type, key) || strcmp(key, names[count - 1]) == 0)
            continue;
        const char *guess = cnn_did_you_mean(key, names, count);
        if (!guess || strcmp(guess, core_layer_specs[0].name) != 0)
            continue;
        char known[1024] = "";
        size_t used = 0;
        for (int i = 0; i < count && used < sizeof known; i++)
            used += (size_t)snprintf(known + used, sizeof known - used,
                                     "%s%s", i ? ", " : "", names[i]);
        return cnn_error_at(err, params->key_marks[k],
                            "unknown parameter '%s' for %s; did you mean "
                            "'trainable'? (known: %s)",
                            key, type->name, known);
    }
    return 0;
}

int cnn_model_take_core_keys(const struct cnn_layer_type *type,
                             const struct cnn_node *params,
                             struct cnn_node **rest, int *trainable,
                             struct cnn_mark *trainable_mark,
                             struct cnn_error *err)
{
    *rest = NULL;
    *trainable = 1;
    /* Not a mapping: the type's schema says what it must be. */
    if (!params || params->kind != CNN_NODE_MAP)
        return 0;
    if (check_misspelt_core_key(type, params, err) < 0)
        return -1;
    const struct cnn_node *value = cnn_node_get(params, "trainable");
    /* A type that declares `trainable` itself keeps it: the core's key
     * never shadows a plugin's. */
    if (!value || type_declares(type, "trainable"))
        return 0;
    *trainable_mark = cnn_node_key_mark(params, "trainable");
    struct cnn_node *core = cnn_node_new_map(params->mark);
    struct cnn_node *copy = cnn_node_clone(value);
    if (!core || !copy ||
        cnn_node_map_set(core, "trainable", *trainable_mark, copy) < 0) {
        cnn_node_free(core);
        cnn_node_free(copy);
        return cnn_error_set(err, "out of memory");
    }
    struct cnn_params values = {0};
    int status = cnn_params_from_node(&values, core_layer_specs, 1, core,
                                      params->mark, type->name, err);
    cnn_node_free(core);
    if (status < 0)
        return -1;
    *trainable = cnn_param_bool(&values, "trainable");
    cnn_params_free(&values);
    *rest = cnn_node_clone(params);
    if (!*rest)
        return cnn_error_set(err, "out of memory");
    cnn_node_map_remove(*rest, "trainable");
    return 0;
}

/* "conv1, conv2, fc1": the layers that have parameters to freeze. */
static void list_weighted(const struct cnn_model *model, char *buf,
                          size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < model->layer_count && used < size; i++)
        if (model->layers[i].tensor_count > 0)
            used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                     used ? ", " : "", model->layers[i].name);
}

static int unknown_layer(const struct cnn_model *model, const char *name,
                         struct cnn_mark mark, struct cnn_error *err)
{
    const char **names = calloc((size_t)model->layer_count + 1,
                                sizeof *names);
    if (!names)
        return cnn_error_set(err, "out of memory");
    int count = 0;
    for (int i = 0; i < model->layer_count; i++)
        if (model->layers[i].tensor_count > 0)
            names[count++] = model->layers[i].name;
    const char *guess = cnn_did_you_mean(name, names, count);
    char layers[512];
    list_weighted(model, layers, sizeof layers);
    cnn_error_at(err, mark,
                 "train.freeze: the model has no layer '%s'%s%s%s (layers "
                 "with parameters: %s)",
                 name, guess ? "; did you mean '" : "", guess ? guess : "",
                 guess ? "'?" : "", layers);
    free(names);
    return -1;
}

int cnn_model_freeze(struct cnn_model *model, const char *const *names,
                     const struct cnn_mark *marks, int count,
                     struct cnn_error *err)
{
    if (model->parameters)
        return cnn_error_set(err, "train.freeze: the model's parameters are "
                                  "placed already (freeze before "
                                  "cnn_model_allocate)");
    for (int k = 0; k < count; k++) {
        struct cnn_mark mark = marks ? marks[k] : (struct cnn_mark){0};
        int found = -1;
        for (int i = 0; i < model->layer_count && found < 0; i++)
            if (strcmp(model->layers[i].name, names[k]) == 0)
                found = i;
        if (found < 0)
            return unknown_layer(model, names[k], mark, err);
        const struct cnn_layer *layer = &model->layers[found];
        if (layer->tensor_count == 0) {
            char layers[512];
            list_weighted(model, layers, sizeof layers);
            return cnn_error_at(err, mark,
                                "train.freeze: layer %s (%s) has no "
                                "parameters to freeze: remove it (layers "
                                "with parameters: %s)",
                                layer->name, layer->type->name, layers);
        }
        model->frozen[found] = 1;
    }
    return 0;
}

int cnn_model_is_frozen(const struct cnn_model *model, int layer)
{
    return model->frozen && model->frozen[layer];
}

int cnn_model_frozen_layers(const struct cnn_model *model)
{
    int count = 0;
    for (int i = 0; i < model->layer_count; i++)
        count += cnn_model_is_frozen(model, i);
    return count;
}

size_t cnn_model_frozen_parameters(const struct cnn_model *model)
{
    size_t count = 0;
    for (int i = 0; i < model->layer_count; i++)
        for (int t = 0; cnn_model_is_frozen(model, i) &&
                        t < model->layers[i].tensor_count;
             t++)
            count += model->layers[i].tensors[t].count;
    return count;
}

int cnn_model_lowest_trainable(const struct cnn_model *model)
{
    for (int i = 0; i < model->layer_count; i++)
        if (model->layers[i].tensor_count > 0 && !cnn_model_is_frozen(model, i))
            return i;
    return model->layer_count;
}

size_t cnn_model_place_tensors(struct cnn_model *model)
{
    size_t total = 0;
    for (int frozen = 0; frozen <= 1; frozen++) {
        for (int i = 0; i < model->layer_count; i++) {
            if (cnn_model_is_frozen(model, i) != frozen)
                continue;
            for (int t = 0; t < model->layers[i].tensor_count; t++) {
                model->layers[i].tensors[t].offset = total;
                total += model->layers[i].tensors[t].count;
            }
        }
        if (!frozen)
            model->trainable_count = total;
    }
    /* Buffers after the frozen tensors: outside the optimizer's prefix,
     * as frozen parameters are, so nothing steps them. */
    return cnn_model_place_buffers(model, total);
}
