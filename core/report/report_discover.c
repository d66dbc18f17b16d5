/* cnnlab — what a results directory holds, for the report: every
 * experiment (results/<name>/ with experiment.yaml, a table or run
 * directories), its table as `cnnlab table` reads it, and each variant's
 * run directories (the variant's own, and seed-<s>/ ones when a manifest
 * has seeds), in the study's order.
 *
 * Two manifests with the same name write into the same results/<name>/
 * (Part A's filters.yaml and Part B's are both `filters`): the table
 * there is the last run manifest's, and the other manifest's run
 * directories are gathered into a second experiment whose table is
 * rebuilt from their run.json files, so neither is silently lost. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json_input.h"
#include "base/path.h"
#include "report/pages_internal.h"
#include "report/report_internal.h"

const struct cnn_report_spec cnn_report_specs[] = {
    {'A', "A.1", "Number of conv layers",
     "experiments/part-a/conv-layers.yaml"},
    {'A', "A.2", "Number of fully connected layers",
     "experiments/part-a/fc-layers.yaml"},
    {'A', "A.3", "Number of filters", "experiments/part-a/filters.yaml"},
    {'A', "A.4", "Max pooling", "experiments/part-a/maxpool.yaml"},
    {'A', "A.5", "Training time (epochs)", "experiments/part-a/epochs.yaml"},
    {'A', "A.6", "Stride", "experiments/part-a/stride.yaml"},
    {'A', "A.7", "The best model", "experiments/part-a/best.yaml"},
    {'B', "B.1", "Occlusion sensitivity", "experiments/part-b/occlusion.yaml"},
    {'B', "B.2", "Filter identification", "experiments/part-b/filters.yaml"},
    {'B', "B.3", "Filter ablation", "experiments/part-b/ablation.yaml"},
};
const int cnn_report_spec_count =
    (int)(sizeof cnn_report_specs / sizeof cnn_report_specs[0]);

struct names {
    char **items;
    int count;
};

static void names_free(struct names *names)
{
    for (int i = 0; i < names->count; i++)
        free(names->items[i]);
    free(names->items);
    memset(names, 0, sizeof *names);
}

static int by_name(const void *a, const void *b)
{
    return cnn_pages_name_compare(*(char *const *)a, *(char *const *)b);
}

/* The entries of `directory` but hidden ones, directories or regular
 * files as `want_directories` says, by cnn_pages_name_compare. A missing
 * directory has none. */
/* Appends a copy of `name` to names. */
static int names_add(struct names *names, const char *name,
                     struct cnn_error *err)
{
    char **grown = realloc(names->items,
                           (size_t)(names->count + 1) * sizeof *grown);
    char *copy = grown ? strdup(name) : NULL;
    if (grown)
        names->items = grown;
    if (!copy)
        return cnn_error_set(err, "out of memory");
    names->items[names->count++] = copy;
    return 0;
}

