/* cnnlab — one variant, from resolved manifest to results on disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/path.h"
#include "analysis/analysis.h"
#include "model/model_weights.h"
#include "run/nvml.h"
#include "run/run_config.h"
#include "run/run_dir.h"
#include "run/run_predictions.h"
#include "run/run_resume.h"
#include "run/run_source.h"
#include "run/runner.h"

struct run_state {
    struct cnn_run_dir *dir;
    const struct cnn_run_observer *observer;
    int epochs;
    long train_images;
    struct cnn_run_resume *resume;
};

static int on_epoch(void *user, const struct cnn_model *model,
                    const struct cnn_epoch_metrics *metrics, int is_selected,
                    struct cnn_error *err)
{
    struct run_state *state = user;
    if (cnn_run_dir_add_epoch(state->dir, metrics, state->train_images, err) <
        0)
        return -1;
    if (is_selected &&
        cnn_run_dir_save_model(state->dir, "model.safetensors", model,
                               metrics->epoch, err) < 0)
        return -1;
    if (state->observer && state->observer->epoch_done)
        state->observer->epoch_done(state->observer->user, metrics,
                                    state->epochs, is_selected);
    return 0;
}

static void on_progress(void *user, int epoch, int epochs, long done,
                        long total, double loss, double accuracy)
{
    struct run_state *state = user;
    if (state->observer && state->observer->progress)
        state->observer->progress(state->observer->user, epoch, epochs, done,
                                  total, loss, accuracy);
}

static int on_save_state(void *user, struct cnn_model *model,
                         const struct cnn_train_snapshot *snapshot,
                         struct cnn_error *err)
{
    struct run_state *state = user;
    return cnn_run_resume_save(state->resume, model, snapshot, err);
}

static int on_should_stop(void *user)
{
    struct run_state *state = user;
    return state->observer && state->observer->should_stop &&
           state->observer->should_stop(state->observer->user);
}

/* Where to point when nothing is left to train: train.freeze, or the
 * first frozen layer. */
static struct cnn_mark frozen_place(const struct cnn_model *model,
                                    const struct cnn_train_config *train)
{
    if (train->freeze_count > 0 && train->freeze_marks)
        return train->freeze_marks[0];
    for (int i = 0; i < model->layer_count; i++)
        if (cnn_model_is_frozen(model, i))
            return model->layers[i].mark;
    return model->layers[0].mark;
}

int cnn_run_build_model(struct cnn_model *model,
                        const struct cnn_registry *registry,
                        const struct cnn_run_config *config,
                        struct cnn_error *err)
{
    if (cnn_model_build(model, registry, config->model_node, config->device,
                        err) < 0)
        return -1;
    const struct cnn_train_config *train = &config->train;
    int status = cnn_model_freeze(model, train->freeze, train->freeze_marks,
                                  train->freeze_count, err);
    if (status == 0 && train->epochs > 0 &&
        cnn_model_frozen_layers(model) > 0 &&
        cnn_model_lowest_trainable(model) == model->layer_count)
        status = cnn_error_at(err, frozen_place(model, train),
                              "every layer with parameters is frozen "
                              "(trainable: false, train.freeze), so "
                              "training would change nothing: leave a layer "
                              "trainable, or set train.epochs: 0 to only "
                              "evaluate");
    if (status < 0)
        cnn_model_free(model);
    return status;
}

/* The data must fit the model: same image shape, as many classes as
 * outputs. */
static int check_data_fits(const struct cnn_model *model,
                           const struct cnn_data *data,
                           const struct cnn_node *resolved,
                           struct cnn_error *err)
{
    struct cnn_shape d = data->train.shape, m = model->input;
    const struct cnn_node *model_node = cnn_node_get(resolved, "model");
    struct cnn_mark where = cnn_node_key_mark(model_node, "input");
    if (d.c != m.c || d.h != m.h || d.w != m.w)
        return cnn_error_at(err, where,
                            "model.input is [%d, %d, %d] but the data's "
                            "images are [%d, %d, %d]: set model.input to "
                            "[%d, %d, %d]",
                            m.c, m.h, m.w, d.c, d.h, d.w, d.c, d.h, d.w);
    size_t outputs = cnn_shape_size(cnn_model_output_shape(model));
    if ((int)outputs != data->classes)
        return cnn_error_at(
            err, model->layers[model->layer_count - 1].mark,
            "the last layer (%s) gives %zu outputs but the data has %d "
            "classes: make it `linear: {out: %d}`",
            model->layers[model->layer_count - 1].name, outputs,
            data->classes, data->classes);
    return 0;
}

