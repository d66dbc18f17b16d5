/* cnnlab — a loader's `labels:` setting: train on some of a dataset's
 * classes (Fashion-MNIST's 0-4 to pretrain, 5-9 to fine-tune), renumbered
 * 0..k-1 in the order the manifest lists them. Shared by the loaders
 * (idx, synthetic, imagefolder: each knows its classes before it decodes
 * an image). */
#ifndef CNNLAB_PLUGINS_LOADERS_LABEL_SUBSET_H
#define CNNLAB_PLUGINS_LOADERS_LABEL_SUBSET_H

#include "cnnlab/params.h"

/* The parameter spec the loaders declare: numbers from 0 to `highest`.
 * The core checks a loader's `labels` when the manifest is checked
 * (run_config.c: whole numbers, none twice, at least two, each at its
 * file:line:column); the loader checks again for callers without a
 * manifest. */
#define LOADERS_LABELS_SPEC(highest, help)                                  \
    {"labels", CNN_PARAM_FLOAT_LIST, "[]", 0, highest, NULL, help}

struct loaders_label_subset {
    int count;    /* classes kept; 0: every class (no `labels:`) */
    int *labels;  /* count original labels: new label k is labels[k] */
    int *relabel; /* per original label, its new one, or -1 when left out
                     (NULL when count is 0) */
};

/* Reads `labels` for a dataset of `classes` classes. Refuses, saying what
 * would fit, an element that is not a whole number below `classes`, a
 * label listed twice and a list of one. `loader` names the component in
 * messages. */
int loaders_label_subset_parse(const struct cnn_params *params, int classes,
                               const char *loader,
                               struct loaders_label_subset *subset,
                               struct cnn_error *err);

void loaders_label_subset_free(struct loaders_label_subset *subset);

/* The class count after the subset: subset->count, or `classes`. */
int loaders_label_subset_classes(const struct loaders_label_subset *subset,
                                 int classes);

/* The new label of original label `label`: itself without a subset, -1
 * when the subset leaves it out. */
int loaders_label_subset_map(const struct loaders_label_subset *subset,
                             int label);

/* The kept classes' names (`names` holds every class's), in the new
 * order, into `out` (loaders_label_subset_classes entries). */
void loaders_label_subset_names(const struct loaders_label_subset *subset,
                                const char *const *names, int classes,
                                const char **out);

#endif
