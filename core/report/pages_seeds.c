/* cnnlab — what the report pages show of an experiment with seeds: the
 * runs behind each row of the table (each linking its section on the
 * page), each variant's curves across seeds, and for results/index.html
 * the best variant by its mean test accuracy rather than one lucky run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/path.h"
#include "report/pages.h"
#include "report/pages_internal.h"

/* The variants, each with its status and its seeds' runs linked to their
 * sections (ids "variant-<row + 1>", as experiment_page numbers them). */
void cnn_pages_seed_runs(FILE *out, const struct cnn_table *table)
{
    fputs("<h2>Variants and their runs</h2>\n<ul>\n", out);
    for (int i = 0; i < table->summary_count; i++) {
        const struct cnn_table_summary *summary = &table->summaries[i];
        char status[64];
        cnn_table_summary_status(table, summary, status, sizeof status);
        fputs("<li>", out);
        cnn_pages_text(out, summary->variant);
        fputs(": ", out);
        cnn_pages_text(out, status);
        fputs("; runs:", out);
        for (int r = 0; r < summary->count; r++) {
            int index = summary->first + r;
            const struct cnn_table_row *row = &table->rows[index];
            char label[64];
            if (row->repeated)
                snprintf(label, sizeof label, "seed %llu", row->seed);
            else
                snprintf(label, sizeof label, "without seed");
            fprintf(out, "%s <a href=\"#variant-%d\">", r ? "," : "",
                    index + 1);
            cnn_pages_text(out, label);
            fputs("</a> (", out);
            cnn_pages_text(out, cnn_table_status_name(row->status));
            fputc(')', out);
        }
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

static const char *const curve_pictures[] = {"curves-loss.png",
                                             "curves-accuracy.png"};
static const char *const curve_files[] = {"curves.csv", "curves-loss.svg",
                                          "curves-accuracy.svg"};

/* One variant's curves across seeds, when `cnnlab table` drew them. */
static int variant_curves(struct cnn_pages_writer *writer,
                          const struct cnn_table *table,
                          const struct cnn_table_summary *summary,
                          struct cnn_error *err)
{
    char *directory = cnn_path_join(table->directory, summary->variant);
    if (!directory)
        return cnn_error_set(err, "out of memory");
    int status = 0;
    if (cnn_pages_is_file(directory, curve_pictures[0])) {
        fputs("<h3>", writer->out);
        cnn_pages_text(writer->out, summary->variant);
        fputs("</h3>\n", writer->out);
        for (int i = 0; status == 0 && i < 2; i++)
            if (cnn_pages_is_file(directory, curve_pictures[i]))
                status = cnn_pages_figure(writer, directory,
                                          summary->variant,
                                          curve_pictures[i], err);
        fputs("<p class=\"files\">files: ", writer->out);
        for (int i = 0; i < 3; i++)
            if (cnn_pages_is_file(directory, curve_files[i])) {
                cnn_pages_file_link(writer->out, summary->variant,
                                    curve_files[i]);
                fputc(' ', writer->out);
            }
        fputs("</p>\n", writer->out);
    }
    free(directory);
    return status;
}

int cnn_pages_seed_curves(struct cnn_pages_writer *writer,
                          const struct cnn_table *table,
                          struct cnn_error *err)
{
    fputs("<h2>Curves across seeds</h2>\n<p>Each variant's mean loss and "
          "accuracy per epoch over its complete seeds, over a band from "
          "the lowest to the highest seed.</p>\n",
          writer->out);
    for (int i = 0; i < table->summary_count; i++)
        if (variant_curves(writer, table, &table->summaries[i], err) < 0)
            return -1;
    return 0;
}

void cnn_pages_seed_best(FILE *out, const struct cnn_table *table)
{
    const struct cnn_table_summary *best = NULL;
    for (int i = 0; i < table->summary_count; i++) {
        const struct cnn_table_summary *summary = &table->summaries[i];
        if (summary->n > 0 && !isnan(summary->mean[2]) &&
            (!best || summary->mean[2] > best->mean[2]))
            best = summary;
    }
    if (!best)
        return;
    if (best->n > 1)
        fprintf(out, "%.2f \xc2\xb1 %.2f (", best->mean[2], best->std[2]);
    else
        fprintf(out, "%.2f (", best->mean[2]);
    cnn_pages_text(out, best->variant);
    fprintf(out, ", mean of %d seed%s)", best->n, best->n == 1 ? "" : "s");
}
