/* cnnlab — the manifest's optional top-level `table:` mapping. */
#ifndef CNNLAB_TABLE_SETTINGS_H
#define CNNLAB_TABLE_SETTINGS_H

#include "cnnlab/node.h"
#include "cnnlab/params.h"

#define CNN_TABLE_EPOCHS_MAX CNN_PARAM_LIST_MAX
#define CNN_TABLE_NAME_MAX 256

/* The manifest's optional top-level `table:` mapping. */
struct cnn_table_settings {
    int epoch_count;
    int epochs[CNN_TABLE_EPOCHS_MAX]; /* increasing, 1-based */
    int epoch_seconds;                /* add mean ± std of epoch wall time */
    /* The reference variant of the test-accuracy comparison (with seeds:
     * a paired interval, or McNemar's test for one seed); "" for none. */
    char compare[CNN_TABLE_NAME_MAX];
};

/* Checks a `table:` node (NULL or an empty value: the defaults) against
 * its schema: unknown keys get a did-you-mean, epochs must be increasing
 * integers >= 1, each error at its file:line:column. */
int cnn_table_settings_parse(const struct cnn_node *node,
                             struct cnn_table_settings *settings,
                             struct cnn_error *err);

/* `compare` must name one of the experiment's variants (`names`): an
 * error at the `compare:` value (with a did-you-mean) otherwise. `node` is
 * the `table:` node the settings came from. */
int cnn_table_settings_check_compare(const struct cnn_node *node,
                                     const struct cnn_table_settings *settings,
                                     const char *const *names, int count,
                                     struct cnn_error *err);

#endif
