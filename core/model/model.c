/* cnnlab — building and running a sequential model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "model/device.h"
#include "model/model.h"
#include "model/model_weights.h"
#include "config/params_node.h"

/* The seed stream for parameter initialisation (others: see train.c). */
#define CNN_STREAM_INIT 1

static int read_input_shape(const struct cnn_node *model_node,
                            struct cnn_shape *shape, struct cnn_error *err)
{
    const struct cnn_node *input = cnn_node_get(model_node, "input");
    if (!input)
        return cnn_error_at(err, model_node->mark,
                            "model: missing 'input: [channels, height, "
                            "width]'");
    if (input->kind != CNN_NODE_SEQUENCE || input->count != 3)
        return cnn_error_at(err, input->mark,
                            "model.input must be a list [channels, height, "
                            "width], e.g. [3, 84, 84]");
    long values[3];
    for (int i = 0; i < 3; i++) {
        if (cnn_node_to_long(input->items[i], &values[i], err) < 0)
            return -1;
        if (values[i] < 1 || values[i] > 65536)
            return cnn_error_at(err, input->items[i]->mark,
                                "model.input sizes must be 1..65536, got %ld",
                                values[i]);
    }
    *shape = (struct cnn_shape){(int)values[0], (int)values[1],
                                (int)values[2]};
    return 0;
}

/* A layer entry is `relu` or `{conv2d: {out: 8, kernel: 3}}`. */
static int parse_layer_entry(const struct cnn_node *entry, const char **type,
                             const struct cnn_node **params,
                             struct cnn_mark *mark, struct cnn_error *err)
{
    *mark = entry->mark;
    if (entry->kind == CNN_NODE_SCALAR) {
        *type = entry->text;
        *params = NULL;
        return 0;
    }
    if (entry->kind == CNN_NODE_MAP && entry->count == 1) {
        *type = entry->keys[0];
        *mark = entry->key_marks[0];
        *params = entry->items[0];
        /* `relu:` with nothing after it is a null scalar: no parameters. */
        if (*params && (*params)->kind == CNN_NODE_SCALAR &&
            (!(*params)->text[0] || strcmp((*params)->text, "~") == 0 ||
             strcmp((*params)->text, "null") == 0))
            *params = NULL;
        return 0;
    }
    return cnn_error_at(err, entry->mark,
                        "a layer is a name (`relu`) or a mapping with one "
                        "key (`conv2d: {out: 64, kernel: 5}`), got %s",
                        cnn_node_kind_name(entry->kind));
}

static void name_layer(struct cnn_model *model, int index)
{
    struct cnn_layer *layer = &model->layers[index];
    const char *prefix = layer->type->name_prefix ? layer->type->name_prefix
                                                  : layer->type->name;
    int same_prefix = 1;
    for (int i = 0; i < index; i++) {
        const char *other = model->layers[i].type->name_prefix
                                ? model->layers[i].type->name_prefix
                                : model->layers[i].type->name;
        same_prefix += strcmp(other, prefix) == 0;
    }
    snprintf(layer->name, sizeof layer->name, "%s%d", prefix, same_prefix);
}

static void explain_shape_error(const struct cnn_model *model, int index,
                                struct cnn_error *err)
{
    if (index == 0) {
        size_t used = strlen(err->message);
        snprintf(err->message + used, sizeof err->message - used,
                 " (its input is the model input [%d, %d, %d])",
                 model->input.c, model->input.h, model->input.w);
        return;
    }
    const struct cnn_layer *previous = &model->layers[index - 1];
    size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used,
             " (its input comes from layer %s (%s), output [%d, %d, %d])",
             previous->name, previous->type->name, previous->output.c,
             previous->output.h, previous->output.w);
}

