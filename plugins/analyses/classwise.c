/* cnnlab — analysis `classwise`: accuracy per class with the class names
 * (classwise.csv, .md, .tex) and the confusion matrix (confusion.csv),
 * from the selected weights' predictions on one split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"

static const struct cnn_param_spec classwise_params[] = {
    {"split", CNN_PARAM_CHOICE, "test", 0, 0, "test|val|train",
     "the split whose images are counted (files of another split than "
     "test are named classwise-<split>.*, confusion-<split>.csv)"},
};

struct counts {
    const struct cnn_data *data;
    const char *split;           /* "test" */
    const char *suffix;          /* "" or "-val" */
    int classes;
    long *confusion;             /* classes × classes: [true][predicted] */
    long *correct, *total;       /* per class */
    long all_correct, all_total;
};

static double percent(long correct, long total)
{
    return total > 0 ? 100.0 * (double)correct / (double)total : 0;
}

static int write_csv(struct cnn_analysis *analysis, const struct counts *c,
                     struct cnn_error *err)
{
    struct analysis_text text = {0};
    analysis_text_printf(&text, "class,correct,total,accuracy\n");
    for (int k = 0; k < c->classes; k++) {
        analysis_text_csv(&text, c->data->class_names[k]);
        analysis_text_printf(&text, ",%ld,%ld,", c->correct[k], c->total[k]);
        if (c->total[k] > 0)
            analysis_text_printf(&text, "%.4f",
                                 percent(c->correct[k], c->total[k]));
        analysis_text_printf(&text, "\n");
    }
    char name[64];
    snprintf(name, sizeof name, "classwise%s.csv", c->suffix);
    return analysis_text_write(&text, analysis, name, err);
}

static int write_markdown(struct cnn_analysis *analysis,
                          const struct counts *c, struct cnn_error *err)
{
    struct analysis_text text = {0};
    analysis_text_printf(&text, "Class-wise accuracy on the %s split (",
                         c->split);
    analysis_text_markdown(&text, cnn_analysis_variant(analysis));
    analysis_text_printf(&text,
                         "): %ld images, %.1f%% overall.\n\n"
                         "| class | correct | total | accuracy (%%) |\n"
                         "|---|---:|---:|---:|\n",
                         c->all_total, percent(c->all_correct, c->all_total));
    for (int k = 0; k < c->classes; k++) {
        analysis_text_printf(&text, "| ");
        analysis_text_markdown(&text, c->data->class_names[k]);
        analysis_text_printf(&text, " | %ld | %ld | ", c->correct[k],
                             c->total[k]);
        if (c->total[k] > 0)
            analysis_text_printf(&text, "%.1f |\n",
                                 percent(c->correct[k], c->total[k]));
        else
            analysis_text_printf(&text, "- |\n");
    }
    analysis_text_printf(&text, "| **all** | %ld | %ld | %.1f |\n",
                         c->all_correct, c->all_total,
                         percent(c->all_correct, c->all_total));
    char name[64];
    snprintf(name, sizeof name, "classwise%s.md", c->suffix);
    return analysis_text_write(&text, analysis, name, err);
}

static int write_latex(struct cnn_analysis *analysis, const struct counts *c,
                       struct cnn_error *err)
{
    struct analysis_text text = {0};
    analysis_text_printf(&text,
                         "%% cnnlab classwise: accuracy per class on the %s "
                         "split.\n%% Needs \\usepackage{booktabs}.\n"
                         "\\begin{tabular}{lrrr}\n\\toprule\n"
                         "class & correct & total & accuracy (\\%%) \\\\\n"
                         "\\midrule\n",
                         c->split);
    for (int k = 0; k < c->classes; k++) {
        analysis_text_latex(&text, c->data->class_names[k]);
        analysis_text_printf(&text, " & %ld & %ld & ", c->correct[k],
                             c->total[k]);
        if (c->total[k] > 0)
            analysis_text_printf(&text, "%.1f \\\\\n",
                                 percent(c->correct[k], c->total[k]));
        else
            analysis_text_printf(&text, "-- \\\\\n");
    }
    analysis_text_printf(&text,
                         "\\midrule\nall & %ld & %ld & %.1f \\\\\n"
                         "\\bottomrule\n\\end{tabular}\n",
                         c->all_correct, c->all_total,
                         percent(c->all_correct, c->all_total));
    char name[64];
    snprintf(name, sizeof name, "classwise%s.tex", c->suffix);
    return analysis_text_write(&text, analysis, name, err);
}

