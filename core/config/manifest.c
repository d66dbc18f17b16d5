/* cnnlab — loading a manifest and resolving its variants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/params.h"
#include "config/manifest.h"
#include "config/table_settings.h"

static const char *const top_level_keys[] = {
    "name", "description", "seed", "seeds", "repeats", "device", "threads",
    "data", "model", "train", "variants", "analyses", "profiles", "plugins",
    "table", "cuda",
};
#define TOP_LEVEL_KEY_COUNT \
    (int)(sizeof top_level_keys / sizeof top_level_keys[0])

static int check_keys(const struct cnn_node *map, const char *where,
                      const char *const *known, int known_count,
                      struct cnn_error *err)
{
    for (int i = 0; i < map->count; i++) {
        int found = 0;
        for (int k = 0; k < known_count; k++)
            found |= strcmp(map->keys[i], known[k]) == 0;
        if (found)
            continue;
        const char *guess = cnn_did_you_mean(map->keys[i], known,
                                             known_count);
        char list[512] = "";
        size_t used = 0;
        for (int k = 0; k < known_count && used < sizeof list; k++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     k ? ", " : "", known[k]);
        return cnn_error_at(err, map->key_marks[i],
                            "unknown key '%s' in %s%s%s%s (known: %s)",
                            map->keys[i], where,
                            guess ? "; did you mean '" : "",
                            guess ? guess : "", guess ? "'?" : "", list);
    }
    return 0;
}

/* Experiment and variant names become directories under results/. */
#define DIRECTORY_NAME_MAX 100
#define DIRECTORY_NAME_RULE                                                \
    "use 1 to 100 letters, digits, '.', '_' and '-' (not '/', not "        \
    "starting with '.')"

static int valid_variant_name(const char *name)
{
    if (!name[0] || name[0] == '.' || strlen(name) > DIRECTORY_NAME_MAX)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-'))
            return 0;
    return 1;
}

static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *stem = strdup(base);
    if (stem) {
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem)
            *dot = '\0';
    }
    return stem;
}

/* The experiment's name, from the resolved `name:` (the file's, or a
 * profile's or an override's: every variant has the same), else the
 * file's stem. It becomes a directory under results/, so a stem like '..'
 * (of "...yaml") is refused as a written name would be. */
static int set_experiment_name(struct cnn_manifest *manifest,
                               const struct cnn_node *resolved,
                               struct cnn_error *err)
{
    const struct cnn_node *name = cnn_node_get(resolved, "name");
    const char *text;
    if (name) {
        if (cnn_node_to_string(name, &text, err) < 0)
            return -1;
        if (!valid_variant_name(text))
            return cnn_error_at(err, name->mark,
                                "experiment name '%s' cannot be a directory "
                                "name: " DIRECTORY_NAME_RULE,
                                text);
        manifest->name = strdup(text);
    } else {
        manifest->name = file_stem(manifest->path);
        if (manifest->name && !valid_variant_name(manifest->name))
            return cnn_error_set(err,
                                 "%s has no name:, so the experiment would "
                                 "be named after the file, '%s', which "
                                 "cannot be a directory name: set name: "
                                 "(1 to 100 letters, digits, '.', '_' and "
                                 "'-')",
                                 manifest->path, manifest->name);
    }
    if (!manifest->name)
        return cnn_error_set(err, "out of memory");
    return 0;
}

/* `plugins:` is read from the manifest's top level, before any variant,
 * profile or override applies (the modules must be loaded to check the
 * rest), so one set anywhere else would pass and never load: refused. */
static int refuse_plugins_in(const struct cnn_node *overlay, const char *what,
                             struct cnn_error *err)
{
    if (!overlay || overlay->kind != CNN_NODE_MAP ||
        !cnn_node_get(overlay, "plugins"))
        return 0;
    return cnn_error_at(err, cnn_node_key_mark(overlay, "plugins"),
                        "'plugins' in %s would never be loaded: modules are "
                        "loaded for the whole experiment from the "
                        "manifest's top level, before variants, profiles "
                        "and overrides apply; move it there",
                        what);
}

/* The same for a command-line override "plugins=..." or "plugins.0=...". */
static int refuse_plugins_override(const char *assignment,
                                   struct cnn_error *err)
{
    size_t key = strcspn(assignment, "=.[");
    if (key != strlen("plugins") || strncmp(assignment, "plugins", key) != 0)
        return 0;
    return cnn_error_set(err,
                         "override '%s': 'plugins' would never be loaded: "
                         "modules are loaded from the manifest's top level "
                         "before overrides apply; set plugins: there, or "
                         "use CNNLAB_PLUGIN_PATH",
                         assignment);
}

