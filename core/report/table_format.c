/* cnnlab — the table writers' shared formats (table_format.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/atomic_file.h"
#include "report/table_format.h"

/* "1,132,193" */
void cnn_table_group_thousands(long value, char *out, size_t size)
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
void cnn_table_escape_markdown(const char *text, char *out, size_t size)
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
void cnn_table_escape_latex(const char *text, char *out, size_t size)
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

/* Display width of UTF-8 text: continuation bytes take no column. */
int cnn_table_display_width(const char *text)
{
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        width += (*p & 0xC0) != 0x80;
    return width;
}

void cnn_table_pad(FILE *out, const char *cell, int width, int left)
{
    int fill = width - cnn_table_display_width(cell);
    if (!left)
        fprintf(out, "%*s", fill > 0 ? fill : 0, "");
    fputs(cell, out);
    if (left)
        fprintf(out, "%*s", fill > 0 ? fill : 0, "");
}

/* The shortest plain decimal text (no exponent, so spreadsheets and
 * eyes read it alike) that reads back as exactly `value`. */
void cnn_table_exact_number(double value, char *out, size_t size)
{
    for (int decimals = 0; decimals <= 20; decimals++) {
        snprintf(out, size, "%.*f", decimals, value);
        if (strtod(out, NULL) == value)
            return;
    }
    snprintf(out, size, "%.17g", value); /* tiny: needs an exponent */
}

/* RFC 4180: quoted when it holds a comma, quote or line break. */
void cnn_table_csv_text(FILE *out, const char *text)
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

void cnn_table_csv_number(FILE *out, int present, double value)
{
    char text[64];
    fputc(',', out);
    if (present && !isnan(value)) {
        cnn_table_exact_number(value, text, sizeof text);
        fputs(text, out);
    }
}

void cnn_table_csv_run_fields(const struct cnn_table *table,
                              const struct cnn_table_row *row, FILE *out)
{
    const struct cnn_table_settings *settings = &table->settings;
    int complete = row->status == CNN_TABLE_COMPLETE;
    cnn_table_csv_number(out, complete, row->train);
    cnn_table_csv_number(out, complete, row->val);
    cnn_table_csv_number(out, complete, row->test);
    fputc(',', out);
    if (complete)
        fprintf(out, "%ld", row->parameters);
    for (int i = 0; i < settings->epoch_count; i++) {
        cnn_table_csv_number(out, complete, row->epoch_train[i]);
        cnn_table_csv_number(out, complete, row->epoch_val[i]);
    }
    if (settings->epoch_seconds) {
        cnn_table_csv_number(out, complete, row->seconds_mean);
        cnn_table_csv_number(out, complete && row->seconds_count > 1,
                             row->seconds_std);
    }
    if (complete)
        fprintf(out, ",%d,%d,", row->selected_epoch, row->epochs_run);
    else
        fputs(",,,", out);
    cnn_table_csv_text(out, cnn_table_status_name(row->status));
}

int cnn_table_write_file(const struct cnn_table *table, const char *name,
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

