/* cnnlab — component parameters: defaults, strict typed setting from
 * manifest text (the getters plugins call are in params_get.c).
 *
 * A value is parsed completely into a scratch value before it replaces the
 * current one, so a rejected manifest value leaves the default in place. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/params.h"
#include "config/params_node.h"

/* Most choices a CHOICE parameter may list (for did-you-mean). */
#define CHOICES_MAX 64

static const char *component_name(const char *component)
{
    return component && *component ? component : "component";
}

int cnn_params_find_index(const struct cnn_params *params, const char *name)
{
    if (!params || !name)
        return -1;
    for (int i = 0; i < params->count; i++)
        if (strcmp(params->specs[i].name, name) == 0)
            return i;
    return -1;
}

int cnn_params_has(const struct cnn_params *params, const char *name)
{
    return cnn_params_find_index(params, name) >= 0;
}

/* A parsed value not yet stored. */
struct scratch {
    int count;
    long ints[CNN_PARAM_LIST_MAX];
    double floats[CNN_PARAM_LIST_MAX];
    char *text;
    struct cnn_name_list names;
};

static void scratch_free(struct scratch *parsed)
{
    free(parsed->text);
    parsed->text = NULL;
    cnn_params_names_free(&parsed->names);
}

static int has_range(const struct cnn_param_spec *spec)
{
    return !(spec->min == 0 && spec->max == 0);
}

static int range_error(const struct cnn_param_spec *spec, const char *text,
                       int element, struct cnn_mark mark,
                       const char *component, struct cnn_error *err)
{
    return cnn_error_at(err, mark, "%s: %s'%s' must be between %.15g and "
                        "%.15g, got %s",
                        component_name(component),
                        element ? "each element of " : "", spec->name,
                        spec->min, spec->max, text);
}

/* Parses one number of an INT, FLOAT, INT_PAIR or FLOAT_LIST parameter
 * into slot `index` of `out`, checking the range. */
static int parse_number(const struct cnn_param_spec *spec, const char *text,
                        int index, int element, struct cnn_mark mark,
                        const char *component, struct scratch *out,
                        struct cnn_error *err)
{
    const char *who = component_name(component);
    const char *what = element ? "each element of " : "";
    if (spec->type == CNN_PARAM_INT || spec->type == CNN_PARAM_INT_PAIR) {
        long value;
        int status = cnn_text_to_long(text, &value);
        if (status == CNN_TEXT_OUT_OF_RANGE ||
            (status == CNN_TEXT_OK && spec->type == CNN_PARAM_INT_PAIR &&
             (value < INT_MIN || value > INT_MAX)))
            return cnn_error_at(err, mark,
                                "%s: %s'%s' is too large for an integer, "
                                "got %s",
                                who, what, spec->name, text);
        if (status != CNN_TEXT_OK)
            return cnn_error_at(err, mark,
                                "%s: %s'%s' must be an integer, got '%s'",
                                who, what, spec->name, text);
        if (has_range(spec) &&
            ((double)value < spec->min || (double)value > spec->max))
            return range_error(spec, text, element, mark, component, err);
        out->ints[index] = value;
        return 0;
    }
    double value;
    int status = cnn_text_to_double(text, &value);
    if (status == CNN_TEXT_OUT_OF_RANGE)
        return cnn_error_at(err, mark,
                            "%s: %s'%s' is too large for a number, got %s",
                            who, what, spec->name, text);
    if (status != CNN_TEXT_OK)
        return cnn_error_at(err, mark, "%s: %s'%s' must be a number, got '%s'",
                            who, what, spec->name, text);
    if (has_range(spec) && (value < spec->min || value > spec->max))
        return range_error(spec, text, element, mark, component, err);
    out->floats[index] = value;
    return 0;
}

