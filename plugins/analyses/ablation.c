/* cnnlab — analysis `ablation` (see ablation.h): predictions of the test
 * split with the selected weights, then with each chosen filter off; per
 * layer a table `filter | initial accuracy | misses | new accuracy`
 * (ablation-<layer>.csv, .md, .tex), every miss in ablation-misses.csv,
 * and a figure of some misses per filter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablation.h"
#include "ablation_reuse.h"
#include "selection.h"

static const struct cnn_param_spec ablation_params[] = {
    SELECTION_PARAMS,
    {"bias", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "zero the filter's bias too (false: only its weights)"},
    {"misses", CNN_PARAM_INT, "10", 0, 1000, NULL,
     "misses shown per filter in its figure (drawn from the seed)"},
};

struct ablation {
    const struct cnn_data *data;
    int32_t *before, *after;     /* predictions of the test split */
    int initially_correct;
    int with_bias;
};

static double percent(int correct, int total)
{
    return total > 0 ? 100.0 * correct / total : 0;
}

/* One filter's row from the split's predictions with it off (`off`,
 * ablation_predict_off's). */
static int ablate(struct ablation *s, const int32_t *off,
                  struct ablation_row *row, struct cnn_error *err)
{
    const struct cnn_dataset *test = &s->data->test;
    memcpy(s->after, off, (size_t)test->count * sizeof *s->after);
    row->correct = row->miss_count = 0;
    for (int i = 0; i < test->count; i++) {
        row->correct += s->after[i] == test->labels[i];
        row->miss_count += s->before[i] == test->labels[i] &&
                           s->after[i] != test->labels[i];
    }
    row->misses = malloc(((size_t)row->miss_count + 1) * sizeof *row->misses);
    row->missed_as = malloc(((size_t)row->miss_count + 1) *
                            sizeof *row->missed_as);
    if (!row->misses || !row->missed_as)
        return cnn_error_set(err, "out of memory");
    int k = 0;
    for (int i = 0; i < test->count; i++)
        if (s->before[i] == test->labels[i] &&
            s->after[i] != test->labels[i]) {
            row->misses[k] = i;
            row->missed_as[k++] = s->after[i];
        }
    return 0;
}

static int write_tables(struct cnn_analysis *a, const struct ablation *s,
                        const struct cnn_layer *layer,
                        const struct ablation_row *rows, int count,
                        struct cnn_error *err)
{
    int total = s->data->test.count;
    double initial = percent(s->initially_correct, total);
    const char *off = s->with_bias ? "weights and bias" : "weights only";
    struct analysis_text csv = {0}, md = {0}, tex = {0};
    analysis_text_printf(&csv,
                         "filter,initial_accuracy,misses,new_accuracy\n");
    analysis_text_printf(&md, "Filter ablation of %s (%s) on the test split "
                              "(", layer->name, layer->type->name);
    analysis_text_markdown(&md, cnn_analysis_variant(a));
    analysis_text_printf(&md,
                         ", %d images): each filter switched off alone "
                         "(%s). A miss is an image classified correctly "
                         "before and wrongly after.\n\n"
                         "| filter | initial accuracy (%%) | misses | new "
                         "accuracy (%%) |\n|---:|---:|---:|---:|\n",
                         total, off);
    analysis_text_printf(&tex,
                         "%% cnnlab ablation of %s: each filter switched off "
                         "alone (%s), test split.\n%% Needs "
                         "\\usepackage{booktabs}.\n"
                         "\\begin{tabular}{rrrr}\n\\toprule\n"
                         "filter & initial accuracy (\\%%) & misses & new "
                         "accuracy (\\%%) \\\\\n\\midrule\n",
                         layer->name, off);
    for (int r = 0; r < count; r++) {
        double after = percent(rows[r].correct, total);
        analysis_text_printf(&csv, "%d,%.4f,%d,%.4f\n", rows[r].filter,
                             initial, rows[r].miss_count, after);
        analysis_text_printf(&md, "| %d | %.2f | %d | %.2f |\n",
                             rows[r].filter, initial, rows[r].miss_count,
                             after);
        analysis_text_printf(&tex, "%d & %.2f & %d & %.2f \\\\\n",
                             rows[r].filter, initial, rows[r].miss_count,
                             after);
    }
    analysis_text_printf(&tex, "\\bottomrule\n\\end{tabular}\n");
    char name[128];
    snprintf(name, sizeof name, "ablation-%s.csv", layer->name);
    int status = analysis_text_write(&csv, a, name, err);
    snprintf(name, sizeof name, "ablation-%s.md", layer->name);
    if (status == 0)
        status = analysis_text_write(&md, a, name, err);
    snprintf(name, sizeof name, "ablation-%s.tex", layer->name);
    if (status == 0)
        status = analysis_text_write(&tex, a, name, err);
    analysis_text_free(&csv);
    analysis_text_free(&md);
    analysis_text_free(&tex);
    return status;
}

