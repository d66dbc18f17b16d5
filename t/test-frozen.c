/* Frozen layers (a layer's `trainable: false`, train.freeze) through the
 * core as a run uses it: where frozen parameters sit in the flat buffers
 * (after the trainable ones; nothing frozen: the layers' order), that
 * training with SGD (momentum, weight decay) and AdamW leaves them bit for
 * bit as they were and changes the others, that the optimizer holds state
 * for the trainable parameters alone (in the model and in the training
 * state file, whose loader counts the same), that a step's backward stops
 * at the lowest trainable layer (the gradients below it are never
 * written) while a frozen layer above a trainable one passes dL/dx down,
 * and the errors of train.freeze and of a model with nothing left to
 * train. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/manifest.h"
#include "model/model.h"
#include "model/safetensors.h"
#include "run/run_config.h"
#include "run/runner.h"
#include "train/train.h"
#include "train/train_state.h"
#include "test-util.h"

/* conv1 (0) pool1 (1) conv2 (2) flatten1 (3) fc1 (4) fc2 (5). */
static const char manifest_text[] =
    "name: fz\n"
    "seed: 7\n"
    "threads: 1\n"
    "data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 48,"
    " val: 16, test: 16, mean: [0.5], std: [0.5]}\n"
    "model:\n"
    "  input: [1, 8, 8]\n"
    "  layers:\n"
    "    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}\n"
    "    - maxpool2d: {kernel: 2}\n"
    "    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}\n"
    "    - flatten\n"
    "    - linear: {out: 8, activation: relu}\n"
    "    - linear: {out: 3}\n"
    "train: {epochs: 2, batch: 8, optimizer: {sgd: {lr: 0.1, momentum: 0.9,"
    " weight_decay: 0.5}}}\n"
    "profiles:\n"
    "  conv1-frozen: {model: {layers: {0: {conv2d: {trainable: false}}}}}\n";

static char manifest_path[256];

/* A run's config and model, built and allocated as cnn_run_variant does. */
struct setup {
    struct cnn_manifest manifest;
    struct cnn_run_config config;
    struct cnn_model model;
    int stage; /* 1 manifest, 2 config, 3 model */
};

/* The profile conv1-frozen marks conv1 `trainable: false`. */
static const char *profile;

static int set_up(struct setup *s, const struct cnn_registry *registry,
                  const char *const *overrides, int count,
                  struct cnn_error *err)
{
    memset(s, 0, sizeof *s);
    cnn_error_clear(err);
    if (cnn_manifest_load(&s->manifest, manifest_path, profile, overrides,
                          count, err) < 0)
        return -1;
    s->stage = 1;
    if (cnn_run_config_parse(&s->config, registry,
                             s->manifest.variants[0].resolved, err) < 0)
        return -1;
    s->stage = 2;
    if (cnn_run_build_model(&s->model, registry, &s->config, err) < 0)
        return -1;
    s->stage = 3;
    s->model.context.threads = 1;
    return cnn_model_allocate(&s->model, s->config.seed, err);
}

static void tear_down(struct setup *s)
{
    if (s->stage >= 3)
        cnn_model_free(&s->model);
    if (s->stage >= 2)
        cnn_run_config_free(&s->config);
    if (s->stage >= 1)
        cnn_manifest_free(&s->manifest);
    s->stage = 0;
}

static int ready(struct setup *s, const struct cnn_registry *registry,
                 const char *const *overrides, int count, const char *what)
{
    struct cnn_error err = {0};
    int status = set_up(s, registry, overrides, count, &err);
    if (!ok(status == 0, "%s: the model builds", what)) {
        diag("%s", err.message);
        tear_down(s);
    }
    return status == 0;
}

static const struct cnn_param_tensor *tensor_of(const struct cnn_model *m,
                                                int layer, int index)
{
    return &m->layers[layer].tensors[index];
}

