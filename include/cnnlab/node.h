/* cnnlab — a YAML document as a tree that remembers where every node came
 * from (file:line:column), so any later check can point at the manifest. */
#ifndef CNNLAB_NODE_H
#define CNNLAB_NODE_H

#include <stdio.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cnn_node_kind {
    CNN_NODE_SCALAR,
    CNN_NODE_SEQUENCE,
    CNN_NODE_MAP,
};

struct cnn_node {
    enum cnn_node_kind kind;
    struct cnn_mark mark;     /* where the node starts */
    char *text;               /* SCALAR: the value as written; owned */
    int quoted;               /* SCALAR: written in quotes (always a string) */
    int count;                /* SEQUENCE items, MAP entries */
    struct cnn_node **items;  /* SEQUENCE: items; MAP: values */
    char **keys;              /* MAP: keys, in document order */
    struct cnn_mark *key_marks; /* MAP: where each key is */
};

/* Parses a YAML file (one document). Errors carry file:line:column:
 * malformed YAML, duplicate keys (naming the first one's line), non-scalar
 * keys, anchors/aliases/tags (not supported: said so). An empty document
 * gives an empty map. `file` is copied into long-lived storage so marks
 * stay valid after the caller frees its string. */
int cnn_node_load_file(const char *path, struct cnn_node **root,
                       struct cnn_error *err);
/* The same for text in memory; `name` is what marks call the source. */
int cnn_node_load_string(const char *text, const char *name,
                         struct cnn_node **root, struct cnn_error *err);

void cnn_node_free(struct cnn_node *node);
struct cnn_node *cnn_node_clone(const struct cnn_node *node);

/* Constructors (for overrides and defaults); return NULL on no memory. */
struct cnn_node *cnn_node_new_scalar(const char *text, struct cnn_mark mark);
struct cnn_node *cnn_node_new_map(struct cnn_mark mark);
struct cnn_node *cnn_node_new_sequence(struct cnn_mark mark);
/* Takes ownership of value; replaces an existing key's value. */
int cnn_node_map_set(struct cnn_node *map, const char *key,
                     struct cnn_mark key_mark, struct cnn_node *value);
int cnn_node_sequence_append(struct cnn_node *sequence,
                             struct cnn_node *item);
/* Removes a key (frees its value); no-op when absent. */
void cnn_node_map_remove(struct cnn_node *map, const char *key);

/* Lookups. A NULL node gives NULL. */
struct cnn_node *cnn_node_get(const struct cnn_node *map, const char *key);
/* Dotted path through maps: "train.optimizer". */
struct cnn_node *cnn_node_get_path(const struct cnn_node *root,
                                   const char *path);
/* The mark of a map key (for "unknown key" errors). */
struct cnn_mark cnn_node_key_mark(const struct cnn_node *map, const char *key);

/* Typed reads of scalars; errors say what was expected and where. */
int cnn_node_to_long(const struct cnn_node *node, long *value,
                     struct cnn_error *err);
int cnn_node_to_double(const struct cnn_node *node, double *value,
                       struct cnn_error *err);
int cnn_node_to_bool(const struct cnn_node *node, int *value,
                     struct cnn_error *err);
/* Fails unless the node is a scalar (strings, numbers: the text). */
int cnn_node_to_string(const struct cnn_node *node, const char **value,
                       struct cnn_error *err);

/* Deep merge: map keys of `overlay` replace or merge into `base`
 * recursively; sequences and scalars replace. An overlay mapping with
 * `replace: true` replaces instead of merging (`replace` is reserved in
 * overlays: true or false, and removed from what is merged); a mapping
 * with integer keys merges into the items of a list (0 first, -1 last;
 * an index outside the list is an error at the key). overlay is not
 * consumed. */
int cnn_node_merge(struct cnn_node *base, const struct cnn_node *overlay,
                   struct cnn_error *err);

/* Applies a command-line override "a.b.c=value": the value is parsed as
 * YAML (so "[1, 2]" is a list); intermediate maps are created as needed.
 * Marks of the new nodes name the argument. A key that walks into a
 * scalar or sequence is an error. */
int cnn_node_apply_override(struct cnn_node *root, const char *assignment,
                            struct cnn_error *err);

/* Writes the tree as block YAML that cnn_node_load_* reads back to an
 * equal tree (strings that would change type are quoted). */
int cnn_node_write(const struct cnn_node *node, FILE *out);

/* 1 when two trees are equal in kind, keys (order-sensitive) and text. */
int cnn_node_equal(const struct cnn_node *a, const struct cnn_node *b);

/* The kind's name for messages: "a scalar", "a list", "a mapping". */
const char *cnn_node_kind_name(enum cnn_node_kind kind);

#ifdef __cplusplus
}
#endif
#endif
