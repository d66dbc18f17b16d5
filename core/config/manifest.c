/* cnnlab — loading a manifest and resolving its variants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/params.h"
#include "config/manifest.h"
#include "config/table_settings.h"

static const char *const top_level_keys[] = {
    "name", "description", "seed", "device", "threads", "data", "model",
    "train", "variants", "analyses", "profiles", "plugins", "table", "cuda",
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

/* base ⊕ variant ⊕ profile ⊕ overrides, without variants/profiles. */
static int resolve(const struct cnn_manifest *manifest,
                   const struct cnn_node *variant,
                   const struct cnn_node *profile,
                   const char *const *overrides, int override_count,
                   struct cnn_node **resolved, struct cnn_error *err)
{
    struct cnn_node *tree = clone_base(manifest->root);
    if (!tree)
        return cnn_error_set(err, "out of memory");
    int status = 0;
    if (variant) {
        struct cnn_node *overlay = cnn_node_clone(variant);
        if (!overlay)
            status = cnn_error_set(err, "out of memory");
        else {
            cnn_node_map_remove(overlay, "name");
            status = check_keys(overlay, "a variant", top_level_keys,
                                TOP_LEVEL_KEY_COUNT, err);
            if (status == 0)
                status = refuse_plugins_in(overlay, "a variant", err);
            /* One table per experiment: its settings cannot differ by
             * variant. */
            if (status == 0 && cnn_node_get(overlay, "table"))
                status = cnn_error_at(
                    err, cnn_node_key_mark(overlay, "table"),
                    "'table' sets the experiment's table, not a variant's: "
                    "move it to the top level (or into a profile)");
            if (status == 0)
                status = cnn_node_merge(tree, overlay, err);
            cnn_node_free(overlay);
        }
    }
    if (status == 0 && profile) {
        status = refuse_plugins_in(profile, "a profile", err);
        if (status == 0)
            status = cnn_node_merge(tree, profile, err);
    }
    for (int i = 0; status == 0 && i < override_count; i++) {
        status = refuse_plugins_override(overrides[i], err);
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
    manifest->variants[manifest->variant_count++] =
        (struct cnn_variant){copy, resolved, NULL};
    return 0;
}

static int load_variants(struct cnn_manifest *manifest,
                         const struct cnn_node *profile,
                         const char *const *overrides, int override_count,
                         struct cnn_error *err)
{
    const struct cnn_node *variants = cnn_node_get(manifest->root,
                                                   "variants");
    struct cnn_node *resolved;
    if (!variants) {
        if (resolve(manifest, NULL, profile, overrides, override_count,
                    &resolved, err) < 0)
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
            && resolve(manifest, variant, profile, overrides,
                       override_count, &resolved, err) < 0)
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
    const struct cnn_node *profile;
    if (find_profile(manifest, profile_name, &profile, err) < 0)
        goto fail;
    if (load_variants(manifest, profile, overrides, override_count, err) < 0)
        goto fail;
    if (set_experiment_name(manifest, manifest->variants[0].resolved, err) <
        0)
        goto fail;
    if (cnn_manifest_resolve_sources(manifest, chain, err) < 0)
        goto fail;
    return 0;
fail:
    cnn_manifest_free(manifest);
    return -1;
}

int cnn_manifest_select_variant(struct cnn_manifest *manifest,
                                const char *name, struct cnn_error *err)
{
    int keep = -1;
    char list[1024] = "";
    size_t used = 0;
    for (int i = 0; i < manifest->variant_count; i++) {
        if (strcmp(manifest->variants[i].name, name) == 0)
            keep = i;
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 i ? ", " : "", manifest->variants[i].name);
        if (used >= sizeof list)
            used = sizeof list - 1;
    }
    if (keep < 0)
        return cnn_error_set(err, "%s has no variant '%s' (it has: %s)",
                             manifest->path, name, list);
    for (int i = 0; i < manifest->variant_count; i++)
        if (i != keep) {
            free(manifest->variants[i].name);
            cnn_node_free(manifest->variants[i].resolved);
            cnn_model_source_free(manifest->variants[i].source);
        }
    manifest->variants[0] = manifest->variants[keep];
    manifest->variant_count = 1;
    return 0;
}

void cnn_manifest_free(struct cnn_manifest *manifest)
{
    for (int i = 0; i < manifest->variant_count; i++) {
        free(manifest->variants[i].name);
        cnn_node_free(manifest->variants[i].resolved);
        cnn_model_source_free(manifest->variants[i].source);
    }
    free(manifest->variants);
    cnn_node_free(manifest->root);
    free(manifest->name);
    free(manifest->path);
    free(manifest->profile);
    memset(manifest, 0, sizeof *manifest);
}