/* A copy of the host parameters, to compare with after training. */
static float *snapshot(const struct cnn_model *model)
{
    float *copy = malloc((model->parameter_count + 1) * sizeof(float));
    if (copy)
        memcpy(copy, model->host_parameters,
               model->parameter_count * sizeof(float));
    return copy;
}

/* Whether layer `layer`'s tensors hold what `before` held (bit for bit). */
static int layer_unchanged(const struct cnn_model *model, const float *before,
                           int layer)
{
    for (int t = 0; t < model->layers[layer].tensor_count; t++) {
        const struct cnn_param_tensor *tensor = tensor_of(model, layer, t);
        if (memcmp(model->host_parameters + tensor->offset,
                   before + tensor->offset,
                   tensor->count * sizeof(float)) != 0)
            return 0;
    }
    return 1;
}

static void test_layout(const struct cnn_registry *registry)
{
    struct setup plain, frozen;
    if (!ready(&plain, registry, NULL, 0, "nothing frozen"))
        return;
    size_t expected = 0;
    int in_order = 1;
    for (int i = 0; i < plain.model.layer_count; i++)
        for (int t = 0; t < plain.model.layers[i].tensor_count; t++) {
            in_order &= tensor_of(&plain.model, i, t)->offset == expected;
            expected += tensor_of(&plain.model, i, t)->count;
        }
    ok(in_order, "nothing frozen: tensors in the layers' order");
    is_int(plain.model.trainable_count, plain.model.parameter_count,
           "nothing frozen: every parameter is trainable");
    is_int(cnn_model_lowest_trainable(&plain.model), 0,
           "nothing frozen: backward goes down to conv1");

    static const char *const overrides[] = {"train.freeze=[fc1]"};
    profile = "conv1-frozen";
    int built = ready(&frozen, registry, overrides, 1,
                      "conv1 and fc1 frozen");
    profile = NULL;
    if (!built) {
        tear_down(&plain);
        return;
    }
    const struct cnn_model *m = &frozen.model;
    ok(cnn_model_is_frozen(m, 0) && cnn_model_is_frozen(m, 4) &&
           cnn_model_frozen_layers(m) == 2,
       "trainable: false freezes conv1, train.freeze fc1");
    size_t frozen_floats = tensor_of(m, 0, 0)->count +
                           tensor_of(m, 0, 1)->count +
                           tensor_of(m, 4, 0)->count +
                           tensor_of(m, 4, 1)->count;
    is_int(m->trainable_count, m->parameter_count - frozen_floats,
           "trainable_count leaves the frozen layers' floats out");
    is_int(cnn_model_frozen_parameters(m), frozen_floats,
           "cnn_model_frozen_parameters counts them");
    ok(tensor_of(m, 2, 0)->offset == 0 &&
           tensor_of(m, 5, 0)->offset + tensor_of(m, 5, 0)->count +
                   tensor_of(m, 5, 1)->count ==
               m->trainable_count &&
           tensor_of(m, 0, 0)->offset == m->trainable_count &&
           tensor_of(m, 4, 1)->offset + tensor_of(m, 4, 1)->count ==
               m->parameter_count,
       "conv2 and fc2 first, then conv1 and fc1, each in layer order");
    int same = 1;
    for (int i = 0; i < m->layer_count; i++)
        for (int t = 0; t < m->layers[i].tensor_count; t++)
            same &= memcmp(m->host_parameters + tensor_of(m, i, t)->offset,
                           plain.model.host_parameters +
                               tensor_of(&plain.model, i, t)->offset,
                           tensor_of(m, i, t)->count * sizeof(float)) == 0;
    ok(same, "every tensor starts from the same values, frozen or not");
    is_int(cnn_model_lowest_trainable(m), 2,
           "backward goes down to conv2, the lowest trainable layer");
    tear_down(&frozen);
    tear_down(&plain);
}

