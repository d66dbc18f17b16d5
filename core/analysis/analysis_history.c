/* cnnlab — a run's history read back from its directory: metrics.csv
 * (losses and accuracies) and epoch-seconds.csv (times). The runner reads
 * it the same way as `cnnlab analyse`, so analyses see the same numbers,
 * rounded as the files hold them, in both. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/input_file.h"
#include "analysis/analysis.h"

#define CSV_FIELDS_MAX 16

struct csv_file {
    char *path;
    char *text;
    int line;                     /* of the row last read, 1-based */
    char *next;                   /* where the next row starts */
    int columns;
    char *names[CSV_FIELDS_MAX];  /* header fields (point into text) */
};

static int csv_error(const struct csv_file *csv, struct cnn_error *err,
                     const char *what)
{
    struct cnn_mark mark = {csv->path, csv->line, 0};
    return cnn_error_at(err, mark, "%s (rerun the variant with `cnnlab run "
                                   "--force` to rewrite it)",
                        what);
}

/* Splits one line in place; returns the field count. */
static int split_row(char **cursor, char **fields, int *line)
{
    char *row = *cursor;
    char *end = strchr(row, '\n');
    if (end) {
        *end = '\0';
        *cursor = end + 1;
    } else {
        *cursor = row + strlen(row);
    }
    (*line)++;
    size_t length = strlen(row);
    if (length > 0 && row[length - 1] == '\r')
        row[length - 1] = '\0';
    int count = 0;
    for (char *field = row; count < CSV_FIELDS_MAX;) {
        fields[count++] = field;
        char *comma = strchr(field, ',');
        if (!comma)
            break;
        *comma = '\0';
        field = comma + 1;
    }
    return count;
}

