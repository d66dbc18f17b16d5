/* cnnlab — the parameter getters plugins call, and formatting for logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/params.h"
#include "config/params_node.h"

/* Getters: a wrong name or type here is a bug in the calling plugin, found
 * the first time it runs; there is no error to return, so say which
 * parameter and stop. */
static const struct cnn_param_value *
value_for_getter(const struct cnn_params *params, const char *name,
                 const char *getter, enum cnn_param_type type,
                 enum cnn_param_type other_type)
{
    int index = cnn_params_find_index(params, name);
    if (index < 0) {
        fprintf(stderr,
                "cnnlab: plugin bug: %s(\"%s\"): the component's schema "
                "declares no parameter '%s'\n",
                getter, name ? name : "(null)", name ? name : "(null)");
        abort();
    }
    const struct cnn_param_spec *spec = &params->specs[index];
    if (spec->type != type && spec->type != other_type) {
        char described[512];
        fprintf(stderr,
                "cnnlab: plugin bug: %s(\"%s\"): parameter '%s' is declared "
                "as %s\n",
                getter, name, name,
                cnn_param_type_description(spec, described, sizeof described));
        abort();
    }
    const struct cnn_param_value *value = &params->values[index];
    if (value->count == 0 && !spec->default_value) {
        fprintf(stderr,
                "cnnlab: plugin bug: %s(\"%s\"): required parameter '%s' has "
                "no value (cnn_params_check_required was not called)\n",
                getter, name, name);
        abort();
    }
    return value;
}

long cnn_param_int(const struct cnn_params *params, const char *name)
{
    return value_for_getter(params, name, "cnn_param_int", CNN_PARAM_INT,
                            CNN_PARAM_INT)->ints[0];
}

double cnn_param_float(const struct cnn_params *params, const char *name)
{
    return value_for_getter(params, name, "cnn_param_float", CNN_PARAM_FLOAT,
                            CNN_PARAM_FLOAT)->floats[0];
}

int cnn_param_bool(const struct cnn_params *params, const char *name)
{
    return (int)value_for_getter(params, name, "cnn_param_bool",
                                 CNN_PARAM_BOOL, CNN_PARAM_BOOL)->ints[0];
}

const char *cnn_param_string(const struct cnn_params *params,
                             const char *name)
{
    return value_for_getter(params, name, "cnn_param_string",
                            CNN_PARAM_STRING, CNN_PARAM_CHOICE)->text;
}

void cnn_param_pair(const struct cnn_params *params, const char *name,
                    int *first, int *second)
{
    const struct cnn_param_value *value = value_for_getter(
        params, name, "cnn_param_pair", CNN_PARAM_INT_PAIR,
        CNN_PARAM_INT_PAIR);
    /* Elements were checked to fit an int when they were set. */
    if (first)
        *first = (int)value->ints[0];
    if (second)
        *second = (int)value->ints[1];
}

const char *cnn_param_word(const struct cnn_params *params,
                           const char *name)
{
    /* The numbers of a pair given as numbers leave text NULL. */
    return value_for_getter(params, name, "cnn_param_word",
                            CNN_PARAM_INT_PAIR, CNN_PARAM_INT_PAIR)->text;
}

int cnn_param_floats(const struct cnn_params *params, const char *name,
                     const double **values)
{
    const struct cnn_param_value *value = value_for_getter(
        params, name, "cnn_param_floats", CNN_PARAM_FLOAT_LIST,
        CNN_PARAM_FLOAT_LIST);
    if (values)
        *values = value->floats;
    return value->count;
}

int cnn_param_names(const struct cnn_params *params, const char *name,
                    const char *const **names,
                    const struct cnn_mark **marks)
{
    const struct cnn_param_value *value = value_for_getter(
        params, name, "cnn_param_names", CNN_PARAM_NAME_LIST,
        CNN_PARAM_NAME_LIST);
    if (names)
        *names = (const char *const *)value->names;
    if (marks)
        *marks = value->name_marks;
    return value->name_count;
}