static int load_data(const struct setup *s, struct cnn_data *data)
{
    struct cnn_load_request request = {s->config.seed, 0, manifest_path, 0};
    struct cnn_error err = {0};
    memset(data, 0, sizeof *data);
    int status = s->config.loader->load(&s->config.loader_params, &request,
                                        data, &err);
    if (status < 0)
        diag("loading the data: %s", err.message);
    return status;
}

/* Trains with `overrides`; frozen conv1 and fc1 must come out as they
 * went in, conv2 and fc2 changed, and the optimizer hold state_per_param
 * floats for each trainable parameter alone. */
static void test_training(const struct cnn_registry *registry,
                          const char *optimizer, const char *what,
                          int state_per_param)
{
    const char *overrides[] = {"train.freeze=[conv1, fc1]", optimizer};
    struct setup s;
    if (!ready(&s, registry, overrides, optimizer ? 2 : 1, what))
        return;
    struct cnn_data data;
    float *before = snapshot(&s.model);
    struct cnn_train_result result;
    struct cnn_error err = {0};
    int status = before ? load_data(&s, &data) : -1;
    if (status == 0) {
        status = cnn_train(&s.model, &data, &s.config.train, NULL, &result,
                           &err);
        if (!ok(status == 0, "%s: two epochs train", what))
            diag("%s", err.message);
        cnn_data_free(&data);
    }
    if (status == 0) {
        ok(layer_unchanged(&s.model, before, 0) &&
               layer_unchanged(&s.model, before, 4),
           "%s: frozen conv1 (below every trainable layer) and fc1 (above "
           "conv2) are bit for bit unchanged, weight decay included",
           what);
        ok(!layer_unchanged(&s.model, before, 2) &&
               !layer_unchanged(&s.model, before, 5),
           "%s: trainable conv2 and fc2 changed", what);
        is_int(s.model.optimizer_state_floats,
               s.model.trainable_count * (size_t)state_per_param,
               "%s: optimizer state for the trainable parameters alone",
               what);
    }
    free(before);
    tear_down(&s);
}

/* One training step on the first batch of the training split. */
static int one_step(struct setup *s, struct cnn_error *err)
{
    struct cnn_data data;
    if (load_data(s, &data) < 0)
        return -1;
    int batch = s->config.train.batch;
    int indices[64];
    for (int i = 0; i < batch; i++)
        indices[i] = i;
    int per_param = cnn_train_state_per_param(&s->config.train);
    int status =
        cnn_model_reserve(&s->model, batch, err) < 0 ||
                !cnn_model_optimizer_state(
                    &s->model, s->model.trainable_count * (size_t)per_param,
                    err) ||
                cnn_model_totals_reset(&s->model, err) < 0
            ? -1
            : 0;
    if (status == 0) {
        cnn_fill_batch(&s->model, &data.train, indices, batch,
                       &s->config.train.normalization);
        status = cnn_train_step(&s->model, &s->config.train, batch, 1, err);
    }
    cnn_data_free(&data);
    return status;
}

#define SENTINEL 12345.0f

static void fill(float *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        values[i] = SENTINEL;
}

static int untouched(const float *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (values[i] != SENTINEL)
            return 0;
    return 1;
}

/* Marks conv1's gradients and the output gradients of conv1 and pool1
 * (what pool1's and conv2's backward write), then takes a step. */
static int marked_step(struct setup *s, size_t *out0, size_t *out1)
{
    struct cnn_error err = {0};
    int batch = s->config.train.batch;
    if (cnn_model_reserve(&s->model, batch, &err) < 0) {
        diag("%s", err.message);
        return -1;
    }
    const struct cnn_param_tensor *w = tensor_of(&s->model, 0, 0);
    fill(s->model.gradients + w->offset, w->count);
    *out0 = (size_t)batch * cnn_shape_size(s->model.layers[0].output);
    *out1 = (size_t)batch * cnn_shape_size(s->model.layers[1].output);
    fill(s->model.output_gradients[0], *out0);
    fill(s->model.output_gradients[1], *out1);
    if (one_step(s, &err) < 0) {
        diag("%s", err.message);
        return -1;
    }
    return 0;
}

