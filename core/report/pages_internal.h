/* cnnlab — the pieces the report pages are made of (pages.h). */
#ifndef CNNLAB_PAGES_INTERNAL_H
#define CNNLAB_PAGES_INTERNAL_H

#include <stddef.h>
#include <jansson.h>
#include <stdio.h>

#include "cnnlab/error.h"
#include "report/table.h"

struct cnn_pages_writer {
    FILE *out;
    size_t embedded; /* bytes of pictures embedded so far (before base64) */
};

/* Writes text HTML-escaped (& < > " '), so that it is safe in element
 * content and in quoted attribute values. */
void cnn_pages_text(FILE *out, const char *text);
void cnn_pages_text_length(FILE *out, const char *text, size_t length);

/* Writes one path segment percent-encoded for an href or src: every byte
 * but letters, digits and "-._~". */
void cnn_pages_url(FILE *out, const char *segment);

/* <!DOCTYPE html> ... <body> with the page's style sheet, and the end. */
void cnn_pages_begin(FILE *out, const char *title);
void cnn_pages_end(FILE *out);

/* Reads a whole file into a malloc'd buffer with a '\0' after it. Returns
 * 0 and fills *data and *length; 1 when the file is larger than `limit`
 * (nothing read); -1 when it cannot be read (err names the file). */
int cnn_pages_read_file(const char *path, size_t limit, char **data,
                        size_t *length, struct cnn_error *err);

/* 1 when `name` is a regular file in `directory`. */
int cnn_pages_is_file(const char *directory, const char *name);

/* A figure with the picture <directory>/<file>, embedded or linked as
 * `link_directory`/<file> (relative to the page; NULL: beside it), with
 * the file name as its caption. A file that is not a PNG, or cannot be
 * read, becomes a note saying so and a link: never a broken image. */
int cnn_pages_figure(struct cnn_pages_writer *writer, const char *directory,
                     const char *link_directory, const char *file,
                     struct cnn_error *err);

/* A relative link <a href="link_directory/file">file</a> (link_directory
 * may have several segments, "v/seed-1"). */
void cnn_pages_file_link(FILE *out, const char *link_directory,
                         const char *file);

/* The subset of Markdown cnnlab writes: '#' headings, pipe tables (with
 * alignment from the separator row), ``` fences, paragraphs; inline
 * **strong**, `code` and backslash escapes. Everything is escaped. */
void cnn_pages_markdown(FILE *out, const char *text);

/* A variant's section of the experiment page: status, run metadata,
 * analyses' outcomes, files, and every analysis's tables and pictures. */
int cnn_pages_variant(struct cnn_pages_writer *writer,
                      const struct cnn_table *table,
                      const struct cnn_table_row *row, struct cnn_error *err);

/* run.json's fields as a two-column table: the known ones in a fixed
 * order with their labels, then any other field under its own key. */
void cnn_pages_metadata(FILE *out, const json_t *info);
/* run.json's "analyses": each analysis and its outcome, failures marked. */
void cnn_pages_outcomes(FILE *out, const json_t *analyses);

/* An experiment with seeds (pages_seeds.c): the variants with their
 * runs linked to their sections; each variant's curves across seeds; and
 * for results/index.html the best variant by mean test accuracy
 * ("56.17 ± 0.97 (b, mean of 3 seeds)"), nothing when none has one. */
void cnn_pages_seed_runs(FILE *out, const struct cnn_table *table);
int cnn_pages_seed_curves(struct cnn_pages_writer *writer,
                          const struct cnn_table *table,
                          struct cnn_error *err);
void cnn_pages_seed_best(FILE *out, const struct cnn_table *table);

/* Compares names with runs of digits as numbers ("x-2" < "x-10"). */
int cnn_pages_name_compare(const char *a, const char *b);

#endif
