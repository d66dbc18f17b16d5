/* cnnlab — reading a training state file back, refusing anything that
 * would not continue the same run exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_state_internal.h"

#define FIX "delete it, or run without --resume to train from scratch"

struct cnn_train_state {
    struct cnn_train_snapshot snapshot;
    int *order;
    float *parameters, *optimizer_state, *selected;
    struct cnn_epoch_metrics *history;
};

static int damaged(struct cnn_error *err, const char *path, const char *what)
{
    return cnn_error_set(err, "cannot resume from '%s': %s; " FIX, path,
                         what);
}

/* An error from a lower layer (which names the file) with the fix. */
static int add_fix(struct cnn_error *err)
{
    cnn_error_prefix(err, "cannot resume: ");
    size_t length = strlen(err->message);
    snprintf(err->message + length, sizeof err->message - length, "; %s",
             FIX);
    return -1;
}

void cnn_train_state_free(struct cnn_train_state *state)
{
    if (!state)
        return;
    free(state->order);
    free(state->parameters);
    free(state->optimizer_state);
    free(state->selected);
    free(state->history);
    free(state);
}

const struct cnn_train_snapshot *cnn_train_state_snapshot(
    const struct cnn_train_state *state)
{
    return state ? &state->snapshot : NULL;
}

static int check_manifest(const char *path, const char *saved_text,
                          const struct cnn_node *resolved,
                          struct cnn_error *err)
{
    char *now_text = cnn_train_state_manifest_text(resolved);
    if (!now_text)
        return cnn_error_set(err, "out of memory reading '%s'", path);
    int status = 0;
    if (strcmp(now_text, saved_text) != 0) {
        struct cnn_node *saved = NULL, *now = NULL;
        struct cnn_error ignored = {0};
        if (cnn_node_load_string(saved_text, path, &saved, &ignored) < 0)
            status = damaged(err, path, "its \"manifest\" is not valid YAML");
        else if (cnn_node_load_string(now_text, "the manifest", &now,
                                      &ignored) < 0)
            status = cnn_error_set(err, "cannot reread the resolved "
                                        "manifest");
        char where[256], before[128], after[128];
        if (status == 0 &&
            cnn_manifest_difference(saved, now, where, sizeof where, before,
                                    after, sizeof before))
            status = cnn_error_set(
                err,
                "cannot resume from '%s': it was saved by a run of another "
                "manifest (%s is %s there, %s now); resume with the manifest "
                "and overrides it was saved with, or run without --resume "
                "to train from scratch (which replaces it)",
                path, where, before, after);
        cnn_node_free(saved);
        cnn_node_free(now);
    }
    free(now_text);
    return status;
}

/* The tensors in the order the checksum covers them; *count of them. */
static int collect_tensors(const struct cnn_safetensors *file,
                           struct cnn_st_tensor *tensors, int *count)
{
    static const char *const names[] = {"parameters", "optimizer_state",
                                        "selected", "order"};
    *count = 0;
    for (int i = 0; i < 4; i++) {
        const struct cnn_st_tensor *t = cnn_safetensors_find(file, names[i]);
        if (t)
            tensors[(*count)++] = *t;
    }
    return *count == cnn_safetensors_count(file) ? 0 : -1;
}

/* Position and selection fit this run: epoch, batch, history, totals. */
static const char *check_position(const struct cnn_train_snapshot *s,
                                  const struct cnn_train_config *config,
                                  int has_selected, int has_order)
{
    long batches = ((long)s->order_count + config->batch - 1) /
                   config->batch;
    if (s->epoch > config->epochs + 1)
        return "its epoch is beyond the run's last";
    if (s->batch > batches || (s->epoch > config->epochs && s->batch > 0))
        return "its batch is beyond the epoch's last";
    if (s->selected_epoch >= s->epoch ||
        (s->selected_epoch > 0) != has_selected)
        return "its selected epoch does not fit its position";
    if ((s->batch > 0) != has_order)
        return "its shuffle order does not fit its position";
    /* Fewer samples than batches times their size when the loader left
     * images out (on_error: skip). */
    long done = (long)s->batch * config->batch;
    if (s->batch > 0 &&
        !(s->totals.samples >= 0 && s->totals.samples <= (double)done))
        return "its running totals do not fit its position";
    return NULL;
}