static void test_backward_stops(const struct cnn_registry *registry)
{
    struct setup s;
    size_t out0, out1;
    if (ready(&s, registry, NULL, 0, "control, nothing frozen") &&
        marked_step(&s, &out0, &out1) == 0)
        ok(!untouched(s.model.output_gradients[0], out0) &&
               !untouched(s.model.gradients +
                              tensor_of(&s.model, 0, 0)->offset,
                          tensor_of(&s.model, 0, 0)->count),
           "control: with nothing frozen the backward writes conv1's "
           "gradients and pool1's dL/dx");
    tear_down(&s);

    static const char *const overrides[] = {"train.freeze=[conv1, fc2]"};
    if (!ready(&s, registry, overrides, 1, "conv1 and fc2 frozen"))
        return;
    float *before = snapshot(&s.model);
    if (before && marked_step(&s, &out0, &out1) == 0) {
        ok(untouched(s.model.gradients + tensor_of(&s.model, 0, 0)->offset,
                     tensor_of(&s.model, 0, 0)->count),
           "frozen conv1, below every trainable layer: no backward, its "
           "gradients never written");
        ok(untouched(s.model.output_gradients[0], out0),
           "pool1 below conv2: no backward either");
        ok(untouched(s.model.output_gradients[1], out1),
           "conv2, the lowest trainable layer, computes no dL/dx");
        ok(!layer_unchanged(&s.model, before, 2) &&
               !layer_unchanged(&s.model, before, 4),
           "frozen fc2 at the top passes dL/dx down: conv2 and fc1 learn");
        ok(layer_unchanged(&s.model, before, 5),
           "fc2 itself is unchanged");
    }
    free(before);
    tear_down(&s);
}

static void test_state_file(const struct cnn_registry *registry,
                            const char *directory)
{
    static const char *const overrides[] = {"train.freeze=[conv1, fc1]"};
    struct setup s, plain;
    if (!ready(&s, registry, overrides, 1, "state file"))
        return;
    struct cnn_error err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/train-state.safetensors", directory);
    int status = one_step(&s, &err);
    struct cnn_train_state_identity identity = {
        s.manifest.variants[0].resolved, 1, "cpu"};
    struct cnn_train_snapshot snapshot = {
        .epoch = 1, .order_count = 48, .totals = {.first_bad_batch = -1},
        .step = s.model.context.step, .best_val = -1};
    if (status == 0)
        status = cnn_train_state_save(path, &s.model, &snapshot, &identity,
                                      &err);
    if (!ok(status == 0, "a state with frozen layers saves"))
        diag("%s", err.message);
    struct cnn_safetensors *file = NULL;
    const struct cnn_st_tensor *state = NULL;
    if (status == 0 && cnn_safetensors_open(path, &file, &err) == 0)
        state = cnn_safetensors_find(file, "optimizer_state");
    ok(state && state->ndim == 1 &&
           state->dims[0] == (int64_t)s.model.trainable_count,
       "its optimizer_state holds one float per trainable parameter (%zu "
       "of %zu)",
       s.model.trainable_count, s.model.parameter_count);
    if (file)
        cnn_safetensors_close(file);

    struct cnn_train_state *loaded = NULL;
    char note[256];
    cnn_error_clear(&err);
    status = cnn_train_state_load(path, &s.model, &s.config.train, 48,
                                  &identity, &loaded, note, sizeof note,
                                  &err);
    if (!ok(status == 0, "it loads back into the same frozen model"))
        diag("%s", err.message);
    cnn_train_state_free(loaded);

    /* The same manifest text, a model with nothing frozen: the state's
     * optimizer part is too small for it. */
    if (ready(&plain, registry, NULL, 0, "an unfrozen model")) {
        int per_param = cnn_train_state_per_param(&plain.config.train);
        cnn_model_optimizer_state(&plain.model,
                                  plain.model.trainable_count *
                                      (size_t)per_param,
                                  &err);
        loaded = NULL;
        cnn_error_clear(&err);
        status = cnn_train_state_load(path, &plain.model, &plain.config.train,
                                      48, &identity, &loaded, note,
                                      sizeof note, &err);
        ok(status < 0 && strstr(err.message, "optimizer state does not fit"),
           "the loader sizes the optimizer state by the trainable count");
        cnn_train_state_free(loaded);
        tear_down(&plain);
    }
    unlink(path);
    tear_down(&s);
}

