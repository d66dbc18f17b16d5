/* cnnlab — the faithfulness files (faithfulness.h): per image and method,
 * every curve point, the table of methods (mean AUC and its spread over
 * the images) and the mean curves as charts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "faithfulness.h"
#include "plot.h"

#define CHART_WIDTH 900
#define CHART_HEIGHT 520

/* Mean and sample standard deviation (0 for one image) of n images'
 * deletion (or insertion) AUCs. */
static void mean_spread(const struct faithfulness_curves *curves, int n,
                        int deletion, double *mean, double *sd)
{
    double sum = 0, squares = 0;
    for (int k = 0; k < n; k++)
        sum += deletion ? curves[k].deletion_auc : curves[k].insertion_auc;
    *mean = sum / n;
    for (int k = 0; k < n; k++) {
        double d = (deletion ? curves[k].deletion_auc
                             : curves[k].insertion_auc) - *mean;
        squares += d * d;
    }
    *sd = n > 1 ? sqrt(squares / (n - 1)) : 0;
}

static const char *method_name(const struct faithfulness_config *c, int m)
{
    return faithfulness_method_names[c->methods[m]];
}

static int write_per_image(struct cnn_analysis *a,
                           const struct faithfulness_config *c,
                           const struct attribution_set *set,
                           const struct faithfulness_curves *curves,
                           struct cnn_error *err)
{
    struct analysis_text rows = {0}, points = {0};
    analysis_text_printf(&rows, "method,image,predicted,deletion_auc,"
                                "insertion_auc\n");
    analysis_text_printf(&points, "method,image,curve,step,fraction,"
                                  "probability\n");
    for (int m = 0; m < c->method_count; m++)
        for (int k = 0; k < set->count; k++) {
            const struct faithfulness_curves *f =
                &curves[m * set->count + k];
            const struct attribution_image *image = &set->images[k];
            analysis_text_printf(&rows, "%s,%d,%d,%.6f,%.6f\n",
                                 method_name(c, m), image->index,
                                 image->predicted, f->deletion_auc,
                                 f->insertion_auc);
            for (int t = 0; t <= c->steps; t++)
                analysis_text_printf(
                    &points, "%s,%d,deletion,%d,%.6g,%.6f\n"
                             "%s,%d,insertion,%d,%.6g,%.6f\n",
                    method_name(c, m), image->index, t,
                    (double)t / c->steps, f->deletion[t], method_name(c, m),
                    image->index, t, (double)t / c->steps, f->insertion[t]);
        }
    int status = analysis_text_write(&rows, a, "faithfulness.csv", err);
    if (status == 0)
        status = analysis_text_write(&points, a, "faithfulness-curves.csv",
                                     err);
    analysis_text_free(&rows);
    analysis_text_free(&points);
    return status;
}

