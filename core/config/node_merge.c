/* cnnlab — combining trees: profiles and variants merged into a manifest,
 * and "a.b.c=value" overrides from the command line. Beyond "mappings
 * merge, the rest replaces", an overlay can ask for replacement
 * (`replace: true`) and address list items ({-1: ...}), so a profile can
 * swap a loader or change the last layer of every variant. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/node.h"
#include "config/params_node.h"

/* The reserved key of an overlay mapping that asks for replacement instead
 * of a merge (YAML tags, the natural spelling, are refused by the loader). */
#define REPLACE_KEY "replace"

/* Reads an overlay map's `replace:` marker: 1 replace, 0 merge. */
static int replace_marker(const struct cnn_node *overlay, int *replace,
                          struct cnn_error *err)
{
    *replace = 0;
    const struct cnn_node *marker = cnn_node_get(overlay, REPLACE_KEY);
    if (!marker)
        return 0;
    if (marker->kind != CNN_NODE_SCALAR || marker->quoted ||
        cnn_text_to_bool(marker->text, replace) != CNN_TEXT_OK)
        return cnn_error_at(err, marker->mark,
                            "'" REPLACE_KEY "' in an override mapping is "
                            "reserved: 'replace: true' makes the mapping "
                            "replace the one it overrides instead of "
                            "merging into it; its value must be true or "
                            "false");
    return 0;
}

/* Removes the `replace` markers of a copied overlay, at any depth,
 * checking each: one that is not true/false is an error, not ignored. */
static int strip_markers(struct cnn_node *node, struct cnn_error *err)
{
    if (node->kind == CNN_NODE_MAP) {
        int replace;
        if (replace_marker(node, &replace, err) < 0)
            return -1;
        cnn_node_map_remove(node, REPLACE_KEY);
    }
    for (int i = 0; i < node->count; i++)
        if (strip_markers(node->items[i], err) < 0)
            return -1;
    return 0;
}

static struct cnn_node *clone_unmarked(const struct cnn_node *overlay,
                                       struct cnn_error *err)
{
    struct cnn_node *copy = cnn_node_clone(overlay);
    if (!copy) {
        cnn_error_set(err, "out of memory");
        return NULL;
    }
    if (strip_markers(copy, err) < 0) {
        cnn_node_free(copy);
        return NULL;
    }
    return copy;
}

/* Replaces the contents of `base` with a copy of `overlay`, keeping the
 * `base` pointer valid for whoever holds it (its parent map or list). */
static int replace_in_place(struct cnn_node *base,
                            const struct cnn_node *overlay,
                            struct cnn_error *err)
{
    struct cnn_node *copy = clone_unmarked(overlay, err);
    if (!copy)
        return -1;
    /* Swap contents: `copy` then owns what `base` had, and is freed. */
    struct cnn_node old = *base;
    *base = *copy;
    *copy = old;
    cnn_node_free(copy);
    return 0;
}

/* A non-empty mapping whose keys are all integers addresses list items. */
static int is_index_map(const struct cnn_node *node)
{
    if (node->kind != CNN_NODE_MAP || node->count == 0)
        return 0;
    for (int i = 0; i < node->count; i++) {
        long index;
        if (cnn_text_to_long(node->keys[i], &index) != CNN_TEXT_OK)
            return 0;
    }
    return 1;
}

/* Whether `overlay` merges into `base` (else it replaces it). */
static int merges_into(const struct cnn_node *base,
                       const struct cnn_node *overlay, int *merges,
                       struct cnn_error *err)
{
    int replace;
    *merges = 0;
    if (overlay->kind != CNN_NODE_MAP)
        return 0;
    if (replace_marker(overlay, &replace, err) < 0)
        return -1;
    *merges = !replace && (base->kind == CNN_NODE_MAP ||
                           (base->kind == CNN_NODE_SEQUENCE &&
                            is_index_map(overlay)));
    return 0;
}

static int merge_or_replace(struct cnn_node *base,
                            const struct cnn_node *overlay,
                            struct cnn_error *err)
{
    int merges;
    if (merges_into(base, overlay, &merges, err) < 0)
        return -1;
    return merges ? cnn_node_merge(base, overlay, err)
                  : replace_in_place(base, overlay, err);
}

/* {-1: {linear: {out: 10}}} merged into a list merges into its last item;
 * indexes count from 0, negative ones from the end. */
