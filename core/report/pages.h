/* cnnlab — report pages: results/<experiment>/index.html, one
 * self-contained HTML page per experiment (its table, and for every
 * variant the run's metadata from run.json, the analyses' outcomes, and
 * every picture and table the analyses wrote, grouped by analysis), and
 * results/index.html listing the experiments.
 *
 * Pictures are embedded as data: URIs while they are small (see
 * CNN_PAGES_EMBED_*), otherwise linked relatively; the pages load nothing
 * from elsewhere and need no JavaScript. Everything read from files is
 * HTML-escaped. Like the tables, the pages are a function of what is on
 * disk only, so `cnnlab table DIR` rewrites them without training. */
#ifndef CNNLAB_PAGES_H
#define CNNLAB_PAGES_H

#include "report/table.h"

/* A PNG up to this size is embedded in the page as a data: URI ... */
#define CNN_PAGES_EMBED_IMAGE_MAX ((size_t)4 << 20)
/* ... while the page's embedded pictures stay under this in total; later
 * and larger ones are relative links to the file in the run directory. */
#define CNN_PAGES_EMBED_PAGE_MAX ((size_t)48 << 20)

/* Writes <table->directory>/index.html (atomically) for a table read by
 * cnn_table_read. */
int cnn_pages_write_experiment(const struct cnn_table *table,
                               struct cnn_error *err);

/* Writes <results_directory>/index.html (atomically): every subdirectory
 * that holds an experiment (experiment.yaml or table.md), with its
 * variants, how many are complete and the best test accuracy, linking
 * to the experiment's page where it exists. */
int cnn_pages_write_index(const char *results_directory,
                          struct cnn_error *err);

/* Both: the experiment's page, then the index of the directory above it
 * (the results directory). `cnnlab table` and `cnnlab run` call this
 * after writing the table. */
int cnn_pages_write(const struct cnn_table *table, struct cnn_error *err);

/* The directory above an experiment's, malloc'd ("." for "x"); NULL when
 * out of memory. */
char *cnn_pages_parent(const char *experiment_directory);

#endif
