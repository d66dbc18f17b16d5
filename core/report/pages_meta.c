/* cnnlab — what a run's run.json says, as tables on its experiment's
 * page: the run's metadata and each analysis's outcome. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report/pages_internal.h"

static void meta_row(FILE *out, const char *label, const char *value)
{
    fputs("<tr><th>", out);
    cnn_pages_text(out, label);
    fputs("</th><td>", out);
    cnn_pages_text(out, value);
    fputs("</td></tr>\n", out);
}

/* A JSON value as one line of text. */
static void meta_json(FILE *out, const char *label, const json_t *value)
{
    if (!value)
        return;
    if (json_is_string(value)) {
        meta_row(out, label, json_string_value(value));
    } else if (json_is_null(value)) {
        meta_row(out, label, "unknown");
    } else if (json_is_real(value)) {
        /* Enough digits to read; run.json keeps them all. */
        char text[64];
        snprintf(text, sizeof text, "%.6g", json_real_value(value));
        meta_row(out, label, text);
    } else {
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY |
                                           JSON_REAL_PRECISION(10));
        meta_row(out, label, text ? text : "?");
        free(text);
    }
}

static const struct {
    const char *key, *label;
} run_fields[] = {
    {"status", "status"},
    {"error", "error"},
    {"device", "device"},
    {"device_name", "device name"},
    {"threads", "threads"},
    {"gpu_utilization", "GPU utilisation"},
    {"seed", "seed"},
    {"parameters", "parameters"},
    {"manifest", "manifest"},
    {"profile", "profile"},
    {"model_from", "model from"},
    {"cnnlab_version", "cnnlab version"},
    {"git_revision", "git revision"},
    {"started", "started"},
    {"finished", "finished"},
    {"resumed", "resumed"},
    {"skipped_files", "skipped files"},
};
#define RUN_FIELD_COUNT (int)(sizeof run_fields / sizeof run_fields[0])

static const struct {
    const char *key, *label;
} result_fields[] = {
    {"train_accuracy", "train accuracy (%)"},
    {"val_accuracy", "validation accuracy (%)"},
    {"test_accuracy", "test accuracy (%)"},
    {"test_loss", "test loss"},
    {"epochs_run", "epochs run"},
    {"selected_epoch", "selected epoch"},
};
#define RESULT_FIELD_COUNT (int)(sizeof result_fields / sizeof result_fields[0])

static int is_listed(const char *key)
{
    for (int i = 0; i < RUN_FIELD_COUNT; i++)
        if (strcmp(key, run_fields[i].key) == 0)
            return 1;
    return strcmp(key, "result") == 0 || strcmp(key, "analyses") == 0 ||
           strcmp(key, "plugins") == 0 || strcmp(key, "experiment") == 0 ||
           strcmp(key, "variant") == 0;
}

static void plugins_row(FILE *out, const json_t *plugins)
{
    if (!json_is_array(plugins))
        return;
    fputs("<tr><th>plugins</th><td>", out);
    size_t index;
    const json_t *plugin;
    json_array_foreach(plugins, index, plugin) {
        const char *name = json_string_value(json_object_get(plugin, "name"));
        const char *version =
            json_string_value(json_object_get(plugin, "version"));
        fputs(index ? ", " : "", out);
        cnn_pages_text(out, name ? name : "?");
        fputc(' ', out);
        cnn_pages_text(out, version ? version : "?");
    }
    fputs("</td></tr>\n", out);
}

void cnn_pages_metadata(FILE *out, const json_t *info)
{
    fputs("<table class=\"meta\">\n", out);
    for (int i = 0; i < RUN_FIELD_COUNT; i++) {
        const json_t *value = json_object_get(info, run_fields[i].key);
        /* A run without --profile records "profile": null. */
        if (json_is_null(value) && strcmp(run_fields[i].key, "profile") == 0)
            meta_row(out, run_fields[i].label, "none");
        else
            meta_json(out, run_fields[i].label, value);
    }
    const json_t *result = json_object_get(info, "result");
    for (int i = 0; i < RESULT_FIELD_COUNT; i++)
        meta_json(out, result_fields[i].label,
                  json_object_get(result, result_fields[i].key));
    plugins_row(out, json_object_get(info, "plugins"));
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)info, key, value) {
        if (!is_listed(key))
            meta_json(out, key, value);
    }
    fputs("</table>\n", out);
}

static void outcome_cell(FILE *out, const json_t *outcome)
{
    const char *text = json_string_value(outcome);
    int good = text && strcmp(text, "ok") == 0;
    fputs(good ? "<td>" : "<td class=\"status-bad\">", out);
    cnn_pages_text(out, text ? text : "not recorded");
    fputs("</td>", out);
}

/* One group's files: tables and texts, then pictures, then links. */

void cnn_pages_outcomes(FILE *out, const json_t *analyses)
{
    if (json_object_size(analyses) == 0)
        return;
    fputs("<table>\n<thead><tr><th>analysis</th><th>outcome</th>"
          "</tr></thead>\n<tbody>\n",
          out);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)analyses, key, value) {
        fputs("<tr><td>", out);
        cnn_pages_text(out, key);
        fputs("</td>", out);
        outcome_cell(out, value);
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}