static int parse_choice(const struct cnn_param_spec *spec, const char *text,
                        struct cnn_mark mark, const char *component,
                        struct scratch *out, struct cnn_error *err)
{
    char *choices = strdup(spec->choices ? spec->choices : "");
    if (!choices)
        return cnn_error_set(err, "out of memory");
    const char *names[CHOICES_MAX];
    int count = 0, found = 0;
    for (char *name = choices; name && count < CHOICES_MAX;) {
        char *bar = strchr(name, '|');
        if (bar)
            *bar = '\0';
        names[count++] = name;
        if (strcmp(name, text) == 0)
            found = 1;
        name = bar ? bar + 1 : NULL;
    }
    if (found) {
        free(choices);
        out->text = strdup(text);
        return out->text ? 0 : cnn_error_set(err, "out of memory");
    }
    const char *suggestion = cnn_did_you_mean(text, names, count);
    char hint[256] = "";
    if (suggestion)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", suggestion);
    char described[512];
    cnn_error_at(err, mark, "%s: '%s' must be %s; got '%s'%s",
                 component_name(component), spec->name,
                 cnn_param_type_description(spec, described, sizeof described),
                 text, hint);
    free(choices);
    return -1;
}

static int count_error(const struct cnn_param_spec *spec, int count,
                       struct cnn_mark mark, const char *component,
                       struct cnn_error *err)
{
    const char *who = component_name(component);
    if (spec->type == CNN_PARAM_INT_PAIR)
        return cnn_error_at(err, mark,
                            "%s: '%s' takes one or two integers, got %d", who,
                            spec->name, count);
    if (count == 0)
        return cnn_error_at(err, mark, "%s: '%s' takes 1 to %d numbers, got "
                            "none",
                            who, spec->name, CNN_PARAM_LIST_MAX);
    return cnn_error_at(err, mark, "%s: '%s' takes 1 to %d numbers, got %d",
                        who, spec->name, CNN_PARAM_LIST_MAX, count);
}

/* Parses list elements for an INT_PAIR or FLOAT_LIST parameter. */
static int parse_list(const struct cnn_param_spec *spec,
                      const char *const *items,
                      const struct cnn_mark *item_marks, int count,
                      int as_list, struct cnn_mark mark,
                      const char *component, struct scratch *out,
                      struct cnn_error *err)
{
    if (spec->type != CNN_PARAM_INT_PAIR &&
        spec->type != CNN_PARAM_FLOAT_LIST) {
        char described[512];
        return cnn_error_at(err, mark, "%s: '%s' takes %s, not a list",
                            component_name(component), spec->name,
                            cnn_param_type_description(spec, described,
                                                       sizeof described));
    }
    int most = spec->type == CNN_PARAM_INT_PAIR ? 2 : CNN_PARAM_LIST_MAX;
    if (count < 1 || count > most)
        return count_error(spec, count, mark, component, err);
    for (int i = 0; i < count; i++) {
        struct cnn_mark where = item_marks ? item_marks[i] : mark;
        if (parse_number(spec, items[i], i, as_list, where, component, out,
                         err))
            return -1;
    }
    if (spec->type == CNN_PARAM_INT_PAIR && count == 1)
        out->ints[1] = out->ints[0];
    out->count = count;
    return 0;
}

