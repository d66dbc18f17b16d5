/* cnnlab — NAME_LIST parameters: a list of distinct names, each kept with
 * the place it was written so that a plugin's later complaint about one
 * name (a layer the model lacks) can point at it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/params_node.h"

static const char *component_name(const char *component)
{
    return component && *component ? component : "component";
}

void cnn_params_names_free(struct cnn_name_list *list)
{
    for (int i = 0; list->names && i < list->count; i++)
        free(list->names[i]);
    free(list->names);
    free(list->marks);
    memset(list, 0, sizeof *list);
}

/* " (first at line 3, column 12)" when the earlier one has a place of its
 * own; the text form gives every name the same place. */
static void first_place(struct cnn_mark first, struct cnn_mark second,
                        char *buf, size_t size)
{
    buf[0] = '\0';
    if (first.line > 0 &&
        (first.line != second.line || first.column != second.column))
        snprintf(buf, size, " (first at line %d, column %d)", first.line,
                 first.column);
}

int cnn_params_names_parse(const struct cnn_param_spec *spec,
                           const char *const *items,
                           const struct cnn_mark *item_marks, int count,
                           struct cnn_mark mark, int from_manifest,
                           const char *component, struct cnn_name_list *out,
                           struct cnn_error *err)
{
    const char *who = component_name(component);
    memset(out, 0, sizeof *out);
    /* An empty list in a manifest is a slip (an override that lost its
     * names); leaving the key out is how to ask for the default. */
    if (count == 0 && from_manifest)
        return cnn_error_at(err, mark,
                            "%s: '%s' is an empty list: name at least one, "
                            "or leave '%s' out for its default; %s: %s",
                            who, spec->name, spec->name, spec->name,
                            spec->help && *spec->help ? spec->help
                                                      : "see `cnnlab "
                                                        "plugins`");
    if (count == 0)
        return 0;
    out->names = calloc((size_t)count, sizeof *out->names);
    out->marks = calloc((size_t)count, sizeof *out->marks);
    if (!out->names || !out->marks) {
        cnn_params_names_free(out);
        return cnn_error_set(err, "out of memory");
    }
    for (int i = 0; i < count; i++) {
        struct cnn_mark where = item_marks ? item_marks[i] : mark;
        if (!items[i] || !items[i][0]) {
            cnn_error_at(err, where,
                         "%s: element %d of '%s' is empty: each element is "
                         "a name",
                         who, i + 1, spec->name);
            goto fail;
        }
        for (int j = 0; j < out->count; j++) {
            if (strcmp(out->names[j], items[i]) != 0)
                continue;
            char place[96];
            first_place(out->marks[j], where, place, sizeof place);
            cnn_error_at(err, where,
                         "%s: '%s' names '%s' twice%s: keep one",
                         who, spec->name, items[i], place);
            goto fail;
        }
        out->names[i] = strdup(items[i]);
        if (!out->names[i]) {
            cnn_error_set(err, "out of memory");
            goto fail;
        }
        out->marks[i] = where;
        out->count++;
    }
    return 0;
fail:
    cnn_params_names_free(out);
    return -1;
}

/* Splits "a, b c" at runs of commas and blanks (in place in `copy`). */
static int split_words(char *copy, char **items, int capacity)
{
    int count = 0;
    for (char *p = copy; *p;) {
        p += strspn(p, " ,\t");
        size_t length = strcspn(p, " ,\t");
        if (length == 0)
            break;
        if (count < capacity)
            items[count] = p;
        count++;
        p += length;
        if (*p)
            *p++ = '\0';
    }
    return count;
}

/* Splits flow text "[a, b]" into trimmed elements (in place in `copy`);
 * -1 when it is not one. */
static int split_flow(char *copy, char **items, int capacity)
{
    char *start = copy + strspn(copy, " \t");
    char *end = start + strlen(start);
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (*start != '[' || end == start || end[-1] != ']')
        return -1;
    *--end = '\0';
    start++;
    if (!start[strspn(start, " \t")])
        return 0; /* "[]" */
    int count = 0;
    for (char *item = start; item;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        item += strspn(item, " \t");
        char *tail = item + strlen(item);
        while (tail > item && (tail[-1] == ' ' || tail[-1] == '\t'))
            *--tail = '\0';
        /* 'a b' or "a b": YAML's quotes are not part of the name. */
        if (tail - item >= 2 && (*item == '"' || *item == '\'') &&
            tail[-1] == *item) {
            *--tail = '\0';
            item++;
        }
        if (count < capacity)
            items[count] = item;
        count++;
        item = comma ? comma + 1 : NULL;
    }
    return count;
}

int cnn_params_names_from_text(const struct cnn_param_spec *spec,
                               const char *text, struct cnn_mark mark,
                               int from_manifest, const char *component,
                               struct cnn_name_list *out,
                               struct cnn_error *err)
{
    memset(out, 0, sizeof *out);
    char *copy = strdup(text);
    /* n bytes hold at most n + 1 elements (one more than commas). */
    size_t capacity = strlen(text) + 1;
    char **items = malloc(capacity * sizeof *items);
    if (!copy || !items) {
        free(copy);
        free(items);
        return cnn_error_set(err, "out of memory");
    }
    int count = text[strspn(text, " \t")] == '['
                    ? split_flow(copy, items, (int)capacity)
                    : split_words(copy, items, (int)capacity);
    int status;
    if (count < 0)
        status = cnn_error_at(err, mark,
                              "%s: '%s' must be a list of names, e.g. [a, b], "
                              "got '%s'",
                              component_name(component), spec->name, text);
    else
        status = cnn_params_names_parse(spec, (const char *const *)items,
                                        NULL, count, mark, from_manifest,
                                        component, out, err);
    free(items);
    free(copy);
    return status;
}

int cnn_params_names_copy(struct cnn_name_list *dst,
                          const struct cnn_name_list *src,
                          struct cnn_error *err)
{
    memset(dst, 0, sizeof *dst);
    if (src->count == 0)
        return 0;
    dst->names = calloc((size_t)src->count, sizeof *dst->names);
    dst->marks = malloc((size_t)src->count * sizeof *dst->marks);
    if (!dst->names || !dst->marks) {
        cnn_params_names_free(dst);
        return cnn_error_set(err, "out of memory");
    }
    /* Marks point at long-lived file names: copying them is enough. */
    memcpy(dst->marks, src->marks, (size_t)src->count * sizeof *dst->marks);
    for (; dst->count < src->count; dst->count++) {
        dst->names[dst->count] = strdup(src->names[dst->count]);
        if (!dst->names[dst->count]) {
            cnn_params_names_free(dst);
            return cnn_error_set(err, "out of memory");
        }
    }
    return 0;
}