/* ---- Which seeds: `seed: N` (one run), `seeds: [...]` or `repeats: N`
 * (one run per seed). The three keys are one setting: a layer (the file's
 * top level, a profile, the command line's overrides) gives at most one of
 * them, and a later layer's replaces an earlier one's whichever it is, so
 * `--profile` or `repeats=3` on a manifest with `seed: 1` repeats it.
 * `seeds` and `repeats` belong to the experiment, not to a variant. */

static const char *const seed_keys[] = {"seed", "seeds", "repeats"};
#define SEED_KEY_COUNT 3

static int is_seed_key(const char *key)
{
    for (int k = 0; k < SEED_KEY_COUNT; k++)
        if (strcmp(key, seed_keys[k]) == 0)
            return 1;
    return 0;
}

static int both_seed_keys(struct cnn_mark mark, const char *first,
                          const char *second, const char *where,
                          struct cnn_error *err)
{
    int is_seed = strcmp(first, "seed") == 0 || strcmp(second, "seed") == 0;
    return cnn_error_at(
        err, mark, "'%s' and '%s' are both given in %s: %s; keep one", first,
        second, where,
        is_seed ? "seed: N is the seed of a single run, seeds: [...] and "
                  "repeats: N run every variant once per seed"
                : "repeats: N means seeds: [1, 2, ..., N]");
}

/* The seed key `layer` sets (NULL: none); two of them are an error at the
 * second. */
static int layer_seed_key(const struct cnn_node *layer, const char *where,
                          const char **key, struct cnn_error *err)
{
    *key = NULL;
    if (!layer || layer->kind != CNN_NODE_MAP)
        return 0;
    for (int i = 0; i < layer->count; i++) {
        if (!is_seed_key(layer->keys[i]))
            continue;
        if (*key)
            return both_seed_keys(layer->key_marks[i], *key, layer->keys[i],
                                  where, err);
        *key = layer->keys[i];
    }
    return 0;
}

/* A later layer sets `key`: the earlier layers' other seed keys go. */
static void replace_seed_keys(struct cnn_node *tree, const char *key)
{
    for (int k = 0; k < SEED_KEY_COUNT; k++)
        if (strcmp(seed_keys[k], key) != 0)
            cnn_node_map_remove(tree, seed_keys[k]);
}

static int is_repeated(const struct cnn_node *tree)
{
    return cnn_node_get(tree, "seeds") || cnn_node_get(tree, "repeats");
}

/* A variant may set `seed:` (its single run's), but not the experiment's
 * seeds, nor a seed of its own when the experiment repeats. */
static int check_variant_seed(const struct cnn_node *overlay,
                              const struct cnn_node *tree,
                              struct cnn_error *err)
{
    const char *key;
    if (layer_seed_key(overlay, "a variant", &key, err) < 0)
        return -1;
    if (!key)
        return 0;
    if (strcmp(key, "seed") != 0)
        return cnn_error_at(err, cnn_node_key_mark(overlay, key),
                            "'%s' sets the experiment's seeds, not a "
                            "variant's (every variant runs once per seed, "
                            "so that they compare seed by seed): move it "
                            "to the top level (or into a profile)",
                            key);
    if (is_repeated(tree))
        return cnn_error_at(err, cnn_node_key_mark(overlay, key),
                            "a variant's 'seed' does not go with the "
                            "experiment's '%s', which runs every variant "
                            "once per seed: remove it from the variant",
                            cnn_node_get(tree, "seeds") ? "seeds"
                                                        : "repeats");
    return 0;
}

/* The seed key an override "seeds=..." or "seeds.0=..." sets; NULL for
 * any other. */
static const char *override_seed_key(const char *assignment)
{
    size_t key = strcspn(assignment, "=.[");
    for (int k = 0; k < SEED_KEY_COUNT; k++)
        if (strlen(seed_keys[k]) == key &&
            strncmp(assignment, seed_keys[k], key) == 0)
            return seed_keys[k];
    return NULL;
}

/* The manifest's root without its 'variants' and 'profiles': cloning the
 * whole root for every variant would copy every other variant too, which
 * made loading quadratic in the number of variants (issue 19, class 9). */
static struct cnn_node *clone_base(const struct cnn_node *root)
{
    if (!root || root->kind != CNN_NODE_MAP)
        return cnn_node_clone(root);
    struct cnn_node view = *root;
    size_t slots = (size_t)root->count + 1;
    view.items = malloc(slots * sizeof *view.items);
    view.keys = malloc(slots * sizeof *view.keys);
    view.key_marks = malloc(slots * sizeof *view.key_marks);
    struct cnn_node *copy = NULL;
    if (view.items && view.keys && view.key_marks) {
        view.count = 0;
        for (int i = 0; i < root->count; i++) {
            if (strcmp(root->keys[i], "variants") == 0
                || strcmp(root->keys[i], "profiles") == 0)
                continue;
            view.items[view.count] = root->items[i];
            view.keys[view.count] = root->keys[i];
            view.key_marks[view.count] = root->key_marks[i];
            view.count++;
        }
        copy = cnn_node_clone(&view);
    }
    free(view.items);
    free(view.keys);
    free(view.key_marks);
    return copy;
}