static int setup_layer(struct cnn_model *model,
                       const struct cnn_registry *registry,
                       const struct cnn_node *entry, int index,
                       struct cnn_shape input, struct cnn_error *err)
{
    const char *type_name = NULL;
    const struct cnn_node *params_node = NULL;
    struct cnn_mark mark = entry->mark;
    if (parse_layer_entry(entry, &type_name, &params_node, &mark, err) < 0)
        return -1;
    const struct cnn_layer_type *type = cnn_registry_layer(registry,
                                                           type_name);
    if (!type)
        return cnn_registry_unknown(registry, CNN_COMPONENT_LAYER, type_name,
                                    mark, err);
    struct cnn_layer *layer = &model->layers[index];
    layer->type = type;
    layer->index = index;
    layer->mark = mark;
    layer->input = input;
    name_layer(model, index);
    struct cnn_node *own = NULL;
    int trainable = 1;
    struct cnn_mark trainable_mark = mark;
    if (cnn_model_take_core_keys(type, params_node, &own, &trainable,
                                 &trainable_mark, err) < 0)
        return -1;
    int status = cnn_params_from_node(&layer->params, type->params,
                                      type->param_count,
                                      own ? own : params_node, mark,
                                      type->name, err);
    cnn_node_free(own);
    if (status < 0)
        return -1;
    model->frozen[index] = !trainable;
    if (type->setup(layer, err) < 0) {
        if (!err->file[0]) {
            struct cnn_error unplaced = *err;
            cnn_error_at(err, mark, "%s", unplaced.message);
        }
        explain_shape_error(model, index, err);
        return -1;
    }
    if (layer->output.c < 1 || layer->output.h < 1 || layer->output.w < 1)
        return cnn_error_at(err, mark, "layer %s: setup gave output [%d, %d, "
                            "%d]", layer->name, layer->output.c,
                            layer->output.h, layer->output.w);
    const struct cnn_layer_kernels *kernels =
        cnn_registry_layer_kernels(registry, type->name, model->device);
    if (!kernels)
        return cnn_error_at(err, mark,
                            "layer type '%s' has no %s kernels: load a "
                            "plugin module that provides them",
                            type->name, cnn_device_name(model->device));
    model->kernels[index] = kernels;
    if (!trainable && layer->tensor_count == 0)
        return cnn_error_at(err, trainable_mark,
                            "layer %s (%s) has no parameters: `trainable: "
                            "false` freezes nothing; remove it",
                            layer->name, type->name);
    return 0;
}

int cnn_model_build(struct cnn_model *model,
                    const struct cnn_registry *registry,
                    const struct cnn_node *model_node, enum cnn_device device,
                    struct cnn_error *err)
{
    memset(model, 0, sizeof *model);
    model->device = device;
    model->context.device = device;
    model->context.threads = 1;
    if (!model_node || model_node->kind != CNN_NODE_MAP)
        return cnn_error_at(err, model_node ? model_node->mark
                                            : (struct cnn_mark){0},
                            "model must be a mapping with 'input' and "
                            "'layers'");
    if (read_input_shape(model_node, &model->input, err) < 0)
        return -1;
    const struct cnn_node *layers = cnn_node_get(model_node, "layers");
    if (!layers || layers->kind != CNN_NODE_SEQUENCE || layers->count == 0)
        return cnn_error_at(err, layers ? layers->mark : model_node->mark,
                            "model.layers must be a non-empty list of "
                            "layers");
    /* from, variant and seed are what manifest_from.c resolved the model
     * from (it checks them): a record, nothing to build. */
    for (int i = 0; i < model_node->count; i++)
        if (strcmp(model_node->keys[i], "input") &&
            strcmp(model_node->keys[i], "layers") &&
            strcmp(model_node->keys[i], "weights") &&
            strcmp(model_node->keys[i], "new_head") &&
            strcmp(model_node->keys[i], "from") &&
            strcmp(model_node->keys[i], "variant") &&
            strcmp(model_node->keys[i], "seed")) {
            static const char *const known[] = {"input", "layers", "weights",
                                                "new_head", "from", "variant",
                                                "seed"};
            const char *guess = cnn_did_you_mean(model_node->keys[i], known,
                                                 7);
            return cnn_error_at(err, model_node->key_marks[i],
                                "unknown key 'model.%s'%s%s%s (known: "
                                "input, layers, weights, new_head, from, "
                                "variant, seed)",
                                model_node->keys[i],
                                guess ? "; did you mean '" : "",
                                guess ? guess : "", guess ? "'?" : "");
        }
    int new_head;
    /* Checked here, so that `cnnlab check` reports it; the runner reads
     * it again when it loads the starting weights. */
    if (cnn_model_new_head_wanted(model_node, &new_head, err) < 0)
        return -1;
    /* The file itself is read when the run starts (model_weights.c): an
     * earlier variant of the same manifest may be what writes it. */
    char weights_path[4096];
    if (cnn_model_weights_path(model_node, weights_path, sizeof weights_path,
                               err) < 0)
        return -1;