/* A run trains, validates every epoch (selecting by it) and tests the
 * selected weights: a split without images would read 0 % as if it had
 * been measured, and best-val would choose among zeros. So each must hold
 * images, checked before the run directory is touched. */
static int check_splits_measured(const struct cnn_data *data,
                                 const struct cnn_node *resolved,
                                 struct cnn_error *err)
{
    const char *empty = data->train.count == 0 ? "training"
                        : data->val.count == 0 ? "validation"
                        : data->test.count == 0 ? "test"
                                                : NULL;
    if (!empty)
        return 0;
    const struct cnn_node *data_node = cnn_node_get(resolved, "data");
    return cnn_error_at(err, data_node ? data_node->mark : resolved->mark,
                        "the data has no %s images (train %d, val %d, test "
                        "%d): a run validates every epoch and tests the "
                        "selected weights, and an empty split would be "
                        "reported as 0 %% measured; give the loader %s "
                        "images",
                        empty, data->train.count, data->val.count,
                        data->test.count, empty);
}

static json_t *plugin_list(const struct cnn_registry *registry)
{
    json_t *list = json_array();
    for (int i = 0; list && i < cnn_registry_module_count(registry); i++) {
        const char *path;
        const struct cnn_plugin *plugin = cnn_registry_module(registry, i,
                                                              &path);
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s}", "name",
                                        plugin->name, "version",
                                        plugin->version ? plugin->version : "",
                                        "path", path));
    }
    return list;
}

