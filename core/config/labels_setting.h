/* cnnlab — a loader's `labels:` setting (a class subset, e.g. Fashion-
 * MNIST's 5-9 renumbered 0-4), checked by the core when the manifest is
 * checked, so that `cnnlab check` finds a mistake at its file:line:column
 * before any data loads. */
#ifndef CNNLAB_LABELS_SETTING_H
#define CNNLAB_LABELS_SETTING_H

#include "cnnlab/node.h"
#include "cnnlab/params.h"

/* When `specs` (a loader's schema) declares `labels` as a number list and
 * `data` sets it: each element a whole number, none twice, at least two
 * (the schema's range and length are checked with every parameter). An
 * error names the element's place and what would fit. */
int cnn_labels_setting_check(const struct cnn_node *data,
                             const struct cnn_param_spec *specs, int count,
                             const char *component, struct cnn_error *err);

#endif