/* Variant names seen so far: an open-addressing hash set, so that the
 * duplicate check is linear overall, not quadratic. */
struct name_set {
    const char **slots;
    size_t capacity, count;
};

static size_t name_hash(const char *name)
{
    size_t hash = 1469598103934665603u;
    for (; *name; name++)
        hash = (hash ^ (unsigned char)*name) * 1099511628211u;
    return hash;
}

static void names_free(struct name_set *set)
{
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* Adds `name` (not copied: it must outlive the set). Returns 1 when it was
 * already there, 0 when added, -1 when out of memory. */
static int name_seen(struct name_set *set, const char *name,
                     struct cnn_error *err)
{
    if (2 * (set->count + 1) > set->capacity) {
        size_t capacity = set->capacity ? 2 * set->capacity : 64;
        const char **slots = calloc(capacity, sizeof *slots);
        if (!slots)
            return cnn_error_set(err, "out of memory");
        for (size_t i = 0; i < set->capacity; i++) {
            if (!set->slots[i])
                continue;
            size_t j = name_hash(set->slots[i]) & (capacity - 1);
            while (slots[j])
                j = (j + 1) & (capacity - 1);
            slots[j] = set->slots[i];
        }
        free(set->slots);
        set->slots = slots;
        set->capacity = capacity;
    }
    size_t j = name_hash(name) & (set->capacity - 1);
    for (; set->slots[j]; j = (j + 1) & (set->capacity - 1))
        if (strcmp(set->slots[j], name) == 0)
            return 1;
    set->slots[j] = name;
    set->count++;
    return 0;
}

/* Merges a variant's settings into `tree`: a variant's own (`what` "a
 * variant") or a profile's for one variant ("profile 'P', variant 'V'").
 * Its `name` aside, it may set what a variant may. */
static int merge_variant(struct cnn_node *tree, const struct cnn_node *variant,
                         const char *what, struct cnn_error *err)
{
    struct cnn_node *overlay = cnn_node_clone(variant);
    if (!overlay)
        return cnn_error_set(err, "out of memory");
    cnn_node_map_remove(overlay, "name");
    int status = check_keys(overlay, what, top_level_keys,
                            TOP_LEVEL_KEY_COUNT, err);
    if (status == 0)
        status = refuse_plugins_in(overlay, what, err);
    if (status == 0)
        status = check_variant_seed(overlay, tree, err);
    /* One table per experiment: its settings cannot differ by variant. */
    if (status == 0 && cnn_node_get(overlay, "table"))
        status = cnn_error_at(
            err, cnn_node_key_mark(overlay, "table"),
            "'table' sets the experiment's table, not a variant's: move it "
            "to the top level (or into a profile)");
    if (status == 0)
        status = cnn_node_merge(tree, overlay, err);
    cnn_node_free(overlay);
    return status;
}

/* Merges the profile into `tree`, then its settings for `variant_name`
 * (the profile's `variants: {<name>: {...}}`, checked by
 * check_profile_variants), so that a profile can set what differs by
 * variant, as the variants do: task A's labels for a pretraining variant,
 * task B's for the rest. */
static int merge_profile(struct cnn_node *tree, const struct cnn_node *profile,
                         const char *profile_name, const char *variant_name,
                         struct cnn_error *err)
{
    const char *seed_key = NULL;
    int status = refuse_plugins_in(profile, "a profile", err);
    if (status == 0)
        status = layer_seed_key(profile, "a profile", &seed_key, err);
    if (status == 0 && seed_key)
        replace_seed_keys(tree, seed_key);
    struct cnn_node *shared = status == 0 ? cnn_node_clone(profile) : NULL;
    if (status == 0 && !shared)
        status = cnn_error_set(err, "out of memory");
    if (status == 0) {
        cnn_node_map_remove(shared, "variants");
        status = cnn_node_merge(tree, shared, err);
        cnn_node_free(shared);
    }
    const struct cnn_node *own =
        cnn_node_get(cnn_node_get(profile, "variants"), variant_name);
    /* Other shapes and unknown names: check_profile_variants says so. */
    if (status == 0 && own && own->kind == CNN_NODE_MAP) {
        char what[512];
        snprintf(what, sizeof what, "profile '%.200s', variant '%.200s'",
                 profile_name, variant_name);
        status = merge_variant(tree, own, what, err);
    }
    return status;
}

/* base ⊕ variant ⊕ profile (with its settings for this variant) ⊕
 * overrides, without variants/profiles. */
static int resolve(const struct cnn_manifest *manifest,
                   const struct cnn_node *variant, const char *variant_name,
                   const struct cnn_node *profile, const char *profile_name,
                   const char *const *overrides, int override_count,
                   struct cnn_node **resolved, struct cnn_error *err)
{
    struct cnn_node *tree = clone_base(manifest->root);
    if (!tree)
        return cnn_error_set(err, "out of memory");
    int status = 0;
    if (variant)
        status = merge_variant(tree, variant, "a variant", err);
    if (status == 0 && profile)
        status = merge_profile(tree, profile, profile_name, variant_name,
                               err);
    const char *override_seed = NULL;
    int override_seed_at = -1;
    for (int i = 0; status == 0 && i < override_count; i++) {
        status = refuse_plugins_override(overrides[i], err);
        const char *seed_key = override_seed_key(overrides[i]);
        if (status == 0 && seed_key && override_seed &&
            strcmp(seed_key, override_seed) != 0) {
            char where[512];
            snprintf(where, sizeof where,
                     "the overrides ('%.200s' and '%.200s')",
                     overrides[override_seed_at], overrides[i]);
            status = both_seed_keys((struct cnn_mark){0}, override_seed,
                                    seed_key, where, err);
        } else if (status == 0 && seed_key) {
            override_seed = seed_key;
            override_seed_at = i;
            replace_seed_keys(tree, seed_key);
        }
        if (status == 0)
            status = cnn_node_apply_override(tree, overrides[i], err);
    }
    if (status == 0)
        status = check_keys(tree, "the manifest", top_level_keys,
                            TOP_LEVEL_KEY_COUNT, err);
    struct cnn_table_settings table_settings;
    if (status == 0)
        status = cnn_table_settings_parse(cnn_node_get(tree, "table"),
                                          &table_settings, err);
    if (status < 0) {
        cnn_node_free(tree);
        return -1;
    }
    *resolved = tree;
    return 0;
}

static int find_profile(const struct cnn_manifest *manifest,
                        const char *name, const struct cnn_node **profile,
                        struct cnn_error *err)
{
    *profile = NULL;
    if (!name)
        return 0;
    const struct cnn_node *profiles = cnn_node_get(manifest->root,
                                                   "profiles");
    if (profiles && profiles->kind != CNN_NODE_MAP)
        return cnn_error_at(err, profiles->mark,
                            "'profiles' must map names to overrides");
    *profile = cnn_node_get(profiles, name);
    if (!*profile) {
        const char *names[64];
        int count = 0;
        char list[512] = "";
        size_t used = 0;
        for (int i = 0; profiles && i < profiles->count && count < 64; i++) {
            names[count++] = profiles->keys[i];
            /* snprintf returns what it would have written: once the
             * list is full, used passes its end (the list is cut). */
            if (used < sizeof list)
                used += (size_t)snprintf(list + used, sizeof list - used,
                                         "%s%s", i ? ", " : "",
                                         profiles->keys[i]);
        }
        const char *guess = cnn_did_you_mean(name, names, count);
        return cnn_error_set(err, "%s has no profile '%s'%s%s%s (it has: %s)",
                             manifest->path, name,
                             guess ? "; did you mean '" : "",
                             guess ? guess : "", guess ? "'?" : "",
                             count ? list : "none");
    }
    if ((*profile)->kind != CNN_NODE_MAP)
        return cnn_error_at(err, (*profile)->mark,
                            "profile '%s' must be a mapping of overrides",
                            name);
    return 0;
}

static int add_variant(struct cnn_manifest *manifest, const char *name,
                       struct cnn_node *resolved, struct cnn_error *err)
{
    struct cnn_variant *grown = realloc(
        manifest->variants,
        (size_t)(manifest->variant_count + 1) * sizeof *grown);
    char *copy = strdup(name);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            manifest->variants = grown;
        cnn_node_free(resolved);
        return cnn_error_set(err, "out of memory");
    }
    manifest->variants = grown;
    char *path = strdup(name);
    if (!path) {
        free(copy);
        cnn_node_free(resolved);
        return cnn_error_set(err, "out of memory");
    }
    manifest->variants[manifest->variant_count++] = (struct cnn_variant){
        .name = copy, .resolved = resolved, .path = path};
    return 0;
}

