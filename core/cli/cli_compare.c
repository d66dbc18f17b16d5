/* cnnlab — `cnnlab compare RUN RUN`: what differs between two run
 * directories, as Markdown on stdout: the keys of their resolved
 * manifests (manifest.yaml) that differ, flattened to key paths, then
 * their metrics side by side (run.json, metrics.csv, epoch-seconds.csv). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "cnnlab/input_file.h"
#include "base/json_input.h"
#include "cli/cli.h"
#include "cnnlab/node.h"

struct entry {
    char *key;   /* "train.optimizer.sgd.lr", "model.layers[0].conv2d.out" */
    char *value; /* the scalar as written; "{}" or "[]" when empty */
};

struct run {
    const char *directory;
    struct entry *entries;
    int count, capacity;
    json_t *info;              /* run.json */
    int epochs;                /* rows of metrics.csv; -1: no file */
    double final_train, final_val; /* its last row; NAN: not there */
    double seconds;            /* mean of epoch-seconds.csv; NAN: none */
};

static int add_entry(struct run *run, const char *key, const char *value,
                     struct cnn_error *err)
{
    if (run->count == run->capacity) {
        int capacity = run->capacity ? 2 * run->capacity : 64;
        struct entry *grown = realloc(run->entries,
                                      (size_t)capacity * sizeof *grown);
        if (!grown)
            return cnn_error_set(err, "out of memory comparing runs");
        run->entries = grown;
        run->capacity = capacity;
    }
    struct entry *e = &run->entries[run->count];
    e->key = strdup(key);
    e->value = strdup(value);
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return cnn_error_set(err, "out of memory comparing runs");
    }
    run->count++;
    return 0;
}

/* Every scalar under node, keyed by its path from the root. */
static int flatten(struct run *run, const struct cnn_node *node,
                   const char *path, struct cnn_error *err)
{
    if (node->kind == CNN_NODE_SCALAR)
        return add_entry(run, path, node->text ? node->text : "", err);
    int is_map = node->kind == CNN_NODE_MAP;
    if (node->count == 0)
        return add_entry(run, path, is_map ? "{}" : "[]", err);
    for (int i = 0; i < node->count; i++) {
        char child[1024];
        int n = is_map ? snprintf(child, sizeof child, "%s%s%s", path,
                                  path[0] ? "." : "", node->keys[i])
                       : snprintf(child, sizeof child, "%s[%d]", path, i);
        if (n < 0 || (size_t)n >= sizeof child)
            return cnn_error_set(err, "%s/manifest.yaml: key path too long "
                                 "under '%s'", run->directory, path);
        if (flatten(run, node->items[i], child, err) < 0)
            return -1;
    }
    return 0;
}

static char *file_path(const struct run *run, const char *name)
{
    return cnn_path_join(run->directory, name);
}

/* A run directory must hold these two; a run that never started has
 * neither. */
static int need_file(const struct run *run, const char *name,
                     struct cnn_error *err)
{
    char *path = file_path(run, name);
    if (!path)
        return cnn_error_set(err, "out of memory comparing runs");
    struct stat info;
    int status = 0;
    if (stat(path, &info) != 0)
        status = cnn_error_set(err, "compare: %s: %s is missing (%s); a "
                               "run directory is "
                               "<out>/<experiment>/<variant>, written by "
                               "`cnnlab run`",
                               run->directory, name, strerror(errno));
    free(path);
    return status;
}

/* A CSV file a run wrote (metrics.csv, epoch-seconds.csv), read whole and
 * checked, since a damaged one must not become a number in the table:
 * a header of names, then rows of as many fields, every field a finite
 * number. Lines may be of any length. */
struct csv {
    char **names;   /* columns */
    int columns;
    double *values; /* rows * columns, row-major */
    int rows;
};

static void csv_free(struct csv *csv)
{
    for (int i = 0; i < csv->columns; i++)
        free(csv->names[i]);
    free(csv->names);
    free(csv->values);
    memset(csv, 0, sizeof *csv);
}

