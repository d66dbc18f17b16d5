/* cnnlab — a manifest's parameter map checked against a component's
 * schema, and the wording of what a parameter accepts. Every complaint
 * points at the key or value that caused it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/params_node.h"

static const char *component_name(const char *component)
{
    return component && *component ? component : "component";
}

int cnn_params_unknown_error(const struct cnn_params *params,
                             const char *name, struct cnn_mark mark,
                             const char *component, struct cnn_error *err)
{
    const char *names[256] = {0};
    char known[1024] = "";
    size_t used = 0;
    int count = params ? params->count : 0;
    int listed = count < 256 ? count : 256;
    for (int i = 0; i < listed; i++) {
        names[i] = params->specs[i].name;
        if (used < sizeof known)
            used += (size_t)snprintf(known + used, sizeof known - used,
                                     "%s%s", i ? ", " : "", names[i]);
    }
    const char *suggestion = cnn_did_you_mean(name, names, listed);
    char hint[256] = "";
    if (suggestion)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", suggestion);
    if (count == 0)
        return cnn_error_at(err, mark,
                            "unknown parameter '%s' for %s (it takes no "
                            "parameters)",
                            name, component_name(component));
    return cnn_error_at(err, mark, "unknown parameter '%s' for %s%s (known: %s)",
                        name, component_name(component), hint, known);
}

const char *cnn_param_type_description(const struct cnn_param_spec *spec,
                                       char *buf, unsigned long size)
{
    switch (spec->type) {
    case CNN_PARAM_INT:
        return "an integer";
    case CNN_PARAM_FLOAT:
        return "a number";
    case CNN_PARAM_BOOL:
        return "true or false";
    case CNN_PARAM_STRING:
        return "text";
    case CNN_PARAM_CHOICE: {
        if (!buf || size == 0)
            return "one of the choices";
        snprintf(buf, size, "one of %s", spec->choices ? spec->choices : "");
        for (char *p = buf; *p; p++)
            if (*p == '|') {
                /* "a|b" -> "a, b": shift right by one for the space. */
                size_t rest = strlen(p + 1);
                if ((size_t)(p - buf) + rest + 3 > size)
                    break;
                memmove(p + 2, p + 1, rest + 1);
                p[0] = ',';
                p[1] = ' ';
                p++;
            }
        return buf;
    }
    case CNN_PARAM_INT_PAIR:
        if (!spec->choices || !buf || size == 0)
            return "an integer or a list of two integers";
    {
        /* "same" -> "an integer, a list of two integers or same";
         * "a|b" -> "... or one of a, b". */
        size_t used = (size_t)snprintf(
            buf, size, "an integer, a list of two integers or %s",
            strchr(spec->choices, '|') ? "one of " : "");
        for (const char *p = spec->choices; *p && used + 3 < size; p++)
            if (*p == '|') {
                buf[used++] = ',';
                buf[used++] = ' ';
            } else {
                buf[used++] = *p;
            }
        buf[used < size ? used : size - 1] = '\0';
        return buf;
    }
    case CNN_PARAM_FLOAT_LIST:
        return "a number or a list of numbers";
    case CNN_PARAM_NAME_LIST:
        return "a list of names";
    }
    return "a value";
}

static const struct cnn_param_spec *spec_of(const struct cnn_params *params,
                                            const char *name)
{
    for (int i = 0; i < params->count; i++)
        if (strcmp(params->specs[i].name, name) == 0)
            return &params->specs[i];
    return NULL;
}

/* Types whose values are numbers or flags, where quotes would make YAML
 * text of them. */
static int wants_plain(const struct cnn_param_spec *spec)
{
    return spec->type != CNN_PARAM_STRING && spec->type != CNN_PARAM_CHOICE &&
           spec->type != CNN_PARAM_NAME_LIST;
}

static int check_scalar(const struct cnn_param_spec *spec,
                        const struct cnn_node *value, const char *component,
                        struct cnn_error *err)
{
    char described[512];
    const char *what =
        cnn_param_type_description(spec, described, sizeof described);
    if (!value->quoted && value->text[0] == '\0')
        return cnn_error_at(err, value->mark,
                            "%s: '%s' has no value (expected %s)", component,
                            spec->name, what);
    /* A word an INT_PAIR takes is text: quoted or not, the same. */
    if (value->quoted && wants_plain(spec) &&
        !cnn_param_is_word(spec, value->text))
        return cnn_error_at(err, value->mark,
                            "%s: '%s' must be %s, got the quoted text "
                            "\"%s\" (remove the quotes)",
                            component, spec->name, what, value->text);
    return 0;
}

/* What an unquoted scalar reads as in YAML when that is not text: "the
 * number 3", "true", "null"; NULL for text. */
static const char *not_text(const struct cnn_node *item, char *buf,
                            size_t size)
{
    long integer;
    double number;
    int flag;
    if (item->quoted)
        return NULL;
    if (!item->text[0] || strcmp(item->text, "~") == 0 ||
        strcmp(item->text, "null") == 0 || strcmp(item->text, "Null") == 0 ||
        strcmp(item->text, "NULL") == 0)
        return "null (nothing)";
    if (cnn_text_to_long(item->text, &integer) == CNN_TEXT_OK ||
        cnn_text_to_double(item->text, &number) == CNN_TEXT_OK) {
        snprintf(buf, size, "the number %s", item->text);
        return buf;
    }
    if (cnn_text_to_bool(item->text, &flag) == CNN_TEXT_OK) {
        snprintf(buf, size, "the boolean %s", item->text);
        return buf;
    }
    return NULL;
}

