/* cnnlab — the manifest's `table:` section: which columns an
 * experiment's table adds. Parsed here, with the rest of the manifest, so
 * that a mistake is reported before anything trains; report/ only reads
 * the result. */
#include <stdio.h>
#include <string.h>

#include "config/params_node.h"
#include "config/table_settings.h"

static const struct cnn_param_spec table_specs[] = {
    /* The default is never used: only an explicit list adds columns. */
    {"epochs", CNN_PARAM_FLOAT_LIST, "[1]", 1, 1e6, NULL,
     "epochs whose train/val accuracy the table adds (default: none)"},
    {"epoch_seconds", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "add the mean and standard deviation of an epoch's wall time"},
    {"compare", CNN_PARAM_STRING, "", 0, 0, NULL,
     "a variant: every other's test accuracy minus its, paired by seed, "
     "with a 95 % interval (McNemar's test with one seed)"},
};
#define TABLE_SPEC_COUNT (int)(sizeof table_specs / sizeof table_specs[0])

/* Where element i of the epochs list was written, for its error. */
static struct cnn_mark epoch_mark(const struct cnn_node *epochs, int i)
{
    if (epochs->kind == CNN_NODE_SEQUENCE && i < epochs->count)
        return epochs->items[i]->mark;
    return epochs->mark;
}

int cnn_table_settings_parse(const struct cnn_node *node,
                             struct cnn_table_settings *settings,
                             struct cnn_error *err)
{
    memset(settings, 0, sizeof *settings);
    if (!node)
        return 0;
    struct cnn_params params = {0};
    if (cnn_params_from_node(&params, table_specs, TABLE_SPEC_COUNT, node,
                             node->mark, "table", err) < 0)
        return -1;
    settings->epoch_seconds = cnn_param_bool(&params, "epoch_seconds");
    const char *compare = cnn_param_string(&params, "compare");
    int status = 0;
    if (strlen(compare) >= sizeof settings->compare)
        status = cnn_error_at(err, cnn_node_get(node, "compare")->mark,
                              "table: 'compare' names a variant, and no "
                              "variant name is that long");
    else
        snprintf(settings->compare, sizeof settings->compare, "%s", compare);
    if (status == 0 && cnn_param_is_explicit(&params, "epochs")) {
        const double *values;
        int count = cnn_param_floats(&params, "epochs", &values);
        const struct cnn_node *epochs = cnn_node_get(node, "epochs");
        for (int i = 0; status == 0 && i < count; i++) {
            int epoch = (int)values[i];
            if ((double)epoch != values[i])
                status = cnn_error_at(err, epoch_mark(epochs, i),
                                      "table: 'epochs' are whole epoch "
                                      "numbers, got %g",
                                      values[i]);
            else if (i > 0 && epoch <= settings->epochs[i - 1])
                status = cnn_error_at(err, epoch_mark(epochs, i),
                                      "table: 'epochs' must increase, got "
                                      "%d after %d",
                                      epoch, settings->epochs[i - 1]);
            settings->epochs[i] = epoch;
        }
        settings->epoch_count = status == 0 ? count : 0;
    }
    cnn_params_free(&params);
    return status;
}

int cnn_table_settings_check_compare(const struct cnn_node *node,
                                     const struct cnn_table_settings *settings,
                                     const char *const *names, int count,
                                     struct cnn_error *err)
{
    if (!settings->compare[0])
        return 0;
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        if (strcmp(names[i], settings->compare) == 0)
            return 0;
        if (used < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     i ? ", " : "", names[i]);
    }
    const struct cnn_node *value = cnn_node_get(node, "compare");
    const char *guess = cnn_did_you_mean(settings->compare, names, count);
    return cnn_error_at(err, value ? value->mark : node->mark,
                        "table: compare: '%s' is no variant of this "
                        "manifest%s%s%s (its variants: %s)",
                        settings->compare, guess ? "; did you mean '" : "",
                        guess ? guess : "", guess ? "'?" : "", list);
}
