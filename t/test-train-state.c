/* Training state files: a snapshot survives save and load bit for bit
 * (doubles such as -0, infinity and subnormals included) and applies to a
 * fresh model; a damaged file, another manifest, another model or other
 * data are refused naming the file; the manifest difference names the
 * first key that differs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnnlab/node.h"
#include "cnnlab/registry.h"
#include "model/model.h"
#include "train/train_state.h"
#include "train/train_state_internal.h"
#include "test-util.h"

static const char manifest_text[] =
    "name: s\n"
    "seed: 1\n"
    "model:\n"
    "  input: [1, 6, 6]\n"
    "  layers:\n"
    "    - conv2d: {out: 2, kernel: 3, activation: relu}\n"
    "    - flatten\n"
    "    - linear: {out: 3}\n"
    "train: {epochs: 4, batch: 8}\n"
    "analyses: [summary]\n";

static int one_per_parameter(const void *settings)
{
    (void)settings;
    return 1;
}

/* Stands in for SGD with momentum: one float of state per parameter. */
static const struct cnn_optimizer_type fake_optimizer = {
    .name = "fake", .state_per_param = one_per_parameter};

#define IMAGES 20 /* 3 batches of 8 */

static struct cnn_node *load_node(const char *text)
{
    struct cnn_node *node = NULL;
    struct cnn_error err = {0};
    if (cnn_node_load_string(text, "s.yaml", &node, &err) < 0)
        diag("%s", err.message);
    return node;
}