    model->layer_count = layers->count;
    model->layers = calloc((size_t)layers->count, sizeof *model->layers);
    model->kernels = calloc((size_t)layers->count, sizeof *model->kernels);
    model->prepared_batch = calloc((size_t)layers->count, sizeof(int));
    model->frozen = calloc((size_t)layers->count, 1);
    if (!model->layers || !model->kernels || !model->prepared_batch ||
        !model->frozen) {
        cnn_model_free(model);
        return cnn_error_set(err, "out of memory building the model");
    }
    struct cnn_shape shape = model->input;
    for (int i = 0; i < layers->count; i++) {
        if (setup_layer(model, registry, layers->items[i], i, shape, err) < 0) {
            cnn_model_free(model);
            return -1;
        }
        shape = model->layers[i].output;
    }
    return 0;
}

static void init_tensor(struct cnn_param_tensor *tensor, struct cnn_rng *rng)
{
    for (size_t i = 0; i < tensor->count; i++) {
        switch (tensor->init) {
        case CNN_INIT_ZEROS:
            tensor->data[i] = 0.0f;
            break;
        case CNN_INIT_ONES:
            tensor->data[i] = 1.0f;
            break;
        case CNN_INIT_UNIFORM:
            tensor->data[i] =
                (2.0f * cnn_rng_float(rng) - 1.0f) * tensor->bound;
            break;
        }
    }
}

int cnn_model_use_device(struct cnn_model *model,
                         const struct cnn_device_type *type,
                         const struct cnn_device_options *options,
                         struct cnn_error *err)
{
    if (type->open(&model->context, options, err) < 0)
        return cnn_error_prefix(err, "%s: ", type->name);
    model->device_type = type;
    model->device_open = 1;
    model->device_options = *options;
    return 0;
}

void *cnn_model_device_alloc(struct cnn_model *model, size_t bytes,
                             struct cnn_error *err)
{
    return cnn_device_alloc(model->device_type, &model->context, bytes, err);
}

void cnn_model_device_free(struct cnn_model *model, void *pointer)
{
    cnn_device_free(model->device_type, &model->context, pointer);
}

int cnn_model_allocate(struct cnn_model *model, uint64_t seed,
                       struct cnn_error *err)
{
    if (model->device != CNN_DEVICE_CPU && !model->device_type)
        return cnn_error_set(err, "the model is built for %s but no device "
                             "was attached", cnn_device_name(model->device));
    size_t total = cnn_model_place_tensors(model);
    model->parameter_count = total;
    size_t bytes = total * sizeof(float);
    model->parameters = cnn_model_device_alloc(model, bytes, err);
    model->gradients = model->parameters
                           ? cnn_model_device_alloc(model, bytes, err)
                           : NULL;
    if (!model->gradients)
        return -1;
    model->host_parameters = model->device_type ? calloc(total + 1,
                                                         sizeof(float))
                                                : model->parameters;
    if (!model->host_parameters)
        return cnn_error_set(err, "out of memory for %zu parameters", total);
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, seed, CNN_STREAM_INIT);
    model->context.seed = seed;
    /* In layer order whatever the offsets: a tensor's initial values do
     * not depend on which layers are frozen. */
    for (int i = 0; i < model->layer_count; i++)
        for (int t = 0; t < model->layers[i].tensor_count; t++) {
            struct cnn_param_tensor *tensor = &model->layers[i].tensors[t];
            /* init_tensor fills the host copy; kernels see the device's. */
            tensor->data = model->host_parameters + tensor->offset;
            init_tensor(tensor, &rng);
            tensor->data = model->parameters + tensor->offset;
            tensor->grad = model->gradients + tensor->offset;
        }
    /* Buffers draw nothing from the RNG: declaring one leaves every
     * parameter's initial values as they were. */
    cnn_model_init_buffers(model);
    return cnn_model_parameters_from_host(model, err);
}