static json_t *git_revision(const char *manifest_path)
{
    char directory[1024];
    struct cnn_error ignored = {0};
    /* A cut folder would ask another repository: no revision instead. */
    if (cnn_path_format(directory, sizeof directory, &ignored, "%s",
                        manifest_path) < 0)
        return json_null();
    char *slash = strrchr(directory, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(directory, sizeof directory, ".");
    /* The directory is quoted for the shell; a path with a quote gets
     * no revision rather than a broken command. */
    if (strchr(directory, '\''))
        return json_null();
    char command[1200];
    snprintf(command, sizeof command,
             "git -C '%s' rev-parse HEAD 2>/dev/null", directory);
    FILE *pipe = popen(command, "r");
    char revision[64] = "";
    if (pipe) {
        if (!fgets(revision, sizeof revision, pipe))
            revision[0] = '\0';
        pclose(pipe);
    }
    revision[strcspn(revision, "\n")] = '\0';
    return revision[0] ? json_string(revision) : json_null();
}

static int record_start(struct cnn_run_dir *dir,
                        const struct cnn_registry *registry,
                        const struct cnn_manifest *manifest,
                        const struct cnn_variant *variant,
                        const struct cnn_run_config *config, long parameters,
                        const char *device_text, long skipped,
                        struct cnn_error *err)
{
    char started[32];
    cnn_utc_timestamp(started, sizeof started);
    if (cnn_run_dir_set(dir, "experiment", json_string(manifest->name), err) <
            0 ||
        cnn_run_dir_set(dir, "variant", json_string(variant->name), err) < 0 ||
        cnn_run_dir_set(dir, "manifest", json_string(manifest->path), err) <
            0 ||
        cnn_run_dir_set(dir, "profile",
                        manifest->profile ? json_string(manifest->profile)
                                          : json_null(),
                        err) < 0 ||
        cnn_run_dir_set(dir, "status", json_string("running"), err) < 0 ||
        cnn_run_dir_set(dir, "cnnlab_version", json_string(PACKAGE_VERSION),
                        err) < 0 ||
        cnn_run_dir_set(dir, "plugins", plugin_list(registry), err) < 0 ||
        cnn_run_dir_set(dir, "git_revision", git_revision(manifest->path),
                        err) < 0 ||
        cnn_run_dir_set(dir, "seed", json_integer((json_int_t)config->seed),
                        err) < 0 ||
        cnn_run_dir_set(dir, "device",
                        json_string(cnn_device_name(config->device)), err) <
            0 ||
        cnn_run_dir_set(dir, "device_name", json_string(device_text), err) <
            0 ||
        cnn_run_dir_set(dir, "threads", json_integer(config->threads), err) <
            0 ||
        cnn_run_dir_set(dir, "skipped_files", json_integer(skipped), err) <
            0 ||
        cnn_run_dir_set(dir, "parameters", json_integer(parameters), err) <
            0 ||
        cnn_run_dir_set(dir, "started", json_string(started), err) < 0)
        return -1;
    return 0;
}

/* run.json's "frozen" (the frozen layers' names) and
 * "trainable_parameters", when a layer is frozen; a run without frozen
 * layers writes neither, as before freezing existed. */
static int record_frozen(struct cnn_run_dir *dir,
                         const struct cnn_model *model, struct cnn_error *err)
{
    if (cnn_model_frozen_layers(model) == 0)
        return 0;
    json_t *names = json_array();
    for (int i = 0; names && i < model->layer_count; i++)
        if (cnn_model_is_frozen(model, i) &&
            json_array_append_new(names,
                                  json_string(model->layers[i].name)) < 0) {
            json_decref(names);
            names = NULL;
        }
    if (!names)
        return cnn_error_set(err, "out of memory");
    if (cnn_run_dir_set(dir, "frozen", names, err) < 0)
        return -1;
    return cnn_run_dir_set(dir, "trainable_parameters",
                           json_integer((json_int_t)model->trainable_count),
                           err);
}

static int record_end(struct cnn_run_dir *dir, const char *status,
                      const struct cnn_train_result *result,
                      const char *message, struct cnn_error *err)
{
    char finished[32];
    cnn_utc_timestamp(finished, sizeof finished);
    if (cnn_run_dir_set(dir, "finished", json_string(finished), err) < 0)
        return -1;
    /* A run that stopped early never evaluated its selected weights: it
     * records which epochs ran and were kept, not accuracies of 0. */
    int evaluated = strcmp(status, "complete") == 0;
    /* A complete run with no epochs is one without training
     * (train.epochs: 0): its numbers are the starting weights'. */
    int has_numbers = result && (result->epochs_run > 0 || evaluated);
    json_t *numbers =
        !has_numbers ? NULL
        : evaluated
            ? json_pack("{s:i, s:i, s:f, s:f, s:f, s:f}", "epochs_run",
                        result->epochs_run, "selected_epoch",
                        result->selected_epoch, "train_accuracy",
                        result->train_accuracy, "val_accuracy",
                        result->val_accuracy, "test_accuracy",
                        result->test_accuracy, "test_loss", result->test_loss)
            : json_pack("{s:i, s:i}", "epochs_run", result->epochs_run,
                        "selected_epoch", result->selected_epoch);
    if (has_numbers && cnn_run_dir_set(dir, "result", numbers, err) < 0)
        return -1;
    if (message &&
        cnn_run_dir_set(dir, "error", json_string(message), err) < 0)
        return -1;
    return cnn_run_dir_set(dir, "status", json_string(status), err);
}

/* How the data comes: plain splits (eval, analyses); for training, in
 * the background (images reached through cnn_data_wait_images); or for
 * training, every image decoded before load_data returns. Both ways of
 * training see the same splits (images a loader left out stay in them),
 * so they give the same results. */
enum data_use { DATA_PLAIN, DATA_BACKGROUND, DATA_DECODED_FIRST };

/* The runner loads the data before the run directory is touched, so
 * bad data never costs an earlier result (but for a file found damaged
 * while decoding in the background, see loader.h). */
static int load_data(const struct cnn_manifest *manifest,
                     const struct cnn_variant *variant,
                     const struct cnn_run_config *config,
                     const struct cnn_model *model, enum data_use use,
                     struct cnn_data *data, struct cnn_error *err)
{
    /* The data's seed, not the run's: with seeds: every seed of a
     * variant sees the same split. */
    struct cnn_load_request request = {config->split_seed, config->limit,
                                       manifest->path, use != DATA_PLAIN};
    memset(data, 0, sizeof *data);
    if (config->loader->load(&config->loader_params, &request, data, err) < 0)
        return -1;
    if (check_data_fits(model, data, variant->resolved, err) < 0 ||
        (use != DATA_PLAIN &&
         check_splits_measured(data, variant->resolved, err) < 0) ||
        (use == DATA_DECODED_FIRST && cnn_data_wait_decoded(data, err) < 0)) {
        cnn_data_free(data);
        return -1;
    }
    return 0;
}

int cnn_run_load_data(const struct cnn_manifest *manifest,
                      const struct cnn_variant *variant,
                      const struct cnn_run_config *config,
                      const struct cnn_model *model, struct cnn_data *data,
                      struct cnn_error *err)
{
    return load_data(manifest, variant, config, model, DATA_PLAIN, data,
                     err);
}

/* run.json's "decoding": how background decoding kept up with training
 * (seconds since it began). Nothing when the loader decoded up front. */
static int record_decoding(struct cnn_run_dir *dir,
                           const struct cnn_data *data,
                           struct cnn_error *err)
{
    struct cnn_data_timing timing;
    cnn_data_get_timing(data, &timing);
    if (timing.threads == 0)
        return 0;
    return cnn_run_dir_set(
        dir, "decoding",
        json_pack("{s:i, s:f, s:f, s:f}", "threads", timing.threads,
                  "first_batch_ready", timing.first_ready, "all_decoded",
                  timing.all_decoded, "training_waited", timing.waited),
        err);
}

/* After training: every image is decoded and those left out are known;
 * the analyses then see plain splits. */
static int finish_data(struct cnn_run_dir *dir, struct cnn_data *data,
                       const char *label,
                       const struct cnn_run_observer *observer,
                       struct cnn_error *err)
{
    if (cnn_data_wait_all(data, err) < 0 ||
        cnn_run_dir_set(dir, "skipped_files", json_integer(data->skipped),
                        err) < 0)
        return -1;
    if (data->skipped > 0 && observer && observer->note) {
        char text[600];
        snprintf(text, sizeof text,
                 "%s: the loader left out %ld file%s it could not read "
                 "(on_error: skip); run.json records the count",
                 label, data->skipped, data->skipped == 1 ? "" : "s");
        observer->note(observer->user, text);
    }
    return 0;
}

/* FNV-1a over 64-bit words (then the tail's bytes): the data is large
 * (mini-ImageNet: a gigabyte), so a byte at a time would be slow. */
static uint64_t hash_bytes(uint64_t hash, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t word;
        memcpy(&word, bytes + 8 * i, 8);
        hash = (hash ^ word) * 1099511628211ULL;
    }
    for (size_t i = 8 * words; i < size; i++)
        hash = (hash ^ bytes[i]) * 1099511628211ULL;
    return hash;
}