int cnn_param_is_explicit(const struct cnn_params *params, const char *name)
{
    int index = cnn_params_find_index(params, name);
    if (index < 0) {
        fprintf(stderr,
                "cnnlab: plugin bug: cnn_param_is_explicit(\"%s\"): the "
                "component's schema declares no parameter '%s'\n",
                name ? name : "(null)", name ? name : "(null)");
        abort();
    }
    return params->values[index].explicit_value;
}

/* Appends with snprintf semantics; *used may pass size (truncated). */
static void append(char *buf, unsigned long size, unsigned long *used,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, unsigned long size, unsigned long *used,
                   const char *fmt, ...)
{
    if (*used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int wrote = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (wrote < 0)
        return;
    *used += (unsigned long)wrote;
    if (*used >= size)
        *used = size - 1;
}

/* The shortest %g form that reads back as the same double. */
static void format_number(double value, char *out, size_t size)
{
    snprintf(out, size, "%.15g", value);
    if (strtod(out, NULL) != value)
        snprintf(out, size, "%.17g", value);
}

/* The same, kept a float. */
static void format_float(double value, char *out, size_t size)
{
    format_number(value, out, size);
    /* Keep it a float when read back as YAML: 1 -> 1.0. (A list's
     * elements need not: labels read [5, 6], not [5.0, 6.0].) */
    if (!strpbrk(out, ".eEn"))
        strncat(out, ".0", size - strlen(out) - 1);
}

static int is_plain_word(const char *text)
{
    if (!*text)
        return 0;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
            !(c >= '0' && c <= '9') && !strchr("_-./+", c))
            return 0;
    }
    return 1;
}

/* A word as it is, other text quoted so that YAML reads it back. */
static void append_text(char *buf, unsigned long size, unsigned long *used,
                        const char *text)
{
    if (is_plain_word(text)) {
        append(buf, size, used, "%s", text);
        return;
    }
    append(buf, size, used, "\"");
    for (const char *p = text; *p; p++)
        append(buf, size, used, "%s%c",
               *p == '"' || *p == '\\' ? "\\" : "", *p);
    append(buf, size, used, "\"");
}

void cnn_params_format(const struct cnn_params *params, char *buf,
                       unsigned long size)
{
    if (!buf || size == 0 || !params)
        return;
    /* Callers hand in fresh buffers, so write from the start rather than
     * trust what the buffer holds. */
    unsigned long used = 0;
    buf[0] = '\0';
    for (int i = 0; i < params->count; i++) {
        const struct cnn_param_spec *spec = &params->specs[i];
        const struct cnn_param_value *value = &params->values[i];
        append(buf, size, &used, "%s%s=", i ? ", " : "", spec->name);
        if (value->count == 0 && !spec->default_value) {
            append(buf, size, &used, "(unset)");
            continue;
        }
        char number[64];
        switch (spec->type) {
        case CNN_PARAM_INT:
            append(buf, size, &used, "%ld", value->ints[0]);
            break;
        case CNN_PARAM_BOOL:
            append(buf, size, &used, "%s", value->ints[0] ? "true" : "false");
            break;
        case CNN_PARAM_FLOAT:
            format_float(value->floats[0], number, sizeof number);
            append(buf, size, &used, "%s", number);
            break;
        case CNN_PARAM_STRING:
        case CNN_PARAM_CHOICE:
            append_text(buf, size, &used, value->text);
            break;
        case CNN_PARAM_NAME_LIST:
            append(buf, size, &used, "[");
            for (int j = 0; j < value->name_count; j++) {
                append(buf, size, &used, "%s", j ? ", " : "");
                append_text(buf, size, &used, value->names[j]);
            }
            append(buf, size, &used, "]");
            break;
        case CNN_PARAM_INT_PAIR:
            if (value->text)
                append_text(buf, size, &used, value->text);
            else if (value->count == 1)
                append(buf, size, &used, "%ld", value->ints[0]);
            else
                append(buf, size, &used, "[%ld, %ld]", value->ints[0],
                       value->ints[1]);
            break;
        case CNN_PARAM_FLOAT_LIST:
            append(buf, size, &used, "[");
            for (int j = 0; j < value->count; j++) {
                format_number(value->floats[j], number, sizeof number);
                append(buf, size, &used, "%s%s", j ? ", " : "", number);
            }
            append(buf, size, &used, "]");
            break;
        }
    }
}