static int write_confusion(struct cnn_analysis *analysis,
                           const struct counts *c, struct cnn_error *err)
{
    struct analysis_text text = {0};
    analysis_text_csv(&text, "true \\ predicted");
    for (int k = 0; k < c->classes; k++) {
        analysis_text_printf(&text, ",");
        analysis_text_csv(&text, c->data->class_names[k]);
    }
    analysis_text_printf(&text, "\n");
    for (int t = 0; t < c->classes; t++) {
        analysis_text_csv(&text, c->data->class_names[t]);
        for (int p = 0; p < c->classes; p++)
            analysis_text_printf(&text, ",%ld",
                                 c->confusion[(size_t)t * c->classes + p]);
        analysis_text_printf(&text, "\n");
    }
    char name[64];
    snprintf(name, sizeof name, "confusion%s.csv", c->suffix);
    return analysis_text_write(&text, analysis, name, err);
}

static int count(struct cnn_analysis *analysis, const struct cnn_dataset *set,
                 enum cnn_split split, struct counts *c,
                 struct cnn_error *err)
{
    int32_t *predictions = malloc((size_t)set->count * sizeof *predictions);
    size_t cells = (size_t)c->classes * (size_t)c->classes;
    c->confusion = calloc(cells, sizeof *c->confusion);
    c->correct = calloc((size_t)c->classes, sizeof *c->correct);
    c->total = calloc((size_t)c->classes, sizeof *c->total);
    int status = predictions && c->confusion && c->correct && c->total
                     ? 0
                     : cnn_error_set(err, "out of memory");
    if (status == 0)
        status = cnn_analysis_predict(analysis, split, predictions, err);
    for (int i = 0; status == 0 && i < set->count; i++) {
        int32_t label = set->labels[i], predicted = predictions[i];
        if (label < 0 || label >= c->classes || predicted < 0 ||
            predicted >= c->classes) {
            status = cnn_error_set(err,
                                   "image %d of the %s split has label %d "
                                   "and prediction %d, but there are %d "
                                   "classes",
                                   i, c->split, label, predicted, c->classes);
            break;
        }
        c->confusion[(size_t)label * c->classes + predicted]++;
        c->total[label]++;
        c->all_total++;
        if (label == predicted) {
            c->correct[label]++;
            c->all_correct++;
        }
    }
    free(predictions);
    return status;
}

static int classwise_run(struct cnn_analysis *analysis,
                         const struct cnn_params *params,
                         struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(analysis);
    if (!data)
        return cnn_error_set(err, "classwise needs the data, and none is "
                                  "loaded");
    struct counts c = {.data = data, .classes = data->classes};
    c.split = cnn_param_string(params, "split");
    enum cnn_split split = CNN_SPLIT_TEST;
    const struct cnn_dataset *set = &data->test;
    if (strcmp(c.split, "val") == 0) {
        split = CNN_SPLIT_VAL;
        set = &data->val;
    } else if (strcmp(c.split, "train") == 0) {
        split = CNN_SPLIT_TRAIN;
        set = &data->train;
    }
    c.suffix = split == CNN_SPLIT_TEST ? ""
               : split == CNN_SPLIT_VAL ? "-val"
                                        : "-train";
    if (set->count == 0)
        return cnn_error_set(err,
                             "the %s split has no images: nothing to count "
                             "(set classwise's split to one that has)",
                             c.split);
    int status = count(analysis, set, split, &c, err);
    if (status == 0)
        status = write_csv(analysis, &c, err);
    if (status == 0)
        status = write_markdown(analysis, &c, err);
    if (status == 0)
        status = write_latex(analysis, &c, err);
    if (status == 0)
        status = write_confusion(analysis, &c, err);
    free(c.confusion);
    free(c.correct);
    free(c.total);
    return status;
}

const struct cnn_analysis_type analyses_classwise_type = {
    .name = "classwise",
    .help = "accuracy per class with class names (classwise.csv, .md, .tex) "
            "and the confusion matrix (confusion.csv)",
    .params = classwise_params,
    .param_count = 1,
    .run = classwise_run,
};
