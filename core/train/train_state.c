/* cnnlab — writing and reading a training run's state file (see
 * train_state.h for its layout). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/device.h"
#include "model/safetensors.h"
#include "train/train_state.h"
#include "train/train_state_internal.h"

#define FORMAT_NAME "cnnlab-train-state"
#define FORMAT_VERSION "1"
/* An order index is stored as two floats, high * 4096 + low: each part
 * is far below 2^24, so exact in float32. */
#define ORDER_SPLIT 4096

/* FNV-1a's multiply over 8-byte words, with a shift to mix the high
 * bits down: enough to tell a damaged file from a good one, and cheap
 * beside writing the file. */
uint64_t cnn_train_state_hash(uint64_t hash, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        memcpy(&word, bytes + i, 8);
        hash = (hash ^ word) * 0x100000001b3ULL;
        hash ^= hash >> 29;
    }
    for (; i < size; i++)
        hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
    return hash;
}

static json_t *exact_number(double value)
{
    char text[48];
    snprintf(text, sizeof text, "%a", value);
    return json_string(text);
}

static json_t *history_json(const struct cnn_train_snapshot *s)
{
    json_t *list = json_array();
    for (int i = 0; list && i < s->history_count; i++) {
        const struct cnn_epoch_metrics *m = &s->history[i];
        /* The order cnn_train_state_parse reads back. */
        const double values[CNN_HISTORY_FIELDS] = {
            m->train_loss, m->train_accuracy, m->val_loss,
            m->val_accuracy, m->seconds, m->cpu_seconds,
            m->lr_scale, m->lr};
        json_t *row = json_array();
        for (int k = 0; row && k < CNN_HISTORY_FIELDS; k++)
            if (json_array_append_new(row, exact_number(values[k])) < 0) {
                json_decref(row);
                row = NULL;
            }
        if (!row || json_array_append_new(list, row) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static char *state_text(const struct cnn_train_snapshot *s,
                        const struct cnn_model *model,
                        const struct cnn_train_state_identity *identity)
{
    const struct cnn_loss_totals *t = &s->totals;
    json_t *totals = json_pack(
        "[o, o, o, o, o]", exact_number(t->loss_sum),
        exact_number(t->correct), exact_number(t->samples),
        exact_number(t->batches), exact_number(t->first_bad_batch));
    json_t *root = json_pack(
        "{s:i, s:i, s:I, s:I, s:I, s:I, s:i, s:s, s:o, s:i, s:o, s:o, s:o, "
        "s:o}",
        "epoch", s->epoch, "batch", s->batch, "step", (json_int_t)s->step,
        "train_images", (json_int_t)s->order_count, "parameters",
        (json_int_t)model->parameter_count, "optimizer_floats",
        (json_int_t)model->optimizer_state_floats, "threads",
        identity->threads, "device", identity->device, "best_val",
        exact_number(s->best_val), "selected_epoch", s->selected_epoch,
        "totals", totals, "seconds", exact_number(s->seconds),
        "cpu_seconds", exact_number(s->cpu_seconds), "history",
        history_json(s));
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER)
                      : NULL;
    json_decref(root);
    return text;
}

/* The resolved manifest as YAML, `analyses:` aside: they run after
 * training and do not change it. */
char *cnn_train_state_manifest_text(const struct cnn_node *resolved)
{
    struct cnn_node *copy = cnn_node_clone(resolved);
    if (!copy)
        return NULL;
    if (copy->kind == CNN_NODE_MAP)
        cnn_node_map_remove(copy, "analyses");
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    int status = stream ? cnn_node_write(copy, stream) : -1;
    if (stream)
        fclose(stream);
    cnn_node_free(copy);
    if (status < 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void format_checksum(uint64_t hash, char *text, size_t size)
{
    snprintf(text, size, "%016llx", (unsigned long long)hash);
}

uint64_t cnn_train_state_checksum(const char *state, const char *manifest,
                                  const struct cnn_st_tensor *tensors,
                                  int count)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    hash = cnn_train_state_hash(hash, state, strlen(state));
    hash = cnn_train_state_hash(hash, manifest, strlen(manifest));
    for (int i = 0; i < count; i++) {
        size_t floats = 1;
        for (int d = 0; d < tensors[i].ndim; d++)
            floats *= (size_t)tensors[i].dims[d];
        hash = cnn_train_state_hash(hash, tensors[i].name,
                                    strlen(tensors[i].name));
        hash = cnn_train_state_hash(hash, tensors[i].data,
                                    floats * sizeof(float));
    }
    return hash;
}

static struct cnn_st_tensor vector(const char *name, const float *data,
                                   size_t count)
{
    struct cnn_st_tensor t = {name, 1, {(int64_t)count, 0, 0, 0},
        {data}, CNN_ST_F32};
    return t;
}

int cnn_train_state_save(const char *path, struct cnn_model *model,
                         const struct cnn_train_snapshot *snapshot,
                         const struct cnn_train_state_identity *identity,
                         struct cnn_error *err)
{
    if (cnn_model_parameters_to_host(model, err) < 0)
        return -1;
    size_t parameters = model->parameter_count;
    size_t floats = model->optimizer_state_floats;
    float *optimizer = NULL, *order = NULL;
    int status = 0;
    /* On the CPU the state is host memory already. */
    if (floats > 0 && model->device_type) {
        optimizer = malloc(floats * sizeof(float));
        if (!optimizer)
            status = cnn_error_set(err, "out of memory saving '%s'", path);
        else
            status = cnn_device_download(model->device_type, &model->context,
                                         optimizer, model->optimizer_state,
                                         floats * sizeof(float), err);
    }
    if (status == 0 && snapshot->batch > 0) {
        order = malloc((size_t)snapshot->order_count * 2 * sizeof(float));
        if (!order)
            status = cnn_error_set(err, "out of memory saving '%s'", path);
        for (int i = 0; order && i < snapshot->order_count; i++) {
            order[2 * i] = (float)(snapshot->order[i] / ORDER_SPLIT);
            order[2 * i + 1] = (float)(snapshot->order[i] % ORDER_SPLIT);
        }
    }
    char *state = status == 0 ? state_text(snapshot, model, identity) : NULL;
    char *manifest = status == 0
                         ? cnn_train_state_manifest_text(identity->resolved)
                         : NULL;
    if (status == 0 && (!state || !manifest))
        status = cnn_error_set(err, "out of memory saving '%s'", path);
    if (status == 0) {
        struct cnn_st_tensor tensors[4];
        int count = 0;
        tensors[count++] = vector("parameters", model->host_parameters,
                                  parameters);
        if (floats > 0)
            tensors[count++] = vector("optimizer_state",
                                      optimizer ? optimizer
                                                : model->optimizer_state,
                                      floats);
        if (snapshot->selected_epoch > 0)
            tensors[count++] = vector("selected", snapshot->selected,
                                      parameters);
        if (order) {
            tensors[count] = vector("order", order,
                                    (size_t)snapshot->order_count);
            tensors[count].ndim = 2;
            tensors[count++].dims[1] = 2;
        }
        char checksum[24];
        format_checksum(cnn_train_state_checksum(state, manifest, tensors,
                                                 count),
                        checksum, sizeof checksum);
        const struct cnn_st_metadata metadata[] = {
            {"format", FORMAT_NAME},
            {"format_version", FORMAT_VERSION},
            {"state", state},
            {"manifest", manifest},
            {"checksum", checksum},
        };
        status = cnn_safetensors_write(path, tensors, count, metadata, 5,
                                       err);
    }
    free(state);
    free(manifest);
    free(optimizer);
    free(order);
    return status;
}

int cnn_train_snapshot_apply(struct cnn_model *model,
                             const struct cnn_train_snapshot *snapshot,
                             struct cnn_error *err)
{
    if (snapshot->optimizer_floats != model->optimizer_state_floats)
        return cnn_error_set(err,
                             "the saved optimizer state has %zu floats, the "
                             "optimizer needs %zu",
                             snapshot->optimizer_floats,
                             model->optimizer_state_floats);
    memcpy(model->host_parameters, snapshot->parameters,
           model->parameter_count * sizeof(float));
    if (cnn_model_parameters_from_host(model, err) < 0)
        return -1;
    if (snapshot->optimizer_floats > 0 &&
        cnn_device_upload(model->device_type, &model->context,
                          model->optimizer_state, snapshot->optimizer_state,
                          snapshot->optimizer_floats * sizeof(float),
                          err) < 0)
        return -1;
    model->context.step = snapshot->step;
    /* Replayed steps read the count from the device (layer.h). */
    if (model->device_type && model->context.device_step)
        return cnn_device_upload(model->device_type, &model->context,
                                 (void *)(uintptr_t)model->context.device_step,
                                 &snapshot->step, sizeof snapshot->step, err);
    return 0;
}

/* Reading back: the numbers, then the file as a whole. */

static int read_exact(json_t *value, double *out)
{
    const char *text = json_string_value(value);
    if (!text)
        return -1;
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return end == text || *end != '\0' ? -1 : 0;
}

static int read_int(json_t *object, const char *key, long long low,
                    long long high, long long *out)
{
    json_t *value = json_object_get(object, key);
    if (!json_is_integer(value))
        return -1;
    *out = json_integer_value(value);
    return *out < low || *out > high ? -1 : 0;
}

int cnn_train_state_read_history(json_t *list, int count,
                                 struct cnn_epoch_metrics *history)
{
    if (!json_is_array(list) || (int)json_array_size(list) != count)
        return -1;
    for (int i = 0; i < count; i++) {
        json_t *row = json_array_get(list, (size_t)i);
        double v[CNN_HISTORY_FIELDS];
        if (!json_is_array(row) || json_array_size(row) != CNN_HISTORY_FIELDS)
            return -1;
        for (int k = 0; k < CNN_HISTORY_FIELDS; k++)
            if (read_exact(json_array_get(row, (size_t)k), &v[k]) < 0)
                return -1;
        struct cnn_epoch_metrics m = {
            .epoch = i + 1, .train_loss = v[0], .train_accuracy = v[1],
            .val_loss = v[2], .val_accuracy = v[3], .seconds = v[4],
            .cpu_seconds = v[5], .lr_scale = v[6], .lr = v[7]};
        history[i] = m;
    }
    return 0;
}

/* The scalar fields of "state" into s; "history" by the caller. Returns
 * the name of the first bad field, or NULL. */
const char *cnn_train_state_read_position(json_t *root,
                                          struct cnn_train_snapshot *s,
                                          long long *parameters,
                                          long long *optimizer_floats,
                                          long long *threads)
{
    long long value;
    if (read_int(root, "epoch", 1, 1LL << 30, &value) < 0)
        return "epoch";
    s->epoch = (int)value;
    if (read_int(root, "batch", 0, 1LL << 30, &value) < 0)
        return "batch";
    s->batch = (int)value;
    if (read_int(root, "step", 0, INT64_MAX, &value) < 0)
        return "step";
    s->step = (uint64_t)value;
    if (read_int(root, "train_images", 0, 1LL << 30, &value) < 0)
        return "train_images";
    s->order_count = (int)value;
    if (read_int(root, "parameters", 0, INT64_MAX, parameters) < 0)
        return "parameters";
    if (read_int(root, "optimizer_floats", 0, INT64_MAX, optimizer_floats) <
        0)
        return "optimizer_floats";
    if (read_int(root, "threads", 1, 1 << 20, threads) < 0)
        return "threads";
    if (!json_is_string(json_object_get(root, "device")))
        return "device";
    if (read_exact(json_object_get(root, "best_val"), &s->best_val) < 0)
        return "best_val";
    if (read_int(root, "selected_epoch", 0, 1LL << 30, &value) < 0)
        return "selected_epoch";
    s->selected_epoch = (int)value;
    json_t *totals = json_object_get(root, "totals");
    double t[5];
    if (!json_is_array(totals) || json_array_size(totals) != 5)
        return "totals";
    for (int k = 0; k < 5; k++)
        if (read_exact(json_array_get(totals, (size_t)k), &t[k]) < 0)
            return "totals";
    s->totals = (struct cnn_loss_totals){.loss_sum = t[0],
                                         .correct = t[1],
                                         .samples = t[2],
                                         .batches = t[3],
                                         .first_bad_batch = t[4]};
    if (read_exact(json_object_get(root, "seconds"), &s->seconds) < 0)
        return "seconds";
    if (read_exact(json_object_get(root, "cpu_seconds"), &s->cpu_seconds) <
        0)
        return "cpu_seconds";
    return NULL;
}

int cnn_train_state_decode_order(const float *stored, int count, int *order)
{
    /* A permutation of 0..count-1, or the file is refused: these index
     * the training images. */
    unsigned char *seen = calloc((size_t)count + 1, 1);
    if (!seen)
        return -2;
    int status = 0;
    for (int i = 0; status == 0 && i < count; i++) {
        float high = stored[2 * i], low = stored[2 * i + 1];
        if (!(high >= 0 && high < (float)ORDER_SPLIT * ORDER_SPLIT &&
              low >= 0 && low < ORDER_SPLIT) ||
            high != (float)(long)high || low != (float)(long)low) {
            status = -1;
            break;
        }
        long index = (long)high * ORDER_SPLIT + (long)low;
        if (index >= count || seen[index])
            status = -1;
        else {
            seen[index] = 1;
            order[i] = (int)index;
        }
    }
    free(seen);
    return status;
}
