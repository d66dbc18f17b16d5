/* cnnlab — the Markdown and LaTeX tables of an experiment with seeds: one
 * row per variant, in manifest order, with n (its complete seeds) and
 * mean ± sample standard deviation of every accuracy column (one seed: its
 * value alone, never a made-up ±), the epoch times of every seed pooled,
 * with table.compare the difference to the reference variant's test
 * accuracy, and a status column when some variant lacks seeds ("2 of 3
 * seeds"). table_csv_seeds.c writes the CSV, with a row per seed too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/table.h"
#include "report/table_format.h"

enum column_kind { VARIANT, N, TRAIN, VAL, TEST, PARAMETERS, EPOCH_TRAIN,
                   EPOCH_VAL, SECONDS, COMPARE, STATUS };

struct column {
    enum column_kind kind;
    int epoch; /* EPOCH_*: the index into settings.epochs */
};

#define COLUMNS_MAX (8 + 2 * CNN_TABLE_EPOCHS_MAX)

static int needs_status_column(const struct cnn_table *table)
{
    for (int i = 0; i < table->summary_count; i++)
        if (table->summaries[i].n < table->summaries[i].count)
            return 1;
    return 0;
}

static int columns_of(const struct cnn_table *table, struct column *columns)
{
    int count = 0;
    for (enum column_kind k = VARIANT; k <= PARAMETERS; k++)
        columns[count++] = (struct column){k, 0};
    for (int i = 0; i < table->settings.epoch_count; i++) {
        columns[count++] = (struct column){EPOCH_TRAIN, i};
        columns[count++] = (struct column){EPOCH_VAL, i};
    }
    if (table->settings.epoch_seconds)
        columns[count++] = (struct column){SECONDS, 0};
    if (table->settings.compare[0])
        columns[count++] = (struct column){COMPARE, 0};
    if (needs_status_column(table))
        columns[count++] = (struct column){STATUS, 0};
    return count;
}

static const char *plus_minus(enum cnn_table_format format)
{
    return format == CNN_TABLE_LATEX ? "$\\pm$" : "\xc2\xb1"; /* ± */
}

/* "56.17 ± 0.97"; "56.17" without a std; a dash without a mean. */
static void mean_std(double mean, double std, enum cnn_table_format format,
                     char *out)
{
    if (isnan(mean))
        snprintf(out, CNN_TABLE_CELL_SIZE, "%s",
                 format == CNN_TABLE_LATEX ? "--" : "-");
    else if (isnan(std))
        snprintf(out, CNN_TABLE_CELL_SIZE, "%.2f", mean);
    else
        snprintf(out, CNN_TABLE_CELL_SIZE, "%.2f %s %.2f", mean,
                 plus_minus(format), std);
}

/* A signed difference in points: "+0.23", "-1.99" (LaTeX: "$-$1.99"). */
static void signed_points(double value, enum cnn_table_format format,
                          char *out, size_t size)
{
    if (value < 0 && format == CNN_TABLE_LATEX)
        snprintf(out, size, "$-$%.2f", -value);
    else
        snprintf(out, size, "%+.2f", value);
}

static void comparison_text(const struct cnn_table_comparison *compare,
                            enum cnn_table_format format, char *out,
                            size_t size)
{
    char mean[32], low[32], high[32];
    signed_points(compare->interval.mean, format, mean, sizeof mean);
    if (compare->kind == CNN_TABLE_COMPARE_INTERVAL) {
        signed_points(compare->interval.low, format, low, sizeof low);
        signed_points(compare->interval.high, format, high, sizeof high);
        snprintf(out, size, "%s [%s, %s]", mean, low, high);
    } else if (compare->kind == CNN_TABLE_COMPARE_MCNEMAR) {
        char p[32];
        if (compare->p < 0.001)
            snprintf(p, sizeof p, "p %s 0.001",
                     format == CNN_TABLE_LATEX ? "$<$" : "<");
        else
            snprintf(p, sizeof p, "p = %.3f", compare->p);
        snprintf(out, size, "%s (%s; %ld vs %ld)", mean, p,
                 compare->only_reference, compare->only_variant);
    } else if (compare->kind == CNN_TABLE_COMPARE_REFERENCE) {
        snprintf(out, size, "reference");
    } else {
        snprintf(out, size, "%s", compare->why);
    }
}

static void compare_cell(const struct cnn_table_comparison *compare,
                         enum cnn_table_format format, char *out)
{
    char text[CNN_TABLE_CELL_SIZE - 16];
    comparison_text(compare, format, text, sizeof text);
    if (!compare->marked)
        snprintf(out, CNN_TABLE_CELL_SIZE, "%s", text);
    else if (format == CNN_TABLE_LATEX)
        snprintf(out, CNN_TABLE_CELL_SIZE, "\\textbf{%s}", text);
    else
        snprintf(out, CNN_TABLE_CELL_SIZE, "**%s**", text);
}

