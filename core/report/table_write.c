/* cnnlab — writing an experiment's table as Markdown, LaTeX (booktabs) and
 * CSV. Markdown and LaTeX round accuracies to one decimal and group the
 * parameter count's thousands; the CSV keeps every number as read (the
 * shortest text that reads back to the same double). A row without
 * numbers shows a dash (md "-", tex "--", csv empty), and md/tex gain a
 * status column only when some row is not complete, so a finished
 * experiment's table has exactly the report's columns. A table with
 * seeds is written by table_write_seeds.c instead: a row per variant
 * with mean ± std. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/table.h"
#include "report/table_format.h"

#define CELL_SIZE CNN_TABLE_CELL_SIZE
#define LATEX CNN_TABLE_LATEX
#define MARKDOWN CNN_TABLE_MARKDOWN

static int needs_status_column(const struct cnn_table *table)
{
    for (int i = 0; i < table->row_count; i++)
        if (table->rows[i].status != CNN_TABLE_COMPLETE)
            return 1;
    return 0;
}

static int column_count(const struct cnn_table *table)
{
    return 5 + 2 * table->settings.epoch_count +
           table->settings.epoch_seconds + needs_status_column(table);
}

/* The text of row cell `column` (0: variant), in either format. */
static void row_cell(const struct cnn_table *table,
                     const struct cnn_table_row *row, int column,
                     enum cnn_table_format format, char *out)
{
    const char *dash = format == LATEX ? "--" : "-";
    int epochs = table->settings.epoch_count;
    int complete = row->status == CNN_TABLE_COMPLETE;
    int seconds_column = table->settings.epoch_seconds ? 5 + 2 * epochs : -1;
    if (column == 0) {
        if (format == LATEX)
            cnn_table_escape_latex(row->variant, out, CELL_SIZE);
        else
            cnn_table_escape_markdown(row->variant, out, CELL_SIZE);
    } else if (column == column_count(table) - 1 &&
               needs_status_column(table)) {
        snprintf(out, CELL_SIZE, "%s", cnn_table_status_name(row->status));
    } else if (!complete) {
        snprintf(out, CELL_SIZE, "%s", dash);
    } else if (column <= 3) {
        double values[] = {row->train, row->val, row->test};
        snprintf(out, CELL_SIZE, "%.1f", values[column - 1]);
    } else if (column == 4) {
        cnn_table_group_thousands(row->parameters, out, CELL_SIZE);
    } else if (column == seconds_column) {
        if (row->seconds_count > 1)
            snprintf(out, CELL_SIZE, "%.2f %s %.2f", row->seconds_mean,
                     format == LATEX ? "$\\pm$" : "\xc2\xb1", /* ± */
                     row->seconds_std);
        else
            snprintf(out, CELL_SIZE, "%.2f", row->seconds_mean);
    } else {
        int index = (column - 5) / 2;
        double value = (column - 5) % 2 == 0 ? row->epoch_train[index]
                                              : row->epoch_val[index];
        if (isnan(value))
            snprintf(out, CELL_SIZE, "%s", dash);
        else
            snprintf(out, CELL_SIZE, "%.1f", value);
    }
}

/* Header of `column`; LaTeX tables with epoch columns put "(%)" in the
 * group line above instead. */
static void header_cell(const struct cnn_table *table, int column,
                        enum cnn_table_format format, char *out)
{
    int epochs = table->settings.epoch_count;
    int grouped = format == LATEX && epochs > 0;
    const char *percent = grouped           ? ""
                          : format == LATEX ? " (\\%)"
                                            : " (%)";
    static const char *const names[] = {"variant", "train", "val", "test",
                                        "parameters"};
    if (column < 5)
        snprintf(out, CELL_SIZE, "%s%s", names[column],
                 column >= 1 && column <= 3 ? percent : "");
    else if (column < 5 + 2 * epochs && grouped)
        snprintf(out, CELL_SIZE, "%s", (column - 5) % 2 ? "val" : "train");
    else if (column < 5 + 2 * epochs)
        snprintf(out, CELL_SIZE, "%s@%d%s", (column - 5) % 2 ? "val" : "train",
                 table->settings.epochs[(column - 5) / 2], percent);
    else if (column == 5 + 2 * epochs && table->settings.epoch_seconds)
        snprintf(out, CELL_SIZE, "epoch time (s)");
    else
        snprintf(out, CELL_SIZE, "status");
}

static int is_left_aligned(const struct cnn_table *table, int column)
{
    return column == 0 || (column == column_count(table) - 1 &&
                           needs_status_column(table));
}

