/* cnnlab — the analyses' text buffer and the escapes of CSV, Markdown,
 * LaTeX and JSON. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"

static int reserve(struct analysis_text *text, size_t more)
{
    if (text->out_of_memory)
        return -1;
    if (text->length + more + 1 <= text->capacity)
        return 0;
    size_t capacity = text->capacity ? text->capacity : 1024;
    while (capacity < text->length + more + 1)
        capacity *= 2;
    char *grown = realloc(text->data, capacity);
    if (!grown) {
        text->out_of_memory = 1;
        return -1;
    }
    text->data = grown;
    text->capacity = capacity;
    return 0;
}

static void append(struct analysis_text *text, const char *bytes,
                   size_t length)
{
    if (reserve(text, length) < 0)
        return;
    memcpy(text->data + text->length, bytes, length);
    text->length += length;
    text->data[text->length] = '\0';
}

void analysis_text_printf(struct analysis_text *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int needed = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (needed < 0 || reserve(text, (size_t)needed) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(text->data + text->length, (size_t)needed + 1, fmt, ap);
    va_end(ap);
    text->length += (size_t)needed;
}

void analysis_text_csv(struct analysis_text *text, const char *field)
{
    size_t length = strlen(field);
    int quote = strpbrk(field, ",\"\r\n") != NULL ||
                (length > 0 && (field[0] == ' ' || field[length - 1] == ' '));
    if (!quote) {
        append(text, field, length);
        return;
    }
    append(text, "\"", 1);
    for (const char *p = field; *p; p++) {
        if (*p == '"')
            append(text, "\"", 1);
        append(text, p, 1);
    }
    append(text, "\"", 1);
}

void analysis_text_markdown(struct analysis_text *text, const char *cell)
{
    for (const char *p = cell; *p; p++) {
        if (strchr("\\|*_`[]<>#", *p))
            append(text, "\\", 1);
        if (*p == '\n' || *p == '\r')
            append(text, " ", 1);
        else
            append(text, p, 1);
    }
}

void analysis_text_latex(struct analysis_text *text, const char *cell)
{
    for (const char *p = cell; *p; p++) {
        const char *escaped;
        switch (*p) {
        case '\\': escaped = "\\textbackslash{}"; break;
        case '~': escaped = "\\textasciitilde{}"; break;
        case '^': escaped = "\\textasciicircum{}"; break;
        case '&': escaped = "\\&"; break;
        case '%': escaped = "\\%"; break;
        case '$': escaped = "\\$"; break;
        case '#': escaped = "\\#"; break;
        case '_': escaped = "\\_"; break;
        case '{': escaped = "\\{"; break;
        case '}': escaped = "\\}"; break;
        default: escaped = NULL;
        }
        if (escaped)
            append(text, escaped, strlen(escaped));
        else
            append(text, p, 1);
    }
}

void analysis_text_json(struct analysis_text *text, const char *string)
{
    append(text, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)string; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char pair[2] = {'\\', (char)*p};
            append(text, pair, 2);
        } else if (*p < 0x20) {
            analysis_text_printf(text, "\\u%04x", *p);
        } else {
            append(text, (const char *)p, 1);
        }
    }
    append(text, "\"", 1);
}

void analysis_text_json_number(struct analysis_text *text, double value)
{
    if (isfinite(value))
        analysis_text_printf(text, "%.9g", value);
    else
        append(text, "null", 4);
}

int analysis_text_write(struct analysis_text *text,
                        struct cnn_analysis *analysis, const char *name,
                        struct cnn_error *err)
{
    int status;
    if (text->out_of_memory)
        status = cnn_error_set(err, "out of memory while making %s", name);
    else
        status = cnn_analysis_write_file(analysis, name,
                                         text->data ? text->data : "",
                                         text->length, err);
    analysis_text_free(text);
    return status;
}

void analysis_text_free(struct analysis_text *text)
{
    free(text->data);
    memset(text, 0, sizeof *text);
}