int cnn_model_parameters_to_host(struct cnn_model *model,
                                 struct cnn_error *err)
{
    return cnn_device_download(model->device_type, &model->context,
                               model->host_parameters, model->parameters,
                               model->parameter_count * sizeof(float), err);
}

int cnn_model_parameters_from_host(struct cnn_model *model,
                                   struct cnn_error *err)
{
    return cnn_device_upload(model->device_type, &model->context,
                             model->parameters, model->host_parameters,
                             model->parameter_count * sizeof(float), err);
}

static void free_buffers(struct cnn_model *model)
{
    const struct cnn_device_type *type = model->device_type;
    struct cnn_context *ctx = &model->context;
    if (type) {
        free(model->host_input);
        free(model->host_labels);
    }
    model->host_input = NULL;
    model->host_labels = NULL;
    cnn_device_free(type, ctx, model->input_buffer);
    cnn_device_free(type, ctx, model->label_buffer);
    cnn_device_free(type, ctx, model->predictions);
    model->input_buffer = NULL;
    model->label_buffer = NULL;
    model->predictions = NULL;
    for (int i = 0; model->outputs && i < model->layer_count; i++) {
        cnn_device_free(type, ctx, model->outputs[i]);
        cnn_device_free(type, ctx, model->output_gradients[i]);
    }
    free(model->outputs);
    free(model->output_gradients);
    model->outputs = model->output_gradients = NULL;
    model->capacity = 0;
}

int cnn_model_reserve(struct cnn_model *model, int n, struct cnn_error *err)
{
    if (n <= model->capacity)
        return 0;
    free_buffers(model);
    /* Captured steps hold the old buffers' addresses. */
    cnn_model_forget_graphs(model);
    size_t input_bytes = (size_t)n * cnn_shape_size(model->input) *
                         sizeof(float);
    size_t label_bytes = (size_t)n * sizeof(int32_t);
    model->input_buffer = cnn_model_device_alloc(model, input_bytes, err);
    model->label_buffer = cnn_model_device_alloc(model, label_bytes, err);
    model->predictions = cnn_model_device_alloc(model, label_bytes, err);
    if (!model->input_buffer || !model->label_buffer || !model->predictions)
        goto failed;
    if (model->device_type) {
        model->host_input = malloc(input_bytes);
        model->host_labels = malloc(label_bytes);
    } else {
        model->host_input = model->input_buffer;
        model->host_labels = model->label_buffer;
    }
    model->outputs = calloc((size_t)model->layer_count, sizeof(float *));
    model->output_gradients = calloc((size_t)model->layer_count,
                                     sizeof(float *));
    if (!model->host_input || !model->host_labels || !model->outputs ||
        !model->output_gradients) {
        cnn_error_set(err, "out of memory for batches of %d samples", n);
        goto failed;
    }
    for (int i = 0; i < model->layer_count; i++) {
        size_t bytes = (size_t)n * cnn_shape_size(model->layers[i].output) *
                       sizeof(float);
        model->outputs[i] = cnn_model_device_alloc(model, bytes, err);
        model->output_gradients[i] = cnn_model_device_alloc(model, bytes,
                                                            err);
        if (!model->outputs[i] || !model->output_gradients[i])
            goto failed;
    }
    model->capacity = n;
    /* Kernels size their own buffers at the first (largest) batch, so
     * that smaller batches later never move them under a captured step. */
    return cnn_model_prepare(model, n, err);
failed:
    free_buffers(model);
    return cnn_error_prefix(err, "activations of %d samples: ", n);
}