static int load_variants(struct cnn_manifest *manifest,
                         const struct cnn_node *profile,
                         const char *profile_name,
                         const char *const *overrides, int override_count,
                         struct cnn_error *err)
{
    const struct cnn_node *variants = cnn_node_get(manifest->root,
                                                   "variants");
    struct cnn_node *resolved;
    if (!variants) {
        if (resolve(manifest, NULL, "main", profile, profile_name,
                    overrides, override_count, &resolved, err) < 0)
            return -1;
        return add_variant(manifest, "main", resolved, err);
    }
    if (variants->kind != CNN_NODE_SEQUENCE || variants->count == 0)
        return cnn_error_at(err, variants->mark,
                            "'variants' must be a non-empty list of "
                            "{name: ..., <overrides>}");
    struct name_set seen = {0};
    for (int i = 0; i < variants->count; i++) {
        const struct cnn_node *variant = variants->items[i];
        const struct cnn_node *name_node = cnn_node_get(variant, "name");
        const char *name;
        if (variant->kind != CNN_NODE_MAP || !name_node) {
            names_free(&seen);
            return cnn_error_at(err, variant->mark,
                                "each variant is a mapping with a 'name'");
        }
        if (cnn_node_to_string(name_node, &name, err) < 0) {
            names_free(&seen);
            return -1;
        }
        if (!valid_variant_name(name)) {
            names_free(&seen);
            return cnn_error_at(err, name_node->mark,
                                "variant name '%s' cannot be a directory "
                                "name: " DIRECTORY_NAME_RULE,
                                name);
        }
        int status = name_seen(&seen, name, err);
        if (status > 0)
            status = cnn_error_at(err, name_node->mark,
                                  "variant '%s' is defined twice", name);
        if (status == 0
            && resolve(manifest, variant, name, profile, profile_name,
                       overrides, override_count, &resolved, err) < 0)
            status = -1;
        if (status == 0 && add_variant(manifest, name, resolved, err) < 0)
            status = -1;
        if (status < 0) {
            names_free(&seen);
            return -1;
        }
    }
    names_free(&seen);
    return 0;
}