static int merge_into_items(struct cnn_node *list,
                            const struct cnn_node *overlay,
                            struct cnn_error *err)
{
    for (int i = 0; i < overlay->count; i++) {
        long index = 0;
        cnn_text_to_long(overlay->keys[i], &index);
        long position = index < 0 ? index + list->count : index;
        if (position < 0 || position >= list->count)
            return cnn_error_at(err, overlay->key_marks[i],
                                "list index %ld is out of range: the list "
                                "(at line %d) has %d items, so indexes run "
                                "from 0 to %d, or from -%d to -1 counting "
                                "from the end",
                                index, list->mark.line, list->count,
                                list->count - 1, list->count);
        if (merge_or_replace(list->items[position], overlay->items[i],
                             err) < 0)
            return -1;
    }
    return 0;
}

int cnn_node_merge(struct cnn_node *base, const struct cnn_node *overlay,
                   struct cnn_error *err)
{
    if (!base || !overlay)
        return cnn_error_set(err, "merge: nothing to merge");
    int merges;
    if (merges_into(base, overlay, &merges, err) < 0)
        return -1;
    if (!merges)
        return replace_in_place(base, overlay, err);
    if (base->kind == CNN_NODE_SEQUENCE)
        return merge_into_items(base, overlay, err);
    for (int i = 0; i < overlay->count; i++) {
        const char *key = overlay->keys[i];
        const struct cnn_node *value = overlay->items[i];
        if (strcmp(key, REPLACE_KEY) == 0)
            continue;
        struct cnn_node *existing = cnn_node_get(base, key);
        int nested = 0;
        if (existing && merges_into(existing, value, &nested, err) < 0)
            return -1;
        if (nested) {
            if (cnn_node_merge(existing, value, err) != 0)
                return -1;
            continue;
        }
        struct cnn_node *copy = clone_unmarked(value, err);
        if (!copy)
            return -1;
        if (cnn_node_map_set(base, key, overlay->key_marks[i], copy) != 0)
            return cnn_error_set(err, "out of memory");
    }
    return 0;
}

static void clear_positions(struct cnn_node *node)
{
    node->mark.line = 0;
    node->mark.column = 0;
    for (int i = 0; i < node->count; i++) {
        clear_positions(node->items[i]);
        if (node->kind == CNN_NODE_MAP) {
            node->key_marks[i].line = 0;
            node->key_marks[i].column = 0;
        }
    }
}

static int only_space(const char *text)
{
    while (*text && isspace((unsigned char)*text))
        text++;
    return *text == '\0';
}

/* Parses the value of an override as YAML. Its nodes are placed at the
 * argument itself ("command line 'train.epochs=3'", no line or column), so
 * a later check of the value quotes what the user typed. */
static int parse_override_value(const char *assignment, const char *value,
                                struct cnn_node **out, struct cnn_error *err)
{
    size_t label_size = strlen(assignment) + 32;
    char *label = malloc(label_size);
    if (!label)
        return cnn_error_set(err, "out of memory");
    snprintf(label, label_size, "command line '%s'", assignment);

    /* An empty value would load as an empty document (a mapping); a bare
     * "key=" means empty text. Loading a placeholder interns the label. */
    int empty = only_space(value);
    struct cnn_error parse_err = {0};
    int status = cnn_node_load_string(empty ? "''" : value, label, out,
                                      &parse_err);
    free(label);
    if (status != 0)
        return cnn_error_set(err, "override '%s': bad value: %s",
                             assignment, parse_err.message);
    if (empty) {
        free((*out)->text);
        (*out)->text = strdup("");
        (*out)->quoted = 0;
        if (!(*out)->text) {
            cnn_node_free(*out);
            return cnn_error_set(err, "out of memory");
        }
    }
    clear_positions(*out);
    return 0;
}

/* "a..b", ".a" and "a." name no node: refused before anything changes,
 * so a bad override leaves the tree as it was. */
static int check_key_segments(const char *assignment, const char *path,
                              struct cnn_error *err)
{
    for (const char *p = path;; p++) {
        if (*p == '.' || *p == '\0') {
            int at_start = p == path, after_dot = p > path && p[-1] == '.';
            if (at_start || after_dot)
                return cnn_error_set(err,
                                     "override '%s': empty key segment in "
                                     "'%s'",
                                     assignment, path);
            if (*p == '\0')
                return 0;
        }
    }
}