static void expect_error(const struct cnn_registry *registry,
                         const char *override, const char *needle,
                         const char *what)
{
    struct setup s;
    struct cnn_error err = {0};
    const char *overrides[] = {override};
    int status = set_up(&s, registry, overrides, 1, &err);
    ok(status < 0 && strstr(err.message, needle), "%s", what);
    if (status == 0 || !strstr(err.message, needle))
        diag("got: %s", status < 0 ? err.message : "no error");
    tear_down(&s);
}

static void test_errors(const struct cnn_registry *registry)
{
    expect_error(registry, "train.freeze=[conv9]",
                 "train.freeze: the model has no layer 'conv9'; did you "
                 "mean 'conv1'? (layers with parameters: conv1, conv2, fc1, "
                 "fc2)",
                 "an unknown name: did-you-mean among the layers with "
                 "parameters");
    expect_error(registry, "train.freeze=[pool1]",
                 "train.freeze: layer pool1 (maxpool2d) has no parameters "
                 "to freeze",
                 "a layer without parameters is refused");
    expect_error(registry, "train.freeze=[conv1, conv2, fc1, fc2]",
                 "every layer with parameters is frozen",
                 "a training run with nothing trainable is refused");
    static const char *const evaluate[] = {
        "train.freeze=[conv1, conv2, fc1, fc2]", "train.epochs=0"};
    struct setup s;
    ok(ready(&s, registry, evaluate, 2, "everything frozen, epochs 0"),
       "train.epochs: 0 may freeze everything (it only evaluates)");
    tear_down(&s);

    struct cnn_error err = {0};
    if (ready(&s, registry, NULL, 0, "freezing after allocate")) {
        static const char *const names[] = {"conv1"};
        ok(cnn_model_freeze(&s.model, names, NULL, 1, &err) < 0 &&
               strstr(err.message, "before cnn_model_allocate"),
           "freezing a model whose parameters are placed is refused");
        tear_down(&s);
    }
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    static const char *const modules[] = {"layers.so", "losses.so",
                                          "optim.so", "loaders.so"};
    for (int i = 0; i < 4; i++)
        if (test_load_plugin(registry, modules[i]) != 1) {
            cnn_registry_free(registry);
            return done_testing();
        }
    char directory[] = "/tmp/cnnlab-frozen.XXXXXX";
    if (!ok(mkdtemp(directory) != NULL, "a scratch directory")) {
        cnn_registry_free(registry);
        return done_testing();
    }
    snprintf(manifest_path, sizeof manifest_path, "%s/fz.yaml", directory);
    FILE *file = fopen(manifest_path, "w");
    ok(file && fputs(manifest_text, file) >= 0 && fclose(file) == 0,
       "the manifest is written");

    test_layout(registry);
    test_training(registry, NULL, "sgd, momentum, weight decay", 1);
    test_training(registry,
                  "train.optimizer={adam: {lr: 0.01, weight_decay: 0.5, "
                  "decoupled: true}}",
                  "adamw", 2);
    test_backward_stops(registry);
    test_state_file(registry, directory);
    test_errors(registry);

    unlink(manifest_path);
    rmdir(directory);
    cnn_registry_free(registry);
    return done_testing();
}