static void row_cell(const struct cnn_table *table,
                     const struct cnn_table_summary *summary,
                     struct column column, enum cnn_table_format format,
                     char *out)
{
    const char *dash = format == CNN_TABLE_LATEX ? "--" : "-";
    int e = column.epoch;
    switch (column.kind) {
    case VARIANT:
        if (format == CNN_TABLE_LATEX)
            cnn_table_escape_latex(summary->variant, out,
                                   CNN_TABLE_CELL_SIZE);
        else
            cnn_table_escape_markdown(summary->variant, out,
                                      CNN_TABLE_CELL_SIZE);
        break;
    case N:
        snprintf(out, CNN_TABLE_CELL_SIZE, "%d", summary->n);
        break;
    case TRAIN:
    case VAL:
    case TEST:
        mean_std(summary->mean[column.kind - TRAIN],
                 summary->std[column.kind - TRAIN], format, out);
        break;
    case PARAMETERS:
        if (summary->parameters < 0)
            snprintf(out, CNN_TABLE_CELL_SIZE, "%s", dash);
        else
            cnn_table_group_thousands(summary->parameters, out,
                                      CNN_TABLE_CELL_SIZE);
        break;
    case EPOCH_TRAIN:
    case EPOCH_VAL:
        mean_std(summary->epoch_mean[column.kind - EPOCH_TRAIN][e],
                 summary->epoch_std[column.kind - EPOCH_TRAIN][e], format,
                 out);
        break;
    case SECONDS:
        mean_std(summary->seconds_count ? summary->seconds_mean : NAN,
                 summary->seconds_std, format, out);
        break;
    case COMPARE:
        compare_cell(&summary->compare, format, out);
        break;
    case STATUS:
        cnn_table_summary_status(table, summary, out, CNN_TABLE_CELL_SIZE);
        break;
    }
}

/* Headers; LaTeX tables with epoch columns put "(%)" in the group line
 * above instead. */
static void header_cell(const struct cnn_table *table, struct column column,
                        enum cnn_table_format format, char *out)
{
    static const char *const names[] = {"variant", "n", "train", "val",
                                        "test", "parameters"};
    int grouped = format == CNN_TABLE_LATEX && table->settings.epoch_count;
    const char *percent = grouped                       ? ""
                          : format == CNN_TABLE_LATEX ? " (\\%)"
                                                      : " (%)";
    char reference[CNN_TABLE_CELL_SIZE / 2];
    int epoch = table->settings.epochs[column.epoch];
    const char *part = column.kind == EPOCH_TRAIN ? "train" : "val";
    switch (column.kind) {
    case TRAIN:
    case VAL:
    case TEST:
        snprintf(out, CNN_TABLE_CELL_SIZE, "%s%s", names[column.kind],
                 percent);
        break;
    case EPOCH_TRAIN:
    case EPOCH_VAL:
        if (grouped)
            snprintf(out, CNN_TABLE_CELL_SIZE, "%s", part);
        else
            snprintf(out, CNN_TABLE_CELL_SIZE, "%s@%d%s", part, epoch,
                     percent);
        break;
    case SECONDS:
        snprintf(out, CNN_TABLE_CELL_SIZE, "epoch time (s)");
        break;
    case COMPARE:
        if (format == CNN_TABLE_LATEX)
            cnn_table_escape_latex(table->settings.compare, reference,
                                   sizeof reference);
        else
            cnn_table_escape_markdown(table->settings.compare, reference,
                                      sizeof reference);
        snprintf(out, CNN_TABLE_CELL_SIZE, "%s test vs %s",
                 format == CNN_TABLE_LATEX ? "$\\Delta$" : "\xce\x94",
                 reference); /* Δ */
        break;
    case STATUS:
        snprintf(out, CNN_TABLE_CELL_SIZE, "status");
        break;
    default:
        snprintf(out, CNN_TABLE_CELL_SIZE, "%s", names[column.kind]);
    }
}

static int is_left_aligned(struct column column)
{
    return column.kind == VARIANT || column.kind == STATUS;
}

/* The cell of grid row r (-1: the header). */
static void cell(const struct cnn_table *table, int r, struct column column,
                 enum cnn_table_format format, char *out)
{
    if (r < 0)
        header_cell(table, column, format, out);
    else
        row_cell(table, &table->summaries[r], column, format, out);
}

