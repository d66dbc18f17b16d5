/* cnnlab — one table row from a variant's run directory: run.json for the
 * status and the selected epoch's accuracies, metrics.csv for accuracy at
 * chosen epochs, epoch-seconds.csv for epoch wall times. Anything missing
 * or malformed turns the row into "unreadable" with a note naming the
 * file; the table never shows a number it could not check. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "cnnlab/input_file.h"
#include "base/json_input.h"
#include "report/table.h"

/* Marks the row with a status and a note; -1 only when out of memory. */
static int set_note(struct cnn_table_row *row, enum cnn_table_status status,
                    struct cnn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int set_note(struct cnn_table_row *row, enum cnn_table_status status,
                    struct cnn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int length = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *note = length >= 0 ? malloc((size_t)length + 1) : NULL;
    if (!note)
        return cnn_error_set(err, "out of memory");
    va_start(ap, fmt);
    vsnprintf(note, (size_t)length + 1, fmt, ap);
    va_end(ap);
    free(row->note);
    row->note = note;
    row->status = status;
    return 0;
}

/* What fixes a broken run directory, for the notes. */
static const char *rerun_hint(const struct cnn_table_row *row, char *buf,
                              size_t size)
{
    if (row->repeated)
        snprintf(buf, size,
                 "rerun it (cnnlab run MANIFEST --variant %s --seed %llu "
                 "--force)",
                 row->variant, row->seed);
    else
        snprintf(buf, size,
                 "rerun the variant (cnnlab run MANIFEST --variant %s "
                 "--force)",
                 row->variant);
    return buf;
}

/* A number in [low, high] at `key` of `object`, or 0. */
static int number_in(const json_t *object, const char *key, double low,
                     double high, double *value)
{
    const json_t *item = json_object_get(object, key);
    if (!json_is_number(item))
        return 0;
    *value = json_number_value(item);
    return isfinite(*value) && *value >= low && *value <= high;
}

static int integer_in(const json_t *object, const char *key, long low,
                      long high, long *value)
{
    const json_t *item = json_object_get(object, key);
    if (!json_is_integer(item))
        return 0;
    json_int_t number = json_integer_value(item);
    *value = (long)number;
    return number >= low && number <= high;
}

/* The selected epoch's numbers of a complete run; a field that is missing
 * or impossible makes the row unreadable. */
static int read_result(const json_t *info, const char *path,
                       struct cnn_table_row *row, struct cnn_error *err)
{
    const json_t *result = json_object_get(info, "result");
    long selected = 0, epochs = 0;
    const char *bad = NULL;
    if (!integer_in(info, "parameters", 0, 1L << 62, &row->parameters))
        bad = "parameters";
    else if (!json_is_object(result))
        bad = "result";
    else if (!number_in(result, "train_accuracy", 0, 100, &row->train))
        bad = "result.train_accuracy";
    else if (!number_in(result, "val_accuracy", 0, 100, &row->val))
        bad = "result.val_accuracy";
    else if (!number_in(result, "test_accuracy", 0, 100, &row->test))
        bad = "result.test_accuracy";
    /* 0 and 0: a run without training (train.epochs: 0) that evaluated
     * its starting weights. */
    else if (!integer_in(result, "epochs_run", 0, 100000000, &epochs))
        bad = "result.epochs_run";
    else if (!integer_in(result, "selected_epoch", epochs > 0 ? 1 : 0,
                         epochs, &selected))
        bad = "result.selected_epoch";
    char hint[256];
    if (bad)
        return set_note(row, CNN_TABLE_UNREADABLE, err,
                        "%s: the run is complete but '%s' is missing or "
                        "impossible: %s",
                        path, bad, rerun_hint(row, hint, sizeof hint));
    row->epochs_run = (int)epochs;
    row->selected_epoch = (int)selected;
    return 0;
}

static char *read_text(const char *path, int *missing)
{
    *missing = 0;
    struct cnn_error ignored = {0};
    FILE *file = cnn_input_fopen(path, &ignored);
    if (!file) {
        *missing = 1;
        return NULL;
    }
    char *text = NULL;
    size_t length = 0, capacity = 0;
    for (int c; (c = fgetc(file)) != EOF;) {
        if (length + 1 >= capacity) {
            capacity = capacity ? capacity * 2 : 4096;
            char *grown = realloc(text, capacity);
            if (!grown) {
                free(text);
                fclose(file);
                return NULL;
            }
            text = grown;
        }
        text[length++] = (char)c;
    }
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        free(text);
        *missing = 1;
        return NULL;
    }
    if (!text)
        text = calloc(1, 1);
    else
        text[length] = '\0';
    return text;
}