static int list_names(const char *directory, int want_directories,
                      struct names *names, struct cnn_error *err)
{
    memset(names, 0, sizeof *names);
    DIR *dir = opendir(directory);
    if (!dir)
        return errno == ENOENT || errno == ENOTDIR
                   ? 0
                   : cnn_error_set(err, "cannot list '%s': %s", directory,
                                   strerror(errno));
    int status = 0;
    for (struct dirent *entry; status == 0 && (entry = readdir(dir));) {
        if (entry->d_name[0] == '.')
            continue;
        char *path = cnn_path_join(directory, entry->d_name);
        struct stat info;
        int wanted =
            path && stat(path, &info) == 0 &&
            (want_directories ? S_ISDIR(info.st_mode) : S_ISREG(info.st_mode));
        free(path);
        if (!wanted)
            continue;
        status = names_add(names, entry->d_name, err);
    }
    closedir(dir);
    if (status < 0)
        names_free(names);
    else if (names->count > 1)
        qsort(names->items, (size_t)names->count, sizeof *names->items,
              by_name);
    return status;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

/* A picture or text an analysis wrote, shown in the report. */
static int is_shown(const char *name)
{
    return has_suffix(name, ".png") || has_suffix(name, ".md") ||
           has_suffix(name, ".txt");
}

static void run_free(struct cnn_report_run *run)
{
    free(run->directory);
    free(run->label);
    json_decref(run->info);
    free(run->info_error);
    for (int i = 0; i < run->file_count; i++)
        free(run->files[i]);
    free(run->files);
}

/* A run directory: run.json (when there) and its files. 1 when it is one
 * (run.json, or a picture or text an analysis wrote), 0 when not. */
static int read_run(const char *directory, const char *label,
                    struct cnn_report_run *run, struct cnn_error *err)
{
    memset(run, 0, sizeof *run);
    struct names files;
    if (list_names(directory, 0, &files, err) < 0)
        return -1;
    int has_info = 0, shown = 0;
    for (int i = 0; i < files.count; i++) {
        has_info |= strcmp(files.items[i], "run.json") == 0;
        shown |= is_shown(files.items[i]);
    }
    if (!has_info && !shown) {
        names_free(&files);
        return 0;
    }
    run->files = files.items;
    run->file_count = files.count;
    run->directory = strdup(directory);
    run->label = strdup(label);
    if (!run->directory || !run->label) {
        run_free(run);
        return cnn_error_set(err, "out of memory");
    }
    if (has_info) {
        char *path = cnn_path_join(directory, "run.json");
        json_error_t json_error;
        run->info = path ? cnn_json_load_regular(path, 0, &json_error) : NULL;
        if (run->info && !json_is_object(run->info)) {
            json_decref(run->info);
            run->info = NULL;
            snprintf(json_error.text, sizeof json_error.text,
                     "not a JSON object");
            json_error.line = 1;
        }
        if (!run->info && path) {
            size_t size = strlen(path) + strlen(json_error.text) + 64;
            run->info_error = malloc(size);
            if (run->info_error)
                snprintf(run->info_error, size, "%s:%d: %s", path,
                         json_error.line, json_error.text);
        }
        free(path);
    }
    return 1;
}

/* "seed-<digits>" */
static int is_seed_name(const char *name)
{
    return strncmp(name, "seed-", 5) == 0 && name[5] &&
           strspn(name + 5, "0123456789") == strlen(name + 5);
}

static void variant_free(struct cnn_report_variant *variant)
{
    for (int i = 0; i < variant->run_count; i++)
        run_free(&variant->runs[i]);
    free(variant->runs);
    memset(variant, 0, sizeof *variant);
}

static int add_run(struct cnn_report_variant *variant, const char *directory,
                   const char *label, struct cnn_error *err)
{
    struct cnn_report_run run;
    int found = read_run(directory, label, &run, err);
    if (found <= 0)
        return found;
    struct cnn_report_run *grown = realloc(
        variant->runs, (size_t)(variant->run_count + 1) * sizeof *grown);
    if (!grown) {
        run_free(&run);
        return cnn_error_set(err, "out of memory");
    }
    variant->runs = grown;
    variant->runs[variant->run_count++] = run;
    return 1;
}

/* The runs of <experiment>/<name>: the directory itself, then its
 * seed-<s> directories in seed order. */
static int read_variant(const char *experiment_directory,
                        const char *experiment, const char *name,
                        struct cnn_report_variant *variant,
                        struct cnn_error *err)
{
    memset(variant, 0, sizeof *variant);
    char *directory = cnn_path_join(experiment_directory, name);
    size_t label_size = strlen(experiment) + strlen(name) + 2;
    char *label = malloc(label_size);
    if (!directory || !label) {
        free(directory);
        free(label);
        return cnn_error_set(err, "out of memory");
    }
    snprintf(label, label_size, "%s/%s", experiment, name);
    struct names seeds = {0};
    int status = add_run(variant, directory, label, err) < 0 ? -1 : 0;
    if (status == 0)
        status = list_names(directory, 1, &seeds, err);
    for (int i = 0; status == 0 && i < seeds.count; i++) {
        if (!is_seed_name(seeds.items[i]))
            continue;
        char *seed_directory = cnn_path_join(directory, seeds.items[i]);
        char *seed_label = cnn_path_join(label, seeds.items[i]);
        status = !seed_directory || !seed_label
                     ? cnn_error_set(err, "out of memory")
                 : add_run(variant, seed_directory, seed_label, err) < 0 ? -1
                                                                         : 0;
        free(seed_directory);
        free(seed_label);
    }
    names_free(&seeds);
    free(directory);
    free(label);
    if (status < 0)
        variant_free(variant);
    return status;
}

/* The manifest a variant's runs record (the first that says). */
static const char *variant_manifest(const struct cnn_report_variant *variant)
{
    for (int i = 0; i < variant->run_count; i++) {
        const char *manifest = json_string_value(
            json_object_get(variant->runs[i].info, "manifest"));
        if (manifest)
            return manifest;
    }
    return NULL;
}

/* A top-level string of a YAML file, malloc'd; NULL when absent. */
static char *yaml_string(const char *path, const char *key)
{
    struct cnn_node *root = NULL;
    struct cnn_error ignored = {0};
    char *value = NULL;
    if (cnn_node_load_file(path, &root, &ignored) == 0) {
        const char *text = NULL;
        const struct cnn_node *node = cnn_node_get(root, key);
        if (node && cnn_node_to_string(node, &text, &ignored) == 0 && text)
            value = strdup(text);
    }
    cnn_node_free(root);
    return value;
}

/* The description of the first run's manifest.yaml that has one. */
static char *experiment_description(const struct cnn_report_experiment *e)
{
    for (int v = 0; v < e->table.row_count; v++)
        for (int r = 0; r < e->variants[v].run_count; r++) {
            char *path = cnn_path_join(e->variants[v].runs[r].directory,
                                       "manifest.yaml");
            char *description = path ? yaml_string(path, "description") : NULL;
            free(path);
            if (description)
                return description;
        }
    return NULL;
}

static void experiment_free(struct cnn_report_experiment *e)
{
    if (e->variants)
        for (int i = 0; i < e->table.row_count; i++)
            variant_free(&e->variants[i]);
    free(e->variants);
    cnn_table_free(&e->table);
    free(e->name);
    free(e->directory);
    free(e->manifest);
    free(e->description);
    free(e->error);
    free(e->shared_with);
    memset(e, 0, sizeof *e);
}

static int read_variants(struct cnn_report_experiment *e,
                         struct cnn_error *err)
{
    e->variants = calloc((size_t)(e->table.row_count ? e->table.row_count : 1),
                         sizeof *e->variants);
    if (!e->variants)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < e->table.row_count; i++)
        if (read_variant(e->directory, e->name, e->table.rows[i].variant,
                         &e->variants[i], err) < 0)
            return -1;
    return 0;
}

