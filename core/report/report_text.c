/* cnnlab — the report's text: sentences with marked spans
 * and escaping for LaTeX and Markdown. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"

static void append(struct cnn_report_text *text, const char *bytes,
                   size_t length)
{
    if (text->failed)
        return;
    if (text->length + length + 1 > text->capacity) {
        size_t capacity = text->capacity ? text->capacity : 128;
        while (capacity < text->length + length + 1)
            capacity *= 2;
        char *grown = realloc(text->data, capacity);
        if (!grown) {
            text->failed = 1;
            return;
        }
        text->data = grown;
        text->capacity = capacity;
    }
    memcpy(text->data + text->length, bytes, length);
    text->length += length;
    text->data[text->length] = '\0';
}

/* Text from a file: control characters (marks among them, line breaks)
 * become spaces. */
static void append_clean(struct cnn_report_text *text, const char *plain)
{
    for (const char *p = plain; *p; p++) {
        char c = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
        append(text, &c, 1);
    }
}

void cnn_report_text_plain(struct cnn_report_text *text, const char *plain)
{
    append_clean(text, plain);
}

void cnn_report_text_code(struct cnn_report_text *text, const char *code)
{
    char mark = CNN_REPORT_CODE_ON;
    append(text, &mark, 1);
    append_clean(text, code);
    mark = CNN_REPORT_CODE_OFF;
    append(text, &mark, 1);
}

void cnn_report_text_emph(struct cnn_report_text *text, const char *plain)
{
    char mark = CNN_REPORT_EMPH_ON;
    append(text, &mark, 1);
    append_clean(text, plain);
    mark = CNN_REPORT_EMPH_OFF;
    append(text, &mark, 1);
}

void cnn_report_text_printf(struct cnn_report_text *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int length = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *formatted = length >= 0 ? malloc((size_t)length + 1) : NULL;
    if (!formatted) {
        text->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(formatted, (size_t)length + 1, fmt, ap);
    va_end(ap);
    append_clean(text, formatted);
    free(formatted);
}

char *cnn_report_text_take(struct cnn_report_text *text)
{
    if (!text->failed && !text->data)
        append(text, "", 0);
    char *data = text->failed ? NULL : text->data;
    if (text->failed)
        free(text->data);
    memset(text, 0, sizeof *text);
    return data;
}

/* The code point of the UTF-8 sequence at p (at most `left` bytes), and
 * its length in *size; -1 for a malformed sequence (*size 1). */
static long utf8_decode(const unsigned char *p, size_t left, size_t *size)
{
    *size = 1;
    int extra = p[0] >= 0xF0 && p[0] < 0xF5   ? 3
                : p[0] >= 0xE0                ? 2
                : p[0] >= 0xC2 && p[0] < 0xE0 ? 1
                                              : -1;
    if (extra < 0 || (size_t)extra >= left)
        return -1;
    long code = p[0] & (0x3F >> extra);
    for (int i = 1; i <= extra; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        code = code << 6 | (p[i] & 0x3F);
    }
    static const long smallest[] = {0, 0x80, 0x800, 0x10000};
    if (code < smallest[extra] || (code >= 0xD800 && code < 0xE000))
        return -1;
    *size = (size_t)extra + 1;
    return code;
}

/* The characters LaTeX's utf8 input sets with the T1 and TS1 fonts:
 * Latin-1, Latin Extended-A, and the common punctuation. */
static int latex_can_set(long code)
{
    static const long punctuation[] = {
        0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D,
        0x201E, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039,
        0x203A, 0x20AC, 0x2190, 0x2191, 0x2192, 0x2193, 0x2122};
    if (code >= 0xA0 && code <= 0x17F)
        return 1;
    for (size_t i = 0; i < sizeof punctuation / sizeof punctuation[0]; i++)
        if (punctuation[i] == code)
            return 1;
    return 0;
}

void cnn_report_latex_escape(FILE *out, const char *text, size_t length,
                             int breakable)
{
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < length;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t size;
            long code = utf8_decode(p + i, length - i, &size);
            if (code == 0x2212)
                fputc('-', out); /* the minus sign: TS1 has no glyph */
            else if (code < 0 || !latex_can_set(code))
                fputc('?', out);
            else
                fwrite(p + i, 1, size, out);
            i += size;
            continue;
        }
        const char *replacement = NULL;
        switch (c) {
        case '\\': replacement = "\\textbackslash{}"; break;
        case '~': replacement = "\\textasciitilde{}"; break;
        case '^': replacement = "\\textasciicircum{}"; break;
        case '`': replacement = "\\textasciigrave{}"; break;
        case '<': replacement = "\\textless{}"; break;
        case '>': replacement = "\\textgreater{}"; break;
        case '&': replacement = "\\&"; break;
        case '%': replacement = "\\%"; break;
        case '$': replacement = "\\$"; break;
        case '#': replacement = "\\#"; break;
        case '_': replacement = "\\_"; break;
        case '{': replacement = "\\{"; break;
        case '}': replacement = "\\}"; break;
        default: break;
        }
        if (replacement)
            fputs(replacement, out);
        else if (c < 0x20 || c == 0x7f)
            fputc(' ', out);
        else
            fputc(c, out);
        /* T1 makes ligatures of "--", ",,", "''" and "!`": keep them
         * apart. */
        if (c && i + 1 < length && p[i + 1] == c && strchr("-,'", c))
            fputs("{}", out);
        /* A break after '/' or '_', or after a '-' inside a word
         * (conv-layers), never in "--profile". */
        int word_dash = c == '-' && i > 0 && i + 1 < length &&
                        isalnum(p[i - 1]) && isalnum(p[i + 1]);
        if (breakable && c && i + 1 < length &&
            (strchr("/_", c) || word_dash))
            fputs("\\allowbreak{}", out);
        i++;
    }
}

void cnn_report_markdown_escape(FILE *out, const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        /* An underscore inside a word starts no emphasis on GitHub. */
        int inner_underscore = c == '_' && i > 0 && i + 1 < length &&
                               isalnum((unsigned char)text[i - 1]) &&
                               isalnum((unsigned char)text[i + 1]);
        if (strchr("\\`*_[]<>|#!~", c) && c && !inner_underscore)
            fputc('\\', out);
        fputc((unsigned char)c < 0x20 ? ' ' : c, out);
    }
}