/* Field `index` of a comma-separated line (cnnlab writes no quoting). */
static int field(const char *line, int index, char *out, size_t size)
{
    for (int i = 0; i < index; i++) {
        line = strchr(line, ',');
        if (!line)
            return 0;
        line++;
    }
    size_t length = strcspn(line, ",");
    if (length >= size)
        return 0;
    memcpy(out, line, length);
    out[length] = '\0';
    return 1;
}

static int column_of(const char *header, const char *name)
{
    char cell[64];
    for (int i = 0; field(header, i, cell, sizeof cell); i++)
        if (strcmp(cell, name) == 0)
            return i;
    return -1;
}

#define MAX_COLUMNS 4

/* "'a'", "'a' and 'b'", "'a', 'b' and 'c'": the columns a header needs. */
static void name_list(const char *const *names, int count, char *text,
                      size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < count && used < size; i++)
        used += (size_t)snprintf(text + used, size - used, "%s'%s'",
                                 i == 0 ? ""
                                 : i == count - 1 ? " and "
                                                  : ", ",
                                 names[i]);
}

/* Reads `count` named columns of a per-epoch CSV whose first column is
 * `epoch` (1, 2, 3, ... in order): values[c] gets `*rows` numbers. A file
 * the table cannot use makes the row unreadable (the caller checks
 * row->status); -1 only when out of memory. */
static int read_epoch_columns(const char *path, const char *const *names,
                              int count, double *values[MAX_COLUMNS],
                              int *rows, struct cnn_table_row *row,
                              struct cnn_error *err)
{
    int missing;
    char hint[256];
    rerun_hint(row, hint, sizeof hint);
    *rows = 0;
    char *text = read_text(path, &missing);
    if (!text && !missing)
        return cnn_error_set(err, "out of memory");
    if (!text)
        return set_note(row, CNN_TABLE_UNREADABLE, err,
                        "%s is missing or unreadable: %s", path, hint);
    int columns[MAX_COLUMNS];
    char *line = text, *next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    int usable = column_of(line, "epoch") == 0;
    for (int c = 0; c < count; c++) {
        columns[c] = column_of(line, names[c]);
        usable &= columns[c] > 0;
    }
    int line_number = 1, status = 0;
    char needed[256];
    name_list(names, count, needed, sizeof needed);
    if (!usable)
        status = set_note(row, CNN_TABLE_UNREADABLE, err,
                          "%s:1: the header needs 'epoch' first and %s: %s",
                          path, needed, hint);
    for (line = next; usable && status == 0 && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_number++;
        char cell[64], *end;
        int fine = field(line, 0, cell, sizeof cell) &&
                   strtol(cell, &end, 10) == *rows + 1 && !*end;
        for (int c = 0; fine && status == 0 && c < count; c++) {
            double value = 0;
            fine = field(line, columns[c], cell, sizeof cell) && cell[0] &&
                   (value = strtod(cell, &end), !*end) && isfinite(value) &&
                   value >= 0;
            double *grown =
                fine ? realloc(values[c], (size_t)(*rows + 1) * sizeof *grown)
                     : NULL;
            if (fine && !grown)
                status = cnn_error_set(err, "out of memory");
            else if (fine)
                (values[c] = grown)[*rows] = value;
        }
        if (status == 0 && !fine)
            status = set_note(row, CNN_TABLE_UNREADABLE, err,
                              "%s:%d: expected epoch %d with a number in "
                              "each column, got '%.80s': %s",
                              path, line_number, *rows + 1, line, hint);
        else if (status == 0)
            ++*rows;
        usable = fine;
    }
    if (status == 0 && usable && *rows < row->epochs_run)
        status = set_note(row, CNN_TABLE_UNREADABLE, err,
                          "%s has %d epochs but run.json says %d ran: %s",
                          path, *rows, row->epochs_run, hint);
    free(text);
    return status;
}