/* A profile's `variants:` maps names of the manifest's variants to
 * mappings of their settings. */
static int check_profile_variants(const struct cnn_manifest *manifest,
                                  const struct cnn_node *profile,
                                  const char *profile_name,
                                  struct cnn_error *err)
{
    const struct cnn_node *own = cnn_node_get(profile, "variants");
    if (!own)
        return 0;
    if (own->kind != CNN_NODE_MAP)
        return cnn_error_at(err, own->mark,
                            "profile '%s': 'variants' maps variant names to "
                            "their settings, e.g. variants: {pretrain: "
                            "{data: {labels: [0, 1]}}}",
                            profile_name);
    const char **names =
        malloc((size_t)manifest->variant_count * sizeof *names);
    if (!names)
        return cnn_error_set(err, "out of memory");
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < manifest->variant_count; i++) {
        names[i] = manifest->variants[i].name;
        if (used < sizeof list) /* past the end: the list is cut */
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     i ? ", " : "", names[i]);
    }
    int status = 0;
    for (int k = 0; status == 0 && k < own->count; k++) {
        int found = 0;
        for (int i = 0; i < manifest->variant_count; i++)
            found |= strcmp(own->keys[k], names[i]) == 0;
        const char *guess =
            found ? NULL
                  : cnn_did_you_mean(own->keys[k], names,
                                     manifest->variant_count);
        if (!found)
            status = cnn_error_at(
                err, own->key_marks[k],
                "profile '%s' sets variant '%s', which the manifest does not "
                "have%s%s%s (it has: %s)",
                profile_name, own->keys[k], guess ? "; did you mean '" : "",
                guess ? guess : "", guess ? "'?" : "", list);
        else if (own->items[k]->kind != CNN_NODE_MAP)
            status = cnn_error_at(err, own->items[k]->mark,
                                  "profile '%s', variant '%s': give a "
                                  "mapping of settings, as a variant has",
                                  profile_name, own->keys[k]);
    }
    free(names);
    return status;
}

/* `table: {compare: V}` names one of the variants. Every variant resolves
 * `table:` alike (a variant may not set it), so the first one's says. */
static int check_table_compare(const struct cnn_manifest *manifest,
                               struct cnn_error *err)
{
    const struct cnn_node *node =
        cnn_node_get(manifest->variants[0].resolved, "table");
    struct cnn_table_settings settings;
    if (!node || cnn_table_settings_parse(node, &settings, err) < 0)
        return node ? -1 : 0;
    const char **names =
        malloc((size_t)manifest->variant_count * sizeof *names);
    if (!names)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < manifest->variant_count; i++)
        names[i] = manifest->variants[i].name;
    int status = cnn_table_settings_check_compare(
        node, &settings, names, manifest->variant_count, err);
    free(names);
    return status;
}

/* The most runs per variant `seeds:` or `repeats:` may ask for. */
#define SEEDS_MAX 10000
#define SEED_MAX 4294967295.0

/* The seeds the resolved tree asks for: `seeds: [...]`, `repeats: N`
 * (1..N), or none (*count 0). */