static int read_vector(const struct cnn_safetensors *file, const char *name,
                       size_t count, float **out, struct cnn_error *err)
{
    *out = malloc((count ? count : 1) * sizeof(float));
    if (!*out)
        return cnn_error_set(err, "out of memory");
    int64_t dims[1] = {(int64_t)count};
    return cnn_safetensors_read_into(file, name, 1, dims, *out, err);
}

static int read_arrays(const char *path, const struct cnn_safetensors *file,
                       struct cnn_train_state *state, size_t parameters,
                       struct cnn_error *err)
{
    struct cnn_train_snapshot *s = &state->snapshot;
    if (read_vector(file, "parameters", parameters, &state->parameters,
                    err) < 0)
        return add_fix(err);
    s->parameters = state->parameters;
    if (s->optimizer_floats > 0) {
        if (read_vector(file, "optimizer_state", s->optimizer_floats,
                        &state->optimizer_state, err) < 0)
            return add_fix(err);
        s->optimizer_state = state->optimizer_state;
    }
    if (s->selected_epoch > 0) {
        if (read_vector(file, "selected", parameters, &state->selected, err) <
            0)
            return add_fix(err);
        s->selected = state->selected;
    }
    if (s->batch == 0)
        return 0;
    float *stored = malloc((size_t)s->order_count * 2 * sizeof(float) + 1);
    state->order = malloc((size_t)s->order_count * sizeof(int) + 1);
    if (!stored || !state->order) {
        free(stored);
        return cnn_error_set(err, "out of memory reading '%s'", path);
    }
    int64_t dims[2] = {s->order_count, 2};
    int status = cnn_safetensors_read_into(file, "order", 2, dims, stored,
                                           err);
    if (status < 0)
        status = add_fix(err);
    else if ((status = cnn_train_state_decode_order(stored, s->order_count,
                                                    state->order)) < 0)
        status = status == -2 ? cnn_error_set(err, "out of memory")
                              : damaged(err, path,
                                        "its shuffle order is not a "
                                        "permutation of the training images");
    free(stored);
    s->order = state->order;
    return status;
}

/* Checks "state" against this run and fills the snapshot. */
static int read_state(const char *path, json_t *root,
                      const struct cnn_model *model,
                      const struct cnn_train_config *config, int train_images,
                      const struct cnn_train_state_identity *identity,
                      const struct cnn_safetensors *file,
                      struct cnn_train_state *state, char *note,
                      size_t note_size, struct cnn_error *err)
{
    struct cnn_train_snapshot *s = &state->snapshot;
    long long parameters, optimizer_floats, threads;
    const char *bad = cnn_train_state_read_position(root, s, &parameters,
                                                    &optimizer_floats,
                                                    &threads);
    if (bad) {
        char what[128];
        snprintf(what, sizeof what,
                 "its state has no valid \"%s\" (the file is damaged)", bad);
        return damaged(err, path, what);
    }
    if ((size_t)parameters != model->parameter_count) {
        char what[160];
        snprintf(what, sizeof what,
                 "it holds %lld parameters, the model has %zu", parameters,
                 model->parameter_count);
        return damaged(err, path, what);
    }
    /* Frozen parameters have no optimizer state (train.c). */
    int per_param = cnn_train_state_per_param(config);
    if ((size_t)optimizer_floats !=
        model->trainable_count * (size_t)per_param)
        return damaged(err, path,
                       "its optimizer state does not fit the optimizer");
    s->optimizer_floats = (size_t)optimizer_floats;
    if (s->order_count != train_images) {
        char what[200];
        snprintf(what, sizeof what,
                 "the interrupted run trained on %d images, this one on %d "
                 "(the data changed)",
                 s->order_count, train_images);
        return damaged(err, path, what);
    }
    bad = check_position(s, config,
                         cnn_safetensors_find(file, "selected") != NULL,
                         cnn_safetensors_find(file, "order") != NULL);
    if (bad)
        return damaged(err, path, bad);
    s->history_count = s->epoch - 1;
    state->history = calloc((size_t)s->history_count + 1,
                            sizeof *state->history);
    if (!state->history)
        return cnn_error_set(err, "out of memory reading '%s'", path);
    if (cnn_train_state_read_history(json_object_get(root, "history"),
                                     s->history_count, state->history) < 0)
        return damaged(err, path, "its per-epoch history is damaged");
    s->history = state->history;
    const char *device = json_string_value(json_object_get(root, "device"));
    if (threads != identity->threads || strcmp(device, identity->device) != 0)
        snprintf(note, note_size,
                 "the interrupted run used %lld thread%s on %s, this one %d "
                 "on %s: the results may differ from an uninterrupted run "
                 "in the last bits",
                 threads, threads == 1 ? "" : "s", device, identity->threads,
                 identity->device);
    return read_arrays(path, file, state, model->parameter_count, err);
}

