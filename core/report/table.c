/* cnnlab — an experiment's table: the variant list
 * (experiment.yaml or the directory's variant folders) and the rows. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "report/table.h"

const char *cnn_table_status_name(enum cnn_table_status status)
{
    switch (status) {
    case CNN_TABLE_COMPLETE:
        return "complete";
    case CNN_TABLE_RUNNING:
        return "running";
    case CNN_TABLE_FAILED:
        return "failed";
    case CNN_TABLE_INTERRUPTED:
        return "interrupted";
    case CNN_TABLE_NOT_RUN:
        return "not run";
    case CNN_TABLE_UNREADABLE:
        return "unreadable";
    case CNN_TABLE_STALE:
        return "stale";
    }
    return "unknown";
}

/* A variant name is a directory below the experiment: no '/', no leading
 * '.', so a hand-edited experiment.yaml cannot point outside it. */
static int safe_variant_name(const char *name)
{
    return name[0] && name[0] != '.' && !strchr(name, '/');
}

static int add_row(struct cnn_table *table, const char *variant,
                   const char *digest, struct cnn_error *err)
{
    struct cnn_table_row *grown = realloc(
        table->rows, (size_t)(table->row_count + 1) * sizeof *grown);
    if (!grown)
        return cnn_error_set(err, "out of memory");
    table->rows = grown;
    struct cnn_table_row *row = &table->rows[table->row_count];
    memset(row, 0, sizeof *row);
    row->parameters = -1;
    if (digest)
        snprintf(row->expected_digest, sizeof row->expected_digest, "%s",
                 digest);
    row->variant = strdup(variant);
    if (!row->variant)
        return cnn_error_set(err, "out of memory");
    table->row_count++;
    return 0;
}

/* An entry of experiment.yaml's variants: {name: N, manifest: DIGEST}, or
 * just N (no staleness check). */
static int read_variant_entry(struct cnn_table *table,
                              const struct cnn_node *entry,
                              struct cnn_error *err)
{
    const struct cnn_node *name_node =
        entry->kind == CNN_NODE_MAP ? cnn_node_get(entry, "name") : entry;
    const struct cnn_node *digest_node = cnn_node_get(entry, "manifest");
    const char *name, *digest = NULL;
    if (!name_node)
        return cnn_error_at(err, entry->mark,
                            "a variant entry is {name: N, manifest: DIGEST}");
    if (cnn_node_to_string(name_node, &name, err) < 0 ||
        (digest_node && cnn_node_to_string(digest_node, &digest, err) < 0))
        return -1;
    if (!safe_variant_name(name))
        return cnn_error_at(err, name_node->mark,
                            "'%s' is not a variant directory name", name);
    return add_row(table, name, digest, err);
}

