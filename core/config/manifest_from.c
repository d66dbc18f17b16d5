/* cnnlab — `model: {from: NAME, variant: V}`: a variant's model (input,
 * layers) taken from another manifest's resolved variant, and its weights
 * from that variant's results.
 *
 * NAME is found as NAME.yaml in the referencing manifest's directory, then
 * in each directory above it (by the path's text: experiments/part-b, then
 * experiments, then .), the nearest first; so `from: part-a/best` in
 * experiments/part-b/x.yaml and in experiments/quickstart.yaml both name
 * experiments/part-a/best.yaml. A value ending in .yaml or .yml is a file
 * path instead: relative to the manifest's directory, or to the current
 * directory when it comes from the command line (as model.weights). The
 * source is loaded with the same --profile and without the overrides. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cnnlab/params.h"
#include "config/manifest.h"

#define SUGGESTIONS_MAX 128

void cnn_model_source_free(struct cnn_model_source *source)
{
    if (!source)
        return;
    free(source->path);
    free(source->experiment);
    free(source->variant);
    free(source->run);
    cnn_node_free(source->resolved);
    cnn_model_source_free(source->next);
    free(source);
}

static int is_file(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

static int ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* The directory part of `path` ("." when it has none). */
static void directory_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Moves `directory` one level up by its text; 0 when it is "." or "/". */
static int parent_directory(char *directory)
{
    if (strcmp(directory, ".") == 0 || strcmp(directory, "/") == 0)
        return 0;
    char *slash = strrchr(directory, '/');
    if (!slash)
        strcpy(directory, ".");
    else if (slash == directory)
        directory[1] = '\0';
    else
        *slash = '\0';
    return 1;
}

static void join(char *out, size_t size, const char *directory,
                 const char *name, const char *suffix)
{
    if (strcmp(directory, ".") == 0)
        snprintf(out, size, "%s%s", name, suffix);
    else if (strcmp(directory, "/") == 0)
        snprintf(out, size, "/%s%s", name, suffix);
    else
        snprintf(out, size, "%s/%s%s", directory, name, suffix);
}

struct suggestions {
    char *names[SUGGESTIONS_MAX];
    int count;
};

/* The manifests beside where NAME was looked for in `directory`, as
 * names a from: could give ("part-a/best"), for a did-you-mean. */
static void collect_suggestions(struct suggestions *s, const char *directory,
                                const char *name)
{
    char prefix[PATH_MAX] = "", where[PATH_MAX];
    const char *slash = strrchr(name, '/');
    if (slash)
        snprintf(prefix, sizeof prefix, "%.*s/", (int)(slash - name), name);
    join(where, sizeof where, directory, prefix, "");
    DIR *dir = opendir(where[0] ? where : ".");
    if (!dir)
        return;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL &&
                               s->count < SUGGESTIONS_MAX;) {
        size_t length = strlen(entry->d_name);
        if (length <= 5 || !ends_with(entry->d_name, ".yaml"))
            continue;
        size_t size = strlen(prefix) + length;
        char *candidate = malloc(size);
        if (!candidate)
            break;
        snprintf(candidate, size, "%s%.*s", prefix, (int)(length - 5),
                 entry->d_name);
        s->names[s->count++] = candidate;
    }
    closedir(dir);
}

static int not_found(const char *name, const char *first,
                     const char *last, struct suggestions *s,
                     struct cnn_mark mark, struct cnn_error *err)
{
    const char *guess = cnn_did_you_mean(name, (const char *const *)s->names,
                                         s->count);
    int status = cnn_error_at(
        err, mark,
        "model.from: no manifest '%s' (looked for %s.yaml in %s and each "
        "directory above it, up to %s).%s%s%s A name like part-a/best "
        "means the nearest part-a/best.yaml; a path ends in .yaml",
        name, name, first, last, guess ? " Did you mean '" : "",
        guess ? guess : "", guess ? "'?" : "");
    for (int i = 0; i < s->count; i++)
        free(s->names[i]);
    return status;
}