static int check_file(const char *path, const struct cnn_safetensors *file,
                      struct cnn_error *err)
{
    const char *format = cnn_safetensors_metadata(file, "format");
    const char *version = cnn_safetensors_metadata(file, "format_version");
    const char *state = cnn_safetensors_metadata(file, "state");
    const char *manifest = cnn_safetensors_metadata(file, "manifest");
    const char *checksum = cnn_safetensors_metadata(file, "checksum");
    if (!format || strcmp(format, "cnnlab-train-state") != 0)
        return damaged(err, path,
                       "it is not a cnnlab training state (its metadata has "
                       "no \"format\": \"cnnlab-train-state\")");
    if (!version || strcmp(version, "1") != 0) {
        char what[200];
        snprintf(what, sizeof what,
                 "it has format_version %.32s; this cnnlab reads 1",
                 version ? version : "(none)");
        return damaged(err, path, what);
    }
    struct cnn_st_tensor tensors[4];
    int count;
    if (!state || !manifest || !checksum ||
        collect_tensors(file, tensors, &count) < 0)
        return damaged(err, path,
                       "it lacks part of a training state (the file is "
                       "damaged)");
    char expected[24];
    snprintf(expected, sizeof expected, "%016llx",
             (unsigned long long)cnn_train_state_checksum(state, manifest,
                                                          tensors, count));
    if (strcmp(expected, checksum) != 0)
        return damaged(err, path,
                       "its checksum does not match its contents (the file "
                       "is damaged)");
    return 0;
}

int cnn_train_state_load(const char *path, const struct cnn_model *model,
                         const struct cnn_train_config *config,
                         int train_images,
                         const struct cnn_train_state_identity *identity,
                         struct cnn_train_state **out, char *note,
                         size_t note_size, struct cnn_error *err)
{
    *out = NULL;
    note[0] = '\0';
    struct cnn_safetensors *file;
    if (cnn_safetensors_open(path, &file, err) < 0)
        return add_fix(err);
    int status = check_file(path, file, err);
    if (status == 0)
        status = check_manifest(path,
                                cnn_safetensors_metadata(file, "manifest"),
                                identity->resolved, err);
    json_error_t why;
    json_t *root = status == 0
                       ? json_loads(cnn_safetensors_metadata(file, "state"),
                                    0, &why)
                       : NULL;
    if (status == 0 && !json_is_object(root))
        status = damaged(err, path, "its \"state\" is not a JSON object");
    struct cnn_train_state *state = NULL;
    if (status == 0 && !(state = calloc(1, sizeof *state)))
        status = cnn_error_set(err, "out of memory reading '%s'", path);
    if (status == 0)
        status = read_state(path, root, model, config, train_images,
                            identity, file, state, note, note_size, err);
    json_decref(root);
    cnn_safetensors_close(file);
    if (status < 0) {
        cnn_train_state_free(state);
        return -1;
    }
    *out = state;
    return 0;
}