static int parse_seeds(const struct cnn_node *tree, uint64_t **seeds,
                       int *count, struct cnn_error *err)
{
    *seeds = NULL;
    *count = 0;
    const struct cnn_node *list = cnn_node_get(tree, "seeds");
    const struct cnn_node *repeats = cnn_node_get(tree, "repeats");
    if (!list && !repeats)
        return 0;
    long n = 0;
    if (repeats) {
        if (cnn_node_to_long(repeats, &n, err) < 0)
            return cnn_error_prefix(err, "repeats: ");
        if (n < 1 || n > SEEDS_MAX)
            return cnn_error_at(err, repeats->mark,
                                "repeats: %ld: give how many times each "
                                "variant runs, 1 to %d (seeds 1 to N)",
                                n, SEEDS_MAX);
    } else if (list->kind != CNN_NODE_SEQUENCE || list->count == 0) {
        return cnn_error_at(err, list->mark,
                            "seeds: needs a list of one or more seeds, "
                            "e.g. seeds: [1, 2, 3] (or repeats: 3)");
    } else if (list->count > SEEDS_MAX) {
        return cnn_error_at(err, list->mark,
                            "seeds: lists %d seeds; at most %d", list->count,
                            SEEDS_MAX);
    } else {
        n = list->count;
    }
    *seeds = malloc((size_t)n * sizeof **seeds);
    if (!*seeds)
        return cnn_error_set(err, "out of memory");
    for (long i = 0; i < n; i++) {
        long value = i + 1;
        if (list) {
            const struct cnn_node *item = list->items[i];
            if (item->kind != CNN_NODE_SCALAR ||
                cnn_node_to_long(item, &value, err) < 0 || value < 0 ||
                value > SEED_MAX) {
                free(*seeds);
                *seeds = NULL;
                return cnn_error_at(err, item->mark,
                                    "seeds: '%s' is not a seed: each is a "
                                    "whole number from 0 to 4294967295",
                                    item->kind == CNN_NODE_SCALAR
                                        ? item->text
                                        : cnn_node_kind_name(item->kind));
            }
            for (long j = 0; j < i; j++)
                if ((*seeds)[j] == (uint64_t)value) {
                    free(*seeds);
                    *seeds = NULL;
                    return cnn_error_at(
                        err, item->mark,
                        "seeds: %ld is listed twice (first on line %d): "
                        "each seed is one run of every variant; list it "
                        "once",
                        value, list->items[j]->mark.line);
                }
        }
        (*seeds)[i] = (uint64_t)value;
    }
    *count = (int)n;
    return 0;
}

/* The mark of seed `index`'s value, for its run's `seed:` node. */
static struct cnn_mark seed_mark(const struct cnn_node *tree, int index)
{
    const struct cnn_node *list = cnn_node_get(tree, "seeds");
    if (list && list->kind == CNN_NODE_SEQUENCE && index < list->count)
        return list->items[index]->mark;
    const struct cnn_node *repeats = cnn_node_get(tree, "repeats");
    return repeats ? repeats->mark : tree->mark;
}

/* One seed's tree: `seed: S` where `seeds`/`repeats` was, and the data's
 * split seed fixed (CNN_DEFAULT_SPLIT_SEED unless data.split_seed says
 * otherwise), so that every seed sees the same images and a run's
 * manifest.yaml reproduces that run alone. */
static struct cnn_node *seeded_tree(const struct cnn_node *tree, int index,
                                    uint64_t seed)
{
    struct cnn_node *copy = cnn_node_clone(tree);
    if (!copy)
        return NULL;
    struct cnn_mark mark = seed_mark(tree, index);
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
    for (int i = 0; i < copy->count; i++) {
        if (strcmp(copy->keys[i], "seeds") != 0 &&
            strcmp(copy->keys[i], "repeats") != 0)
            continue;
        char *key = strdup("seed");
        struct cnn_node *value = cnn_node_new_scalar(text, mark);
        if (!key || !value) {
            free(key);
            cnn_node_free(value);
            cnn_node_free(copy);
            return NULL;
        }
        free(copy->keys[i]);
        cnn_node_free(copy->items[i]);
        copy->keys[i] = key;
        copy->items[i] = value;
        break;
    }
    struct cnn_node *data = cnn_node_get(copy, "data");
    /* A data: that is not a mapping is run_config's to report. */
    if (data && data->kind == CNN_NODE_MAP &&
        !cnn_node_get(data, "split_seed")) {
        snprintf(text, sizeof text, "%d", CNN_DEFAULT_SPLIT_SEED);
        struct cnn_node *split = cnn_node_new_scalar(text, mark);
        if (!split || cnn_node_map_set(data, "split_seed", mark, split) < 0) {
            cnn_node_free(copy);
            return NULL;
        }
    }
    return copy;
}