/* What the columns mean, under the Markdown table. */
static void markdown_legend(const struct cnn_table *table, FILE *out)
{
    fputs("\nn: the variant's complete seeds; a value is their mean "
          "\xc2\xb1 sample standard deviation (n = 1: the one run's "
          "value).",
          out);
    if (table->settings.compare[0]) {
        char reference[CNN_TABLE_CELL_SIZE];
        cnn_table_escape_markdown(table->settings.compare, reference,
                                  sizeof reference);
        fprintf(out,
                " \xce\x94 test vs %s: the test accuracy minus %s's, in "
                "points, paired by seed; with two or more seeds the mean "
                "difference and its 95 %% confidence interval, **bold** "
                "when it excludes 0; with one seed, McNemar's exact "
                "p-value and the test images only %s / only this variant "
                "classifies correctly, **bold** when p < 0.05.",
                reference, reference, reference);
    }
    fputs("\n", out);
}

int cnn_table_format_seeds_markdown(const struct cnn_table *table, FILE *out)
{
    struct column columns[COLUMNS_MAX];
    int count = columns_of(table, columns), widths[COLUMNS_MAX];
    char text[CNN_TABLE_CELL_SIZE];
    for (int c = 0; c < count; c++) {
        widths[c] = 3;
        for (int r = -1; r < table->summary_count; r++) {
            cell(table, r, columns[c], CNN_TABLE_MARKDOWN, text);
            int width = cnn_table_display_width(text);
            widths[c] = width > widths[c] ? width : widths[c];
        }
    }
    for (int r = -2; r < table->summary_count; r++) {
        fputs("|", out);
        for (int c = 0; c < count; c++) {
            int left = is_left_aligned(columns[c]);
            fputs(" ", out);
            if (r == -1) {
                fputs(left ? ":" : "", out);
                for (int i = 1; i < widths[c]; i++)
                    fputs("-", out);
                fputs(left ? "" : ":", out);
            } else {
                cell(table, r < -1 ? -1 : r, columns[c], CNN_TABLE_MARKDOWN,
                     text);
                cnn_table_pad(out, text, widths[c], left);
            }
            fputs(" |", out);
        }
        fputs("\n", out);
    }
    markdown_legend(table, out);
    return 0;
}

/* The line above the headers that groups each epoch's train and val. */
static void latex_groups(FILE *out, const struct cnn_table *table,
                         int count)
{
    int epochs = table->settings.epoch_count;
    fputs(" & & \\multicolumn{3}{c}{selected epoch (\\%)} &", out);
    for (int i = 0; i < epochs; i++)
        fprintf(out, " & \\multicolumn{2}{c}{epoch %d (\\%%)}",
                table->settings.epochs[i]);
    for (int c = 6 + 2 * epochs; c < count; c++)
        fputs(" &", out);
    fputs(" \\\\\n\\cmidrule(lr){3-5}", out);
    for (int i = 0; i < epochs; i++)
        fprintf(out, " \\cmidrule(lr){%d-%d}", 7 + 2 * i, 8 + 2 * i);
    fputs("\n", out);
}

int cnn_table_format_seeds_latex(const struct cnn_table *table, FILE *out)
{
    struct column columns[COLUMNS_MAX];
    int count = columns_of(table, columns);
    char text[CNN_TABLE_CELL_SIZE];
    fputs("% cnnlab table: accuracy (%) of the selected epoch (train.select, "
          "best validation by default),\n"
          "% mean $\\pm$ sample standard deviation over the n complete "
          "seeds (n = 1: the one run's value).\n",
          out);
    if (table->settings.compare[0])
        fputs("% Delta test: minus the reference's, in points, paired by "
              "seed: the mean and its 95 % confidence\n% interval (two or "
              "more seeds; bold: excludes 0), or McNemar's exact p and the "
              "images only the\n% reference / only this variant gets right "
              "(one seed; bold: p < 0.05).\n",
              out);
    fputs("% Needs \\usepackage{booktabs}.\n\\begin{tabular}{", out);
    for (int c = 0; c < count; c++)
        fputs(is_left_aligned(columns[c]) ? "l" : "r", out);
    fputs("}\n\\toprule\n", out);
    if (table->settings.epoch_count > 0)
        latex_groups(out, table, count);
    for (int r = -1; r < table->summary_count; r++) {
        for (int c = 0; c < count; c++) {
            cell(table, r, columns[c], CNN_TABLE_LATEX, text);
            fprintf(out, "%s%s", c ? " & " : "", text);
        }
        fputs(r < 0 ? " \\\\\n\\midrule\n" : " \\\\\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", out);
    return 0;
}

int cnn_table_write_seeds(const struct cnn_table *table,
                          struct cnn_error *err)
{
    if (cnn_table_write_file(table, "table.md",
                             cnn_table_format_seeds_markdown, err) < 0 ||
        cnn_table_write_file(table, "table.tex",
                             cnn_table_format_seeds_latex, err) < 0 ||
        cnn_table_write_file(table, "table.csv", cnn_table_write_seeds_csv,
                             err) < 0)
        return -1;
    return 0;
}