/* run.json's "split": the data's seed (data.split_seed), each split's
 * image count and a fingerprint of every image and label in split order,
 * so that two runs show whether they saw the same data (the seeds of a
 * repeated experiment do). */
static int record_split(struct cnn_run_dir *dir,
                        const struct cnn_run_config *config,
                        const struct cnn_data *data, struct cnn_error *err)
{
    const struct cnn_dataset *sets[] = {&data->train, &data->val,
                                        &data->test};
    uint64_t hash = 14695981039346656037ULL;
    for (int i = 0; i < 3; i++) {
        const struct cnn_dataset *set = sets[i];
        int32_t head[4] = {set->count, set->shape.c, set->shape.h,
                           set->shape.w};
        hash = hash_bytes(hash, head, sizeof head);
        if (set->count > 0) {
            hash = hash_bytes(hash, set->pixels,
                              (size_t)set->count *
                                  cnn_shape_size(set->shape));
            hash = hash_bytes(hash, set->labels,
                              (size_t)set->count * sizeof *set->labels);
        }
    }
    char fingerprint[17];
    snprintf(fingerprint, sizeof fingerprint, "%016llx",
             (unsigned long long)hash);
    return cnn_run_dir_set(
        dir, "split",
        json_pack("{s:I, s:i, s:i, s:i, s:s}", "seed",
                  (json_int_t)config->split_seed, "train", data->train.count,
                  "val", data->val.count, "test", data->test.count,
                  "fingerprint", fingerprint),
        err);
}

/* GPU utilisation is sampled while a CUDA run trains; NULL otherwise, or
 * when NVML is missing (then `why` says so). */
static struct cnn_gpu_monitor *start_gpu_monitor(
    const struct cnn_run_config *config, char *why, size_t why_size)
{
    why[0] = '\0';
    if (config->device != CNN_DEVICE_CUDA)
        return NULL;
    return cnn_gpu_monitor_start(CNN_NVML_LIBRARY,
                                 config->device_options.ordinal, 0.1, why,
                                 why_size);
}