/* metrics.csv: the accuracies at table.epochs and, for one seed's run,
 * every epoch's losses and accuracies (kept in row->history). */
static int read_epochs(const struct cnn_table *table,
                       const char *variant_dir, struct cnn_table_row *row,
                       struct cnn_error *err)
{
    static const char *const all[] = {"train_loss", "val_loss",
                                      "train_accuracy", "val_accuracy"};
    const char *const *names = row->repeated ? all : all + 2;
    int count = row->repeated ? 4 : 2, offset = row->repeated ? 2 : 0;
    double *values[MAX_COLUMNS] = {NULL, NULL, NULL, NULL};
    int rows = 0;
    char *path = cnn_path_join(variant_dir, "metrics.csv");
    int status = path ? read_epoch_columns(path, names, count, values, &rows,
                                           row, err)
                      : cnn_error_set(err, "out of memory");
    const double *train = values[offset], *val = values[offset + 1];
    for (int i = 0; status == 0 && row->status == CNN_TABLE_COMPLETE &&
                    i < table->settings.epoch_count;
         i++) {
        int epoch = table->settings.epochs[i];
        int ran = epoch <= row->epochs_run;
        row->epoch_train[i] = ran ? train[epoch - 1] : NAN;
        row->epoch_val[i] = ran ? val[epoch - 1] : NAN;
        if (ran && (train[epoch - 1] > 100 || val[epoch - 1] > 100))
            status = set_note(row, CNN_TABLE_UNREADABLE, err,
                              "%s: epoch %d has an accuracy over 100%%",
                              path, epoch);
    }
    if (status == 0 && row->status == CNN_TABLE_COMPLETE && row->repeated) {
        /* The epochs the run finished: a stopped one may have more. */
        row->history_count = rows < row->epochs_run ? rows : row->epochs_run;
        for (int c = 0; c < 4; c++) {
            row->history[c] = values[c];
            values[c] = NULL;
        }
    }
    for (int c = 0; c < MAX_COLUMNS; c++)
        free(values[c]);
    free(path);
    return status;
}

static int read_seconds(const char *variant_dir, struct cnn_table_row *row,
                        struct cnn_error *err)
{
    static const char *const names[] = {"seconds"};
    double *values[MAX_COLUMNS] = {NULL, NULL};
    int rows = 0;
    char *path = cnn_path_join(variant_dir, "epoch-seconds.csv");
    int status = path ? read_epoch_columns(path, names, 1, values, &rows,
                                           row, err)
                      : cnn_error_set(err, "out of memory");
    if (status == 0 && row->status == CNN_TABLE_COMPLETE) {
        /* Only the epochs the run finished: a stopped one may have more. */
        int n = rows < row->epochs_run ? rows : row->epochs_run;
        double sum = 0, squares = 0;
        for (int i = 0; i < n; i++)
            sum += values[0][i];
        double mean = n > 0 ? sum / n : 0;
        for (int i = 0; i < n; i++)
            squares += (values[0][i] - mean) * (values[0][i] - mean);
        row->seconds_count = n;
        row->seconds_mean = mean;
        row->seconds_std = n > 1 ? sqrt(squares / (n - 1)) : 0;
        row->seconds = values[0]; /* pooled across seeds */
        values[0] = NULL;
    }
    free(values[0]);
    free(path);
    return status;
}

/* A complete run of another resolved manifest than the experiment's last
 * `cnnlab run` (the same test that makes `run` redo a variant). */
