/* cnnlab — `cnnlab run --json`: what happens, as one JSON object a line
 * on stdout, flushed at once, so a program can follow a run as it goes.
 * The schema is in docs/cli.md; every event has "event" and "elapsed"
 * (seconds since the command started). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json_input.h"
#include "cli/cli_output.h"

static int events_on;
static double started_at;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void cnn_cli_events_enable(void)
{
    events_on = 1;
    started_at = now_seconds();
}

int cnn_cli_events_enabled(void)
{
    return events_on;
}

/* JSON has no NaN or infinity (a diverged loss): those become null. */
static json_t *number(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *event_new(const char *name)
{
    json_t *event = json_object();
    if (!event)
        return NULL;
    json_object_set_new(event, "event", json_string(name));
    json_object_set_new(event, "elapsed",
                        json_real(now_seconds() - started_at));
    return event;
}

/* Writes and frees the event. */
static void emit(json_t *event)
{
    if (!event)
        return;
    char *text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                          JSON_REAL_PRECISION(10));
    json_decref(event);
    if (!text)
        return;
    fprintf(stdout, "%s\n", text);
    fflush(stdout);
    free(text);
}

static struct {
    int repeated;
    unsigned long long seed;
} run_seed;

void cnn_cli_event_run_seed(int repeated, unsigned long long seed)
{
    run_seed.repeated = repeated;
    run_seed.seed = seed;
}

static json_t *variant_event(const char *name, const char *experiment,
                             const char *variant)
{
    json_t *event = event_new(name);
    if (event) {
        json_object_set_new(event, "experiment", json_string(experiment));
        json_object_set_new(event, "variant", json_string(variant));
        if (run_seed.repeated)
            json_object_set_new(event, "seed",
                                json_integer((json_int_t)run_seed.seed));
    }
    return event;
}

void cnn_cli_event_error(const char *message)
{
    json_t *event = event_new("error");
    if (event)
        json_object_set_new(event, "message", json_string(message));
    emit(event);
}

void cnn_cli_event_note(const char *message)
{
    json_t *event = event_new("note");
    if (event)
        json_object_set_new(event, "message", json_string(message));
    emit(event);
}

void cnn_cli_event_run_start(const char *experiment, const char *variant,
                             const char *directory, long parameters,
                             int threads)
{
    json_t *event = variant_event("run_start", experiment, variant);
    if (event) {
        json_object_set_new(event, "directory", json_string(directory));
        json_object_set_new(event, "parameters", json_integer(parameters));
        json_object_set_new(event, "threads", json_integer(threads));
    }
    emit(event);
}

void cnn_cli_event_epoch_end(const char *experiment, const char *variant,
                             const struct cnn_epoch_metrics *m, int epochs,
                             int is_selected)
{
    json_t *event = variant_event("epoch_end", experiment, variant);
    if (event) {
        json_object_set_new(event, "epoch", json_integer(m->epoch));
        json_object_set_new(event, "epochs", json_integer(epochs));
        json_object_set_new(event, "train_loss", number(m->train_loss));
        json_object_set_new(event, "train_accuracy",
                            number(m->train_accuracy));
        json_object_set_new(event, "val_loss", number(m->val_loss));
        json_object_set_new(event, "val_accuracy", number(m->val_accuracy));
        json_object_set_new(event, "seconds", number(m->seconds));
        json_object_set_new(event, "lr", number(m->lr));
        json_object_set_new(event, "selected", json_boolean(is_selected));
    }
    emit(event);
}

/* run.json of the run directory; NULL when there is none. */
static json_t *read_run_info(const char *directory)
{
    size_t size = strlen(directory) + sizeof "/run.json";
    char *path = malloc(size);
    if (!path)
        return NULL;
    snprintf(path, size, "%s/run.json", directory);
    json_t *info = cnn_json_load_regular(path, 0, NULL);
    free(path);
    return info;
}

/* run.json records each analysis as "ok" or "failed: why". */
static void emit_analyses(const char *experiment, const char *variant,
                          json_t *outcomes)
{
    const char *name;
    json_t *value;
    json_object_foreach(outcomes, name, value) {
        const char *text = json_string_value(value);
        int ok = text && strcmp(text, "ok") == 0;
        json_t *event = variant_event("analysis", experiment, variant);
        if (!event)
            continue;
        json_object_set_new(event, "name", json_string(name));
        json_object_set_new(event, "outcome",
                            json_string(ok ? "ok" : "failed"));
        if (!ok && text) {
            const char *why = strncmp(text, "failed: ", 8) == 0 ? text + 8
                                                                : text;
            json_object_set_new(event, "message", json_string(why));
        }
        emit(event);
    }
}

void cnn_cli_event_run_end(const char *experiment, const char *variant,
                           const char *status,
                           const struct cnn_run_summary *summary)
{
    int failed = strcmp(status, "failed") == 0 ||
                 strcmp(status, "interrupted") == 0;
    /* A failed run's run.json may still hold an earlier run's numbers. */
    json_t *info = failed ? NULL : read_run_info(summary->directory);
    if (strcmp(status, "skipped") != 0)
        emit_analyses(experiment, variant,
                      json_object_get(info, "analyses"));
    json_t *event = variant_event("run_end", experiment, variant);
    if (event) {
        json_object_set_new(event, "status", json_string(status));
        json_object_set_new(event, "directory",
                            json_string(summary->directory));
        json_object_set_new(event, "parameters",
                            json_integer(summary->parameters));
        json_t *result = json_object_get(info, "result");
        json_object_set(event, "result", result ? result : json_null());
        json_object_set_new(event, "analyses_failed",
                            json_integer(summary->analyses_failed));
    }
    emit(event);
    json_decref(info);
}

void cnn_cli_event_table(const char *directory, int complete, int variants)
{
    json_t *event = event_new("table");
    if (event) {
        json_object_set_new(event, "directory", json_string(directory));
        json_object_set_new(event, "complete", json_integer(complete));
        json_object_set_new(event, "variants", json_integer(variants));
    }
    emit(event);
}

void cnn_cli_event_exit(int exit_status)
{
    json_t *event = event_new("exit");
    if (event)
        json_object_set_new(event, "status", json_integer(exit_status));
    emit(event);
}