/* 1 when path names the spec's manifest: the same path, or one that ends
 * in its last two components ("…/part-a/conv-layers.yaml"). */
static int is_spec_manifest(const char *path,
                            const struct cnn_report_spec *spec)
{
    const char *tail = strchr(spec->manifest, '/') + 1; /* part-a/... */
    size_t n = strlen(path), t = strlen(tail);
    return strcmp(path, spec->manifest) == 0 ||
           (n >= t && strcmp(path + n - t, tail) == 0 &&
            (n == t || path[n - t - 1] == '/'));
}

/* The manifest's file stem: the name its results get by default. */
static int spec_has_name(const struct cnn_report_spec *spec, const char *name)
{
    const char *stem = strrchr(spec->manifest, '/') + 1;
    size_t n = strlen(stem) - strlen(".yaml");
    return strlen(name) == n && strncmp(stem, name, n) == 0;
}

/* Which section of the study an experiment is: by its manifest, or, when
 * its results record none, by a name only one section has. */
static const struct cnn_report_spec *find_spec(const char *manifest,
                                               const char *name)
{
    const struct cnn_report_spec *named = NULL;
    int named_count = 0;
    for (int i = 0; i < cnn_report_spec_count; i++) {
        if (manifest && is_spec_manifest(manifest, &cnn_report_specs[i]))
            return &cnn_report_specs[i];
        if (spec_has_name(&cnn_report_specs[i], name)) {
            named = &cnn_report_specs[i];
            named_count++;
        }
    }
    return !manifest && named_count == 1 ? named : NULL;
}

struct experiment_list {
    struct cnn_report_experiment *items;
    int count;
};

