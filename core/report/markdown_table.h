/* cnnlab — Markdown pipe tables ("| a | b \| c |"), read the same way by
 * both renderers of the Markdown cnnlab writes: the pages' HTML
 * (pages_markdown.c) and the report's LaTeX (report_latex.c). */
#ifndef CNNLAB_REPORT_MARKDOWN_TABLE_H
#define CNNLAB_REPORT_MARKDOWN_TABLE_H

#include <stddef.h>

#define CNN_MD_COLUMNS_MAX 64

/* A cell's text, trimmed, pointing into the line. */
struct cnn_md_cell {
    const char *text;
    size_t length;
};

/* p past its leading spaces and tabs. */
const char *cnn_md_skip_spaces(const char *p);

/* The cells of the first `length` bytes of `line` (at most
 * CNN_MD_COLUMNS_MAX); an escaped "\|" stays inside its cell. */
int cnn_md_split_cells(const char *line, size_t length,
                       struct cnn_md_cell *cells);

/* Whether the line is a separator row such as "| :--- | ---: | :-: |",
 * and if so each of its columns' alignment in align[]: 'l', 'r', 'c', or
 * 0 where the row names none (the renderer's default). Entries past the
 * row's columns are left as they were. */
int cnn_md_separator_row(const char *line, size_t length, char *align);

#endif
