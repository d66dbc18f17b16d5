/* cnnlab — the layers and filters an analysis looks at (selection.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "selection.h"

/* The seed stream of the random filters of layer k: this tag in the high
 * half, k in the low (streams 1 and 2 are the run's initialisation and
 * shuffling). */
#define SELECTION_STREAM 0x66696c74u /* "filt" */

static int is_conv(const struct cnn_layer *layer)
{
    return strcmp(layer->type->name, "conv2d") == 0;
}

/* The names of the layers with filters (for did-you-mean), and the same
 * as "conv1, conv2, fc1" (or "none"). */
static int layers_with_filters(const struct cnn_analysis *a,
                               const char ***names, int *count, char *buf,
                               size_t size, struct cnn_error *err)
{
    int layers = cnn_analysis_layer_count(a);
    *count = 0;
    *names = malloc((size_t)(layers > 0 ? layers : 1) * sizeof **names);
    if (!*names)
        return cnn_error_set(err, "out of memory");
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < layers; i++) {
        if (cnn_analysis_filter_count(a, i) == 0)
            continue;
        const char *name = cnn_analysis_layer(a, i)->name;
        (*names)[(*count)++] = name;
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                     used ? ", " : "", name);
    }
    if (!buf[0])
        snprintf(buf, size, "none");
    return 0;
}

static int find_layer(const struct cnn_analysis *a, const char *name)
{
    for (int i = 0; i < cnn_analysis_layer_count(a); i++)
        if (strcmp(cnn_analysis_layer(a, i)->name, name) == 0)
            return i;
    return -1;
}

static int add_layer(struct selection *s, int layer, struct cnn_error *err)
{
    struct layer_choice *grown =
        realloc(s->layers, (size_t)(s->count + 1) * sizeof *grown);
    if (!grown)
        return cnn_error_set(err, "out of memory");
    s->layers = grown;
    s->layers[s->count++] = (struct layer_choice){layer, 0, NULL};
    return 0;
}

static int every_conv_layer(const struct cnn_analysis *a, const char *name,
                            const char *known, struct selection *s,
                            struct cnn_error *err)
{
    for (int i = 0; i < cnn_analysis_layer_count(a); i++)
        if (is_conv(cnn_analysis_layer(a, i)) &&
            cnn_analysis_filter_count(a, i) > 0 && add_layer(s, i, err) < 0)
            return -1;
    if (s->count == 0)
        return cnn_error_set(err,
                             "%s: the model has no conv2d layer; name the "
                             "layers in `layers` (layers with filters: %s)",
                             name, known);
    return 0;
}

/* One name of `layers` into s, or an error placed at that name. The core
 * has checked that no name comes twice. */
static int choose_layer(const struct cnn_analysis *a, const char *layer_name,
                        struct cnn_mark mark, const char *const *candidates,
                        int candidate_count, const char *known,
                        const char *name, struct selection *s,
                        struct cnn_error *err)
{
    int layer = find_layer(a, layer_name);
    if (layer < 0) {
        const char *suggestion =
            cnn_did_you_mean(layer_name, candidates, candidate_count);
        char hint[256] = "";
        if (suggestion)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", suggestion);
        return cnn_error_at(err, mark,
                            "%s: layers: the model has no layer '%s'%s "
                            "(layers with filters: %s)",
                            name, layer_name, hint, known);
    }
    const struct cnn_layer *chosen = cnn_analysis_layer(a, layer);
    if (cnn_analysis_filter_count(a, layer) == 0)
        return cnn_error_at(err, mark,
                            "%s: layers: layer '%s' (%s) has no filters "
                            "(layers with filters: %s)",
                            name, chosen->name, chosen->type->name, known);
    return add_layer(s, layer, err);
}

