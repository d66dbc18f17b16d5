/* cnnlab — the manifest's optional top-level `table:` mapping. */
#ifndef CNNLAB_TABLE_SETTINGS_H
#define CNNLAB_TABLE_SETTINGS_H

#include "cnnlab/node.h"
#include "cnnlab/params.h"

#define CNN_TABLE_EPOCHS_MAX CNN_PARAM_LIST_MAX

/* The manifest's optional top-level `table:` mapping. */
struct cnn_table_settings {
    int epoch_count;
    int epochs[CNN_TABLE_EPOCHS_MAX]; /* increasing, 1-based */
    int epoch_seconds;                /* add mean ± std of epoch wall time */
};

/* Checks a `table:` node (NULL or an empty value: the defaults) against
 * its schema: unknown keys get a did-you-mean, epochs must be increasing
 * integers >= 1, each error at its file:line:column. */
int cnn_table_settings_parse(const struct cnn_node *node,
                             struct cnn_table_settings *settings,
                             struct cnn_error *err);

#endif