static struct cnn_report_experiment *
new_experiment(struct experiment_list *list, const char *results,
               const char *name, struct cnn_error *err)
{
    struct cnn_report_experiment *grown =
        realloc(list->items, (size_t)(list->count + 1) * sizeof *grown);
    if (!grown) {
        cnn_error_set(err, "out of memory");
        return NULL;
    }
    list->items = grown;
    struct cnn_report_experiment *e = &list->items[list->count++];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    e->directory = cnn_path_join(results, name);
    if (!e->name || !e->directory) {
        cnn_error_set(err, "out of memory");
        return NULL;
    }
    return e;
}

/* The variant names of the manifest at `path`, in its order (none when
 * it cannot be read). */
static void manifest_variants(const char *path, struct names *names)
{
    memset(names, 0, sizeof *names);
    struct cnn_node *root = NULL;
    struct cnn_error ignored = {0};
    if (cnn_node_load_file(path, &root, &ignored) < 0)
        return;
    const struct cnn_node *variants = cnn_node_get(root, "variants");
    int count =
        variants && variants->kind == CNN_NODE_SEQUENCE ? variants->count : 0;
    names->items = count ? calloc((size_t)count, sizeof *names->items) : NULL;
    for (int i = 0; names->items && i < count; i++) {
        const char *name = NULL;
        const struct cnn_node *node = cnn_node_get(variants->items[i], "name");
        if (node && cnn_node_to_string(node, &name, &ignored) == 0 && name &&
            (names->items[names->count] = strdup(name)))
            names->count++;
    }
    cnn_node_free(root);
}

/* Orders `variants` as the manifest lists them, when it can be read
 * (experiment.yaml, which knew the order, is the other manifest's);
 * names it does not list keep their order after those it does. */
static void order_as_manifest(const char *manifest, struct names *variants)
{
    struct names order;
    manifest_variants(manifest, &order);
    int placed = 0;
    for (int k = 0; k < order.count; k++)
        for (int i = placed; i < variants->count; i++)
            if (strcmp(variants->items[i], order.items[k]) == 0) {
                char *found = variants->items[i];
                memmove(&variants->items[placed + 1], &variants->items[placed],
                        (size_t)(i - placed) * sizeof *variants->items);
                variants->items[placed++] = found;
                break;
            }
    names_free(&order);
}

/* A second manifest's variants in the same directory: a table rebuilt
 * from their run directories (no experiment.yaml says their digests, so
 * none is marked stale). */
static int rebuild_table(struct cnn_report_experiment *e,
                         const struct names *variants, struct cnn_error *err)
{
    struct cnn_table *table = &e->table;
    table->directory = strdup(e->directory);
    table->experiment = strdup(e->name);
    table->rows = calloc((size_t)variants->count, sizeof *table->rows);
    if (!table->directory || !table->experiment || !table->rows)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < variants->count; i++) {
        struct cnn_table_row *row = &table->rows[table->row_count++];
        row->parameters = -1;
        row->variant = strdup(variants->items[i]);
        row->path = strdup(variants->items[i]); /* one run, no seeds */
        if (!row->variant || !row->path)
            return cnn_error_set(err, "out of memory");
    }
    /* The `table:` settings of the first variant's manifest.yaml. */
    char *directory = cnn_path_join(e->directory, variants->items[0]);
    char *path = directory ? cnn_path_join(directory, "manifest.yaml") : NULL;
    free(directory);
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct cnn_node *root = NULL;
    struct cnn_error ignored = {0};
    if (cnn_node_load_file(path, &root, &ignored) == 0 &&
        cnn_table_settings_parse(cnn_node_get(root, "table"), &table->settings,
                                 &ignored) < 0)
        memset(&table->settings, 0, sizeof table->settings);
    cnn_node_free(root);
    free(path);
    for (int i = 0; i < table->row_count; i++)
        if (cnn_table_read_row(table, &table->rows[i], err) < 0)
            return -1;
    e->rebuilt = 1;
    return 0;
}

/* The directories of experiment e with runs of a manifest other than its
 * table's (a variant not in the table). */