/* A NAME_LIST from a sequence: each element a name (text), with its own
 * place, so that later errors about one name can point at it. */
static int set_names_from_sequence(struct cnn_params *params,
                                   const struct cnn_param_spec *spec,
                                   const struct cnn_node *list,
                                   const char *component,
                                   struct cnn_error *err)
{
    int count = list->count;
    const char **texts = malloc((size_t)(count ? count : 1) * sizeof *texts);
    struct cnn_mark *marks =
        malloc((size_t)(count ? count : 1) * sizeof *marks);
    if (!texts || !marks) {
        free(texts);
        free(marks);
        return cnn_error_set(err, "out of memory");
    }
    int status = 0;
    for (int i = 0; status == 0 && i < count; i++) {
        const struct cnn_node *item = list->items[i];
        char what[128];
        const char *other = NULL;
        if (item->kind != CNN_NODE_SCALAR)
            other = cnn_node_kind_name(item->kind);
        else
            other = not_text(item, what, sizeof what);
        if (other)
            status = cnn_error_at(err, item->mark,
                                  "%s: each element of '%s' must be a name, "
                                  "got %s%s",
                                  component, spec->name, other,
                                  other == what ? " (quote it if it is a "
                                                  "name)"
                                                : "");
        texts[i] = item->text;
        marks[i] = item->mark;
    }
    if (status == 0)
        status = cnn_params_set_marked_list(params, spec->name, texts, marks,
                                            count, list->mark, component,
                                            err);
    free(texts);
    free(marks);
    return status;
}

static int set_from_sequence(struct cnn_params *params,
                             const struct cnn_param_spec *spec,
                             const struct cnn_node *list,
                             const char *component, struct cnn_error *err)
{
    if (spec->type == CNN_PARAM_NAME_LIST)
        return set_names_from_sequence(params, spec, list, component, err);
    char described[512];
    const char *what =
        cnn_param_type_description(spec, described, sizeof described);
    if (spec->type != CNN_PARAM_INT_PAIR &&
        spec->type != CNN_PARAM_FLOAT_LIST)
        return cnn_error_at(err, list->mark, "%s: '%s' must be %s, got a list",
                            component, spec->name, what);
    const char *texts[CNN_PARAM_LIST_MAX];
    struct cnn_mark marks[CNN_PARAM_LIST_MAX];
    int count = list->count < CNN_PARAM_LIST_MAX ? list->count
                                                  : CNN_PARAM_LIST_MAX;
    for (int i = 0; i < count; i++) {
        const struct cnn_node *item = list->items[i];
        if (item->kind != CNN_NODE_SCALAR)
            return cnn_error_at(err, item->mark,
                                "%s: each element of '%s' must be a number, "
                                "got %s",
                                component, spec->name,
                                cnn_node_kind_name(item->kind));
        if (check_scalar(spec, item, component, err) != 0)
            return -1;
        texts[i] = item->text;
        marks[i] = item->mark;
    }
    /* Too many elements: pass the true count so the message says it. */
    return cnn_params_set_marked_list(params, spec->name, texts, marks,
                                      list->count > count ? list->count
                                                          : count,
                                      list->mark, component, err);
}

int cnn_params_from_node(struct cnn_params *params,
                         const struct cnn_param_spec *specs, int count,
                         const struct cnn_node *node, struct cnn_mark where,
                         const char *component, struct cnn_error *err)
{
    if (!component || !*component)
        component = "component";
    if (cnn_params_init_defaults(params, specs, count, component, err) != 0)
        return -1;
    /* "relu:" with nothing after it means the defaults, like "relu". */
    if (node && node->kind == CNN_NODE_SCALAR && !node->quoted &&
        node->text[0] == '\0') {
        where = node->mark;
        node = NULL;
    }
    if (node && node->kind != CNN_NODE_MAP) {
        cnn_error_at(err, node->mark,
                     "%s takes a mapping of parameters, got %s%s%s%s",
                     component, cnn_node_kind_name(node->kind),
                     node->kind == CNN_NODE_SCALAR ? " '" : "",
                     node->kind == CNN_NODE_SCALAR ? node->text : "",
                     node->kind == CNN_NODE_SCALAR ? "'" : "");
        goto fail;
    }
    for (int i = 0; node && i < node->count; i++) {
        const char *key = node->keys[i];
        const struct cnn_node *value = node->items[i];
        const struct cnn_param_spec *spec = spec_of(params, key);
        if (!spec) {
            cnn_params_unknown_error(params, key, node->key_marks[i],
                                     component, err);
            goto fail;
        }
        int status;
        if (value->kind == CNN_NODE_SEQUENCE) {
            status = set_from_sequence(params, spec, value, component, err);
        } else if (value->kind == CNN_NODE_MAP) {
            char described[512];
            status = cnn_error_at(
                err, value->mark, "%s: '%s' must be %s, got a mapping",
                component, key,
                cnn_param_type_description(spec, described, sizeof described));
        } else {
            status = check_scalar(spec, value, component, err);
            if (status == 0)
                status = cnn_params_set_text(params, key, value->text,
                                             value->mark, component, err);
        }
        if (status != 0)
            goto fail;
    }
    if (cnn_params_check_required(params, node ? node->mark : where,
                                  component, err) != 0)
        goto fail;
    return 0;
fail:
    cnn_params_free(params);
    return -1;
}
