/* cnnlab — what the table writers share (table_write.c for a table of
 * single runs, table_write_seeds.c for one with seeds): escaping for
 * Markdown and LaTeX, number formats, column padding, CSV fields, and
 * writing a file atomically. */
#ifndef CNNLAB_TABLE_FORMAT_H
#define CNNLAB_TABLE_FORMAT_H

#include <stddef.h>
#include <stdio.h>

#include "report/table.h"

enum cnn_table_format { CNN_TABLE_MARKDOWN, CNN_TABLE_LATEX };

#define CNN_TABLE_CELL_SIZE 96

/* "1,132,193" */
void cnn_table_group_thousands(long value, char *out, size_t size);
/* Markdown: backslash-escapes what would end a cell or start markup (an
 * underscore inside a word is left alone). */
void cnn_table_escape_markdown(const char *text, char *out, size_t size);
/* LaTeX text mode: the ten special characters, and "--" kept from
 * becoming a dash. */
void cnn_table_escape_latex(const char *text, char *out, size_t size);
/* Display width of UTF-8 text: continuation bytes take no column. */
int cnn_table_display_width(const char *text);
/* `cell` padded to `width` columns, on the right when `left`. */
void cnn_table_pad(FILE *out, const char *cell, int width, int left);
/* The shortest plain decimal text that reads back as exactly `value`. */
void cnn_table_exact_number(double value, char *out, size_t size);
/* RFC 4180: quoted when it holds a comma, quote or line break. */
void cnn_table_csv_text(FILE *out, const char *text);
/* ",<value>", or "," alone when not present or NAN. */
void cnn_table_csv_number(FILE *out, int present, double value);
/* A run's fields of table.csv after its variant (and seed) columns:
 * ",train,val,test,parameters", each epoch's accuracies, the epoch
 * seconds when the table has them, ",selected_epoch,epochs_run,status";
 * the numbers empty unless the run is complete. No line end. */
void cnn_table_csv_run_fields(const struct cnn_table *table,
                              const struct cnn_table_row *row, FILE *out);
/* A table with seeds: table.md, table.tex and table.csv
 * (table_write_seeds.c, table_csv_seeds.c). */
int cnn_table_write_seeds(const struct cnn_table *table,
                          struct cnn_error *err);
int cnn_table_write_seeds_csv(const struct cnn_table *table, FILE *out);
/* Their Markdown and LaTeX (one row per variant, mean ± std and n). */
int cnn_table_format_seeds_markdown(const struct cnn_table *table, FILE *out);
int cnn_table_format_seeds_latex(const struct cnn_table *table, FILE *out);

/* Writes <table->directory>/<name> atomically through `writer`. */
int cnn_table_write_file(const struct cnn_table *table, const char *name,
                         int (*writer)(const struct cnn_table *, FILE *),
                         struct cnn_error *err);

#endif