/* Splits `line` (its newline removed) at commas into fields, in place. */
static int split_fields(char *line, char ***fields, int *count)
{
    line[strcspn(line, "\r\n")] = '\0';
    int n = 1;
    for (const char *c = line; *c; c++)
        n += *c == ',';
    char **out = malloc((size_t)n * sizeof *out);
    if (!out)
        return -1;
    out[0] = line;
    for (int i = 1; i < n; i++) {
        char *comma = strchr(out[i - 1], ',');
        *comma = '\0';
        out[i] = comma + 1;
    }
    *fields = out;
    *count = n;
    return 0;
}

static int csv_header(struct csv *csv, char *line, const char *path,
                      struct cnn_error *err)
{
    char **fields;
    int count;
    if (split_fields(line, &fields, &count) < 0)
        return cnn_error_set(err, "out of memory comparing runs");
    csv->names = calloc((size_t)count, sizeof *csv->names);
    int status = csv->names ? 0 : cnn_error_set(err, "out of memory");
    for (int i = 0; status == 0 && i < count; i++) {
        if (!fields[i][0])
            status = cnn_error_set(err, "compare: %s:1: column %d of the "
                                   "header has no name: the file is "
                                   "damaged (rerun the variant, or remove "
                                   "the file)", path, i + 1);
        else if (!(csv->names[i] = strdup(fields[i])))
            status = cnn_error_set(err, "out of memory");
        else
            csv->columns = i + 1;
    }
    free(fields);
    return status;
}

static int csv_row(struct csv *csv, char *line, int line_number,
                   const char *path, struct cnn_error *err)
{
    char **fields;
    int count;
    if (split_fields(line, &fields, &count) < 0)
        return cnn_error_set(err, "out of memory comparing runs");
    int status = 0;
    if (count != csv->columns)
        status = cnn_error_set(err, "compare: %s:%d: %d fields, but the "
                               "header has %d: the file is damaged (rerun "
                               "the variant, or remove the file)", path,
                               line_number, count, csv->columns);
    double *grown = status ? NULL
                           : realloc(csv->values,
                                     (size_t)(csv->rows + 1) *
                                         (size_t)csv->columns *
                                         sizeof *grown);
    if (status == 0 && !grown)
        status = cnn_error_set(err, "out of memory comparing runs");
    if (grown)
        csv->values = grown;
    for (int i = 0; status == 0 && i < count; i++) {
        char *end;
        errno = 0;
        double value = strtod(fields[i], &end);
        if (end == fields[i] || *end || errno == ERANGE || !isfinite(value))
            status = cnn_error_set(err, "compare: %s:%d: %s is '%.40s', "
                                   "not a finite number: the file is "
                                   "damaged (rerun the variant, or remove "
                                   "the file)", path, line_number,
                                   csv->names[i], fields[i]);
        else
            csv->values[(size_t)csv->rows * (size_t)csv->columns +
                        (size_t)i] = value;
    }
    if (status == 0)
        csv->rows++;
    free(fields);
    return status;
}

/* Reads the run's file `name`: 1 when there is none (an optional file: a
 * cell shows "-"), 0 when read, -1 with the error naming the line when it
 * is damaged. */
