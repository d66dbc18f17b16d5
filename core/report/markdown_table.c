/* cnnlab — Markdown pipe tables: cells and the separator row. */
#include <ctype.h>
#include <string.h>

#include "report/markdown_table.h"

const char *cnn_md_skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The end of the cell that starts at p: the next unescaped '|' or end. */
static const char *cell_end(const char *p, const char *end)
{
    while (p < end && *p != '|') {
        if (*p == '\\' && p + 1 < end)
            p++;
        p++;
    }
    return p;
}

int cnn_md_split_cells(const char *line, size_t length,
                       struct cnn_md_cell *cells)
{
    const char *p = cnn_md_skip_spaces(line) + 1; /* past the leading '|' */
    const char *end = line + length;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (end > p && end[-1] == '|' && !(end - 1 > p && end[-2] == '\\'))
        end--; /* the closing '|', unless it is an escaped one */
    int count = 0;
    while (p <= end && count < CNN_MD_COLUMNS_MAX) {
        const char *stop = cell_end(p, end);
        const char *start = p;
        while (start < stop && isspace((unsigned char)*start))
            start++;
        const char *text_end = stop;
        while (text_end > start && isspace((unsigned char)text_end[-1]))
            text_end--;
        cells[count].text = start;
        cells[count].length = (size_t)(text_end - start);
        count++;
        if (stop >= end)
            break;
        p = stop + 1;
    }
    return count;
}

int cnn_md_separator_row(const char *line, size_t length, char *align)
{
    struct cnn_md_cell cells[CNN_MD_COLUMNS_MAX];
    int count = cnn_md_split_cells(line, length, cells);
    for (int i = 0; i < count; i++) {
        const char *t = cells[i].text;
        size_t n = cells[i].length;
        if (n == 0 || strspn(t, ":-") < n || !memchr(t, '-', n))
            return 0;
        int left = t[0] == ':', right = t[n - 1] == ':';
        align[i] = left && right ? 'c' : right ? 'r' : left ? 'l' : 0;
    }
    return count > 0;
}