/* The file that `name` (written at `mark` in `manifest_path`) names. */
static int find_source(const char *manifest_path, const char *name,
                       struct cnn_mark mark, char *path, size_t size,
                       struct cnn_error *err)
{
    char directory[PATH_MAX];
    /* Every path below is the manifest's folder, the name and ".yaml" at
     * most: checked once here, so none is cut (a cut one names another
     * manifest). */
    if (strlen(manifest_path) + strlen(name) + sizeof "/.yaml" > size ||
        size > sizeof directory)
        return cnn_error_at(err, mark,
                            "model.from: the path of '%.200s' beside '%s' "
                            "is over %zu bytes long: use a shorter name or "
                            "folder",
                            name, manifest_path, size - 1);
    directory_of(manifest_path, directory, sizeof directory);
    if (ends_with(name, ".yaml") || ends_with(name, ".yml")) {
        if (name[0] == '/' || mark.line == 0)
            snprintf(path, size, "%s", name);
        else
            join(path, size, directory, name, "");
        if (is_file(path))
            return 0;
        return cnn_error_at(err, mark,
                            "model.from: no manifest file '%s'%s", path,
                            mark.line > 0 ? " (a path is relative to the "
                                            "directory of the manifest "
                                            "that names it)"
                                          : "");
    }
    if (!name[0] || name[0] == '/')
        return cnn_error_at(err, mark,
                            "model.from names a manifest like part-a/best "
                            "(or a path ending in .yaml), got '%s'",
                            name);
    char first[PATH_MAX];
    snprintf(first, sizeof first, "%s", directory);
    struct suggestions s = {.count = 0};
    do {
        join(path, size, directory, name, ".yaml");
        if (is_file(path)) {
            for (int i = 0; i < s.count; i++)
                free(s.names[i]);
            return 0;
        }
        collect_suggestions(&s, directory, name);
    } while (parent_directory(directory));
    return not_found(name, first, directory, &s, mark, err);
}

/* "a.yaml -> b.yaml -> a.yaml" for a cycle's error. */
static int cycle_error(const struct cnn_manifest_chain *chain,
                       const char *again, struct cnn_mark mark,
                       struct cnn_error *err)
{
    char text[1024] = "";
    size_t used = 0;
    const struct cnn_manifest_chain *links[32];
    int count = 0;
    for (const struct cnn_manifest_chain *c = chain; c && count < 32;
         c = c->outer)
        links[count++] = c;
    for (int i = count - 1; i >= 0 && used < sizeof text; i--)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s -> ",
                                 links[i]->path);
    if (used < sizeof text)
        snprintf(text + used, sizeof text - used, "%s", again);
    return cnn_error_at(err, mark,
                        "model.from makes a cycle: %s; a model cannot come "
                        "from a manifest that takes its model from this one",
                        text);
}

/* The variant of `source` that `variant_node` names, or its only one. */
static int pick_variant(struct cnn_manifest *source,
                        const struct cnn_node *variant_node,
                        const char *from_text, struct cnn_mark mark,
                        struct cnn_error *err)
{
    const char *wanted;
    if (variant_node) {
        if (cnn_node_to_string(variant_node, &wanted, err) < 0)
            return -1;
        if (cnn_manifest_select_variant(source, wanted, err) < 0) {
            struct cnn_error unplaced = *err;
            return cnn_error_at(err, variant_node->mark, "model.variant: %s",
                                unplaced.message);
        }
        return 0;
    }
    int variants = cnn_manifest_variant_names(source);
    if (variants == 1)
        return 0;
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < source->variant_count && used < sizeof list; i++)
        if (cnn_manifest_first_of_variant(source, i))
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     i ? ", " : "", source->variants[i].name);
    return cnn_error_at(err, mark,
                        "model.from: %s has %d variants (%s): say which one "
                        "with model: {from: %s, variant: %s}",
                        source->path, variants, list, from_text,
                        source->variants[0].name);
}

/* The run of a source that repeats its variants (`seeds:`) whose weights
 * are taken: `seed_node` names one of its seeds. */
static int pick_seed(struct cnn_manifest *source,
                     const struct cnn_node *seed_node, const char *from_text,
                     struct cnn_mark mark, struct cnn_error *err)
{
    if (!seed_node && source->seed_count == 0)
        return 0;
    char seeds[256];
    cnn_manifest_format_seeds(source, seeds, sizeof seeds);
    if (!seed_node)
        return cnn_error_at(err, mark,
                            "model.from: %s runs each variant once per seed "
                            "(%s): say whose weights with model: {from: "
                            "%s, seed: %llu}",
                            source->path, seeds, from_text,
                            (unsigned long long)source->seeds[0]);
    long seed;
    if (cnn_node_to_long(seed_node, &seed, err) < 0)
        return cnn_error_prefix(err, "model.seed: ");
    if (source->seed_count == 0)
        return cnn_error_at(err, seed_node->mark,
                            "model.seed picks one of the seeds of "
                            "model.from's manifest, but %s has no seeds: "
                            "or repeats:: remove model.seed",
                            source->path);
    if (seed < 0 ||
        cnn_manifest_select_seed(source, (uint64_t)seed, err) < 0)
        return cnn_error_at(err, seed_node->mark,
                            "model.seed: %s has no seed %ld (its seeds: "
                            "%s)",
                            source->path, seed, seeds);
    return 0;
}

