/* cnnlab — checking a loader's `labels:` (see labels_setting.h). The
 * loader declares it as a number list, which the core's parameters check
 * for type, range and length; what makes it a class subset (whole
 * numbers, distinct, two or more) is checked here, where each element's
 * place is known. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/labels_setting.h"

static const struct cnn_param_spec *labels_spec(
    const struct cnn_param_spec *specs, int count)
{
    for (int i = 0; i < count; i++)
        if (strcmp(specs[i].name, "labels") == 0 &&
            specs[i].type == CNN_PARAM_FLOAT_LIST)
            return &specs[i];
    return NULL;
}

/* The whole number `text` spells, or -1 (the range is the schema's). */
static long whole_number(const char *text)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    return errno || end == text || *end || value < 0 ? -1 : value;
}

int cnn_labels_setting_check(const struct cnn_node *data,
                             const struct cnn_param_spec *specs, int count,
                             const char *component, struct cnn_error *err)
{
    const struct cnn_param_spec *spec = labels_spec(specs, count);
    const struct cnn_node *labels = spec ? cnn_node_get(data, "labels")
                                         : NULL;
    if (!labels)
        return 0;
    long highest = (long)spec->max;
    if (labels->kind != CNN_NODE_SEQUENCE || labels->count < 2)
        return cnn_error_at(err, labels->mark,
                            "%s: labels keeps the images of the classes it "
                            "lists, and a classifier needs two or more: "
                            "list them, e.g. labels: [0, 1, 2, 3, 4] (of "
                            "0..%ld), or leave labels out for every class",
                            component, highest);
    for (int i = 0; i < labels->count; i++) {
        const struct cnn_node *item = labels->items[i];
        if (item->kind != CNN_NODE_SCALAR)
            continue; /* the parameter's own check says what it must be */
        long label = whole_number(item->text);
        if (label < 0)
            return cnn_error_at(err, item->mark,
                                "%s: labels: '%s' is not a class label: "
                                "labels are whole numbers 0..%ld",
                                component, item->text, highest);
        for (int j = 0; j < i; j++) {
            const struct cnn_node *earlier = labels->items[j];
            if (earlier->kind == CNN_NODE_SCALAR &&
                whole_number(earlier->text) == label)
                return cnn_error_at(err, item->mark,
                                    "%s: labels lists class %ld twice "
                                    "(first at line %d, column %d): keep "
                                    "one",
                                    component, label, earlier->mark.line,
                                    earlier->mark.column);
        }
    }
    return 0;
}
