/* cnnlab — writing an experiment's table as Markdown, LaTeX (booktabs) and
 * CSV. Markdown and LaTeX round accuracies to one decimal and group the
 * parameter count's thousands; the CSV keeps every number as read (the
 * shortest text that reads back to the same double). A row without
 * numbers shows a dash (md "-", tex "--", csv empty), and md/tex gain a
 * status column only when some row is not complete, so a finished
 * experiment's table has exactly the report's columns. With `seeds:`
 * every format gains a `seed` column after the variant's: a row per
 * variant and seed. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/atomic_file.h"
#include "report/table.h"

enum format { MARKDOWN, LATEX };

#define CELL_SIZE 96

static int needs_status_column(const struct cnn_table *table)
{
    for (int i = 0; i < table->row_count; i++)
        if (table->rows[i].status != CNN_TABLE_COMPLETE)
            return 1;
    return 0;
}

/* The columns but the seed's. The cell functions number columns this
 * way: seed_column() maps the written column to it. */
static int data_column_count(const struct cnn_table *table)
{
    return 5 + 2 * table->settings.epoch_count +
           table->settings.epoch_seconds + needs_status_column(table);
}

static int column_count(const struct cnn_table *table)
{
    return data_column_count(table) + cnn_table_has_seeds(table);
}

/* With a seed column (column 1): 1 when `*column` is it; else moves
 * `*column` to its number without the seed column. */
static int seed_column(const struct cnn_table *table, int *column)
{
    if (!cnn_table_has_seeds(table) || *column < 1)
        return 0;
    if (*column == 1)
        return 1;
    --*column;
    return 0;
}

/* "1,132,193" */
static void group_thousands(long value, char *out, size_t size)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%ld", value < 0 ? -value
                                                                  : value);
    size_t used = 0;
    if (value < 0 && used + 1 < size)
        out[used++] = '-';
    for (int i = 0; i < length && used + 2 < size; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            out[used++] = ',';
        out[used++] = digits[i];
    }
    out[used] = '\0';
}

/* Markdown: backslash-escape what would end a cell or start markup; an
 * underscore inside a word is left alone (it cannot start emphasis). */
static void escape_markdown(const char *text, char *out, size_t size)
{
    size_t used = 0;
    for (const char *p = text; *p && used + 3 < size; p++) {
        int inner_underscore = *p == '_' && p > text &&
                               isalnum((unsigned char)p[-1]) &&
                               isalnum((unsigned char)p[1]);
        if (strchr("\\|*_`[]<>", *p) && !inner_underscore)
            out[used++] = '\\';
        out[used++] = *p;
    }
    out[used] = '\0';
}

/* LaTeX text mode: the ten special characters, and "--" kept from
 * becoming a dash. */
static void escape_latex(const char *text, char *out, size_t size)
{
    size_t used = 0;
    for (const char *p = text; *p; p++) {
        const char *replacement = NULL;
        char single[2] = {*p, '\0'};
        switch (*p) {
        case '\\': replacement = "\\textbackslash{}"; break;
        case '~': replacement = "\\textasciitilde{}"; break;
        case '^': replacement = "\\textasciicircum{}"; break;
        case '&': replacement = "\\&"; break;
        case '%': replacement = "\\%"; break;
        case '$': replacement = "\\$"; break;
        case '#': replacement = "\\#"; break;
        case '_': replacement = "\\_"; break;
        case '{': replacement = "\\{"; break;
        case '}': replacement = "\\}"; break;
        case '-': replacement = p[1] == '-' ? "-{}" : "-"; break;
        default: replacement = single;
        }
        size_t length = strlen(replacement);
        if (used + length + 1 > size)
            break;
        memcpy(out + used, replacement, length);
        used += length;
    }
    out[used] = '\0';
}