/* model: {from, variant, [seed,] <the source's model but its weights>}. */
static struct cnn_node *sourced_model(const struct cnn_node *model,
                                      const struct cnn_node *source_model,
                                      const char *variant_name)
{
    struct cnn_node *result = cnn_node_new_map(model->mark);
    struct cnn_node *from = cnn_node_clone(cnn_node_get(model, "from"));
    const struct cnn_node *variant_node = cnn_node_get(model, "variant");
    struct cnn_mark variant_mark =
        variant_node ? variant_node->mark : from ? from->mark : model->mark;
    struct cnn_node *variant = cnn_node_new_scalar(variant_name,
                                                   variant_mark);
    int status = result && from && variant ? 0 : -1;
    if (status == 0)
        status = cnn_node_map_set(result, "from",
                                  cnn_node_key_mark(model, "from"), from);
    else
        cnn_node_free(from);
    if (status == 0)
        status = cnn_node_map_set(result, "variant",
                                  variant_node
                                      ? cnn_node_key_mark(model, "variant")
                                      : cnn_node_key_mark(model, "from"),
                                  variant);
    else
        cnn_node_free(variant);
    /* seed and new_head are this manifest's: which run, and whether its
     * head starts afresh. */
    static const char *const own[2] = {"seed", "new_head"};
    for (int k = 0; k < 2 && status == 0; k++) {
        const struct cnn_node *node = cnn_node_get(model, own[k]);
        if (!node)
            continue;
        struct cnn_node *copy = cnn_node_clone(node);
        status = copy ? cnn_node_map_set(result, own[k],
                                         cnn_node_key_mark(model, own[k]),
                                         copy)
                      : -1;
    }
    for (int i = 0; status == 0 && i < source_model->count; i++) {
        const char *key = source_model->keys[i];
        /* The weights are the source's results, not its starting point. */
        if (!strcmp(key, "from") || !strcmp(key, "variant") ||
            !strcmp(key, "seed") || !strcmp(key, "weights") ||
            !strcmp(key, "new_head"))
            continue;
        struct cnn_node *value = cnn_node_clone(source_model->items[i]);
        status = value ? cnn_node_map_set(result, key,
                                          source_model->key_marks[i], value)
                       : -1;
    }
    if (status < 0) {
        cnn_node_free(result);
        return NULL;
    }
    return result;
}

/* Without training settings a model from another run is analysed as it
 * is: train.epochs defaults to 0 (an explicit value still fine-tunes). */
static int default_no_training(struct cnn_node *resolved,
                               struct cnn_mark mark)
{
    struct cnn_node *train = cnn_node_get(resolved, "train");
    if (!train) {
        train = cnn_node_new_map(mark);
        if (!train || cnn_node_map_set(resolved, "train", mark, train) < 0)
            return -1;
    }
    if (train->kind != CNN_NODE_MAP || cnn_node_get(train, "epochs"))
        return 0; /* run_config reports a malformed train: */
    struct cnn_node *zero = cnn_node_new_scalar("0", mark);
    return zero ? cnn_node_map_set(train, "epochs", mark, zero) : -1;
}

static int check_model_keys(const struct cnn_node *model,
                            const char *from_text, struct cnn_error *err)
{
    for (int i = 0; i < model->count; i++)
        if (strcmp(model->keys[i], "from") &&
            strcmp(model->keys[i], "variant") &&
            strcmp(model->keys[i], "seed") &&
            strcmp(model->keys[i], "new_head"))
            return cnn_error_at(err, model->key_marks[i],
                                "model.from takes the model (input, "
                                "layers) and its weights from %s: remove "
                                "model.%s, or model.from",
                                from_text, model->keys[i]);
    return 0;
}