static int check_current(const char *variant_dir, struct cnn_table_row *row,
                         struct cnn_error *err)
{
    char *path = cnn_path_join(variant_dir, "manifest.yaml");
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct cnn_node *resolved = NULL;
    struct cnn_error load_error = {0};
    char digest[CNN_TABLE_DIGEST_SIZE] = "", message[CNN_ERROR_MESSAGE_MAX +
                                                     CNN_ERROR_FILE_MAX + 32];
    int status = 0;
    if (cnn_node_load_file(path, &resolved, &load_error) < 0)
        status = set_note(row, CNN_TABLE_UNREADABLE, err,
                          "the run's manifest does not load: %s",
                          cnn_error_format(&load_error, message,
                                           sizeof message));
    else if (cnn_table_digest(resolved, digest, err) < 0)
        status = -1;
    else if (strcmp(digest, row->expected_digest) != 0 &&
             cnn_table_digest_whole(resolved, digest, err) < 0)
        status = -1;
    else if (strcmp(digest, row->expected_digest) != 0)
        status = set_note(row, CNN_TABLE_STALE, err,
                          "%s is not what the last `cnnlab run` resolved "
                          "for %s (another profile, override or manifest "
                          "edit): its results are left out; rerun it with "
                          "the same options",
                          path, row->path);
    cnn_node_free(resolved);
    free(path);
    return status;
}

static int status_of(const char *text, enum cnn_table_status *status)
{
    static const struct {
        const char *name;
        enum cnn_table_status status;
    } known[] = {
        {"complete", CNN_TABLE_COMPLETE},
        {"running", CNN_TABLE_RUNNING},
        {"failed", CNN_TABLE_FAILED},
        {"interrupted", CNN_TABLE_INTERRUPTED},
    };
    for (size_t i = 0; text && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(text, known[i].name) == 0) {
            *status = known[i].status;
            return 1;
        }
    return 0;
}

static int read_run(const struct cnn_table *table, const char *variant_dir,
                    struct cnn_table_row *row, struct cnn_error *err)
{
    char *path = cnn_path_join(variant_dir, "run.json");
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct stat info;
    int status = 0;
    json_error_t json_error;
    json_t *run = NULL;
    char hint[256];
    rerun_hint(row, hint, sizeof hint);
    if (stat(path, &info) != 0) {
        status = set_note(row, CNN_TABLE_NOT_RUN, err,
                          "%s has no run.json: the %s never started",
                          variant_dir, row->repeated ? "run" : "variant");
    } else if (!(run = cnn_json_load_regular(path, 0, &json_error))) {
        status = set_note(row, CNN_TABLE_UNREADABLE, err,
                          "%s:%d:%d: not valid JSON (%s): %s", path,
                          json_error.line, json_error.column,
                          json_error.text, hint);
    } else if (!json_is_object(run) ||
               !status_of(json_string_value(json_object_get(run, "status")),
                          &row->status)) {
        status = set_note(row, CNN_TABLE_UNREADABLE, err,
                          "%s: no known 'status' (complete, running, "
                          "failed, interrupted): %s",
                          path, hint);
    } else if (row->status == CNN_TABLE_COMPLETE) {
        status = read_result(run, path, row, err);
    }
    json_decref(run);
    free(path);
    if (status == 0 && row->status == CNN_TABLE_COMPLETE &&
        row->expected_digest[0])
        status = check_current(variant_dir, row, err);
    if (status == 0 && row->status == CNN_TABLE_COMPLETE &&
        (table->settings.epoch_count > 0 || row->repeated))
        status = read_epochs(table, variant_dir, row, err);
    if (status == 0 && row->status == CNN_TABLE_COMPLETE &&
        table->settings.epoch_seconds)
        status = read_seconds(variant_dir, row, err);
    return status;
}

int cnn_table_read_row(const struct cnn_table *table,
                       struct cnn_table_row *row, struct cnn_error *err)
{
    row->status = CNN_TABLE_NOT_RUN;
    row->test_difference = NAN;
    char *variant_dir = cnn_path_join(table->directory, row->path);
    if (!variant_dir)
        return cnn_error_set(err, "out of memory");
    struct stat info;
    int status = 0;
    if (stat(variant_dir, &info) != 0)
        row->status = CNN_TABLE_NOT_RUN; /* nothing to say: no results */
    else if (!S_ISDIR(info.st_mode))
        status = set_note(row, CNN_TABLE_UNREADABLE, err,
                          "%s is not a directory", variant_dir);
    else
        status = read_run(table, variant_dir, row, err);
    free(variant_dir);
    return status;
}
