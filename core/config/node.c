/* cnnlab — the YAML node tree: construction, lookup, typed reads.
 *
 * Nodes keep only the text of scalars; what a scalar means (a number, a
 * flag, a name) is decided by whoever reads it, so the typed reads here are
 * strict and say where the offending text is. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/node.h"
#include "config/params_node.h"

static struct cnn_node *node_new(enum cnn_node_kind kind, struct cnn_mark mark)
{
    struct cnn_node *node = calloc(1, sizeof *node);
    if (node) {
        node->kind = kind;
        node->mark = mark;
    }
    return node;
}

struct cnn_node *cnn_node_new_scalar(const char *text, struct cnn_mark mark)
{
    struct cnn_node *node = node_new(CNN_NODE_SCALAR, mark);
    if (!node)
        return NULL;
    node->text = strdup(text ? text : "");
    if (!node->text) {
        free(node);
        return NULL;
    }
    return node;
}

struct cnn_node *cnn_node_new_map(struct cnn_mark mark)
{
    return node_new(CNN_NODE_MAP, mark);
}

struct cnn_node *cnn_node_new_sequence(struct cnn_mark mark)
{
    return node_new(CNN_NODE_SEQUENCE, mark);
}

void cnn_node_free(struct cnn_node *node)
{
    if (!node)
        return;
    for (int i = 0; i < node->count; i++) {
        cnn_node_free(node->items[i]);
        if (node->keys)
            free(node->keys[i]);
    }
    free(node->items);
    free(node->keys);
    free(node->key_marks);
    free(node->text);
    free(node);
}

struct cnn_node *cnn_node_clone(const struct cnn_node *node)
{
    if (!node)
        return NULL;
    struct cnn_node *copy = node_new(node->kind, node->mark);
    if (!copy)
        return NULL;
    copy->quoted = node->quoted;
    if (node->kind == CNN_NODE_SCALAR) {
        copy->text = strdup(node->text ? node->text : "");
        if (!copy->text)
            goto fail;
        return copy;
    }
    for (int i = 0; i < node->count; i++) {
        struct cnn_node *item = cnn_node_clone(node->items[i]);
        if (!item)
            goto fail;
        int status = node->kind == CNN_NODE_MAP
                         ? cnn_node_map_set(copy, node->keys[i],
                                            node->key_marks[i], item)
                         : cnn_node_sequence_append(copy, item);
        if (status != 0)
            goto fail; /* map_set/append free the item on failure */
    }
    return copy;
fail:
    cnn_node_free(copy);
    return NULL;
}

static int find_key(const struct cnn_node *map, const char *key)
{
    if (!map || map->kind != CNN_NODE_MAP || !key)
        return -1;
    for (int i = 0; i < map->count; i++)
        if (strcmp(map->keys[i], key) == 0)
            return i;
    return -1;
}

/* Grows the arrays of a map or sequence by one slot. Arrays are sized
 * exactly to `count`; documents are small, so no spare capacity is kept. */
static int grow(struct cnn_node *node)
{
    size_t n = (size_t)node->count + 1;
    struct cnn_node **items = realloc(node->items, n * sizeof *items);
    if (!items)
        return -1;
    node->items = items;
    if (node->kind == CNN_NODE_MAP) {
        char **keys = realloc(node->keys, n * sizeof *keys);
        if (!keys)
            return -1;
        node->keys = keys;
        struct cnn_mark *marks = realloc(node->key_marks, n * sizeof *marks);
        if (!marks)
            return -1;
        node->key_marks = marks;
    }
    return 0;
}

int cnn_node_map_set(struct cnn_node *map, const char *key,
                     struct cnn_mark key_mark, struct cnn_node *value)
{
    if (!map || map->kind != CNN_NODE_MAP || !key || !value) {
        cnn_node_free(value);
        return -1;
    }
    int index = find_key(map, key);
    if (index >= 0) {
        cnn_node_free(map->items[index]);
        map->items[index] = value;
        map->key_marks[index] = key_mark;
        return 0;
    }
    char *key_copy = strdup(key);
    if (!key_copy || grow(map) != 0) {
        free(key_copy);
        cnn_node_free(value);
        return -1;
    }
    map->keys[map->count] = key_copy;
    map->key_marks[map->count] = key_mark;
    map->items[map->count] = value;
    map->count++;
    return 0;
}