/* experiment.yaml: {experiment, manifest, variants: [...], table: {...}} */
static int read_experiment_file(struct cnn_table *table, const char *path,
                                struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    if (cnn_node_load_file(path, &root, err) < 0)
        return -1;
    const struct cnn_node *variants = cnn_node_get(root, "variants");
    int status = 0;
    if (root->kind != CNN_NODE_MAP || !variants ||
        variants->kind != CNN_NODE_SEQUENCE || variants->count == 0)
        status = cnn_error_at(err, variants ? variants->mark : root->mark,
                              "an experiment file needs 'variants: [name, "
                              "...]' (rerun `cnnlab run MANIFEST` to "
                              "rewrite it)");
    for (int i = 0; status == 0 && i < variants->count; i++)
        status = read_variant_entry(table, variants->items[i], err);
    if (status == 0)
        status = cnn_table_settings_parse(cnn_node_get(root, "table"),
                                          &table->settings, err);
    cnn_node_free(root);
    return status;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_file(const char *directory, const char *name)
{
    char *path = cnn_path_join(directory, name);
    struct stat info;
    int found = path && stat(path, &info) == 0 && S_ISREG(info.st_mode);
    free(path);
    return found;
}

/* Without experiment.yaml: every folder with a run.json or manifest.yaml,
 * in name order. */
static int scan_variants(struct cnn_table *table, struct cnn_error *err)
{
    DIR *dir = opendir(table->directory);
    if (!dir)
        return cnn_error_set(err, "cannot read the results directory '%s': "
                                  "%s",
                             table->directory, strerror(errno));
    char **names = NULL;
    int count = 0, status = 0;
    for (struct dirent *entry; status == 0 && (entry = readdir(dir));) {
        if (entry->d_name[0] == '.')
            continue;
        char *path = cnn_path_join(table->directory, entry->d_name);
        struct stat info;
        int is_variant = path && stat(path, &info) == 0 &&
                         S_ISDIR(info.st_mode) &&
                         (is_file(path, "run.json") ||
                          is_file(path, "manifest.yaml"));
        if (!path)
            status = cnn_error_set(err, "out of memory");
        free(path);
        if (!is_variant)
            continue;
        char **grown = realloc(names, (size_t)(count + 1) * sizeof *grown);
        char *copy = strdup(entry->d_name);
        if (grown)
            names = grown;
        if (!grown || !copy) {
            free(copy);
            status = cnn_error_set(err, "out of memory");
        } else {
            names[count++] = copy;
        }
    }
    closedir(dir);
    if (status == 0 && count == 0)
        status = cnn_error_set(err,
                               "'%s' holds no results: no experiment.yaml "
                               "and no variant directory with a run.json "
                               "(give results/<experiment>, the directory "
                               "`cnnlab run` wrote)",
                               table->directory);
    if (count > 0)
        qsort(names, (size_t)count, sizeof *names, compare_names);
    for (int i = 0; status == 0 && i < count; i++)
        status = add_row(table, names[i], NULL, err);
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return status;
}

/* The settings of a scanned experiment: the first variant's manifest that
 * loads. A manifest.yaml the table cannot use is reported with that row. */
static int settings_from_variants(struct cnn_table *table,
                                  struct cnn_error *err)
{
    for (int i = 0; i < table->row_count; i++) {
        char *variant_dir =
            cnn_path_join(table->directory, table->rows[i].variant);
        char *path =
            variant_dir ? cnn_path_join(variant_dir, "manifest.yaml") : NULL;
        free(variant_dir);
        if (!path)
            return cnn_error_set(err, "out of memory");
        struct cnn_node *root = NULL;
        struct cnn_error ignored = {0};
        int loaded = cnn_node_load_file(path, &root, &ignored) == 0;
        free(path);
        if (!loaded)
            continue;
        int status = cnn_table_settings_parse(cnn_node_get(root, "table"),
                                              &table->settings, err);
        cnn_node_free(root);
        return status;
    }
    return 0;
}

static char *base_name(const char *path)
{
    size_t length = strlen(path);
    while (length > 1 && path[length - 1] == '/')
        length--;
    size_t start = length;
    while (start > 0 && path[start - 1] != '/')
        start--;
    char *name = malloc(length - start + 1);
    if (name) {
        memcpy(name, path + start, length - start);
        name[length - start] = '\0';
    }
    return name;
}

int cnn_table_read(struct cnn_table *table, const char *directory,
                   struct cnn_error *err)
{
    memset(table, 0, sizeof *table);
    table->directory = strdup(directory);
    table->experiment = base_name(directory);
    if (!table->directory || !table->experiment) {
        cnn_table_free(table);
        return cnn_error_set(err, "out of memory");
    }
    /* "results/x/" names the same directory as "results/x". */
    size_t length = strlen(table->directory);
    while (length > 1 && table->directory[length - 1] == '/')
        table->directory[--length] = '\0';
    char *experiment_path =
        cnn_path_join(table->directory, "experiment.yaml");
    int status = experiment_path ? 0 : cnn_error_set(err, "out of memory");
    struct stat info;
    if (status == 0 && stat(table->directory, &info) != 0)
        status = cnn_error_set(err, "no results directory '%s': %s",
                               table->directory, strerror(errno));
    else if (status == 0 && !S_ISDIR(info.st_mode))
        status = cnn_error_set(err,
                               "'%s' is not a directory (give "
                               "results/<experiment>)",
                               table->directory);
    if (status == 0 && is_file(table->directory, "experiment.yaml"))
        status = read_experiment_file(table, experiment_path, err);
    else if (status == 0) {
        status = scan_variants(table, err);
        if (status == 0)
            status = settings_from_variants(table, err);
    }
    free(experiment_path);
    for (int i = 0; status == 0 && i < table->row_count; i++)
        status = cnn_table_read_row(table, &table->rows[i], err);
    if (status < 0)
        cnn_table_free(table);
    return status;
}

void cnn_table_free(struct cnn_table *table)
{
    for (int i = 0; i < table->row_count; i++) {
        free(table->rows[i].variant);
        free(table->rows[i].note);
    }
    free(table->rows);
    free(table->directory);
    free(table->experiment);
    memset(table, 0, sizeof *table);
}