struct cnn_model_source *cnn_model_source_clone(
    const struct cnn_model_source *source)
{
    if (!source)
        return NULL;
    struct cnn_model_source *copy = calloc(1, sizeof *copy);
    if (!copy)
        return NULL;
    *copy = *source;
    copy->path = strdup(source->path);
    copy->experiment = strdup(source->experiment);
    copy->variant = strdup(source->variant);
    copy->run = strdup(source->run);
    copy->resolved = source->resolved ? cnn_node_clone(source->resolved)
                                      : NULL;
    copy->next = cnn_model_source_clone(source->next);
    if (!copy->path || !copy->experiment || !copy->variant || !copy->run ||
        (source->resolved && !copy->resolved) ||
        (source->next && !copy->next)) {
        cnn_model_source_free(copy);
        return NULL;
    }
    return copy;
}

static void free_variant(struct cnn_variant *variant)
{
    free(variant->name);
    free(variant->path);
    cnn_node_free(variant->resolved);
    cnn_model_source_free(variant->source);
}

/* `seeds:`/`repeats:`: each variant becomes one run per seed. Every
 * variant has the same seeds (a variant cannot set them). */
static int expand_seeds(struct cnn_manifest *manifest, struct cnn_error *err)
{
    if (manifest->variant_count == 0 ||
        !is_repeated(manifest->variants[0].resolved))
        return 0;
    if (parse_seeds(manifest->variants[0].resolved, &manifest->seeds,
                    &manifest->seed_count, err) < 0)
        return -1;
    int seeds = manifest->seed_count;
    for (int v = 1; v < manifest->variant_count; v++) {
        uint64_t *mine;
        int count;
        if (parse_seeds(manifest->variants[v].resolved, &mine, &count,
                        err) < 0)
            return -1;
        int same = count == seeds;
        for (int i = 0; same && i < count; i++)
            same = mine[i] == manifest->seeds[i];
        free(mine);
        if (!same)
            return cnn_error_set(err,
                                 "variant %s runs with other seeds than "
                                 "variant %s: seeds: and repeats: belong "
                                 "to the whole experiment",
                                 manifest->variants[v].name,
                                 manifest->variants[0].name);
    }
    size_t total = (size_t)manifest->variant_count * (size_t)seeds;
    struct cnn_variant *runs = calloc(total, sizeof *runs);
    if (!runs)
        return cnn_error_set(err, "out of memory for %zu runs", total);
    size_t made = 0;
    int status = 0;
    for (int v = 0; status == 0 && v < manifest->variant_count; v++) {
        const struct cnn_variant *variant = &manifest->variants[v];
        for (int i = 0; status == 0 && i < seeds; i++) {
            struct cnn_variant *run = &runs[made++];
            uint64_t seed = manifest->seeds[i];
            char path[160];
            snprintf(path, sizeof path, "%s/seed-%llu", variant->name,
                     (unsigned long long)seed);
            run->name = strdup(variant->name);
            run->path = strdup(path);
            run->resolved = seeded_tree(variant->resolved, i, seed);
            run->source = cnn_model_source_clone(variant->source);
            run->repeated = 1;
            run->seed = seed;
            run->seed_index = i;
            if (!run->name || !run->path || !run->resolved ||
                (variant->source && !run->source))
                status = cnn_error_set(err, "out of memory");
        }
    }
    if (status < 0) {
        for (size_t i = 0; i < made; i++)
            free_variant(&runs[i]);
        free(runs);
        return -1;
    }
    for (int v = 0; v < manifest->variant_count; v++)
        free_variant(&manifest->variants[v]);
    free(manifest->variants);
    manifest->variants = runs;
    manifest->variant_count = (int)total;
    return 0;
}

int cnn_manifest_load(struct cnn_manifest *manifest, const char *path,
                      const char *profile_name, const char *const *overrides,
                      int override_count, struct cnn_error *err)
{
    return cnn_manifest_load_chain(manifest, path, profile_name, overrides,
                                   override_count, NULL, err);
}

int cnn_manifest_load_chain(struct cnn_manifest *manifest, const char *path,
                            const char *profile_name,
                            const char *const *overrides, int override_count,
                            const struct cnn_manifest_chain *chain,
                            struct cnn_error *err)
{
    memset(manifest, 0, sizeof *manifest);
    manifest->path = strdup(path);
    manifest->profile = profile_name ? strdup(profile_name) : NULL;
    if (!manifest->path || (profile_name && !manifest->profile)) {
        cnn_manifest_free(manifest);
        return cnn_error_set(err, "out of memory");
    }
    if (cnn_node_load_file(path, &manifest->root, err) < 0)
        goto fail;
    if (manifest->root->kind != CNN_NODE_MAP) {
        cnn_error_at(err, manifest->root->mark,
                     "a manifest is a mapping (name:, data:, model:, "
                     "train:, ...), got %s",
                     cnn_node_kind_name(manifest->root->kind));
        goto fail;
    }
    if (check_keys(manifest->root, "the manifest", top_level_keys,
                   TOP_LEVEL_KEY_COUNT, err) < 0)
        goto fail;
    const char *seed_key;
    if (layer_seed_key(manifest->root, "the manifest", &seed_key, err) < 0)
        goto fail;
    const struct cnn_node *profile;
    if (find_profile(manifest, profile_name, &profile, err) < 0)
        goto fail;
    if (load_variants(manifest, profile, profile_name, overrides,
                      override_count, err) < 0)
        goto fail;
    if (check_profile_variants(manifest, profile, profile_name, err) < 0)
        goto fail;
    if (check_table_compare(manifest, err) < 0)
        goto fail;
    if (set_experiment_name(manifest, manifest->variants[0].resolved, err) <
        0)
        goto fail;
    if (cnn_manifest_resolve_sources(manifest, chain, err) < 0)
        goto fail;
    if (expand_seeds(manifest, err) < 0)
        goto fail;
    if (cnn_manifest_resolve_siblings(manifest, err) < 0)
        goto fail;
    return 0;
fail:
    cnn_manifest_free(manifest);
    return -1;
}