static int write_markdown(const struct cnn_table *table, FILE *out)
{
    int columns = column_count(table);
    int *widths = calloc((size_t)columns, sizeof *widths);
    if (!widths)
        return -1;
    char cell[CELL_SIZE];
    for (int c = 0; c < columns; c++) {
        header_cell(table, c, MARKDOWN, cell);
        int width = cnn_table_display_width(cell);
        widths[c] = width > 3 ? width : 3;
        for (int r = 0; r < table->row_count; r++) {
            row_cell(table, &table->rows[r], c, MARKDOWN, cell);
            if (cnn_table_display_width(cell) > widths[c])
                widths[c] = cnn_table_display_width(cell);
        }
    }
    for (int r = -2; r < table->row_count; r++) {
        fputs("|", out);
        for (int c = 0; c < columns; c++) {
            int left = is_left_aligned(table, c);
            fputs(" ", out);
            if (r == -1) {
                fputs(left ? ":" : "", out);
                for (int i = 1; i < widths[c]; i++)
                    fputs("-", out);
                fputs(left ? "" : ":", out);
            } else {
                if (r == -2)
                    header_cell(table, c, MARKDOWN, cell);
                else
                    row_cell(table, &table->rows[r], c, MARKDOWN, cell);
                cnn_table_pad(out, cell, widths[c], left);
            }
            fputs(" |", out);
        }
        fputs("\n", out);
    }
    free(widths);
    return 0;
}

static void latex_row(FILE *out, const struct cnn_table *table,
                      const struct cnn_table_row *row)
{
    char cell[CELL_SIZE];
    for (int c = 0; c < column_count(table); c++) {
        if (row)
            row_cell(table, row, c, LATEX, cell);
        else
            header_cell(table, c, LATEX, cell);
        fprintf(out, "%s%s", c ? " & " : "", cell);
    }
    fputs(" \\\\\n", out);
}

/* The line above the headers that groups each epoch's train and val. */
static void latex_groups(FILE *out, const struct cnn_table *table)
{
    int epochs = table->settings.epoch_count;
    fputs(" & \\multicolumn{3}{c}{selected epoch (\\%)} &", out);
    for (int i = 0; i < epochs; i++)
        fprintf(out, " & \\multicolumn{2}{c}{epoch %d (\\%%)}",
                table->settings.epochs[i]);
    for (int c = 5 + 2 * epochs; c < column_count(table); c++)
        fputs(" &", out);
    fputs(" \\\\\n\\cmidrule(lr){2-4}", out);
    for (int i = 0; i < epochs; i++)
        fprintf(out, " \\cmidrule(lr){%d-%d}", 6 + 2 * i, 7 + 2 * i);
    fputs("\n", out);
}

static int write_latex(const struct cnn_table *table, FILE *out)
{
    fputs("% cnnlab table: accuracy (%) of the selected epoch (train.select, "
          "best validation by default).\n"
          "% Needs \\usepackage{booktabs}.\n\\begin{tabular}{",
          out);
    for (int c = 0; c < column_count(table); c++)
        fputs(is_left_aligned(table, c) ? "l" : "r", out);
    fputs("}\n\\toprule\n", out);
    if (table->settings.epoch_count > 0)
        latex_groups(out, table);
    latex_row(out, table, NULL);
    fputs("\\midrule\n", out);
    for (int r = 0; r < table->row_count; r++)
        latex_row(out, table, &table->rows[r]);
    fputs("\\bottomrule\n\\end{tabular}\n", out);
    return 0;
}

static int write_csv(const struct cnn_table *table, FILE *out)
{
    const struct cnn_table_settings *settings = &table->settings;
    fputs("variant,train,val,test,parameters", out);
    for (int i = 0; i < settings->epoch_count; i++)
        fprintf(out, ",train_epoch_%d,val_epoch_%d", settings->epochs[i],
                settings->epochs[i]);
    if (settings->epoch_seconds)
        fputs(",epoch_seconds_mean,epoch_seconds_std", out);
    fputs(",selected_epoch,epochs_run,status\n", out);
    for (int r = 0; r < table->row_count; r++) {
        const struct cnn_table_row *row = &table->rows[r];
        cnn_table_csv_text(out, row->variant);
        cnn_table_csv_run_fields(table, row, out);
        fputc('\n', out);
    }
    return 0;
}

int cnn_table_write(const struct cnn_table *table, struct cnn_error *err)
{
    if (cnn_table_has_seeds(table))
        return cnn_table_write_seeds(table, err);
    if (cnn_table_write_file(table, "table.md", write_markdown, err) < 0 ||
        cnn_table_write_file(table, "table.tex", write_latex, err) < 0 ||
        cnn_table_write_file(table, "table.csv", write_csv, err) < 0)
        return -1;
    return 0;
}

int cnn_table_format_markdown(const struct cnn_table *table, FILE *out)
{
    return cnn_table_has_seeds(table)
               ? cnn_table_format_seeds_markdown(table, out)
               : write_markdown(table, out);
}

int cnn_table_format_latex(const struct cnn_table *table, FILE *out)
{
    return cnn_table_has_seeds(table)
               ? cnn_table_format_seeds_latex(table, out)
               : write_latex(table, out);
}