int cnn_node_sequence_append(struct cnn_node *sequence, struct cnn_node *item)
{
    if (!sequence || sequence->kind != CNN_NODE_SEQUENCE || !item ||
        grow(sequence) != 0) {
        cnn_node_free(item);
        return -1;
    }
    sequence->items[sequence->count++] = item;
    return 0;
}

void cnn_node_map_remove(struct cnn_node *map, const char *key)
{
    int index = find_key(map, key);
    if (index < 0)
        return;
    cnn_node_free(map->items[index]);
    free(map->keys[index]);
    int after = map->count - index - 1;
    memmove(&map->items[index], &map->items[index + 1],
            (size_t)after * sizeof *map->items);
    memmove(&map->keys[index], &map->keys[index + 1],
            (size_t)after * sizeof *map->keys);
    memmove(&map->key_marks[index], &map->key_marks[index + 1],
            (size_t)after * sizeof *map->key_marks);
    map->count--;
}

struct cnn_node *cnn_node_get(const struct cnn_node *map, const char *key)
{
    int index = find_key(map, key);
    return index < 0 ? NULL : map->items[index];
}

struct cnn_node *cnn_node_get_path(const struct cnn_node *root,
                                   const char *path)
{
    if (!root || !path)
        return NULL;
    const struct cnn_node *node = root;
    const char *segment = path;
    while (*segment) {
        const char *dot = strchr(segment, '.');
        size_t length = dot ? (size_t)(dot - segment) : strlen(segment);
        if (length == 0 || !node || node->kind != CNN_NODE_MAP)
            return NULL;
        const struct cnn_node *next = NULL;
        for (int i = 0; i < node->count; i++) {
            if (strncmp(node->keys[i], segment, length) == 0 &&
                node->keys[i][length] == '\0') {
                next = node->items[i];
                break;
            }
        }
        node = next;
        if (!dot)
            break;
        segment = dot + 1;
        if (!*segment)
            return NULL; /* "a." names no key */
    }
    return (struct cnn_node *)node;
}

struct cnn_mark cnn_node_key_mark(const struct cnn_node *map, const char *key)
{
    int index = find_key(map, key);
    if (index >= 0)
        return map->key_marks[index];
    if (map)
        return map->mark;
    struct cnn_mark none = {NULL, 0, 0};
    return none;
}

const char *cnn_node_kind_name(enum cnn_node_kind kind)
{
    switch (kind) {
    case CNN_NODE_SCALAR:
        return "a scalar";
    case CNN_NODE_SEQUENCE:
        return "a list";
    case CNN_NODE_MAP:
        return "a mapping";
    }
    return "an unknown node";
}

/* Fails unless `node` is a scalar that YAML does not consider a string
 * because of its quotes; `what` names the expected value. */
static int expect_plain_scalar(const struct cnn_node *node, const char *what,
                               struct cnn_error *err)
{
    struct cnn_mark none = {NULL, 0, 0};
    if (!node)
        return cnn_error_at(err, none, "expected %s, got nothing", what);
    if (node->kind != CNN_NODE_SCALAR)
        return cnn_error_at(err, node->mark, "expected %s, got %s", what,
                            cnn_node_kind_name(node->kind));
    if (node->quoted)
        return cnn_error_at(err, node->mark,
                            "expected %s, got the quoted string \"%s\" "
                            "(remove the quotes)",
                            what, node->text);
    return 0;
}

/* Decimal numbers only: [+-] digits [. digits] [e [+-] digits], or a
 * fraction starting with the point. strtod alone would also take "nan",
 * "inf" and hexadecimal, which a manifest never means. */
static int is_decimal_number(const char *text)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

