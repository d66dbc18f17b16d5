/* cnnlab — the curves across seeds that `cnnlab table` (and so `cnnlab
 * run`) draws for an experiment with seeds: per variant, the mean train
 * and validation loss and accuracy per epoch over its complete seeds, over
 * a band from the lowest to the highest seed, written beside the seed
 * folders as <variant>/curves-loss.{png,svg} and
 * <variant>/curves-accuracy.{png,svg}, with their numbers in
 * <variant>/curves.csv. The numbers come from
 * report/table_curves.c; the drawing is the curves analysis's own
 * (plugins/analyses/plot.c, compiled into the command as well). */
#include <stdio.h>
#include <stdlib.h>

#include "analyses/plot.h"
#include "base/path.h"
#include "cli/cli.h"
#include "cnnlab/atomic_file.h"
#include "report/table_curves.h"

#define WIDTH 800
#define HEIGHT 500

/* <variant directory>/<stem>.png and .svg, each atomically. */
static int write_chart(const struct plot *plot, const char *directory,
                       const char *stem, struct cnn_error *err)
{
    static const struct {
        enum plot_format format;
        const char *extension;
    } formats[] = {{PLOT_PNG, "png"}, {PLOT_SVG, "svg"}};
    for (int i = 0; i < 2; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.%s", stem, formats[i].extension);
        char *path = cnn_path_join(directory, name);
        unsigned char *bytes = NULL;
        size_t length;
        int status = path ? 0 : cnn_error_set(err, "out of memory");
        if (status == 0)
            status = plot_render(plot, formats[i].format, WIDTH, HEIGHT,
                                 &bytes, &length, err);
        if (status == 0)
            status = cnn_atomic_write(path, bytes, length, err);
        if (status < 0)
            cnn_error_prefix(err, "the curves across seeds, %s: ",
                             path ? path : name);
        free(bytes);
        free(path);
        if (status < 0)
            return -1;
    }
    return 0;
}

/* One chart: train and validation of `what` (loss or accuracy), columns
 * `train` and `train + 1` of the curves. */
static int draw(const struct cnn_table_curves *c, const char *variant,
                const char *directory, int train, const char *what,
                const char *y_label, struct cnn_error *err)
{
    char title[512], stem[32];
    snprintf(title, sizeof title,
             "%s: %s per epoch, mean of %d seed%s (band: lowest to highest)",
             variant, what, c->n, c->n == 1 ? "" : "s");
    snprintf(stem, sizeof stem, "curves-%s", what);
    struct plot plot = {
        .title = title,
        .x_label = "epoch",
        .y_label = y_label,
        .integer_x = 1,
        .series_count = 2,
        .series = {{"train", c->epoch, c->mean[train], c->epochs,
                    c->low[train], c->high[train]},
                   {"validation", c->epoch, c->mean[train + 1], c->epochs,
                    c->low[train + 1], c->high[train + 1]}},
    };
    return write_chart(&plot, directory, stem, err);
}

static int draw_variant(const struct cnn_table *table,
                        const struct cnn_table_summary *summary,
                        struct cnn_error *err)
{
    struct cnn_table_curves curves;
    if (cnn_table_curves_of(table, summary, &curves, err) < 0)
        return -1;
    char *directory = curves.n ? cnn_path_join(table->directory,
                                               summary->variant)
                               : NULL;
    int status = curves.n && !directory ? cnn_error_set(err, "out of memory")
                                        : 0;
    /* metrics.csv's columns: train loss, val loss, train accuracy, val
     * accuracy (CNN_TABLE_HISTORY_*). */
    if (status == 0 && curves.n)
        status = cnn_table_curves_write_csv(&curves, directory, err);
    if (status == 0 && curves.n)
        status = draw(&curves, summary->variant, directory,
                      CNN_TABLE_HISTORY_TRAIN_LOSS, "loss", "loss", err);
    if (status == 0 && curves.n)
        status = draw(&curves, summary->variant, directory,
                      CNN_TABLE_HISTORY_TRAIN_ACCURACY, "accuracy",
                      "accuracy (%)", err);
    free(directory);
    cnn_table_curves_free(&curves);
    return status;
}

int cnn_cli_draw_seed_curves(const struct cnn_table *table,
                             struct cnn_error *err)
{
    int status = 0;
    for (int i = 0; status == 0 && i < table->summary_count; i++)
        status = draw_variant(table, &table->summaries[i], err);
    /* cairo's font caches would otherwise outlive the command. */
    plot_release_caches();
    return status;
}
