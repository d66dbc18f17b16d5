/* cnnlab — the manifest's `analyses:` list: checked against each
 * analysis's schema when the manifest is validated, run in order after
 * training. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "config/params_node.h"

static const char list_example[] =
    "[summary, classwise, {timing: {repeats: 5}}]";

/* `name` or `{name: {params}}`. */
static int entry_reference(const struct cnn_node *node, const char **name,
                           const struct cnn_node **params,
                           struct cnn_mark *mark, struct cnn_error *err)
{
    *mark = node->mark;
    *params = NULL;
    if (node->kind == CNN_NODE_SCALAR && node->text[0]) {
        *name = node->text;
        return 0;
    }
    if (node->kind == CNN_NODE_MAP && node->count == 1) {
        *name = node->keys[0];
        *mark = node->key_marks[0];
        *params = node->items[0];
        if ((*params)->kind == CNN_NODE_SCALAR && !(*params)->text[0])
            *params = NULL;
        return 0;
    }
    return cnn_error_at(err, node->mark,
                        "an analysis is a name (`classwise`) or a mapping "
                        "with one key (`timing: {repeats: 5}`), e.g. "
                        "analyses: %s",
                        list_example);
}

int cnn_analysis_list_parse(struct cnn_analysis_list *list,
                            const struct cnn_registry *registry,
                            const struct cnn_node *node,
                            struct cnn_error *err)
{
    memset(list, 0, sizeof *list);
    if (!node || (node->kind == CNN_NODE_SCALAR && !node->text[0]))
        return 0;
    if (node->kind != CNN_NODE_SEQUENCE)
        return cnn_error_at(err, node->mark,
                            "'analyses' must be a list, e.g. analyses: %s",
                            list_example);
    if (node->count == 0)
        return 0;
    list->items = calloc((size_t)node->count, sizeof *list->items);
    if (!list->items)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < node->count; i++) {
        const char *name = NULL;
        const struct cnn_node *params;
        struct cnn_mark mark;
        if (entry_reference(node->items[i], &name, &params, &mark, err) < 0)
            goto fail;
        const struct cnn_analysis_type *type =
            cnn_registry_analysis(registry, name);
        if (!type) {
            cnn_registry_unknown(registry, CNN_COMPONENT_ANALYSIS, name, mark,
                                 err);
            goto fail;
        }
        for (int j = 0; j < list->count; j++)
            if (list->items[j].type == type) {
                cnn_error_at(err, mark,
                             "analysis '%s' is listed twice (also at line "
                             "%d): each writes its files once; keep one",
                             name, list->items[j].mark.line);
                goto fail;
            }
        struct cnn_analysis_request *item = &list->items[list->count];
        if (cnn_params_from_node(&item->params, type->params,
                                 type->param_count, params, mark, name,
                                 err) < 0)
            goto fail;
        item->type = type;
        item->mark = mark;
        list->count++;
    }
    return 0;
fail:
    cnn_analysis_list_free(list);
    return -1;
}

void cnn_analysis_list_free(struct cnn_analysis_list *list)
{
    for (int i = 0; i < list->count; i++)
        cnn_params_free(&list->items[i].params);
    free(list->items);
    memset(list, 0, sizeof *list);
}

int cnn_analysis_list_validate(const struct cnn_analysis_list *list,
                               struct cnn_model *model,
                               const struct cnn_train_config *train,
                               const char *variant, int threads,
                               struct cnn_error *err)
{
    int hooks = 0;
    for (int i = 0; i < list->count; i++)
        hooks += list->items[i].type->validate != NULL;
    if (hooks == 0)
        return 0;
    /* No data, history or directory: a validate hook gets the handle
     * const, so it can only read the model's description. */
    struct cnn_analysis_setup setup = {.directory = "",
                                       .variant = variant,
                                       .model = model,
                                       .train = train,
                                       .threads = threads};
    struct cnn_analysis *analysis;
    if (cnn_analysis_new(&analysis, &setup, err) < 0)
        return -1;
    int status = 0;
    for (int i = 0; status == 0 && i < list->count; i++) {
        const struct cnn_analysis_request *item = &list->items[i];
        if (!item->type->validate)
            continue;
        cnn_error_clear(err);
        status = item->type->validate(analysis, &item->params, err);
        if (status < 0 && !err->failed)
            cnn_error_at(err, item->mark,
                         "analysis '%s' refused its parameters without "
                         "saying why (a bug of the analysis)",
                         item->type->name);
        else if (status < 0 && !err->file[0]) {
            /* A mistake without a place of its own is the entry's. */
            struct cnn_error placeless = *err;
            cnn_error_at(err, item->mark, "%s", placeless.message);
        }
    }
    cnn_analysis_free(analysis);
    return status < 0 ? -1 : 0;
}

int cnn_analysis_run_list(struct cnn_analysis *analysis,
                          const struct cnn_analysis_list *list,
                          json_t *outcomes, cnn_analysis_report_fn report,
                          void *user)
{
    int failed = 0;
    for (int i = 0; i < list->count; i++) {
        const struct cnn_analysis_request *item = &list->items[i];
        struct cnn_error err = {0};
        char message[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
        int status = item->type->run(analysis, &item->params, &err);
        /* Filters an analysis left off (failing half-way) go back on
         * before the next one runs. */
        struct cnn_error restore_error = {0};
        if (cnn_analysis_filters_restore(analysis, &restore_error) < 0 &&
            status == 0) {
            err = restore_error;
            status = -1;
        }
        if (status < 0) {
            if (!err.failed)
                cnn_error_set(&err, "it failed without saying why (a bug "
                                    "of the analysis)");
            cnn_error_format(&err, message, sizeof message);
            failed++;
        }
        if (outcomes) {
            char outcome[sizeof message + 16];
            snprintf(outcome, sizeof outcome, "%s%s",
                     status < 0 ? "failed: " : "ok",
                     status < 0 ? message : "");
            /* A message with bytes that are not UTF-8 (a path) cannot
             * go into JSON as it is; the outcome itself still does. */
            json_t *value = json_string(outcome);
            if (!value)
                value = json_string(status < 0 ? "failed" : "ok");
            json_object_set_new(outcomes, item->type->name, value);
        }
        if (report)
            report(user, item->type->name, status < 0 ? message : NULL);
    }
    return failed;
}