static int other_manifest_variants(const struct cnn_report_experiment *e,
                                   struct names *others,
                                   struct cnn_error *err)
{
    struct names directories;
    if (list_names(e->directory, 1, &directories, err) < 0)
        return -1;
    int status = 0;
    for (int i = 0; status == 0 && i < directories.count; i++) {
        int listed = 0;
        for (int r = 0; r < e->table.row_count; r++)
            listed |=
                strcmp(e->table.rows[r].variant, directories.items[i]) == 0;
        struct cnn_report_variant variant;
        if (listed)
            continue;
        if (read_variant(e->directory, e->name, directories.items[i],
                         &variant, err) < 0) {
            status = -1;
            break;
        }
        const char *manifest = variant_manifest(&variant);
        if (manifest && (!e->manifest || strcmp(manifest, e->manifest) != 0))
            status = names_add(others, directories.items[i], err);
        variant_free(&variant);
    }
    names_free(&directories);
    return status;
}

/* The variants of `others` from others->items[first] on that were made
 * by the same manifest as it, into group (names borrowed from others,
 * marked in done); *manifest a copy of that manifest's path. */
static int manifest_group(const struct cnn_report_experiment *owner,
                          const struct names *others, int first, char *done,
                          struct names *group, char **manifest,
                          struct cnn_error *err)
{
    *manifest = NULL;
    group->count = 0;
    int status = 0;
    for (int j = first; status == 0 && j < others->count; j++) {
        struct cnn_report_variant variant;
        status = read_variant(owner->directory, owner->name, others->items[j],
                              &variant, err);
        const char *m = status == 0 ? variant_manifest(&variant) : NULL;
        if (m && (!*manifest || strcmp(m, *manifest) == 0)) {
            if (!*manifest)
                *manifest = strdup(m);
            group->items[group->count++] = others->items[j];
            done[j] = 1;
        }
        if (status == 0)
            variant_free(&variant);
    }
    if (status == 0 && !*manifest)
        status = cnn_error_set(err, "out of memory");
    return status;
}

/* The experiment of one manifest's group of variants, run in the
 * directory of list->items[index], after the others. */
static int add_group_experiment(struct experiment_list *list, int index,
                                const char *results, char *manifest,
                                struct names *group, struct cnn_error *err)
{
    struct cnn_report_experiment *e =
        new_experiment(list, results, list->items[index].name, err);
    if (!e) {
        free(manifest);
        return -1;
    }
    e->manifest = manifest;
    order_as_manifest(manifest, group);
    const char *owner = list->items[index].manifest;
    e->shared_with = owner ? strdup(owner) : NULL;
    if (!list->items[index].shared_with)
        list->items[index].shared_with = strdup(manifest);
    int status = rebuild_table(e, group, err);
    if (status == 0)
        status = read_variants(e, err);
    if (status == 0)
        e->description = experiment_description(e);
    return status;
}

/* The variant directories of e's directory that its table does not list,
 * grouped by the manifest their runs record; each other manifest becomes
 * an experiment of its own. */
static int read_other_manifests(struct experiment_list *list, int index,
                                const char *results, struct cnn_error *err)
{
    struct names others = {0}, group = {0};
    int status = other_manifest_variants(&list->items[index], &others, err);
    char *done = others.count ? calloc((size_t)others.count, 1) : NULL;
    group.items = others.count ? calloc((size_t)others.count,
                                        sizeof *group.items)
                               : NULL;
    if (status == 0 && others.count && (!done || !group.items))
        status = cnn_error_set(err, "out of memory");
    for (int i = 0; status == 0 && i < others.count; i++) {
        if (done[i])
            continue;
        char *manifest;
        status = manifest_group(&list->items[index], &others, i, done, &group,
                                &manifest, err);
        if (status < 0)
            free(manifest);
        else
            status = add_group_experiment(list, index, results, manifest,
                                          &group, err);
    }
    free(group.items); /* the names belong to `others` */
    free(done);
    names_free(&others);
    return status;
}

