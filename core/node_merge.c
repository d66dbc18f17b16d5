/* cnnlab — combining trees: profiles and variants merged into a manifest,
 * and "a.b.c=value" overrides from the command line. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/node.h"

/* Replaces the contents of `base` with a copy of `overlay`, keeping the
 * `base` pointer valid for whoever holds it (its parent map). */
static int replace_in_place(struct cnn_node *base,
                            const struct cnn_node *overlay,
                            struct cnn_error *err)
{
    struct cnn_node *copy = cnn_node_clone(overlay);
    if (!copy)
        return cnn_error_set(err, "out of memory");
    /* Swap contents: `copy` then owns what `base` had, and is freed. */
    struct cnn_node old = *base;
    *base = *copy;
    *copy = old;
    cnn_node_free(copy);
    return 0;
}

int cnn_node_merge(struct cnn_node *base, const struct cnn_node *overlay,
                   struct cnn_error *err)
{
    if (!base || !overlay)
        return cnn_error_set(err, "merge: nothing to merge");
    if (base->kind != CNN_NODE_MAP || overlay->kind != CNN_NODE_MAP)
        return replace_in_place(base, overlay, err);
    for (int i = 0; i < overlay->count; i++) {
        const char *key = overlay->keys[i];
        const struct cnn_node *value = overlay->items[i];
        struct cnn_node *existing = cnn_node_get(base, key);
        if (existing && existing->kind == CNN_NODE_MAP &&
            value->kind == CNN_NODE_MAP) {
            if (cnn_node_merge(existing, value, err) != 0)
                return -1;
            continue;
        }
        struct cnn_node *copy = cnn_node_clone(value);
        if (!copy ||
            cnn_node_map_set(base, key, overlay->key_marks[i], copy) != 0)
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
    /* Check every segment before changing anything, so a bad override
     * leaves the tree as it was. */
    for (char *p = path;; p++) {
        if (*p == '.' || *p == '\0') {
            int at_start = p == path, after_dot = p > path && p[-1] == '.';
            if (at_start || after_dot) {
                free(path);
                return cnn_error_set(err,
                                     "override '%s': empty key segment in "
                                     "'%.*s'",
                                     assignment, (int)key_length, assignment);
            }
            if (*p == '\0')
                break;
        }
    }

    struct cnn_node *value = NULL;
    if (parse_override_value(assignment, equals + 1, &value, err) != 0) {
        free(path);
        return -1;
    }
    struct cnn_mark mark = value->mark;

    /* Walk (without creating) to find a scalar or list in the way. */
    struct cnn_node *node = root;
    char *segment = path;
    char *dot;
    while ((dot = strchr(segment, '.')) != NULL) {
        *dot = '\0';
        struct cnn_node *child = cnn_node_get(node, segment);
        if (!child)
            break;
        if (child->kind != CNN_NODE_MAP) {
            cnn_error_set(err, "override '%s': '%s' is %s, not a mapping",
                          assignment, path, cnn_node_kind_name(child->kind));
            cnn_node_free(value);
            free(path);
            return -1;
        }
        *dot = '.';
        node = child;
        segment = dot + 1;
    }
    if (dot)
        *dot = '.';

    /* Now create what is missing and set the value. */
    node = root;
    segment = path;
    while ((dot = strchr(segment, '.')) != NULL) {
        *dot = '\0';
        struct cnn_node *child = cnn_node_get(node, segment);
        if (!child) {
            child = cnn_node_new_map(mark);
            if (!child || cnn_node_map_set(node, segment, mark, child) != 0) {
                cnn_node_free(value);
                free(path);
                return cnn_error_set(err, "out of memory");
            }
        }
        node = child;
        segment = dot + 1;
    }
    int status = cnn_node_map_set(node, segment, mark, value);
    free(path);
    if (status != 0)
        return cnn_error_set(err, "out of memory");
    return 0;
}