/* Keeps the runs for which keep[i] is set, in order. */
static void keep_runs(struct cnn_manifest *manifest, const int *keep)
{
    int kept = 0;
    for (int i = 0; i < manifest->variant_count; i++) {
        if (keep[i])
            manifest->variants[kept++] = manifest->variants[i];
        else
            free_variant(&manifest->variants[i]);
    }
    manifest->variant_count = kept;
}

int cnn_manifest_select_variant(struct cnn_manifest *manifest,
                                const char *name, struct cnn_error *err)
{
    int found = 0;
    char list[1024] = "";
    size_t used = 0;
    int *keep = calloc((size_t)manifest->variant_count + 1, sizeof *keep);
    if (!keep)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < manifest->variant_count; i++) {
        keep[i] = strcmp(manifest->variants[i].name, name) == 0;
        found |= keep[i];
        if (!cnn_manifest_first_of_variant(manifest, i))
            continue;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 used ? ", " : "",
                                 manifest->variants[i].name);
        if (used >= sizeof list)
            used = sizeof list - 1;
    }
    if (!found) {
        free(keep);
        return cnn_error_set(err, "%s has no variant '%s' (it has: %s)",
                             manifest->path, name, list);
    }
    keep_runs(manifest, keep);
    free(keep);
    return 0;
}

void cnn_manifest_format_seeds(const struct cnn_manifest *manifest,
                               char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < manifest->seed_count; i++) {
        char item[32];
        snprintf(item, sizeof item, "%s%llu", i ? ", " : "",
                 (unsigned long long)manifest->seeds[i]);
        if (used + strlen(item) + 4 >= size) {
            snprintf(text + used, size - used, "...");
            return;
        }
        used += (size_t)snprintf(text + used, size - used, "%s", item);
    }
}

int cnn_manifest_select_seed(struct cnn_manifest *manifest, uint64_t seed,
                             struct cnn_error *err)
{
    if (manifest->seed_count == 0)
        return cnn_error_set(err,
                             "--seed %llu: %s has no seeds: or repeats: to "
                             "choose from (to run it with another seed, "
                             "override it: seed=%llu)",
                             (unsigned long long)seed, manifest->path,
                             (unsigned long long)seed);
    int *keep = calloc((size_t)manifest->variant_count + 1, sizeof *keep);
    if (!keep)
        return cnn_error_set(err, "out of memory");
    int found = 0;
    for (int i = 0; i < manifest->variant_count; i++) {
        keep[i] = manifest->variants[i].seed == seed;
        found |= keep[i];
    }
    if (!found) {
        char seeds[512];
        cnn_manifest_format_seeds(manifest, seeds, sizeof seeds);
        free(keep);
        return cnn_error_set(err, "--seed %llu: %s has no such seed (its "
                                  "seeds: %s)",
                             (unsigned long long)seed, manifest->path,
                             seeds);
    }
    keep_runs(manifest, keep);
    free(keep);
    return 0;
}

int cnn_manifest_first_of_variant(const struct cnn_manifest *manifest,
                                  int index)
{
    return index == 0 || strcmp(manifest->variants[index - 1].name,
                                manifest->variants[index].name) != 0;
}

int cnn_manifest_variant_names(const struct cnn_manifest *manifest)
{
    int count = 0;
    for (int i = 0; i < manifest->variant_count; i++)
        count += cnn_manifest_first_of_variant(manifest, i);
    return count;
}

void cnn_manifest_free(struct cnn_manifest *manifest)
{
    for (int i = 0; i < manifest->variant_count; i++)
        free_variant(&manifest->variants[i]);
    free(manifest->variants);
    free(manifest->seeds);
    cnn_node_free(manifest->root);
    free(manifest->name);
    free(manifest->path);
    free(manifest->profile);
    memset(manifest, 0, sizeof *manifest);
}