static int csv_read(const struct run *run, const char *name, struct csv *csv,
                    struct cnn_error *err)
{
    memset(csv, 0, sizeof *csv);
    char *path = file_path(run, name);
    if (!path)
        return cnn_error_set(err, "out of memory comparing runs");
    /* Absent: optional. Present but not a regular file (a FIFO would
     * block the read): damaged, named by the reader's message. */
    FILE *file = cnn_input_fopen(path, err);
    if (!file) {
        int absent = errno == ENOENT;
        free(path);
        return absent ? 1 : -1;
    }
    char *line = NULL;
    size_t size = 0;
    int status = 0, line_number = 0;
    ssize_t length;
    while (status == 0 && (length = getline(&line, &size, file)) >= 0) {
        line_number++;
        if ((size_t)length != strlen(line))
            status = cnn_error_set(err, "compare: %s:%d: a NUL byte in the "
                                   "line: the file is damaged (rerun the "
                                   "variant, or remove the file)", path,
                                   line_number);
        else if (line_number == 1)
            status = csv_header(csv, line, path, err);
        else if (line[0] != '\n')
            status = csv_row(csv, line, line_number, path, err);
    }
    if (status == 0 && ferror(file))
        status = cnn_error_set(err, "compare: %s: %s", path,
                               strerror(errno));
    if (status == 0 && line_number == 0)
        status = cnn_error_set(err, "compare: %s is empty: the file is "
                               "damaged (rerun the variant, or remove the "
                               "file)", path);
    free(line);
    fclose(file);
    free(path);
    if (status < 0)
        csv_free(csv);
    return status;
}

/* Column `name` of row `row`; NAN when the file has no such column. */
static double csv_value(const struct csv *csv, int row, const char *name)
{
    for (int i = 0; i < csv->columns; i++)
        if (strcmp(csv->names[i], name) == 0)
            return csv->values[(size_t)row * (size_t)csv->columns +
                               (size_t)i];
    return NAN;
}

/* A variant's directory of a manifest with `seeds:` holds a run per
 * seed, not a run: the first seed-<s> folder in it, for the message; 0
 * when there is none. */
static int first_seed_folder(const char *directory, char *name, size_t size)
{
    DIR *dir = opendir(directory);
    if (!dir)
        return 0;
    int found = 0;
    unsigned long long best = 0;
    for (struct dirent *entry; (entry = readdir(dir));) {
        char *end;
        if (strncmp(entry->d_name, "seed-", 5) != 0 ||
            entry->d_name[5] < '0' || entry->d_name[5] > '9')
            continue;
        unsigned long long seed = strtoull(entry->d_name + 5, &end, 10);
        if (*end || (found && seed >= best))
            continue;
        best = seed;
        found = 1;
        snprintf(name, size, "%s", entry->d_name);
    }
    closedir(dir);
    return found;
}

static int load_run(struct run *run, const char *directory,
                    struct cnn_error *err)
{
    memset(run, 0, sizeof *run);
    run->directory = directory;
    struct stat info;
    if (stat(directory, &info) != 0 || !S_ISDIR(info.st_mode))
        return cnn_error_set(err, "compare: %s: not a directory; give two "
                             "run directories, e.g. results/quickstart/main",
                             directory);
    char seed_folder[300];
    char *manifest_path = file_path(run, "manifest.yaml");
    int has_manifest = manifest_path && stat(manifest_path, &info) == 0;
    free(manifest_path);
    if (!has_manifest &&
        first_seed_folder(directory, seed_folder, sizeof seed_folder))
        return cnn_error_set(err, "compare: %s holds a run per seed "
                             "(seeds:), not one run: give one of them, "
                             "e.g. %s/%s",
                             directory, directory, seed_folder);
    if (need_file(run, "manifest.yaml", err) < 0 ||
        need_file(run, "run.json", err) < 0)
        return -1;
    char *path = file_path(run, "manifest.yaml");
    struct cnn_node *root = NULL;
    int status = path ? cnn_node_load_file(path, &root, err)
                      : cnn_error_set(err, "out of memory comparing runs");
    if (status == 0)
        status = flatten(run, root, "", err);
    cnn_node_free(root);
    free(path);
    if (status < 0)
        return -1;
    path = file_path(run, "run.json");
    json_error_t json_error;
    run->info = path ? cnn_json_load_regular(path, 0, &json_error) : NULL;
    if (!run->info)
        status = cnn_error_set(err, "compare: %s/run.json:%d: not valid "
                               "JSON: %s", directory,
                               path ? json_error.line : 0,
                               path ? json_error.text : "out of memory");
    free(path);
    struct csv metrics, seconds;
    int absent = status == 0 ? csv_read(run, "metrics.csv", &metrics, err)
                             : -1;
    if (absent < 0)
        return -1;
    run->epochs = absent ? -1 : metrics.rows;
    run->final_train = run->epochs > 0
                           ? csv_value(&metrics, metrics.rows - 1,
                                       "train_accuracy")
                           : NAN;
    run->final_val = run->epochs > 0
                         ? csv_value(&metrics, metrics.rows - 1,
                                     "val_accuracy")
                         : NAN;
    if (!absent)
        csv_free(&metrics);
    absent = csv_read(run, "epoch-seconds.csv", &seconds, err);
    if (absent < 0)
        return -1;
    run->seconds = NAN;
    if (!absent && seconds.rows > 0) {
        double sum = 0;
        for (int i = 0; i < seconds.rows; i++)
            sum += csv_value(&seconds, i, "seconds");
        run->seconds = sum / seconds.rows;
    }
    if (!absent)
        csv_free(&seconds);
    return status;
}