/* Walks the dotted path as far as it exists, without creating anything,
 * to find a scalar or list in the way; `path` comes back as it was. */
static int check_path_is_mappings(const struct cnn_node *root,
                                  const char *assignment, char *path,
                                  struct cnn_error *err)
{
    const struct cnn_node *node = root;
    char *segment = path;
    char *dot;
    while ((dot = strchr(segment, '.')) != NULL) {
        *dot = '\0';
        const struct cnn_node *child = cnn_node_get(node, segment);
        if (!child)
            break;
        /* The error names the path up to the node in the way. */
        if (child->kind != CNN_NODE_MAP)
            return cnn_error_set(err,
                                 "override '%s': '%s' is %s, not a mapping",
                                 assignment, path,
                                 cnn_node_kind_name(child->kind));
        *dot = '.';
        node = child;
        segment = dot + 1;
    }
    if (dot)
        *dot = '.';
    return 0;
}

/* Creates the mappings missing on the dotted path (placed at the
 * override, like the value) and sets its last key to `value`, which it
 * takes. */
static int set_at_path(struct cnn_node *root, char *path,
                       struct cnn_node *value, struct cnn_error *err)
{
    struct cnn_mark mark = value->mark;
    struct cnn_node *node = root;
    char *segment = path;
    char *dot;
    while ((dot = strchr(segment, '.')) != NULL) {
        *dot = '\0';
        struct cnn_node *child = cnn_node_get(node, segment);
        if (!child) {
            child = cnn_node_new_map(mark);
            if (!child || cnn_node_map_set(node, segment, mark, child) != 0) {
                cnn_node_free(value);
                return cnn_error_set(err, "out of memory");
            }
        }
        node = child;
        segment = dot + 1;
    }
    if (cnn_node_map_set(node, segment, mark, value) != 0)
        return cnn_error_set(err, "out of memory");
    return 0;
}

/* An override {index: item, ...} onto a list merges into the items it
 * names, as a variant's or a profile's does (analyses={3: {timing:
 * {repeats: 1}}}); any other value replaces. `*value` becomes the list
 * merged, on a copy, so that a bad index leaves the tree as it was. */
static int merge_into_list(const struct cnn_node *root, const char *path,
                           struct cnn_node **value, struct cnn_error *err)
{
    const struct cnn_node *list = cnn_node_get_path(root, path);
    if (!list || list->kind != CNN_NODE_SEQUENCE || !is_index_map(*value))
        return 0;
    struct cnn_node *merged = cnn_node_clone(list);
    if (!merged)
        return cnn_error_set(err, "out of memory");
    /* Its errors are placed at "command line '<assignment>'". */
    if (cnn_node_merge(merged, *value, err) < 0) {
        cnn_node_free(merged);
        return -1;
    }
    cnn_node_free(*value);
    *value = merged;
    return 0;
}

/* The override's key is `path` (a copy the steps may cut at its dots);
 * its value the text after '='. */
static int apply_at_path(struct cnn_node *root, const char *assignment,
                         char *path, const char *value_text,
                         struct cnn_error *err)
{
    if (check_key_segments(assignment, path, err) != 0)
        return -1;
    struct cnn_node *value = NULL;
    if (parse_override_value(assignment, value_text, &value, err) != 0)
        return -1;
    if (check_path_is_mappings(root, assignment, path, err) != 0 ||
        merge_into_list(root, path, &value, err) != 0) {
        cnn_node_free(value);
        return -1;
    }
    return set_at_path(root, path, value, err);
}

int cnn_node_apply_override(struct cnn_node *root, const char *assignment,
                            struct cnn_error *err)
{
    const char *equals = strchr(assignment, '=');
    if (!equals)
        return cnn_error_set(err,
                             "override '%s' is not key=value (for example "
                             "train.epochs=3)",
                             assignment);
    size_t key_length = (size_t)(equals - assignment);
    if (key_length == 0)
        return cnn_error_set(err, "override '%s' has no key before '='",
                             assignment);
    if (!root || root->kind != CNN_NODE_MAP)
        return cnn_error_set(err,
                             "override '%s': the manifest is not a mapping",
                             assignment);
    char *path = strndup(assignment, key_length);
    if (!path)
        return cnn_error_set(err, "out of memory");
    int status = apply_at_path(root, assignment, path, equals + 1, err);
    free(path);
    return status;
}