/* run.json's "gpu_utilization": {mean, max, samples} in %, or why it is
 * unknown. CPU runs have none. */
static int record_gpu(struct cnn_run_dir *dir,
                      const struct cnn_run_config *config,
                      struct cnn_gpu_monitor *monitor, const char *why,
                      struct cnn_analysis_inputs *inputs,
                      struct cnn_error *err)
{
    struct cnn_gpu_usage usage;
    cnn_gpu_monitor_stop(monitor, &usage);
    if (config->device != CNN_DEVICE_CUDA)
        return 0;
    if (usage.samples == 0) {
        char text[600];
        snprintf(text, sizeof text, "unknown: %s",
                 why[0] ? why : "no sample was taken (training was shorter "
                                "than 0.1 s)");
        json_t *value = json_string(text);
        return cnn_run_dir_set(dir, "gpu_utilization",
                               value ? value : json_string("unknown"), err);
    }
    inputs->gpu_known = 1;
    inputs->gpu_mean = usage.mean;
    inputs->gpu_max = usage.max;
    return cnn_run_dir_set(dir, "gpu_utilization",
                           json_pack("{s:f, s:f, s:I}", "mean", usage.mean,
                                     "max", usage.max, "samples",
                                     (json_int_t)usage.samples),
                           err);
}

/* One variant's training in its opened, locked run directory: what
 * cnn_run_variant has set up for it. The summary receives the result. */
struct variant_training {
    const struct cnn_registry *registry;
    const struct cnn_manifest *manifest;
    const struct cnn_variant *variant;
    const struct cnn_run_options *options;
    struct cnn_run_config *config;
    struct cnn_model *model;
    struct cnn_data *data;
    struct cnn_run_dir *dir;
    struct cnn_run_resume *resume;
    struct cnn_run_summary *summary;
    const struct cnn_new_head *head; /* from the starting weights */
};

/* The manifest and run.json's start are written, and the observer told,
 * before training, so that a run that dies leaves what it was. */
static int record_training_start(const struct variant_training *t,
                                 const char *device_text,
                                 struct cnn_error *err)
{
    const struct cnn_run_observer *observer = t->options->observer;
    if (cnn_run_dir_write_manifest(t->dir, t->variant->resolved, err) < 0 ||
        record_start(t->dir, t->registry, t->manifest, t->variant, t->config,
                     t->summary->parameters, device_text, t->data->skipped,
                     err) < 0 ||
        record_frozen(t->dir, t->model, err) < 0)
        return -1;
    if (observer && observer->started)
        observer->started(observer->user, t->manifest->name,
                          t->variant->path, t->summary->directory,
                          t->summary->parameters, t->config->threads);
    if (cnn_run_resume_record(t->resume, t->dir, t->data->train.count,
                              err) < 0 ||
        cnn_run_record_source(t->dir, t->variant, t->options->out_directory,
                              err) < 0 ||
        cnn_run_record_start_weights(t->dir, t->variant,
                                     t->options->out_directory,
                                     t->config->model_node, err) < 0 ||
        cnn_run_record_new_head(t->dir, t->model, t->head, err) < 0)
        return -1;
    return 0;
}

/* Trains, or with train.epochs: 0 only evaluates the starting weights.
 * Training waits for images as it goes; the rest first wait for them
 * all. */
static int train_or_evaluate(const struct variant_training *t,
                             const struct cnn_train_hooks *hooks,
                             struct cnn_error *err)
{
    struct cnn_run_config *config = t->config;
    if (config->train.epochs == 0)
        return cnn_data_wait_all(t->data, err) < 0
                   ? -1
                   : cnn_run_untrained(t->model, t->data, &config->train,
                                       t->dir, &t->summary->result, err);
    return cnn_train_resume(t->model, t->data, &config->train, hooks,
                            cnn_run_resume_snapshot(t->resume),
                            &t->summary->result, err);
}

/* run.json's end: "complete" and then the analyses, or "failed" /
 * "interrupted" with the error (status is training's: 0 or -1). */