/* The table a reader decides by: one row per method. */
static int write_table(struct cnn_analysis *a,
                       const struct faithfulness_config *c,
                       const struct attribution_set *set,
                       const struct faithfulness_curves *curves,
                       struct cnn_error *err)
{
    struct analysis_text csv = {0}, md = {0}, tex = {0};
    analysis_text_printf(&csv, "method,images,deletion_auc_mean,"
                               "deletion_auc_sd,insertion_auc_mean,"
                               "insertion_auc_sd\n");
    analysis_text_printf(&md, "| method | deletion AUC (lower is better) "
                              "| insertion AUC (higher is better) |\n"
                              "|---|---|---|\n");
    analysis_text_printf(&tex, "\\begin{tabular}{lrr}\n\\toprule\n"
                               "method & deletion AUC & insertion AUC "
                               "\\\\\n\\midrule\n");
    for (int m = 0; m < c->method_count; m++) {
        const struct faithfulness_curves *first = &curves[m * set->count];
        double dm, ds, im, is;
        mean_spread(first, set->count, 1, &dm, &ds);
        mean_spread(first, set->count, 0, &im, &is);
        analysis_text_printf(&csv, "%s,%d,%.6f,%.6f,%.6f,%.6f\n",
                             method_name(c, m), set->count, dm, ds, im, is);
        analysis_text_printf(&md, "| %s | %.3f ± %.3f | %.3f ± %.3f |\n",
                             method_name(c, m), dm, ds, im, is);
        analysis_text_printf(&tex, "%s & %.3f $\\pm$ %.3f & %.3f $\\pm$ "
                                   "%.3f \\\\\n",
                             method_name(c, m), dm, ds, im, is);
    }
    analysis_text_printf(&md, "\nMean over %d test image%s ± sample "
                              "standard deviation; %d steps.\n",
                         set->count, set->count == 1 ? "" : "s", c->steps);
    analysis_text_printf(&tex, "\\bottomrule\n\\end{tabular}\n");
    int status = analysis_text_write(&csv, a, "faithfulness-summary.csv", err);
    if (status == 0)
        status = analysis_text_write(&md, a, "faithfulness.md", err);
    if (status == 0)
        status = analysis_text_write(&tex, a, "faithfulness.tex", err);
    analysis_text_free(&csv);
    analysis_text_free(&md);
    analysis_text_free(&tex);
    return status;
}

static int write_chart(struct cnn_analysis *a, const struct plot *plot,
                       const char *stem, struct cnn_error *err)
{
    static const char *const extensions[] = {"png", "svg"};
    for (int i = 0; i < 2; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s.%s", stem, extensions[i]);
        unsigned char *bytes;
        size_t length;
        if (plot_render(plot, i == 0 ? PLOT_PNG : PLOT_SVG, CHART_WIDTH,
                        CHART_HEIGHT, &bytes, &length, err) < 0)
            return cnn_error_prefix(err, "%s: ", name);
        int status = cnn_analysis_write_file(a, name, bytes, length, err);
        free(bytes);
        if (status < 0)
            return -1;
    }
    return 0;
}

/* Each method's mean curve of one kind (deletion 1, insertion 0). */
static int write_curves(struct cnn_analysis *a,
                        const struct faithfulness_config *c,
                        const struct attribution_set *set,
                        const struct faithfulness_curves *curves,
                        int deletion, struct cnn_error *err)
{
    int points = c->steps + 1;
    double *values = calloc((size_t)(c->method_count + 1) * points,
                            sizeof *values);
    if (!values)
        return cnn_error_set(err, "out of memory");
    struct plot plot = {
        .title = deletion ? "deletion: probability as pixels are removed"
                          : "insertion: probability as pixels are revealed",
        .x_label = "fraction of pixels",
        .y_label = "probability of the predicted class",
        .series_count = c->method_count,
    };
    for (int t = 0; t < points; t++)
        values[t] = (double)t / c->steps;
    for (int m = 0; m < c->method_count; m++) {
        double *mean = values + (size_t)(m + 1) * points;
        for (int k = 0; k < set->count; k++) {
            const struct faithfulness_curves *f = &curves[m * set->count + k];
            for (int t = 0; t < points; t++)
                mean[t] += (deletion ? f->deletion : f->insertion)[t] /
                           set->count;
        }
        plot.series[m] = (struct plot_series){
            .label = method_name(c, m), .x = values, .y = mean,
            .count = points};
    }
    int status = write_chart(a, &plot, deletion ? "faithfulness-deletion"
                                                : "faithfulness-insertion",
                             err);
    free(values);
    return status;
}

int faithfulness_report(struct cnn_analysis *a,
                        const struct faithfulness_config *c,
                        const struct attribution_set *set,
                        const struct faithfulness_curves *curves,
                        struct cnn_error *err)
{
    if (write_per_image(a, c, set, curves, err) < 0 ||
        write_table(a, c, set, curves, err) < 0 ||
        write_curves(a, c, set, curves, 1, err) < 0 ||
        write_curves(a, c, set, curves, 0, err) < 0)
        return -1;
    plot_release_caches();
    return 0;
}
