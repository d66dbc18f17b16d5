/* cnnlab — the loaders' `labels:` setting (see label_subset.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label_subset.h"

int loaders_label_subset_parse(const struct cnn_params *params, int classes,
                               const char *loader,
                               struct loaders_label_subset *subset,
                               struct cnn_error *err)
{
    memset(subset, 0, sizeof *subset);
    const double *values;
    int count = cnn_param_floats(params, "labels", &values);
    if (count == 0)
        return 0;
    if (count == 1)
        return cnn_error_set(err,
                             "%s: data.labels keeps only class %g, and a "
                             "classifier needs two or more: list 2 to %d of "
                             "the labels 0..%d, or leave labels out for "
                             "every class",
                             loader, values[0], classes, classes - 1);
    subset->labels = malloc((size_t)count * sizeof *subset->labels);
    subset->relabel = malloc((size_t)classes * sizeof *subset->relabel);
    if (!subset->labels || !subset->relabel) {
        loaders_label_subset_free(subset);
        return cnn_error_set(err, "%s: out of memory for %d labels", loader,
                             count);
    }
    for (int k = 0; k < classes; k++)
        subset->relabel[k] = -1;
    for (int i = 0; i < count; i++) {
        double value = values[i];
        int label = (int)value;
        if (value < 0 || value >= classes || value != floor(value)) {
            loaders_label_subset_free(subset);
            return cnn_error_set(err,
                                 "%s: data.labels: %g is not a label of "
                                 "this dataset, whose %d classes are "
                                 "labelled 0..%d: list whole numbers in that "
                                 "range",
                                 loader, value, classes, classes - 1);
        }
        if (subset->relabel[label] >= 0) {
            loaders_label_subset_free(subset);
            return cnn_error_set(err,
                                 "%s: data.labels lists class %d twice: "
                                 "keep one",
                                 loader, label);
        }
        subset->relabel[label] = i;
        subset->labels[i] = label;
    }
    subset->count = count;
    return 0;
}

void loaders_label_subset_free(struct loaders_label_subset *subset)
{
    free(subset->labels);
    free(subset->relabel);
    memset(subset, 0, sizeof *subset);
}

int loaders_label_subset_classes(const struct loaders_label_subset *subset,
                                 int classes)
{
    return subset->count ? subset->count : classes;
}

int loaders_label_subset_map(const struct loaders_label_subset *subset,
                             int label)
{
    return subset->count ? subset->relabel[label] : label;
}

void loaders_label_subset_names(const struct loaders_label_subset *subset,
                                const char *const *names, int classes,
                                const char **out)
{
    int count = loaders_label_subset_classes(subset, classes);
    for (int k = 0; k < count; k++)
        out[k] = names[subset->count ? subset->labels[k] : k];
}