static void add_misses(struct analysis_text *text, const struct ablation *s,
                       const struct cnn_layer *layer,
                       const struct ablation_row *row)
{
    for (int k = 0; k < row->miss_count; k++) {
        int image = row->misses[k], label = s->data->test.labels[image];
        analysis_text_csv(text, layer->name);
        analysis_text_printf(text, ",%d,%d,%d,", row->filter, image, label);
        analysis_text_csv(text, s->data->class_names[label]);
        analysis_text_printf(text, ",%d,", row->missed_as[k]);
        analysis_text_csv(text, s->data->class_names[row->missed_as[k]]);
        analysis_text_printf(text, "\n");
    }
}

static void free_rows(struct ablation_row *rows, int count)
{
    for (int r = 0; rows && r < count; r++) {
        free(rows[r].misses);
        free(rows[r].missed_as);
    }
    free(rows);
}

/* Every chosen filter of one layer: its rows, tables and figures. */
static int ablate_layer(struct cnn_analysis *a, struct ablation *s,
                        const struct layer_choice *choice, int shown,
                        struct analysis_text *misses, struct cnn_error *err)
{
    const struct cnn_layer *layer = cnn_analysis_layer(a, choice->layer);
    size_t images = (size_t)s->data->test.count;
    struct ablation_row *rows = calloc((size_t)choice->count, sizeof *rows);
    int32_t *off = malloc((size_t)choice->count * images * sizeof *off);
    int status = rows && off ? 0 : cnn_error_set(err, "out of memory");
    /* Every filter's predictions at once: the layers before this one run
     * once per batch of images, not once per filter. */
    if (status == 0)
        status = ablation_predict_off(a, choice->layer, choice->filters,
                                      choice->count, s->with_bias, off, err);
    for (int r = 0; status == 0 && r < choice->count; r++) {
        rows[r].filter = choice->filters[r];
        status = ablate(s, off + (size_t)r * images, &rows[r], err);
        if (status == 0) {
            add_misses(misses, s, layer, &rows[r]);
            status = ablation_figure(a, choice->layer, &rows[r], shown, err);
        }
    }
    if (status == 0)
        status = write_tables(a, s, layer, rows, choice->count, err);
    free_rows(rows, choice->count);
    free(off);
    return status < 0 ? cnn_error_prefix(err, "ablation of %s: ",
                                         layer->name)
                      : 0;
}

static int ablation_run(struct cnn_analysis *a,
                        const struct cnn_params *params,
                        struct cnn_error *err)
{
    struct ablation s = {.data = cnn_analysis_data(a)};
    if (!s.data || s.data->test.count == 0)
        return cnn_error_set(err, "ablation needs test images, and %s",
                             s.data ? "the test split is empty"
                                    : "no data is loaded");
    const struct cnn_dataset *test = &s.data->test;
    s.with_bias = cnn_param_bool(params, "bias");
    int shown = (int)cnn_param_int(params, "misses");
    struct selection selection;
    if (selection_parse(a, params, "ablation", &selection, err) < 0)
        return -1;
    s.before = malloc((size_t)test->count * sizeof *s.before);
    s.after = malloc((size_t)test->count * sizeof *s.after);
    int status = s.before && s.after ? 0
                                     : cnn_error_set(err, "out of memory");
    if (status == 0)
        status = cnn_analysis_predict(a, CNN_SPLIT_TEST, s.before, err);
    for (int i = 0; status == 0 && i < test->count; i++)
        s.initially_correct += s.before[i] == test->labels[i];
    struct analysis_text misses = {0};
    analysis_text_printf(&misses, "layer,filter,image,label,label_name,"
                                  "predicted,predicted_name\n");
    for (int k = 0; status == 0 && k < selection.count; k++)
        status = ablate_layer(a, &s, &selection.layers[k], shown, &misses,
                              err);
    if (status == 0)
        status = analysis_text_write(&misses, a, "ablation-misses.csv", err);
    analysis_text_free(&misses);
    free(s.before);
    free(s.after);
    selection_free(&selection);
    picture_release_caches();
    return status;
}

static int ablation_validate(const struct cnn_analysis *a,
                             const struct cnn_params *params,
                             struct cnn_error *err)
{
    return selection_validate(a, params, "ablation", err);
}

const struct cnn_analysis_type analyses_ablation_type = {
    .name = "ablation",
    .help = "filter ablation: each chosen filter off alone, accuracy and "
            "misses on the test split: ablation-<layer>.{csv,md,tex}, "
            "ablation-misses.csv, ablation-<layer>-<filter>.png",
    .params = ablation_params,
    .param_count = sizeof ablation_params / sizeof *ablation_params,
    .run = ablation_run,
    .validate = ablation_validate,
};