static int csv_open(struct csv_file *csv, const char *directory,
                    const char *name, struct cnn_error *err)
{
    memset(csv, 0, sizeof *csv);
    size_t size = strlen(directory) + strlen(name) + 2;
    csv->path = malloc(size);
    if (!csv->path)
        return cnn_error_set(err, "out of memory");
    snprintf(csv->path, size, "%s/%s", directory, name);
    FILE *in = cnn_input_fopen(csv->path, err);
    if (!in)
        return -1;
    size_t length = 0;
    FILE *memory = open_memstream(&csv->text, &length);
    char chunk[8192];
    size_t got;
    int status = memory ? 0 : cnn_error_set(err, "out of memory");
    while (status == 0 && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
        if (fwrite(chunk, 1, got, memory) != got)
            status = cnn_error_set(err, "out of memory");
    if (status == 0 && ferror(in))
        status = cnn_error_set(err, "cannot read '%s': %s", csv->path,
                               strerror(errno));
    fclose(in);
    if (memory && fclose(memory) != 0 && status == 0)
        status = cnn_error_set(err, "out of memory");
    if (status < 0)
        return -1;
    if (strlen(csv->text) != length)
        return csv_error(csv, err, "the file holds a NUL byte: it is not "
                                   "CSV text");
    csv->next = csv->text;
    csv->columns = split_row(&csv->next, csv->names, &csv->line);
    return 0;
}

static void csv_close(struct csv_file *csv)
{
    free(csv->path);
    free(csv->text);
    memset(csv, 0, sizeof *csv);
}

static int csv_column(const struct csv_file *csv, const char *name,
                      int required, int *index, struct cnn_error *err)
{
    *index = -1;
    for (int i = 0; i < csv->columns; i++)
        if (strcmp(csv->names[i], name) == 0)
            *index = i;
    if (*index < 0 && required) {
        char what[128];
        snprintf(what, sizeof what, "the header has no '%s' column", name);
        struct csv_file header = *csv;
        header.line = 1;
        return csv_error(&header, err, what);
    }
    return 0;
}

/* The next non-empty row's fields, 0 at the end, -1 on a malformed row. */
static int csv_row(struct csv_file *csv, char **fields,
                   struct cnn_error *err)
{
    while (*csv->next) {
        int count = split_row(&csv->next, fields, &csv->line);
        if (count == 1 && !fields[0][0])
            continue;
        if (count != csv->columns) {
            char what[128];
            snprintf(what, sizeof what,
                     "a row of %d fields under a header of %d", count,
                     csv->columns);
            return csv_error(csv, err, what);
        }
        return 1;
    }
    return 0;
}

static int csv_number(const struct csv_file *csv, const char *text,
                      double *value, struct cnn_error *err)
{
    char *end;
    errno = 0;
    *value = strtod(text, &end);
    if (!text[0] || *end || errno == ERANGE) {
        char what[128];
        snprintf(what, sizeof what, "'%.40s' is not a number", text);
        return csv_error(csv, err, what);
    }
    return 0;
}

static int read_metrics(const char *directory,
                        struct cnn_epoch_record **records, int *count,
                        struct cnn_error *err)
{
    static const char *const names[] = {"epoch", "train_loss",
                                        "train_accuracy", "val_loss",
                                        "val_accuracy"};
    struct csv_file csv;
    int columns[5];
    int status = csv_open(&csv, directory, "metrics.csv", err);
    for (int i = 0; status == 0 && i < 5; i++)
        status = csv_column(&csv, names[i], 1, &columns[i], err);
    char *fields[CSV_FIELDS_MAX];
    int row;
    while (status == 0 && (row = csv_row(&csv, fields, err)) != 0) {
        if (row < 0) {
            status = -1;
            break;
        }
        double values[5];
        for (int i = 0; status == 0 && i < 5; i++)
            status = csv_number(&csv, fields[columns[i]], &values[i], err);
        if (status < 0)
            break;
        if (values[0] != *count + 1) {
            status = csv_error(&csv, err, "epochs are not numbered 1, 2, "
                                          "... in order");
            break;
        }
        struct cnn_epoch_record *grown =
            realloc(*records, (size_t)(*count + 1) * sizeof *grown);
        if (!grown) {
            status = cnn_error_set(err, "out of memory");
            break;
        }
        *records = grown;
        grown[*count] = (struct cnn_epoch_record){
            .epoch = *count + 1,
            .train_loss = values[1],
            .train_accuracy = values[2],
            .val_loss = values[3],
            .val_accuracy = values[4],
            .cpu_seconds = -1,
        };
        (*count)++;
    }
    csv_close(&csv);
    return status;
}

static int read_seconds(const char *directory,
                        struct cnn_epoch_record *records, int count,
                        struct cnn_error *err)
{
    struct csv_file csv;
    int epoch_column, seconds_column, cpu_column;
    int status = csv_open(&csv, directory, "epoch-seconds.csv", err);
    if (status == 0)
        status = csv_column(&csv, "epoch", 1, &epoch_column, err);
    if (status == 0)
        status = csv_column(&csv, "seconds", 1, &seconds_column, err);
    if (status == 0)
        status = csv_column(&csv, "cpu_seconds", 0, &cpu_column, err);
    char *fields[CSV_FIELDS_MAX];
    int row, seen = 0;
    while (status == 0 && (row = csv_row(&csv, fields, err)) != 0) {
        double epoch, seconds, cpu = -1;
        if (row < 0 ||
            csv_number(&csv, fields[epoch_column], &epoch, err) < 0 ||
            csv_number(&csv, fields[seconds_column], &seconds, err) < 0 ||
            (cpu_column >= 0 &&
             csv_number(&csv, fields[cpu_column], &cpu, err) < 0)) {
            status = -1;
            break;
        }
        if (epoch != seen + 1 || seen >= count) {
            status = csv_error(&csv, err, "its epochs do not match "
                                          "metrics.csv's");
            break;
        }
        records[seen].seconds = seconds;
        records[seen].cpu_seconds = cpu;
        seen++;
    }
    if (status == 0 && seen != count) {
        char what[128];
        snprintf(what, sizeof what, "%d epochs, but metrics.csv has %d", seen,
                 count);
        status = csv_error(&csv, err, what);
    }
    csv_close(&csv);
    return status;
}

int cnn_analysis_history_read(const char *directory,
                              struct cnn_epoch_record **records, int *count,
                              struct cnn_error *err)
{
    *records = NULL;
    *count = 0;
    if (read_metrics(directory, records, count, err) < 0 ||
        read_seconds(directory, *records, *count, err) < 0) {
        free(*records);
        *records = NULL;
        *count = 0;
        return -1;
    }
    return 0;
}
