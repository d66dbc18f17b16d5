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

void cnn_table_row_label(const struct cnn_table_row *row, char *text,
                         size_t size)
{
    if (row->repeated)
        snprintf(text, size, "%s (seed %llu)", row->variant, row->seed);
    else
        snprintf(text, size, "%s", row->variant);
}

int cnn_table_has_seeds(const struct cnn_table *table)
{
    for (int i = 0; i < table->row_count; i++)
        if (table->rows[i].repeated)
            return 1;
    return 0;
}

/* `seed` NULL: the variant's own run; else the run of that seed. */
static int add_row(struct cnn_table *table, const char *variant,
                   const unsigned long long *seed, const char *digest,
                   struct cnn_error *err)
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
    row->repeated = seed != NULL;
    row->seed = seed ? *seed : 0;
    size_t size = strlen(variant) + 32;
    row->path = malloc(size);
    if (row->path && seed)
        snprintf(row->path, size, "%s/seed-%llu", variant, *seed);
    else if (row->path)
        snprintf(row->path, size, "%s", variant);
    table->row_count++;
    if (!row->variant || !row->path)
        return cnn_error_set(err, "out of memory");
    return 0;
}

/* A seed as experiment.yaml or a seed-<s> directory name gives it. */
static int parse_seed(const char *text, unsigned long long *seed)
{
    char *end;
    if (!text[0] || text[0] < '0' || text[0] > '9')
        return 0;
    errno = 0;
    *seed = strtoull(text, &end, 10);
    return errno == 0 && !*end && *seed <= 4294967295ULL;
}

/* An entry of experiment.yaml's variants: {name: N, [seed: S,] manifest:
 * DIGEST}, or just N (no staleness check). */
static int read_variant_entry(struct cnn_table *table,
                              const struct cnn_node *entry,
                              struct cnn_error *err)
{
    const struct cnn_node *name_node =
        entry->kind == CNN_NODE_MAP ? cnn_node_get(entry, "name") : entry;
    const struct cnn_node *digest_node = cnn_node_get(entry, "manifest");
    const struct cnn_node *seed_node = cnn_node_get(entry, "seed");
    const char *name, *digest = NULL, *seed_text = NULL;
    if (!name_node)
        return cnn_error_at(err, entry->mark,
                            "a variant entry is {name: N, manifest: DIGEST}");
    if (cnn_node_to_string(name_node, &name, err) < 0 ||
        (digest_node && cnn_node_to_string(digest_node, &digest, err) < 0) ||
        (seed_node && cnn_node_to_string(seed_node, &seed_text, err) < 0))
        return -1;
    if (!safe_variant_name(name))
        return cnn_error_at(err, name_node->mark,
                            "'%s' is not a variant directory name", name);
    unsigned long long seed;
    if (seed_text && !parse_seed(seed_text, &seed))
        return cnn_error_at(err, seed_node->mark,
                            "'%s' is not a seed (a whole number from 0 to "
                            "4294967295)",
                            seed_text);
    return add_row(table, name, seed_text ? &seed : NULL, digest, err);
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

static int holds_run(const char *directory)
{
    return is_file(directory, "run.json") ||
           is_file(directory, "manifest.yaml");
}

static int compare_seeds(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a,
                       y = *(const unsigned long long *)b;
    return (x > y) - (x < y);
}

/* The seeds of a variant's seed-<s> subdirectories that hold a run, in
 * order; *count 0 when there are none. */
static int scan_seeds(const char *variant_dir, unsigned long long **seeds,
                      int *count, struct cnn_error *err)
{
    *seeds = NULL;
    *count = 0;
    DIR *dir = opendir(variant_dir);
    if (!dir)
        return 0;
    int status = 0;
    for (struct dirent *entry; status == 0 && (entry = readdir(dir));) {
        unsigned long long seed;
        if (strncmp(entry->d_name, "seed-", 5) != 0 ||
            !parse_seed(entry->d_name + 5, &seed))
            continue;
        char *path = cnn_path_join(variant_dir, entry->d_name);
        struct stat info;
        int is_run = path && stat(path, &info) == 0 &&
                     S_ISDIR(info.st_mode) && holds_run(path);
        if (!path)
            status = cnn_error_set(err, "out of memory");
        free(path);
        if (!is_run)
            continue;
        unsigned long long *grown =
            realloc(*seeds, (size_t)(*count + 1) * sizeof *grown);
        if (!grown) {
            status = cnn_error_set(err, "out of memory");
            break;
        }
        *seeds = grown;
        (*seeds)[(*count)++] = seed;
    }
    closedir(dir);
    if (status < 0) {
        free(*seeds);
        *seeds = NULL;
        *count = 0;
        return -1;
    }
    if (*count > 1)
        qsort(*seeds, (size_t)*count, sizeof **seeds, compare_seeds);
    return 0;
}

/* Without experiment.yaml: every folder with a run.json or manifest.yaml,
 * or with seed-<s> folders that have one, in name order. */
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
                         S_ISDIR(info.st_mode);
        if (is_variant && !holds_run(path)) {
            unsigned long long *seeds;
            int seed_count;
            status = scan_seeds(path, &seeds, &seed_count, err);
            is_variant = seed_count > 0;
            free(seeds);
        }
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
    for (int i = 0; status == 0 && i < count; i++) {
        char *path = cnn_path_join(table->directory, names[i]);
        unsigned long long *seeds = NULL;
        int seed_count = 0;
        status = path ? 0 : cnn_error_set(err, "out of memory");
        if (status == 0 && holds_run(path))
            status = add_row(table, names[i], NULL, NULL, err);
        if (status == 0)
            status = scan_seeds(path, &seeds, &seed_count, err);
        for (int s = 0; status == 0 && s < seed_count; s++)
            status = add_row(table, names[i], &seeds[s], NULL, err);
        free(seeds);
        free(path);
    }
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
            cnn_path_join(table->directory, table->rows[i].path);
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
    if (status == 0 && cnn_table_has_seeds(table))
        status = cnn_table_summarise(table, err);
    if (status == 0 && cnn_table_has_seeds(table))
        status = cnn_table_compare(table, err);
    if (status < 0)
        cnn_table_free(table);
    return status;
}

void cnn_table_free(struct cnn_table *table)
{
    for (int i = 0; i < table->row_count; i++) {
        free(table->rows[i].variant);
        free(table->rows[i].path);
        free(table->rows[i].note);
        free(table->rows[i].seconds);
        for (int c = 0; c < 4; c++)
            free(table->rows[i].history[c]);
    }
    free(table->rows);
    free(table->summaries);
    free(table->directory);
    free(table->experiment);
    memset(table, 0, sizeof *table);
}