int cnn_model_totals_reset(struct cnn_model *model, struct cnn_error *err)
{
    if (!model->totals) {
        model->totals = cnn_model_device_alloc(model, sizeof *model->totals,
                                               err);
        if (!model->totals)
            return -1;
    }
    const struct cnn_loss_totals zero = {.first_bad_batch = -1};
    return cnn_device_upload(model->device_type, &model->context,
                             model->totals, &zero, sizeof zero, err);
}

int cnn_model_totals_read(struct cnn_model *model,
                          struct cnn_loss_totals *totals,
                          struct cnn_error *err)
{
    return cnn_device_download(model->device_type, &model->context, totals,
                               model->totals, sizeof *totals, err);
}

float *cnn_model_optimizer_state(struct cnn_model *model, size_t floats,
                                 struct cnn_error *err)
{
    if (model->optimizer_state && model->optimizer_state_floats == floats) {
        if (cnn_device_zero(model->device_type, &model->context,
                            model->optimizer_state, floats * sizeof(float),
                            err) < 0)
            return NULL;
        return model->optimizer_state;
    }
    cnn_model_forget_graphs(model);
    cnn_model_device_free(model, model->optimizer_state);
    model->optimizer_state = cnn_model_device_alloc(model,
                                                    floats * sizeof(float),
                                                    err);
    model->optimizer_state_floats = model->optimizer_state ? floats : 0;
    return model->optimizer_state;
}

int32_t *cnn_model_labels(struct cnn_model *model)
{
    return model->host_labels;
}

const int32_t *cnn_model_device_labels(const struct cnn_model *model)
{
    return model->label_buffer;
}

int cnn_model_upload_batch(struct cnn_model *model, int n,
                           struct cnn_error *err)
{
    if (n < 1 || n > model->capacity)
        return cnn_error_set(err, "a batch of %d samples, buffers hold %d", n,
                             model->capacity);
    if (cnn_device_upload(model->device_type, &model->context,
                          model->input_buffer, model->host_input,
                          (size_t)n * cnn_shape_size(model->input) *
                              sizeof(float),
                          err) < 0)
        return -1;
    return cnn_device_upload(model->device_type, &model->context,
                             model->label_buffer, model->host_labels,
                             (size_t)n * sizeof(int32_t), err);
}

float *cnn_model_input(struct cnn_model *model)
{
    return model->host_input;
}

static struct cnn_tensor tensor_of(float *data, int n, struct cnn_shape shape,
                                   enum cnn_device device)
{
    return (struct cnn_tensor){n, shape, device, data};
}

int cnn_model_prepare(struct cnn_model *model, int n, struct cnn_error *err)
{
    for (int i = 0; i < model->layer_count; i++) {
        if (model->prepared_batch[i] == n)
            continue;
        const struct cnn_layer_kernels *kernels = model->kernels[i];
        if (kernels->prepare &&
            kernels->prepare(&model->context, &model->layers[i], n, err) < 0)
            return cnn_error_prefix(err, "layer %s: ", model->layers[i].name);
        model->prepared_batch[i] = n;
    }
    return 0;
}

struct cnn_layer_tensors cnn_model_layer_tensors(const struct cnn_model *model,
                                                 int layer, int n)
{
    const struct cnn_layer *l = &model->layers[layer];
    struct cnn_shape in = layer == 0 ? model->input
                                     : model->layers[layer - 1].output;
    struct cnn_layer_tensors t = {
        .x = tensor_of(layer == 0 ? model->input_buffer
                                  : model->outputs[layer - 1],
                       n, in, model->device),
        .y = tensor_of(model->outputs[layer], n, l->output, model->device),
        .dy = tensor_of(model->output_gradients[layer], n, l->output,
                        model->device),
    };
    if (layer > 0)
        t.dx = tensor_of(model->output_gradients[layer - 1], n, in,
                         model->device);
    return t;
}