/* The `layers` names into layer indices, in the model's order. */
static int parse_layers(const struct cnn_analysis *a,
                        const struct cnn_params *params, const char *name,
                        struct selection *s, struct cnn_error *err)
{
    const char *const *wanted;
    const struct cnn_mark *marks;
    int wanted_count = cnn_param_names(params, "layers", &wanted, &marks);
    const char **candidates;
    int candidate_count;
    char known[1024];
    if (layers_with_filters(a, &candidates, &candidate_count, known,
                            sizeof known, err) < 0)
        return -1;
    int status = 0;
    if (wanted_count == 0)
        status = every_conv_layer(a, name, known, s, err);
    for (int i = 0; status == 0 && i < wanted_count; i++)
        status = choose_layer(a, wanted[i], marks[i], candidates,
                              candidate_count, known, name, s, err);
    free(candidates);
    if (status < 0)
        return -1;
    /* Model order, whatever the manifest's. */
    for (int i = 1; i < s->count; i++)
        for (int j = i; j > 0 && s->layers[j - 1].layer > s->layers[j].layer;
             j--) {
            struct layer_choice swap = s->layers[j];
            s->layers[j] = s->layers[j - 1];
            s->layers[j - 1] = swap;
        }
    return 0;
}

static int compare_ints(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* `random` filters of the layer, drawn by a seeded shuffle. */
static int draw_filters(const struct cnn_analysis *a,
                        struct layer_choice *choice, long wanted,
                        struct cnn_error *err)
{
    int total = cnn_analysis_filter_count(a, choice->layer);
    int *all = malloc((size_t)total * sizeof *all);
    if (!all)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < total; i++)
        all[i] = i;
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, cnn_analysis_seed(a),
                        (uint64_t)SELECTION_STREAM << 32 |
                            (uint64_t)choice->layer);
    cnn_rng_shuffle(&rng, all, (size_t)total);
    choice->count = wanted < total ? (int)wanted : total;
    qsort(all, (size_t)choice->count, sizeof *all, compare_ints);
    choice->filters = all;
    return 0;
}

static int listed_filters(const struct cnn_analysis *a,
                          struct layer_choice *choice, const double *values,
                          int count, const char *name, struct cnn_error *err)
{
    const struct cnn_layer *layer = cnn_analysis_layer(a, choice->layer);
    int total = cnn_analysis_filter_count(a, choice->layer);
    choice->filters = malloc((size_t)count * sizeof *choice->filters);
    if (!choice->filters)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < count; i++) {
        double value = values[i];
        if (value != floor(value) || value < 0)
            return cnn_error_set(err,
                                 "%s: filters: %.15g is not a filter index "
                                 "(whole numbers from 0; or [-1] alone for "
                                 "random filters)",
                                 name, value);
        if (value >= total)
            return cnn_error_set(err,
                                 "%s: filters: layer %s (%s) has filters "
                                 "0..%d, not %.15g",
                                 name, layer->name, layer->type->name,
                                 total - 1, value);
        choice->filters[i] = (int)value;
    }
    qsort(choice->filters, (size_t)count, sizeof *choice->filters,
          compare_ints);
    for (int i = 1; i < count; i++)
        if (choice->filters[i] == choice->filters[i - 1])
            return cnn_error_set(err, "%s: filters: %d is listed twice",
                                 name, choice->filters[i]);
    choice->count = count;
    return 0;
}

int selection_parse(const struct cnn_analysis *a,
                    const struct cnn_params *params, const char *name,
                    struct selection *s, struct cnn_error *err)
{
    memset(s, 0, sizeof *s);
    const double *values;
    int count = cnn_param_floats(params, "filters", &values);
    int random = count == 1 && values[0] == -1;
    long wanted = cnn_param_int(params, "random");
    int status = parse_layers(a, params, name, s, err);
    for (int i = 0; status == 0 && i < s->count; i++)
        status = random ? draw_filters(a, &s->layers[i], wanted, err)
                        : listed_filters(a, &s->layers[i], values, count,
                                         name, err);
    if (status < 0)
        selection_free(s);
    return status;
}

int selection_validate(const struct cnn_analysis *a,
                       const struct cnn_params *params, const char *name,
                       struct cnn_error *err)
{
    struct selection s;
    int status = selection_parse(a, params, name, &s, err);
    selection_free(&s);
    return status;
}

void selection_free(struct selection *s)
{
    for (int i = 0; i < s->count; i++)
        free(s->layers[i].filters);
    free(s->layers);
    memset(s, 0, sizeof *s);
}
