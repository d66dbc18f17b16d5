/* cnnlab — the Markdown that cnnlab's tables and analyses write, as
 * HTML: enough for pipe tables, headings and captions. Anything else is
 * shown as escaped text, so an unusual file is plain, never broken. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "report/markdown_table.h"
#include "report/pages_internal.h"

/* Inline text: backslash escapes, **strong** and `code`; the tags opened
 * are closed at the end of the span, so the page stays well formed. */
static void inline_text(FILE *out, const char *text, size_t length)
{
    int strong = 0, code = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '\\' && i + 1 < length && ispunct((unsigned char)text[i + 1])) {
            cnn_pages_text_length(out, &text[++i], 1);
        } else if (c == '`') {
            fputs(code ? "</code>" : "<code>", out);
            code = !code;
        } else if (!code && c == '*' && i + 1 < length && text[i + 1] == '*') {
            fputs(strong ? "</strong>" : "<strong>", out);
            strong = !strong;
            i++;
        } else {
            cnn_pages_text_length(out, &c, 1);
        }
    }
    if (code)
        fputs("</code>", out);
    if (strong)
        fputs("</strong>", out);
}

static int is_table_line(const char *line)
{
    return *cnn_md_skip_spaces(line) == '|';
}

/* "| :--- | ---: |": 1 and each column's alignment ('l', 'r', 'c' or
 * 0), else 0. */
static int separator_row(const char *line, char *align)
{
    memset(align, 0, CNN_MD_COLUMNS_MAX);
    return cnn_md_separator_row(line, strlen(line), align);
}

static void table_row(FILE *out, const char *line, const char *tag,
                      const char *align)
{
    struct cnn_md_cell cells[CNN_MD_COLUMNS_MAX];
    int count = cnn_md_split_cells(line, strlen(line), cells);
    fputs("<tr>", out);
    for (int i = 0; i < count; i++) {
        fprintf(out, "<%s", tag);
        if (align && (align[i] == 'r' || align[i] == 'c'))
            fprintf(out, " class=\"%c\"", align[i]);
        fputc('>', out);
        inline_text(out, cells[i].text, cells[i].length);
        fprintf(out, "</%s>", tag);
    }
    fputs("</tr>\n", out);
}

/* Lines [first, last) are table lines. */
static void table(FILE *out, char **lines, int first, int last)
{
    char align[CNN_MD_COLUMNS_MAX];
    int has_header = last - first >= 2 && separator_row(lines[first + 1], align);
    fputs("<table>\n", out);
    int body = first;
    if (has_header) {
        fputs("<thead>", out);
        table_row(out, lines[first], "th", align);
        fputs("</thead>\n", out);
        body = first + 2;
    }
    fputs("<tbody>\n", out);
    for (int i = body; i < last; i++)
        table_row(out, lines[i], "td", has_header ? align : NULL);
    fputs("</tbody>\n</table>\n", out);
}

/* The text split at newlines, in place; NULL when out of memory. */
static char **split_lines(char *text, int *count)
{
    int capacity = 1;
    for (const char *p = text; *p; p++)
        capacity += *p == '\n';
    char **lines = malloc((size_t)capacity * sizeof *lines);
    if (!lines)
        return NULL;
    int n = 0;
    for (char *p = text; *p;) {
        lines[n++] = p;
        char *newline = strchr(p, '\n');
        if (!newline)
            break;
        *newline = '\0';
        if (newline > p && newline[-1] == '\r')
            newline[-1] = '\0';
        p = newline + 1;
    }
    *count = n;
    return lines;
}

void cnn_pages_markdown(FILE *out, const char *text)
{
    char *copy = strdup(text);
    int count = 0;
    char **lines = copy ? split_lines(copy, &count) : NULL;
    if (!lines) {
        /* Out of memory: the text as it is still says everything. */
        fputs("<pre>", out);
        cnn_pages_text(out, text);
        fputs("</pre>\n", out);
        free(copy);
        return;
    }
    int paragraph = 0;
    for (int i = 0; i < count;) {
        const char *line = lines[i];
        const char *content = cnn_md_skip_spaces(line);
        int block = !*content || is_table_line(line) ||
                    strncmp(content, "```", 3) == 0 || *content == '#';
        if (paragraph && block) {
            fputs("</p>\n", out);
            paragraph = 0;
        }
        if (!*content) {
            i++;
        } else if (is_table_line(line)) {
            int last = i;
            while (last < count && is_table_line(lines[last]))
                last++;
            table(out, lines, i, last);
            i = last;
        } else if (strncmp(content, "```", 3) == 0) {
            fputs("<pre>", out);
            for (i++; i < count && strncmp(cnn_md_skip_spaces(lines[i]), "```", 3);
                 i++) {
                cnn_pages_text(out, lines[i]);
                fputc('\n', out);
            }
            fputs("</pre>\n", out);
            i++; /* the closing fence, or past the end */
        } else if (*content == '#') {
            int level = (int)strspn(content, "#");
            /* The page's own headings are h1 to h3: a file's # is h4. */
            int tag = level + 3 > 6 ? 6 : level + 3;
            const char *title = cnn_md_skip_spaces(content + level);
            fprintf(out, "<h%d>", tag);
            inline_text(out, title, strlen(title));
            fprintf(out, "</h%d>\n", tag);
            i++;
        } else {
            fputs(paragraph ? "\n" : "<p>", out);
            paragraph = 1;
            inline_text(out, content, strlen(content));
            i++;
        }
    }
    if (paragraph)
        fputs("</p>\n", out);
    free(lines);
    free(copy);
}