static void free_run(struct run *run)
{
    for (int i = 0; i < run->count; i++) {
        free(run->entries[i].key);
        free(run->entries[i].value);
    }
    free(run->entries);
    json_decref(run->info);
}

/* Markdown cells: a '|' would end the cell. */
static void print_cell(const char *text)
{
    fputs("| ", stdout);
    for (const char *c = text; *c; c++) {
        if (*c == '|')
            putchar('\\');
        putchar(*c == '\n' ? ' ' : *c);
    }
    putchar(' ');
}

static const char *find_value(const struct run *run, const char *key)
{
    for (int i = 0; i < run->count; i++)
        if (strcmp(run->entries[i].key, key) == 0)
            return run->entries[i].value;
    return NULL;
}

static void print_manifest_row(const char *key, const char *a, const char *b)
{
    print_cell(key);
    print_cell(a ? a : "(absent)");
    print_cell(b ? b : "(absent)");
    puts("|");
}

static void print_manifest_differences(const struct run *a,
                                       const struct run *b)
{
    int differ = 0;
    for (int pass = 0; pass < 2; pass++) {
        const struct run *one = pass ? b : a, *other = pass ? a : b;
        for (int i = 0; i < one->count; i++) {
            const char *key = one->entries[i].key;
            const char *mine = one->entries[i].value;
            const char *theirs = find_value(other, key);
            /* The second pass adds only the keys the first lacks. */
            if ((pass && theirs) || (theirs && strcmp(mine, theirs) == 0))
                continue;
            if (differ++ == 0) {
                puts("| manifest key | A | B |\n| --- | --- | --- |");
            }
            print_manifest_row(key, pass ? theirs : mine,
                               pass ? mine : theirs);
        }
    }
    if (differ == 0)
        puts("The resolved manifests are the same.");
}

static double result_number(const struct run *run, const char *key)
{
    json_t *value = json_object_get(json_object_get(run->info, "result"),
                                    key);
    return json_is_number(value) ? json_number_value(value) : NAN;
}

/* One metric: both values, and B - A when both are known. */
static void print_metric(const char *label, double a, double b,
                         const char *format, const char *difference_format)
{
    char cell[64];
    print_cell(label);
    for (int side = 0; side < 2; side++) {
        double value = side ? b : a;
        if (isnan(value))
            snprintf(cell, sizeof cell, "-");
        else
            snprintf(cell, sizeof cell, format, value);
        print_cell(cell);
    }
    if (isnan(a) || isnan(b))
        snprintf(cell, sizeof cell, "-");
    else
        snprintf(cell, sizeof cell, difference_format, b - a);
    print_cell(cell);
    puts("|");
}