static int build(struct cnn_model *model, struct cnn_registry *registry,
                 const struct cnn_node *manifest, uint64_t seed)
{
    struct cnn_error err = {0};
    int status = cnn_model_build(model, registry,
                                 cnn_node_get(manifest, "model"),
                                 CNN_DEVICE_CPU, &err);
    if (status == 0)
        status = cnn_model_allocate(model, seed, &err);
    if (status == 0 &&
        !cnn_model_optimizer_state(model, model->parameter_count, &err))
        status = -1;
    if (status < 0)
        diag("%s", err.message);
    return status;
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int load(const char *path, const struct cnn_model *model,
                const struct cnn_train_config *config, int images,
                const struct cnn_train_state_identity *identity,
                struct cnn_train_state **state, char *note,
                struct cnn_error *err)
{
    cnn_error_clear(err);
    return cnn_train_state_load(path, model, config, images, identity, state,
                                note, 256, err);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "layers.so") != 1) {
        cnn_registry_free(registry);
        return done_testing();
    }
    char directory[] = "/tmp/cnnlab-train-state.XXXXXX";
    ok(mkdtemp(directory) != NULL, "scratch directory");
    char path[256];
    snprintf(path, sizeof path, "%s/train-state.safetensors", directory);

    struct cnn_node *manifest = load_node(manifest_text);
    struct cnn_model model, fresh;
    ok(manifest && build(&model, registry, manifest, 1) == 0, "model builds");
    ok(build(&fresh, registry, manifest, 2) == 0, "a second model builds");
    for (size_t i = 0; i < model.parameter_count; i++)
        model.optimizer_state[i] = 0.25f * (float)i - 3.0f;

    int order[IMAGES];
    for (int i = 0; i < IMAGES; i++)
        order[i] = (i * 7) % IMAGES;
    float *selected = malloc(model.parameter_count * sizeof(float));
    for (size_t i = 0; selected && i < model.parameter_count; i++)
        selected[i] = (float)i / 3.0f;
    struct cnn_epoch_metrics history[2] = {
        {1, 1.0 / 3.0, 55.5, INFINITY, -0.0, 12.25, 11.5, 1.0, 0.01},
        {2, 4.9e-324, 60.0, 0.7, 62.5, 0.0, 1e300, 0.5, 0.005}};
    struct cnn_train_snapshot s = {
        .epoch = 3, .batch = 2, .order = order, .order_count = IMAGES,
        .totals = {.loss_sum = 0.1 + 0.2, .correct = 9, .samples = 16,
                   .batches = 2, .first_bad_batch = -1},
        .seconds = 1.5, .cpu_seconds = 2.75, .step = 8,
        .best_val = 62.5, .selected_epoch = 2, .selected = selected,
        .history = history, .history_count = 2};
    struct cnn_train_config config = {.epochs = 4, .batch = 8,
                                      .optimizer = &fake_optimizer};
    struct cnn_train_state_identity identity = {manifest, 2, "cpu"};
    struct cnn_error err = {0};
    ok(cnn_train_state_save(path, &model, &s, &identity, &err) == 0,
       "save a mid-epoch snapshot (%s)", err.message);

    struct cnn_train_state *state = NULL;
    char note[256];
    ok(load(path, &model, &config, IMAGES, &identity, &state, note, &err) ==
           0,
       "load it back (%s)", err.message);
    const struct cnn_train_snapshot *back = cnn_train_state_snapshot(state);
    if (!back) {
        done_testing();
        return 1;
    }
    is_str(note, "", "no note when threads and device are the same");
    ok(back->epoch == 3 && back->batch == 2 && back->step == 8 &&
           back->selected_epoch == 2 && back->order_count == IMAGES,
       "position, step and selected epoch come back");
    ok(memcmp(back->order, order, sizeof order) == 0,
       "the shuffle order comes back");
    ok(same_double(back->totals.loss_sum, 0.1 + 0.2) &&
           same_double(back->totals.samples, 16) &&
           same_double(back->totals.first_bad_batch, -1) &&
           same_double(back->seconds, 1.5) &&
           same_double(back->best_val, 62.5),
       "running totals, time and best val accuracy come back bit for bit");
    int history_same = back->history_count == 2;
    for (int i = 0; history_same && i < 2; i++)
        history_same =
            same_double(back->history[i].train_loss, history[i].train_loss) &&
            same_double(back->history[i].val_loss, history[i].val_loss) &&
            same_double(back->history[i].val_accuracy,
                        history[i].val_accuracy) &&
            same_double(back->history[i].cpu_seconds,
                        history[i].cpu_seconds) &&
            same_double(back->history[i].lr, history[i].lr) &&
            back->history[i].epoch == i + 1;
    ok(history_same,
       "the history comes back bit for bit (1/3, infinity, -0, a "
       "subnormal, 1e300)");
    ok(memcmp(back->selected, selected,
              model.parameter_count * sizeof(float)) == 0,
       "the selected weights come back");

    ok(cnn_train_snapshot_apply(&fresh, back, &err) == 0,
       "apply the snapshot to another model (%s)", err.message);
    ok(memcmp(fresh.parameters, model.parameters,
              model.parameter_count * sizeof(float)) == 0 &&
           memcmp(fresh.optimizer_state, model.optimizer_state,
                  model.parameter_count * sizeof(float)) == 0 &&
           fresh.context.step == 8,
       "weights, optimizer state and step count are the saved ones");
    cnn_train_state_free(state);

    /* Threads differ: resumed, with a note. */
    struct cnn_train_state_identity more_threads = {manifest, 4, "cpu"};
    ok(load(path, &model, &config, IMAGES, &more_threads, &state, note,
            &err) == 0,
       "other threads still resume");
    like(note, "2 threads on cpu, this one 4", "the note says what differs");
    cnn_train_state_free(state);

    /* Only analyses: changed: resumed. */
    struct cnn_node *other = load_node(manifest_text);
    cnn_node_apply_override(other, "analyses=[]", &err);
    struct cnn_train_state_identity no_analyses = {other, 2, "cpu"};
    ok(load(path, &model, &config, IMAGES, &no_analyses, &state, note,
            &err) == 0,
       "a manifest that differs only in analyses: resumes");
    cnn_train_state_free(state);
    cnn_node_free(other);
    char changed[sizeof manifest_text];
    memcpy(changed, manifest_text, sizeof changed);
    char *out = strstr(changed, "out: 3");
    if (out)
        out[5] = '4';
    other = load_node(changed);
    no_analyses.resolved = other;
    ok(load(path, &model, &config, IMAGES, &no_analyses, &state, note,
            &err) < 0,
       "another manifest is refused");
    like(err.message, "model.layers[2].linear.out is '3' there, '4' now",
         "the message names the first key that differs");
    like(err.message, path, "the message names the file");
    cnn_node_free(other);

    ok(load(path, &model, &config, IMAGES + 1, &identity, &state, note,
            &err) < 0,
       "other training data are refused");
    like(err.message, "trained on 20 images, this one on 21",
         "the message gives both sizes");
    struct cnn_train_config more_state = config;
    more_state.optimizer = &(const struct cnn_optimizer_type){
        .name = "none", .state_per_param = NULL};
    ok(load(path, &model, &more_state, IMAGES, &identity, &state, note,
            &err) < 0,
       "another optimizer's state size is refused");

    /* One byte of the file changed: the checksum tells. */
    FILE *file = fopen(path, "r+");
    long size = -1;
    if (file && fseek(file, 0, SEEK_END) == 0)
        size = ftell(file);
    ok(file && size > 64 && fseek(file, size - 9, SEEK_SET) == 0 &&
           fputc('x', file) != EOF && fclose(file) == 0,
       "damage one byte of the data");
    ok(load(path, &model, &config, IMAGES, &identity, &state, note, &err) <
           0,
       "a damaged file is refused");
    like(err.message, "checksum does not match", "the message says why");
    like(err.message, path, "the message names the file");
    ok(truncate(path, size / 2) == 0, "truncate the file");
    ok(load(path, &model, &config, IMAGES, &identity, &state, note, &err) <
           0,
       "a truncated file is refused");
    like(err.message, "cannot resume", "the message says what failed");
    like(err.message, "train-state.safetensors", "and names the file");

    /* The difference itself. */
    struct cnn_node *a = load_node("x: {y: [1, 2], z: a}\n");
    struct cnn_node *b = load_node("x: {z: a, y: [1, 2, 3]}\n");
    char where[128], before[64], after[64];
    ok(cnn_manifest_difference(a, b, where, sizeof where, before, after,
                               sizeof before) == 1,
       "a longer list differs");
    is_str(where, "x.y", "at its path");
    is_str(after, "a list of 3", "saying how");
    cnn_node_free(b);
    b = load_node("x: {z: a, y: [1, 2]}\n");
    ok(cnn_manifest_difference(a, b, where, sizeof where, before, after,
                               sizeof before) == 0,
       "the order of map keys does not matter");
    cnn_node_free(b);
    b = load_node("x: {y: [1, 2]}\n");
    ok(cnn_manifest_difference(a, b, where, sizeof where, before, after,
                               sizeof before) == 1 &&
           strcmp(after, "absent") == 0 && strcmp(where, "x.z") == 0,
       "a missing key is named, absent");
    cnn_node_free(a);
    cnn_node_free(b);

    unlink(path);
    rmdir(directory);
    free(selected);
    cnn_node_free(manifest);
    cnn_model_free(&model);
    cnn_model_free(&fresh);
    cnn_registry_free(registry);
    return done_testing();
}