/* results/<name>/ as one or more experiments. */
static int read_experiment(struct experiment_list *list, const char *results,
                           const char *name, struct cnn_error *err)
{
    struct cnn_report_experiment *e = new_experiment(list, results, name, err);
    if (!e)
        return -1;
    int index = list->count - 1;
    struct cnn_error table_error = {0};
    if (cnn_table_read(&e->table, e->directory, &table_error) < 0) {
        char text[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
        e->error = strdup(cnn_error_format(&table_error, text, sizeof text));
        if (!e->error)
            return cnn_error_set(err, "out of memory");
        memset(&e->table, 0, sizeof e->table);
    }
    if (read_variants(e, err) < 0)
        return -1;
    char *experiment_file = cnn_path_join(e->directory, "experiment.yaml");
    e->manifest =
        experiment_file ? yaml_string(experiment_file, "manifest") : NULL;
    free(experiment_file);
    for (int i = 0; !e->manifest && i < e->table.row_count; i++) {
        const char *manifest = variant_manifest(&e->variants[i]);
        e->manifest = manifest ? strdup(manifest) : NULL;
    }
    e->description = experiment_description(e);
    return read_other_manifests(list, index, results, err);
}

/* A directory of results: experiment.yaml, table.md, or a subdirectory
 * with a run.json (or a seed-<s>/run.json). */
static int is_experiment(const char *directory)
{
    if (cnn_pages_is_file(directory, "experiment.yaml") ||
        cnn_pages_is_file(directory, "table.md"))
        return 1;
    struct names variants;
    struct cnn_error ignored = {0};
    if (list_names(directory, 1, &variants, &ignored) < 0)
        return 0;
    int found = 0;
    for (int i = 0; !found && i < variants.count; i++) {
        char *variant = cnn_path_join(directory, variants.items[i]);
        struct names seeds = {0};
        found = variant && (cnn_pages_is_file(variant, "run.json"));
        if (variant && !found && list_names(variant, 1, &seeds, &ignored) == 0)
            for (int s = 0; !found && s < seeds.count; s++) {
                char *seed = cnn_path_join(variant, seeds.items[s]);
                found = seed && is_seed_name(seeds.items[s]) &&
                        cnn_pages_is_file(seed, "run.json");
                free(seed);
            }
        names_free(&seeds);
        free(variant);
    }
    names_free(&variants);
    return found;
}

/* The study's sections first, each with its experiments by name; then
 * the others by name (a shared directory's experiments in the order
 * found). */
static int document_rank(const struct cnn_report_experiment *e)
{
    return e->spec ? (int)(e->spec - cnn_report_specs) : cnn_report_spec_count;
}

static int by_document_order(const void *a, const void *b)
{
    const struct cnn_report_experiment *x = a, *y = b;
    int rank = document_rank(x) - document_rank(y);
    if (rank)
        return rank;
    int order = cnn_pages_name_compare(x->name, y->name);
    return order ? order : x->rebuilt - y->rebuilt;
}

int cnn_report_discover(const char *results, struct cnn_report_results *found,
                        struct cnn_error *err)
{
    memset(found, 0, sizeof *found);
    struct stat info;
    if (stat(results, &info) != 0)
        return cnn_error_set(err,
                             "no results directory '%s': %s (run `cnnlab "
                             "run MANIFEST` first, or give the directory "
                             "its --out wrote to)",
                             results, strerror(errno));
    if (!S_ISDIR(info.st_mode))
        return cnn_error_set(err,
                             "'%s' is not a directory: give the results "
                             "directory (the --out of `cnnlab run`)",
                             results);
    struct names names;
    if (list_names(results, 1, &names, err) < 0)
        return -1;
    struct experiment_list list = {0};
    int status = 0;
    for (int i = 0; status == 0 && i < names.count; i++) {
        char *directory = cnn_path_join(results, names.items[i]);
        if (!directory)
            status = cnn_error_set(err, "out of memory");
        else if (is_experiment(directory))
            status = read_experiment(&list, results, names.items[i], err);
        free(directory);
    }
    names_free(&names);
    for (int i = 0; i < list.count; i++)
        list.items[i].spec =
            find_spec(list.items[i].manifest, list.items[i].name);
    /* Stable: a shared directory's experiments keep their order. */
    for (int i = 1; i < list.count; i++)
        for (int j = i; j > 0 && by_document_order(&list.items[j - 1],
                                                   &list.items[j]) > 0;
             j--) {
            struct cnn_report_experiment swap = list.items[j];
            list.items[j] = list.items[j - 1];
            list.items[j - 1] = swap;
        }
    found->experiments = list.items;
    found->count = list.count;
    if (status < 0)
        cnn_report_results_free(found);
    return status;
}

void cnn_report_results_free(struct cnn_report_results *found)
{
    for (int i = 0; i < found->count; i++)
        experiment_free(&found->experiments[i]);
    free(found->experiments);
    memset(found, 0, sizeof *found);
}