static int resolve_variant(struct cnn_manifest *manifest,
                           struct cnn_variant *variant,
                           const char *canonical,
                           const struct cnn_manifest_chain *chain,
                           struct cnn_error *err)
{
    const struct cnn_node *model = cnn_node_get(variant->resolved, "model");
    const struct cnn_node *from = cnn_node_get(model, "from");
    const char *from_text;
    if (cnn_node_to_string(from, &from_text, err) < 0 ||
        check_model_keys(model, from_text, err) < 0)
        return -1;
    char path[PATH_MAX], source_canonical[PATH_MAX];
    if (find_source(manifest->path, from_text, from->mark, path, sizeof path,
                    err) < 0)
        return -1;
    if (!realpath(path, source_canonical))
        snprintf(source_canonical, sizeof source_canonical, "%s", path);
    struct cnn_manifest_chain link = {canonical, chain};
    for (const struct cnn_manifest_chain *c = &link; c; c = c->outer)
        if (strcmp(c->path, source_canonical) == 0)
            return cycle_error(&link, source_canonical, from->mark, err);

    struct cnn_manifest source;
    if (cnn_manifest_load_chain(&source, path, manifest->profile, NULL, 0,
                                &link, err) < 0)
        return cnn_error_prefix(err, "model.from %s (%s:%d): ", from_text,
                                from->mark.file ? from->mark.file : "",
                                from->mark.line);
    int status = pick_variant(&source, cnn_node_get(model, "variant"),
                              from_text, from->mark, err);
    if (status == 0)
        status = pick_seed(&source, cnn_node_get(model, "seed"), from_text,
                           from->mark, err);
    const struct cnn_node *source_model =
        status == 0 ? cnn_node_get(source.variants[0].resolved, "model")
                    : NULL;
    if (status == 0 && (!source_model || source_model->kind != CNN_NODE_MAP))
        status = cnn_error_at(err, from->mark,
                              "model.from: %s (variant %s) has no 'model: "
                              "{input: [...], layers: [...]}'",
                              path, source.variants[0].name);
    struct cnn_model_source *record = NULL;
    if (status == 0) {
        struct cnn_node *replacement =
            sourced_model(model, source_model, source.variants[0].name);
        record = calloc(1, sizeof *record);
        if (record) {
            record->path = strdup(path);
            record->experiment = strdup(source.name);
            record->variant = strdup(source.variants[0].name);
            record->run = strdup(source.variants[0].path);
            record->repeated = source.variants[0].repeated;
            record->seed = source.variants[0].seed;
            record->mark = from->mark;
        }
        struct cnn_mark key_mark = cnn_node_key_mark(variant->resolved,
                                                     "model");
        if (!replacement || !record || !record->path ||
            !record->experiment || !record->variant || !record->run) {
            cnn_node_free(replacement);
            status = cnn_error_set(err, "out of memory");
        } else {
            /* `model` (and with it `from`) is freed here: the record
             * keeps a copy of from's mark, whose file name lives on. */
            status = cnn_node_map_set(variant->resolved, "model", key_mark,
                                      replacement);
            if (status == 0 &&
                default_no_training(variant->resolved, record->mark) < 0)
                status = cnn_error_set(err, "out of memory");
        }
    }
    cnn_manifest_free(&source);
    if (status < 0) {
        cnn_model_source_free(record);
        return -1;
    }
    variant->source = record;
    return 0;
}

int cnn_manifest_resolve_sources(struct cnn_manifest *manifest,
                                 const struct cnn_manifest_chain *chain,
                                 struct cnn_error *err)
{
    char canonical[PATH_MAX];
    if (!realpath(manifest->path, canonical))
        snprintf(canonical, sizeof canonical, "%s", manifest->path);
    for (int i = 0; i < manifest->variant_count; i++) {
        struct cnn_variant *variant = &manifest->variants[i];
        const struct cnn_node *model = cnn_node_get(variant->resolved,
                                                    "model");
        if (!model || model->kind != CNN_NODE_MAP)
            continue; /* run_config says what a model must be */
        if (!cnn_node_get(model, "from")) {
            const char *key = cnn_node_get(model, "variant") ? "variant"
                              : cnn_node_get(model, "seed")  ? "seed"
                                                             : NULL;
            if (key)
                return cnn_error_at(
                    err, cnn_node_key_mark(model, key),
                    "model.%s picks the %s of model.from's manifest: add "
                    "model.from (e.g. from: part-a/conv-layers) or remove "
                    "model.%s",
                    key, key, key);
            continue;
        }
        if (resolve_variant(manifest, variant, canonical, chain, err) < 0) {
            if (manifest->variant_count > 1)
                cnn_error_prefix(err, "variant %s: ", variant->name);
            return -1;
        }
    }
    return 0;
}