static int record_training_end(const struct variant_training *t,
                               struct run_state *state,
                               const struct cnn_analysis_inputs *inputs,
                               int status, struct cnn_error *err)
{
    if (status == 0) {
        /* Complete before the analyses run: one failing (or crashing)
         * never costs the training's results. */
        if (record_end(t->dir, "complete", &t->summary->result, NULL,
                       err) < 0)
            return -1;
        t->summary->analyses_failed = cnn_run_analyses(t->dir, inputs);
        return 0;
    }
    char message[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
    cnn_error_format(err, message, sizeof message);
    /* A failure to record the failure must not hide the original error. */
    struct cnn_error record_error = {0};
    int interrupted = on_should_stop(state);
    record_end(t->dir, interrupted ? "interrupted" : "failed",
               &t->summary->result, message, &record_error);
    return -1;
}

static int train_in_directory(const struct variant_training *t,
                              struct cnn_error *err)
{
    struct cnn_run_config *config = t->config;
    const struct cnn_run_observer *observer = t->options->observer;
    char device_text[256];
    cnn_describe_device(t->model, config->threads, device_text,
                        sizeof device_text);
    if (record_training_start(t, device_text, err) < 0)
        return -1;

    struct run_state state = {t->dir, observer, config->train.epochs,
                              t->data->train.count, t->resume};
    char label[512];
    snprintf(label, sizeof label, "%s/%s", t->manifest->name,
             t->variant->path);
    struct cnn_analysis_inputs inputs = {
        .label = label,
        .variant = t->variant->path,
        .config = config,
        .model = t->model,
        .data = t->data,
        .device_text = device_text,
        .observer = observer,
    };

    struct cnn_train_hooks hooks = {&state, on_epoch, on_progress,
                                    on_should_stop, on_save_state};
    char gpu_why[512];
    struct cnn_gpu_monitor *monitor = start_gpu_monitor(config, gpu_why,
                                                        sizeof gpu_why);
    int status = train_or_evaluate(t, &hooks, err);
    if (status == 0)
        status = finish_data(t->dir, t->data, label, observer, err);
    if (status == 0)
        status = record_split(t->dir, config, t->data, err);
    /* A seed's run keeps its test predictions for the table's McNemar
     * comparison; a single run writes the files it always did. */
    if (status == 0 && t->variant->repeated)
        status = cnn_run_write_predictions(t->dir, config, t->model,
                                           t->data, err);
    struct cnn_error decoding_error = {0};
    record_decoding(t->dir, t->data, &decoding_error);
    /* The run's outcome is recorded even when it failed; a failure to
     * record it must not hide the original error. */
    struct cnn_error record_error = {0};
    if (record_gpu(t->dir, config, monitor, gpu_why, &inputs,
                   status == 0 ? err : &record_error) < 0 &&
        status == 0)
        status = -1;
    return record_training_end(t, &state, &inputs, status, err);
}

static void note_reanalysis(const struct cnn_run_observer *observer,
                            const struct cnn_manifest *manifest,
                            const struct cnn_variant *variant)
{
    if (!observer || !observer->note)
        return;
    char text[512];
    snprintf(text, sizeof text,
             "%s/%s: trained already, only `analyses:` changed: running "
             "them on the saved weights (--force trains again)",
             manifest->name, variant->path);
    observer->note(observer->user, text);
}

/* Background decoding lets training start before every image is decoded,
 * so a damaged file may be found only after the run directory was written
 * to. Where the directory holds an earlier run, every image is decoded
 * first instead: bad data must not cost an earlier result. */
static int holds_earlier_run(const char *directory)
{
    char path[sizeof ((struct cnn_run_summary *)0)->directory + 16];
    snprintf(path, sizeof path, "%s/run.json", directory);
    return access(path, F_OK) == 0;
}

/* Says why a run that looked complete trains again: the file its
 * weights started from has other bytes now (run.json's start_weights). */
static void note_stale_start(const struct cnn_run_observer *observer,
                             const struct cnn_manifest *manifest,
                             const struct cnn_variant *variant,
                             const char *directory)
{
    char detail[1024];
    if (!observer || !observer->note ||
        !cnn_run_dir_start_weights_changed(directory, detail, sizeof detail))
        return;
    char text[1536];
    snprintf(text, sizeof text,
             "%s/%s: its starting weights changed since it trained (%s): "
             "training it again",
             manifest->name, variant->path, detail);
    observer->note(observer->user, text);
}

/* Loads the starting weights and the data, and trains into the run's
 * directory (locked), resuming from its saved state where asked. */
static int train_variant(const struct cnn_registry *registry,
                         const struct cnn_manifest *manifest,
                         const struct cnn_variant *variant,
                         const struct cnn_run_options *options,
                         struct cnn_run_config *config,
                         struct cnn_model *model,
                         struct cnn_run_summary *summary,
                         struct cnn_error *err)
{
    /* Only a run that trains fine-tunes a new head: evaluating one fresh
     * from the seed would measure nothing. */
    struct cnn_new_head head = {.allowed = config->train.epochs > 0,
                                .layer = -1};
    char label[512];
    snprintf(label, sizeof label, "%s/%s", manifest->name, variant->path);
    /* model.weights or model.from replaces the seeded initialisation; a
     * file that does not fit fails before the data loads (but for a new
     * head: another class count). */
    if (cnn_run_load_start_weights(registry, manifest, variant, options,
                                   config->model_node, model, &head,
                                   err) < 0)
        return -1;
    cnn_run_note_new_head(options, label, model, &head);
    struct cnn_data data;
    if (load_data(manifest, variant, config, model,
                  holds_earlier_run(summary->directory) ? DATA_DECODED_FIRST
                                                        : DATA_BACKGROUND,
                  &data, err) < 0)
        return -1;
    struct cnn_run_dir dir;
    int status = cnn_run_dir_open(&dir, summary->directory, err);
    if (status == 0) {
        /* With the directory locked: no other run writes the state while
         * it is read. */
        struct cnn_run_resume resume;
        status = cnn_run_resume_prepare(&resume, summary->directory, label,
                                        variant->resolved, config, model,
                                        data.train.count, options->resume,
                                        options->observer, err);
        if (status == 0) {
            struct variant_training training = {
                .registry = registry, .manifest = manifest,
                .variant = variant, .options = options, .config = config,
                .model = model, .data = &data, .dir = &dir,
                .resume = &resume, .summary = summary, .head = &head};
            status = train_in_directory(&training, err);
            cnn_run_resume_finish(&resume, status == 0);
        }
        cnn_run_dir_close(&dir);
    }
    cnn_data_free(&data);
    return status;
}

int cnn_run_variant(const struct cnn_registry *registry,
                    const struct cnn_manifest *manifest,
                    const struct cnn_variant *variant,
                    const struct cnn_run_options *options,
                    struct cnn_run_summary *summary, struct cnn_error *err)
{
    memset(summary, 0, sizeof *summary);
    if (cnn_path_format(summary->directory, sizeof summary->directory, err,
                        "%s/%s/%s", options->out_directory, manifest->name,
                        variant->path) < 0) {
        /* A cut name would be another variant's directory. */
        summary->directory[0] = '\0';
        return cnn_error_prefix(err, "%s/%s: the run directory: ",
                                manifest->name, variant->path);
    }
    struct cnn_run_config config;
    if (cnn_run_config_parse(&config, registry, variant->resolved, err) < 0)
        return -1;
    struct cnn_model model;
    int status = cnn_run_build_model(&model, registry, &config, err);
    if (status < 0) {
        cnn_run_config_free(&config);
        return -1;
    }
    model.context.threads = config.threads;
    if (config.device_type)
        status = cnn_model_use_device(&model, config.device_type,
                                      &config.device_options, err);
    if (status == 0)
        status = cnn_model_allocate(&model, config.seed, err);
    /* The parameters proper: buffers (running statistics) are no
     * parameters, as in PyTorch's count. */
    summary->parameters = (long)model.buffer_offset;
    if (status == 0 && !options->force &&
        cnn_run_dir_is_complete(summary->directory, variant->resolved)) {
        summary->skipped = 1;
    } else if (status == 0 && !options->force &&
               cnn_run_dir_is_trained(summary->directory,
                                      variant->resolved)) {
        /* Only `analyses:` changed: the saved weights are analysed, not
         * trained again (hours, for the report's models). */
        summary->reanalysed = 1;
        note_reanalysis(options->observer, manifest, variant);
        status = cnn_run_reanalyse(manifest, variant, &config, &model,
                                   summary->directory, options->observer,
                                   &summary->result,
                                   &summary->analyses_failed, err);
    } else if (status == 0) {
        if (!options->force)
            note_stale_start(options->observer, manifest, variant,
                             summary->directory);
        status = train_variant(registry, manifest, variant, options, &config,
                               &model, summary, err);
    }
    cnn_model_free(&model);
    cnn_run_config_free(&config);
    return status;
}