int cnn_model_forward_layer(struct cnn_model *model, int layer, int n,
                            int training, struct cnn_error *err)
{
    struct cnn_layer_tensors t = cnn_model_layer_tensors(model, layer, n);
    struct cnn_layer *l = &model->layers[layer];
    if (model->kernels[layer]->forward(&model->context, l, &t.x, &t.y,
                                       training, err) < 0)
        return cnn_error_prefix(err, "layer %s forward: ", l->name);
    return 0;
}

/* One layer's backward; without `with_dx` its dL/dx is not computed
 * (kernels skip a NULL dx, as for the first layer). */
static int backward_layer(struct cnn_model *model, int layer, int n,
                          int with_dx, struct cnn_error *err)
{
    struct cnn_layer_tensors t = cnn_model_layer_tensors(model, layer, n);
    struct cnn_layer *l = &model->layers[layer];
    if (model->kernels[layer]->backward(&model->context, l, &t.x, &t.y, &t.dy,
                                        with_dx && layer > 0 ? &t.dx : NULL,
                                        err) < 0)
        return cnn_error_prefix(err, "layer %s backward: ", l->name);
    return 0;
}

int cnn_model_backward_layer(struct cnn_model *model, int layer, int n,
                             struct cnn_error *err)
{
    return backward_layer(model, layer, n, 1, err);
}

int cnn_model_forward_layers(struct cnn_model *model, int first, int last,
                             int n, int training, struct cnn_error *err)
{
    for (int i = first; i <= last; i++)
        if (cnn_model_forward_layer(model, i, n, training, err) < 0)
            return -1;
    return 0;
}

int cnn_model_forward(struct cnn_model *model, int n, int training,
                      struct cnn_error *err)
{
    if (n < 1 || n > model->capacity)
        return cnn_error_set(err, "forward of %d samples, buffers hold %d", n,
                             model->capacity);
    model->batch = n;
    if (cnn_model_prepare(model, n, err) < 0)
        return -1;
    return cnn_model_forward_layers(model, 0, model->layer_count - 1, n,
                                    training, err);
}

struct cnn_tensor cnn_model_output(struct cnn_model *model)
{
    int last = model->layer_count - 1;
    return tensor_of(model->outputs[last], model->batch,
                     model->layers[last].output, model->device);
}

struct cnn_tensor cnn_model_output_gradient(struct cnn_model *model)
{
    int last = model->layer_count - 1;
    return tensor_of(model->output_gradients[last], model->batch,
                     model->layers[last].output, model->device);
}

struct cnn_shape cnn_model_output_shape(const struct cnn_model *model)
{
    return model->layers[model->layer_count - 1].output;
}

int cnn_model_backward(struct cnn_model *model, struct cnn_error *err)
{
    /* Below the lowest layer with trainable parameters no gradient is
     * used: a frozen base of a fine-tuned network costs no backward. */
    int lowest = cnn_model_lowest_trainable(model);
    for (int i = model->layer_count - 1; i >= lowest; i--)
        if (backward_layer(model, i, model->batch, i > lowest, err) < 0)
            return -1;
    return 0;
}

void cnn_model_free(struct cnn_model *model)
{
    for (int i = 0; model->layers && i < model->layer_count; i++) {
        struct cnn_layer *layer = &model->layers[i];
        if (model->kernels && model->kernels[i] &&
            model->kernels[i]->release)
            model->kernels[i]->release(layer);
        if (layer->type && layer->type->destroy)
            layer->type->destroy(layer);
        cnn_params_free(&layer->params);
    }
    cnn_model_forget_graphs(model);
    free_buffers(model);
    free(model->layers);
    free(model->kernels);
    free(model->prepared_batch);
    free(model->frozen);
    if (model->device_type)
        free(model->host_parameters);
    cnn_device_free(model->device_type, &model->context, model->totals);
    cnn_device_free(model->device_type, &model->context,
                    model->optimizer_state);
    cnn_device_free(model->device_type, &model->context, model->parameters);
    cnn_device_free(model->device_type, &model->context, model->gradients);
    if (model->device_open)
        model->device_type->close(&model->context);
    memset(model, 0, sizeof *model);
}