/* The text of row cell `column` (0: variant), in either format. */
static void row_cell(const struct cnn_table *table,
                     const struct cnn_table_row *row, int column,
                     enum format format, char *out)
{
    const char *dash = format == LATEX ? "--" : "-";
    int epochs = table->settings.epoch_count;
    int complete = row->status == CNN_TABLE_COMPLETE;
    int seconds_column = table->settings.epoch_seconds ? 5 + 2 * epochs : -1;
    if (seed_column(table, &column)) {
        if (row->repeated)
            snprintf(out, CELL_SIZE, "%llu", row->seed);
        else
            snprintf(out, CELL_SIZE, "%s", dash);
    } else if (column == 0) {
        if (format == LATEX)
            escape_latex(row->variant, out, CELL_SIZE);
        else
            escape_markdown(row->variant, out, CELL_SIZE);
    } else if (column == data_column_count(table) - 1 &&
               needs_status_column(table)) {
        snprintf(out, CELL_SIZE, "%s", cnn_table_status_name(row->status));
    } else if (!complete) {
        snprintf(out, CELL_SIZE, "%s", dash);
    } else if (column <= 3) {
        double values[] = {row->train, row->val, row->test};
        snprintf(out, CELL_SIZE, "%.1f", values[column - 1]);
    } else if (column == 4) {
        group_thousands(row->parameters, out, CELL_SIZE);
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
                        enum format format, char *out)
{
    int epochs = table->settings.epoch_count;
    int grouped = format == LATEX && epochs > 0;
    const char *percent = grouped ? "" : format == LATEX ? " (\\%)" : " (%)";
    static const char *const names[] = {"variant", "train", "val", "test",
                                        "parameters"};
    if (seed_column(table, &column))
        snprintf(out, CELL_SIZE, "seed");
    else if (column < 5)
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
    if (seed_column(table, &column))
        return 0;
    return column == 0 || (column == data_column_count(table) - 1 &&
                           needs_status_column(table));
}

/* Display width of UTF-8 text: continuation bytes take no column. */
static int display_width(const char *text)
{
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        width += (*p & 0xC0) != 0x80;
    return width;
}

static void pad(FILE *out, const char *cell, int width, int left)
{
    int fill = width - display_width(cell);
    if (!left)
        fprintf(out, "%*s", fill > 0 ? fill : 0, "");
    fputs(cell, out);
    if (left)
        fprintf(out, "%*s", fill > 0 ? fill : 0, "");
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
        widths[c] = display_width(cell) > 3 ? display_width(cell) : 3;
        for (int r = 0; r < table->row_count; r++) {
            row_cell(table, &table->rows[r], c, MARKDOWN, cell);
            if (display_width(cell) > widths[c])
                widths[c] = display_width(cell);
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
                pad(out, cell, widths[c], left);
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
    int seeds = cnn_table_has_seeds(table);
    fputs(seeds ? " & & \\multicolumn{3}{c}{selected epoch (\\%)} &"
                : " & \\multicolumn{3}{c}{selected epoch (\\%)} &",
          out);
    for (int i = 0; i < epochs; i++)
        fprintf(out, " & \\multicolumn{2}{c}{epoch %d (\\%%)}",
                table->settings.epochs[i]);
    for (int c = 5 + 2 * epochs; c < data_column_count(table); c++)
        fputs(" &", out);
    if (seeds)
        fputs(" \\\\\n\\cmidrule(lr){3-5}", out);
    else
        fputs(" \\\\\n\\cmidrule(lr){2-4}", out);
    for (int i = 0; i < epochs; i++)
        fprintf(out, " \\cmidrule(lr){%d-%d}", 6 + seeds + 2 * i,
                7 + seeds + 2 * i);
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

/* The shortest plain decimal text (no exponent, so spreadsheets and
 * eyes read it alike) that reads back as exactly `value`. */
static void exact_number(double value, char *out, size_t size)
{
    for (int decimals = 0; decimals <= 20; decimals++) {
        snprintf(out, size, "%.*f", decimals, value);
        if (strtod(out, NULL) == value)
            return;
    }
    snprintf(out, size, "%.17g", value); /* tiny: needs an exponent */
}

/* RFC 4180: quoted when it holds a comma, quote or line break. */
static void csv_text(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static void csv_number(FILE *out, int present, double value)
{
    char text[64];
    fputc(',', out);
    if (present && !isnan(value)) {
        exact_number(value, text, sizeof text);
        fputs(text, out);
    }
}

static int write_csv(const struct cnn_table *table, FILE *out)
{
    const struct cnn_table_settings *settings = &table->settings;
    int seeds = cnn_table_has_seeds(table);
    fputs(seeds ? "variant,seed,train,val,test,parameters"
                : "variant,train,val,test,parameters",
          out);
    for (int i = 0; i < settings->epoch_count; i++)
        fprintf(out, ",train_epoch_%d,val_epoch_%d", settings->epochs[i],
                settings->epochs[i]);
    if (settings->epoch_seconds)
        fputs(",epoch_seconds_mean,epoch_seconds_std", out);
    fputs(",selected_epoch,epochs_run,status\n", out);
    for (int r = 0; r < table->row_count; r++) {
        const struct cnn_table_row *row = &table->rows[r];
        int complete = row->status == CNN_TABLE_COMPLETE;
        csv_text(out, row->variant);
        if (seeds && row->repeated)
            fprintf(out, ",%llu", row->seed);
        else if (seeds)
            fputc(',', out);
        csv_number(out, complete, row->train);
        csv_number(out, complete, row->val);
        csv_number(out, complete, row->test);
        fputc(',', out);
        if (complete)
            fprintf(out, "%ld", row->parameters);
        for (int i = 0; i < settings->epoch_count; i++) {
            csv_number(out, complete, row->epoch_train[i]);
            csv_number(out, complete, row->epoch_val[i]);
        }
        if (settings->epoch_seconds) {
            csv_number(out, complete, row->seconds_mean);
            csv_number(out, complete && row->seconds_count > 1,
                       row->seconds_std);
        }
        if (complete)
            fprintf(out, ",%d,%d,", row->selected_epoch, row->epochs_run);
        else
            fputs(",,,", out);
        csv_text(out, cnn_table_status_name(row->status));
        fputc('\n', out);
    }
    return 0;
}

static int write_one(const struct cnn_table *table, const char *name,
                     int (*writer)(const struct cnn_table *, FILE *),
                     struct cnn_error *err)
{
    size_t length = strlen(table->directory) + strlen(name) + 2;
    char *path = malloc(length);
    if (!path)
        return cnn_error_set(err, "out of memory");
    snprintf(path, length, "%s/%s", table->directory, name);
    struct cnn_atomic_file file;
    int status = cnn_atomic_open(&file, path, err);
    if (status == 0 && writer(table, file.stream) < 0) {
        cnn_atomic_abort(&file);
        status = cnn_error_set(err, "cannot write '%s': out of memory", path);
    } else if (status == 0) {
        status = cnn_atomic_commit(&file, err);
    }
    free(path);
    return status;
}

int cnn_table_write(const struct cnn_table *table, struct cnn_error *err)
{
    if (write_one(table, "table.md", write_markdown, err) < 0 ||
        write_one(table, "table.tex", write_latex, err) < 0 ||
        write_one(table, "table.csv", write_csv, err) < 0)
        return -1;
    return 0;
}

int cnn_table_format_markdown(const struct cnn_table *table, FILE *out)
{
    return write_markdown(table, out);
}

int cnn_table_format_latex(const struct cnn_table *table, FILE *out)
{
    return write_latex(table, out);
}