static void print_metrics(const struct run *a, const struct run *b)
{
    const char *status_a = json_string_value(
        json_object_get(a->info, "status"));
    const char *status_b = json_string_value(
        json_object_get(b->info, "status"));
    puts("| metric | A | B | B − A |\n| --- | ---: | ---: | ---: |");
    print_cell("status");
    print_cell(status_a ? status_a : "-");
    print_cell(status_b ? status_b : "-");
    print_cell(status_a && status_b && strcmp(status_a, status_b) == 0
                   ? "same" : "differs");
    puts("|");
    json_t *pa = json_object_get(a->info, "parameters");
    json_t *pb = json_object_get(b->info, "parameters");
    print_metric("parameters",
                 json_is_integer(pa) ? (double)json_integer_value(pa) : NAN,
                 json_is_integer(pb) ? (double)json_integer_value(pb) : NAN,
                 "%.0f", "%+.0f");
    print_metric("epochs run", a->epochs >= 0 ? a->epochs : NAN,
                 b->epochs >= 0 ? b->epochs : NAN, "%.0f", "%+.0f");
    print_metric("selected epoch", result_number(a, "selected_epoch"),
                 result_number(b, "selected_epoch"), "%.0f", "%+.0f");
    print_metric("final train accuracy (%)", a->final_train, b->final_train,
                 "%.2f", "%+.2f");
    print_metric("final val accuracy (%)", a->final_val, b->final_val,
                 "%.2f", "%+.2f");
    print_metric("selected train accuracy (%)",
                 result_number(a, "train_accuracy"),
                 result_number(b, "train_accuracy"), "%.2f", "%+.2f");
    print_metric("selected val accuracy (%)",
                 result_number(a, "val_accuracy"),
                 result_number(b, "val_accuracy"), "%.2f", "%+.2f");
    print_metric("test accuracy (%)", result_number(a, "test_accuracy"),
                 result_number(b, "test_accuracy"), "%.2f", "%+.2f");
    print_metric("test loss", result_number(a, "test_loss"),
                 result_number(b, "test_loss"), "%.4f", "%+.4f");
    print_metric("seconds per epoch", a->seconds, b->seconds, "%.3f",
                 "%+.3f");
}

int cnn_cli_compare(int argc, char **argv)
{
    const char *directories[2];
    int given = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("Usage: cnnlab compare RUN RUN\n"
                 "Prints, as Markdown, the keys of the two runs' resolved "
                 "manifests that differ\nand their metrics side by side. "
                 "RUN is a run directory,\n<out>/<experiment>/<variant> "
                 "(e.g. results/quickstart/main), or with seeds:\n"
                 "<out>/<experiment>/<variant>/seed-<s>.");
            return CNN_EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "cnnlab: unknown option '%s' for compare\n"
                            "Try 'cnnlab compare --help'.\n",
                    argv[i]);
            return CNN_EXIT_USAGE;
        }
        if (given < 2)
            directories[given] = argv[i];
        given++;
    }
    if (given != 2) {
        fprintf(stderr, "cnnlab: compare needs two run directories, got "
                        "%d, e.g. `cnnlab compare results/lr/a "
                        "results/lr/b`\nTry 'cnnlab compare --help'.\n",
                given);
        return CNN_EXIT_USAGE;
    }
    struct run runs[2];
    struct cnn_error err = {0};
    int status = CNN_EXIT_OK;
    int loaded = 0;
    for (; loaded < 2; loaded++)
        if (load_run(&runs[loaded], directories[loaded], &err) < 0) {
            loaded++;
            cnn_cli_report(&err);
            status = CNN_EXIT_USAGE;
            break;
        }
    if (status == CNN_EXIT_OK) {
        printf("# compare\n\n- A: `%s`\n- B: `%s`\n\n## Manifest\n\n",
               directories[0], directories[1]);
        print_manifest_differences(&runs[0], &runs[1]);
        puts("\n## Metrics\n");
        print_metrics(&runs[0], &runs[1]);
    }
    for (int i = 0; i < loaded; i++)
        free_run(&runs[i]);
    return status;
}