int cnn_text_to_long(const char *text, long *value)
{
    const char *digits = text + (*text == '-' || *text == '+');
    if (*digits < '0' || *digits > '9')
        return CNN_TEXT_INVALID;
    char *end;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (*end != '\0')
        return CNN_TEXT_INVALID;
    if (errno == ERANGE)
        return CNN_TEXT_OUT_OF_RANGE;
    *value = parsed;
    return CNN_TEXT_OK;
}

int cnn_text_to_double(const char *text, double *value)
{
    if (!is_decimal_number(text))
        return CNN_TEXT_INVALID;
    double parsed = strtod(text, NULL);
    if (!isfinite(parsed))
        return CNN_TEXT_OUT_OF_RANGE;
    *value = parsed;
    return CNN_TEXT_OK;
}

int cnn_text_to_bool(const char *text, int *value)
{
    if (!strcmp(text, "true") || !strcmp(text, "True") ||
        !strcmp(text, "TRUE")) {
        *value = 1;
        return CNN_TEXT_OK;
    }
    if (!strcmp(text, "false") || !strcmp(text, "False") ||
        !strcmp(text, "FALSE")) {
        *value = 0;
        return CNN_TEXT_OK;
    }
    return CNN_TEXT_INVALID;
}

int cnn_node_to_long(const struct cnn_node *node, long *value,
                     struct cnn_error *err)
{
    const char *what = "an integer";
    if (expect_plain_scalar(node, what, err) != 0)
        return -1;
    int status = cnn_text_to_long(node->text, value);
    if (status == CNN_TEXT_OUT_OF_RANGE)
        return cnn_error_at(err, node->mark,
                            "expected %s between %ld and %ld, got '%s'", what,
                            LONG_MIN, LONG_MAX, node->text);
    if (status != CNN_TEXT_OK)
        return cnn_error_at(err, node->mark, "expected %s, got '%s'", what,
                            node->text);
    return 0;
}

int cnn_node_to_double(const struct cnn_node *node, double *value,
                       struct cnn_error *err)
{
    const char *what = "a number";
    if (expect_plain_scalar(node, what, err) != 0)
        return -1;
    int status = cnn_text_to_double(node->text, value);
    if (status == CNN_TEXT_OUT_OF_RANGE)
        return cnn_error_at(err, node->mark,
                            "expected %s, got '%s' (too large for a double)",
                            what, node->text);
    if (status != CNN_TEXT_OK)
        return cnn_error_at(err, node->mark, "expected %s, got '%s'", what,
                            node->text);
    return 0;
}

int cnn_node_to_bool(const struct cnn_node *node, int *value,
                     struct cnn_error *err)
{
    const char *what = "true or false";
    if (expect_plain_scalar(node, what, err) != 0)
        return -1;
    if (cnn_text_to_bool(node->text, value) != CNN_TEXT_OK)
        return cnn_error_at(err, node->mark, "expected %s, got '%s'", what,
                            node->text);
    return 0;
}

int cnn_node_to_string(const struct cnn_node *node, const char **value,
                       struct cnn_error *err)
{
    struct cnn_mark none = {NULL, 0, 0};
    if (!node)
        return cnn_error_at(err, none, "expected text, got nothing");
    if (node->kind != CNN_NODE_SCALAR)
        return cnn_error_at(err, node->mark, "expected text, got %s",
                            cnn_node_kind_name(node->kind));
    *value = node->text;
    return 0;
}

int cnn_node_equal(const struct cnn_node *a, const struct cnn_node *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return 0;
    if (a->kind == CNN_NODE_SCALAR)
        return strcmp(a->text ? a->text : "", b->text ? b->text : "") == 0;
    if (a->count != b->count)
        return 0;
    for (int i = 0; i < a->count; i++) {
        if (a->kind == CNN_NODE_MAP && strcmp(a->keys[i], b->keys[i]) != 0)
            return 0;
        if (!cnn_node_equal(a->items[i], b->items[i]))
            return 0;
    }
    return 1;
}
