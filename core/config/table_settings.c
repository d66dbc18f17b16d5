/* cnnlab — the manifest's `table:` section: which columns an
 * experiment's table adds. Parsed here, with the rest of the manifest, so
 * that a mistake is reported before anything trains; report/ only reads
 * the result. */
#include <string.h>

#include "config/params_node.h"
#include "config/table_settings.h"

static const struct cnn_param_spec table_specs[] = {
    /* The default is never used: only an explicit list adds columns. */
    {"epochs", CNN_PARAM_FLOAT_LIST, "[1]", 1, 1e6, NULL,
     "epochs whose train/val accuracy the table adds (default: none)"},
    {"epoch_seconds", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "add the mean and standard deviation of an epoch's wall time"},
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
    int status = 0;
    if (cnn_param_is_explicit(&params, "epochs")) {
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