/* Splits flow text "[a, b]" into trimmed elements (in place in `copy`). */
static int split_flow_list(char *copy, char **items, int capacity)
{
    char *end = copy + strlen(copy);
    while (end > copy && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    char *start = copy;
    while (*start == ' ' || *start == '\t')
        start++;
    if (*start != '[' || end == start || end[-1] != ']')
        return -1;
    start++;
    end[-1] = '\0';
    while (*start == ' ' || *start == '\t')
        start++;
    if (*start == '\0')
        return 0; /* "[]" */
    int count = 0;
    for (char *item = start; item;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        while (*item == ' ' || *item == '\t')
            item++;
        char *tail = item + strlen(item);
        while (tail > item && (tail[-1] == ' ' || tail[-1] == '\t'))
            *--tail = '\0';
        if (count < capacity)
            items[count] = item;
        count++;
        item = comma ? comma + 1 : NULL;
    }
    return count;
}

int cnn_param_is_word(const struct cnn_param_spec *spec, const char *text)
{
    if (spec->type != CNN_PARAM_INT_PAIR || !spec->choices || !text)
        return 0;
    size_t length = strlen(text);
    for (const char *word = spec->choices; *word;) {
        size_t word_length = strcspn(word, "|");
        if (word_length == length && strncmp(word, text, length) == 0)
            return 1;
        word += word_length + (word[word_length] == '|');
    }
    return 0;
}

/* A scalar for an INT_PAIR that also takes words (spec->choices, ABI
 * 3.1): one of the words, kept as the value's text (its numbers stay 0),
 * or one integer. Anything else names both, with a did-you-mean for a
 * misspelt word. */
static int parse_pair_word(const struct cnn_param_spec *spec,
                           const char *text, struct cnn_mark mark,
                           const char *component, struct scratch *out,
                           struct cnn_error *err)
{
    if (cnn_param_is_word(spec, text)) {
        out->text = strdup(text);
        out->count = 1;
        return out->text ? 0 : cnn_error_set(err, "out of memory");
    }
    long number;
    if (cnn_text_to_long(text, &number) != CNN_TEXT_INVALID)
        return parse_list(spec, &text, NULL, 1, 0, mark, component, out,
                          err);
    char *words = strdup(spec->choices);
    if (!words)
        return cnn_error_set(err, "out of memory");
    const char *names[CHOICES_MAX];
    int count = 0;
    for (char *word = strtok(words, "|"); word && count < CHOICES_MAX;
         word = strtok(NULL, "|"))
        names[count++] = word;
    const char *suggestion = cnn_did_you_mean(text, names, count);
    char hint[256] = "", described[512];
    if (suggestion)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", suggestion);
    cnn_error_at(err, mark, "%s: '%s' must be %s; got '%s'%s",
                 component_name(component), spec->name,
                 cnn_param_type_description(spec, described,
                                            sizeof described),
                 text, hint);
    free(words);
    return -1;
}

/* Parses scalar (or "[a, b]" flow) text for any parameter type;
 * `from_manifest` is 0 for a schema's default. */
static int parse_text(const struct cnn_param_spec *spec, const char *text,
                      struct cnn_mark mark, int from_manifest,
                      const char *component, struct scratch *out,
                      struct cnn_error *err)
{
    memset(out, 0, sizeof *out);
    /* A number list's default may be empty, as a name list's may (a
     * loader's `labels`: every class); a manifest's list holds one or
     * more. */
    if (!from_manifest && spec->type == CNN_PARAM_FLOAT_LIST &&
        strcmp(text, "[]") == 0)
        return 0;
    switch (spec->type) {
    case CNN_PARAM_NAME_LIST:
        out->count = 1;
        return cnn_params_names_from_text(spec, text, mark, from_manifest,
                                          component, &out->names, err);
    case CNN_PARAM_INT:
    case CNN_PARAM_FLOAT:
        out->count = 1;
        return parse_number(spec, text, 0, 0, mark, component, out, err);
    case CNN_PARAM_BOOL: {
        int flag;
        if (cnn_text_to_bool(text, &flag) != CNN_TEXT_OK)
            return cnn_error_at(err, mark,
                                "%s: '%s' must be true or false, got '%s'",
                                component_name(component), spec->name, text);
        out->ints[0] = flag;
        out->count = 1;
        return 0;
    }
    case CNN_PARAM_STRING:
        out->text = strdup(text);
        out->count = 1;
        return out->text ? 0 : cnn_error_set(err, "out of memory");
    case CNN_PARAM_CHOICE:
        out->count = 1;
        return parse_choice(spec, text, mark, component, out, err);
    case CNN_PARAM_INT_PAIR:
    case CNN_PARAM_FLOAT_LIST: {
        const char *start = text;
        while (*start == ' ' || *start == '\t')
            start++;
        if (spec->type == CNN_PARAM_INT_PAIR && spec->choices &&
            *start != '[')
            return parse_pair_word(spec, text, mark, component, out, err);
        if (*start != '[')
            return parse_list(spec, &text, NULL, 1, 0, mark, component, out,
                              err);
        char *copy = strdup(text);
        if (!copy)
            return cnn_error_set(err, "out of memory");
        char *items[CNN_PARAM_LIST_MAX];
        int count = split_flow_list(copy, items, CNN_PARAM_LIST_MAX);
        int status;
        if (count < 0) {
            char described[512];
            status = cnn_error_at(
                err, mark, "%s: '%s' must be %s, got '%s'",
                component_name(component), spec->name,
                cnn_param_type_description(spec, described, sizeof described),
                text);
        } else if (count > CNN_PARAM_LIST_MAX) {
            status = count_error(spec, count, mark, component, err);
        } else {
            status = parse_list(spec, (const char *const *)items, NULL, count,
                                1, mark, component, out, err);
        }
        free(copy);
        return status;
    }
    }
    return cnn_error_at(err, mark, "%s: '%s' has an unknown type %d",
                        component_name(component), spec->name,
                        (int)spec->type);
}

static void store(struct cnn_param_value *value, struct scratch *parsed,
                  int explicit_value)
{
    free(value->text);
    struct cnn_name_list old = {value->name_count, value->names,
                                value->name_marks};
    cnn_params_names_free(&old);
    value->count = parsed->count;
    memcpy(value->ints, parsed->ints, sizeof value->ints);
    memcpy(value->floats, parsed->floats, sizeof value->floats);
    value->text = parsed->text;
    value->explicit_value = explicit_value;
    value->name_count = parsed->names.count;
    value->names = parsed->names.names;
    value->name_marks = parsed->names.marks;
    parsed->text = NULL;
    memset(&parsed->names, 0, sizeof parsed->names);
}

int cnn_params_set_text(struct cnn_params *params, const char *name,
                        const char *text, struct cnn_mark mark,
                        const char *component, struct cnn_error *err)
{
    int index = cnn_params_find_index(params, name);
    if (index < 0)
        return cnn_params_unknown_error(params, name, mark, component, err);
    struct scratch parsed;
    if (parse_text(&params->specs[index], text ? text : "", mark, 1,
                   component, &parsed, err) != 0) {
        scratch_free(&parsed);
        return -1;
    }
    store(&params->values[index], &parsed, 1);
    return 0;
}

int cnn_params_set_marked_list(struct cnn_params *params, const char *name,
                               const char *const *items,
                               const struct cnn_mark *item_marks, int count,
                               struct cnn_mark mark, const char *component,
                               struct cnn_error *err)
{
    int index = cnn_params_find_index(params, name);
    if (index < 0)
        return cnn_params_unknown_error(params, name, mark, component, err);
    const struct cnn_param_spec *spec = &params->specs[index];
    struct scratch parsed;
    memset(&parsed, 0, sizeof parsed);
    if (spec->type == CNN_PARAM_NAME_LIST) {
        parsed.count = 1;
        if (cnn_params_names_parse(spec, items, item_marks, count, mark, 1,
                                   component, &parsed.names, err) != 0)
            return -1;
    } else if (parse_list(spec, items, item_marks, count, 1, mark,
                          component, &parsed, err) != 0) {
        return -1;
    }
    store(&params->values[index], &parsed, 1);
    return 0;
}

int cnn_params_set_list(struct cnn_params *params, const char *name,
                        const char *const *items, int count,
                        struct cnn_mark mark, const char *component,
                        struct cnn_error *err)
{
    return cnn_params_set_marked_list(params, name, items, NULL, count, mark,
                                      component, err);
}

/* A schema mistake is the plugin's bug; say which entry is wrong. */
static int check_spec(const struct cnn_param_spec *specs, int index,
                      const char *component, struct cnn_error *err)
{
    const struct cnn_param_spec *spec = &specs[index];
    const char *who = component_name(component);
    if (!spec->name || !*spec->name)
        return cnn_error_set(err, "%s: parameter %d of the schema has no name "
                             "(a plugin bug)",
                             who, index + 1);
    for (int i = 0; i < index; i++)
        if (strcmp(specs[i].name, spec->name) == 0)
            return cnn_error_set(err, "%s: parameter '%s' is declared twice "
                                 "(a plugin bug)",
                                 who, spec->name);
    if ((int)spec->type < CNN_PARAM_INT ||
        (int)spec->type > CNN_PARAM_NAME_LIST)
        return cnn_error_set(err, "%s: parameter '%s' has an unknown type %d "
                             "(a plugin bug)",
                             who, spec->name, (int)spec->type);
    if (spec->type == CNN_PARAM_CHOICE && (!spec->choices || !*spec->choices))
        return cnn_error_set(err, "%s: choice parameter '%s' lists no choices "
                             "(a plugin bug)",
                             who, spec->name);
    if (has_range(spec) && spec->min > spec->max)
        return cnn_error_set(err, "%s: parameter '%s' has min %g above max %g "
                             "(a plugin bug)",
                             who, spec->name, spec->min, spec->max);
    return 0;
}

int cnn_params_init_defaults(struct cnn_params *params,
                             const struct cnn_param_spec *specs, int count,
                             const char *component, struct cnn_error *err)
{
    memset(params, 0, sizeof *params);
    if (count < 0 || (count > 0 && !specs))
        return cnn_error_set(err, "%s: invalid parameter schema (a plugin "
                             "bug)",
                             component_name(component));
    params->specs = specs;
    params->count = count;
    if (count == 0)
        return 0;
    params->values = calloc((size_t)count, sizeof *params->values);
    if (!params->values) {
        memset(params, 0, sizeof *params);
        return cnn_error_set(err, "out of memory");
    }
    struct cnn_mark none = {NULL, 0, 0};
    for (int i = 0; i < count; i++) {
        if (check_spec(specs, i, component, err) != 0)
            goto fail;
        if (!specs[i].default_value)
            continue; /* required: count stays 0 until set */
        struct scratch parsed;
        if (parse_text(&specs[i], specs[i].default_value, none, 0, component,
                       &parsed, err) != 0) {
            scratch_free(&parsed);
            cnn_error_prefix(err, "the default of '%s' does not parse (a "
                             "plugin bug): ",
                             specs[i].name);
            goto fail;
        }
        store(&params->values[i], &parsed, 0);
    }
    return 0;
fail:
    cnn_params_free(params);
    return -1;
}

int cnn_params_check_required(const struct cnn_params *params,
                              struct cnn_mark mark, const char *component,
                              struct cnn_error *err)
{
    for (int i = 0; params && i < params->count; i++) {
        const struct cnn_param_spec *spec = &params->specs[i];
        /* A default of no elements (a number list's "[]") is a value. */
        if (params->values[i].count > 0 || spec->default_value)
            continue;
        char described[512];
        const char *what =
            cnn_param_type_description(spec, described, sizeof described);
        if (spec->help && *spec->help)
            return cnn_error_at(err, mark,
                                "%s: missing required parameter '%s' (%s: %s)",
                                component_name(component), spec->name, what,
                                spec->help);
        return cnn_error_at(err, mark,
                            "%s: missing required parameter '%s' (%s)",
                            component_name(component), spec->name, what);
    }
    return 0;
}

void cnn_params_free(struct cnn_params *params)
{
    if (!params)
        return;
    for (int i = 0; params->values && i < params->count; i++) {
        struct cnn_param_value *value = &params->values[i];
        struct cnn_name_list names = {value->name_count, value->names,
                                      value->name_marks};
        free(value->text);
        cnn_params_names_free(&names);
    }
    free(params->values);
    memset(params, 0, sizeof *params);
}

int cnn_params_copy(struct cnn_params *dst, const struct cnn_params *src,
                    struct cnn_error *err)
{
    memset(dst, 0, sizeof *dst);
    if (!src || src->count == 0) {
        if (src)
            dst->specs = src->specs;
        return 0;
    }
    dst->values = calloc((size_t)src->count, sizeof *dst->values);
    if (!dst->values)
        return cnn_error_set(err, "out of memory");
    dst->specs = src->specs;
    dst->count = src->count;
    for (int i = 0; i < src->count; i++) {
        const struct cnn_param_value *from = &src->values[i];
        struct cnn_param_value *to = &dst->values[i];
        *to = *from;
        to->text = NULL;
        to->name_count = 0;
        to->names = NULL;
        to->name_marks = NULL;
        if (from->text) {
            to->text = strdup(from->text);
            if (!to->text) {
                cnn_params_free(dst);
                return cnn_error_set(err, "out of memory");
            }
        }
        struct cnn_name_list names, copy;
        names = (struct cnn_name_list){from->name_count, from->names,
                                       from->name_marks};
        if (cnn_params_names_copy(&copy, &names, err) != 0) {
            cnn_params_free(dst);
            return -1;
        }
        to->name_count = copy.count;
        to->names = copy.names;
        to->name_marks = copy.marks;
    }
    return 0;
}
