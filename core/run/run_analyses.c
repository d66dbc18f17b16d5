/* cnnlab — the analyses step of a run: after training (the runner) or on
 * existing results (`cnnlab analyse`), each analysis of the manifest runs
 * on the selected weights and its outcome goes into run.json. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "run/run_config.h"
#include "model/checkpoint.h"
#include "run/run_dir.h"
#include "run/runner.h"

static void note(const struct cnn_run_observer *observer, const char *fmt,
                 ...) __attribute__((format(printf, 2, 3)));

static void note(const struct cnn_run_observer *observer, const char *fmt,
                 ...)
{
    if (!observer || !observer->note)
        return;
    char text[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    observer->note(observer->user, text);
}

static void report_outcome(void *user, const char *name, const char *message)
{
    const struct cnn_analysis_inputs *inputs = user;
    if (message)
        note(inputs->observer, "%s: analysis %s failed: %s", inputs->label,
             name, message);
}

/* Without a history or a handle nothing can run: every analysis is
 * recorded as failed with the reason. */
static int fail_all(const struct cnn_analysis_list *list, json_t *outcomes,
                    const struct cnn_error *why,
                    const struct cnn_analysis_inputs *inputs)
{
    char message[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
    cnn_error_format(why, message, sizeof message);
    for (int i = 0; i < list->count; i++) {
        char outcome[sizeof message + 16];
        snprintf(outcome, sizeof outcome, "failed: %s", message);
        json_t *value = json_string(outcome);
        json_object_set_new(outcomes, list->items[i].type->name,
                            value ? value : json_string("failed"));
        report_outcome((void *)inputs, list->items[i].type->name, message);
    }
    return list->count;
}

int cnn_run_analyses(struct cnn_run_dir *dir,
                     const struct cnn_analysis_inputs *inputs)
{
    const struct cnn_analysis_list *list = &inputs->config->analyses;
    if (list->count == 0)
        return 0;
    json_t *outcomes = json_object();
    if (!outcomes) {
        note(inputs->observer, "%s: out of memory before the analyses",
             inputs->label);
        return list->count;
    }
    struct cnn_error err = {0};
    struct cnn_epoch_record *history = NULL;
    int history_count = 0;
    struct cnn_analysis *analysis = NULL;
    int failed;
    if (cnn_analysis_history_read(dir->path, &history, &history_count,
                                  &err) < 0) {
        failed = fail_all(list, outcomes, &err, inputs);
    } else {
        struct cnn_analysis_setup setup = {
            .directory = dir->path,
            .variant = inputs->variant,
            .model = inputs->model,
            .data = inputs->data,
            .train = &inputs->config->train,
            .threads = inputs->config->threads,
            .device_text = inputs->device_text,
            .history = history,
            .history_count = history_count,
            .gpu_known = inputs->gpu_known,
            .gpu_mean = inputs->gpu_mean,
            .gpu_max = inputs->gpu_max,
        };
        if (cnn_analysis_new(&analysis, &setup, &err) < 0)
            failed = fail_all(list, outcomes, &err, inputs);
        else
            failed = cnn_analysis_run_list(analysis, list, outcomes,
                                           report_outcome, (void *)inputs);
    }
    cnn_analysis_free(analysis);
    free(history);
    struct cnn_error record_error = {0};
    if (cnn_run_dir_set(dir, "analyses", outcomes, &record_error) < 0) {
        char message[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
        note(inputs->observer, "%s: cannot record the analyses: %s",
             inputs->label,
             cnn_error_format(&record_error, message, sizeof message));
        if (failed == 0)
            failed = 1;
    }
    return failed;
}

/* What the run recorded while training: its GPU utilisation (for timing)
 * and its result (for the command's summary). */
static void recorded(const struct cnn_run_dir *dir,
                     struct cnn_analysis_inputs *inputs,
                     struct cnn_train_result *result)
{
    json_t *gpu = json_object_get(dir->info, "gpu_utilization");
    json_t *mean = json_object_get(gpu, "mean");
    json_t *max = json_object_get(gpu, "max");
    if (json_is_number(mean) && json_is_number(max)) {
        inputs->gpu_known = 1;
        inputs->gpu_mean = json_number_value(mean);
        inputs->gpu_max = json_number_value(max);
    }
    if (!result)
        return;
    json_t *r = json_object_get(dir->info, "result");
    memset(result, 0, sizeof *result);
    result->epochs_run =
        (int)json_integer_value(json_object_get(r, "epochs_run"));
    result->selected_epoch =
        (int)json_integer_value(json_object_get(r, "selected_epoch"));
    result->train_accuracy =
        json_number_value(json_object_get(r, "train_accuracy"));
    result->val_accuracy =
        json_number_value(json_object_get(r, "val_accuracy"));
    result->test_accuracy =
        json_number_value(json_object_get(r, "test_accuracy"));
    result->test_loss = json_number_value(json_object_get(r, "test_loss"));
}

static int reanalyse_in(struct cnn_run_dir *dir,
                        const struct cnn_manifest *manifest,
                        const struct cnn_variant *variant,
                        const struct cnn_run_config *config,
                        struct cnn_model *model,
                        const struct cnn_run_observer *observer,
                        struct cnn_train_result *result, int *failed,
                        struct cnn_error *err)
{
    const char *status = json_string_value(json_object_get(dir->info,
                                                           "status"));
    if (!status || strcmp(status, "complete") != 0)
        return cnn_error_set(err,
                             "'%s' holds no complete run (status: %s): "
                             "finish it with `cnnlab run` first",
                             dir->path, status ? status : "none");
    char label[512], device_text[256];
    snprintf(label, sizeof label, "%s/%s", manifest->name, variant->path);
    struct cnn_analysis_inputs inputs = {
        .label = label,
        .variant = variant->path,
        .config = config,
        .model = model,
        .observer = observer,
    };
    recorded(dir, &inputs, result);
    if (config->analyses.count == 0) /* the list was emptied */
        return cnn_run_dir_set(dir, "analyses", json_object(), err) < 0 ||
                       cnn_run_dir_write_manifest(dir, variant->resolved,
                                                  err) < 0
                   ? -1
                   : 0;
    size_t size = strlen(dir->path) + sizeof "/model.safetensors";
    char *weights = malloc(size);
    if (!weights)
        return cnn_error_set(err, "out of memory");
    snprintf(weights, size, "%s/model.safetensors", dir->path);
    int loaded = cnn_model_load(model, weights, err);
    free(weights);
    struct cnn_data data;
    if (loaded < 0 ||
        cnn_run_load_data(manifest, variant, config, model, &data, err) < 0)
        return -1;
    cnn_describe_device(model, config->threads, device_text,
                        sizeof device_text);
    inputs.data = &data;
    inputs.device_text = device_text;
    *failed = cnn_run_analyses(dir, &inputs);
    cnn_data_free(&data);
    return cnn_run_dir_write_manifest(dir, variant->resolved, err);
}

int cnn_run_reanalyse(const struct cnn_manifest *manifest,
                      const struct cnn_variant *variant,
                      const struct cnn_run_config *config,
                      struct cnn_model *model, const char *directory,
                      const struct cnn_run_observer *observer,
                      struct cnn_train_result *result, int *failed,
                      struct cnn_error *err)
{
    *failed = 0;
    struct cnn_run_dir dir;
    if (cnn_run_dir_reopen(&dir, directory, err) < 0)
        return -1;
    int status = reanalyse_in(&dir, manifest, variant, config, model,
                              observer, result, failed, err);
    cnn_run_dir_close(&dir);
    return status;
}
