/* cnnlab — an experiment's results table: one row per run (a variant, or
 * with `seeds:` one row per variant and seed, summarised per variant in
 * `summaries`), read from the run directories under results/<experiment>/,
 * written as table.md, table.tex (booktabs) and table.csv beside them.
 *
 * The table is a function of what is on disk only, so `cnnlab table DIR`
 * regenerates byte-identical files from the same results. The variant
 * order and the table settings come from results/<experiment>/
 * experiment.yaml, which `cnnlab run` writes; without it, every
 * subdirectory holding a run.json or manifest.yaml is a variant, in name
 * order, and so is each seed-<s> subdirectory of a variant's that holds
 * one (a run of that seed, in seed order after the variant's own), and
 * the settings come from the first one's manifest.yaml. */
#ifndef CNNLAB_TABLE_H
#define CNNLAB_TABLE_H

#include <stdio.h>

#include "cnnlab/node.h"
#include "cnnlab/params.h"
#include "config/manifest.h"
#include "config/table_settings.h"
#include "report/statistics.h"

enum cnn_table_status {
    CNN_TABLE_COMPLETE,
    CNN_TABLE_RUNNING,
    CNN_TABLE_FAILED,
    CNN_TABLE_INTERRUPTED,
    CNN_TABLE_NOT_RUN,
    CNN_TABLE_UNREADABLE,   /* a file the table needs is missing or corrupt */
    CNN_TABLE_STALE,        /* complete, but for another resolved manifest
                             * than the last `cnnlab run` (another profile,
                             * override or manifest edit): `cnnlab run`
                             * with those options would redo it */
};

/* A resolved manifest's fingerprint: FNV-1a (64 bits, hex) of the tree as
 * cnn_node_write writes it, so comments and layout do not count, and
 * without its `table:` (which changes the table, not the run: `cnnlab
 * run` does not redo a run for it either). */
#define CNN_TABLE_DIGEST_SIZE 17

struct cnn_table_row {
    char *variant;
    int repeated;           /* 1: one seed's run of the variant */
    unsigned long long seed;
    char *path;             /* its directory below the experiment's: the
                               variant, or <variant>/seed-<seed> */
    char expected_digest[CNN_TABLE_DIGEST_SIZE]; /* "" when unknown */
    enum cnn_table_status status;
    char *note;             /* why the row has no numbers, naming the file;
                             * NULL when there is nothing to say */
    /* The rest is meaningful only for CNN_TABLE_COMPLETE. */
    double train, val, test; /* accuracy (%) of the selected epoch */
    int selected_epoch, epochs_run;
    long parameters;
    /* Accuracy (%) at settings.epochs[i]; NAN past the last epoch. */
    double epoch_train[CNN_TABLE_EPOCHS_MAX];
    double epoch_val[CNN_TABLE_EPOCHS_MAX];
    int seconds_count;       /* epochs in epoch-seconds.csv */
    double seconds_mean, seconds_std; /* std: sample (n - 1); 0 for n = 1 */
    double *seconds;         /* each epoch's wall time (seconds_count) */
    /* One seed's run only: metrics.csv per epoch, for the curves across
     * seeds (CNN_TABLE_HISTORY_* columns, history_count epochs). */
    int history_count;
    double *history[4];
    /* With table.compare: this seed's test accuracy minus the reference
     * variant's of the same seed; NAN when either is missing. */
    double test_difference;
};

enum { CNN_TABLE_HISTORY_TRAIN_LOSS, CNN_TABLE_HISTORY_VAL_LOSS,
       CNN_TABLE_HISTORY_TRAIN_ACCURACY, CNN_TABLE_HISTORY_VAL_ACCURACY };

/* A variant's test accuracy against the reference variant's
 * (table.compare), computed by cnn_table_compare. */
enum cnn_table_compare_kind {
    CNN_TABLE_COMPARE_NONE,      /* no table.compare */
    CNN_TABLE_COMPARE_REFERENCE, /* the reference itself */
    CNN_TABLE_COMPARE_INTERVAL,  /* two or more paired seeds */
    CNN_TABLE_COMPARE_MCNEMAR,   /* one paired seed, both predictions */
    CNN_TABLE_COMPARE_NOT_POSSIBLE, /* `why` says why */
};

struct cnn_table_comparison {
    enum cnn_table_compare_kind kind;
    /* INTERVAL: the paired differences (per seed, this - reference) and
     * their 95 % interval; MCNEMAR: n = 1 and mean = the one difference. */
    struct cnn_paired_interval interval;
    long only_reference, only_variant; /* MCNEMAR: discordant images */
    double p;                          /* MCNEMAR: two-sided exact p */
    int marked;   /* the interval excludes 0, or p < 0.05 */
    char why[96]; /* NOT_POSSIBLE: short, for a table cell */
};

/* With seeds: one variant's runs (rows first .. first + count - 1)
 * summarised over its complete ones (n of them). */
struct cnn_table_summary {
    const char *variant;    /* the rows' */
    int first, count, n;
    long parameters;        /* -1 when no run is complete */
    double mean[3], std[3]; /* train, val, test (%); std NAN for n < 2 */
    /* At settings.epochs[i]: NAN when a complete run lacks the epoch. */
    double epoch_mean[2][CNN_TABLE_EPOCHS_MAX];
    double epoch_std[2][CNN_TABLE_EPOCHS_MAX];
    /* Every epoch of every complete run, pooled. */
    int seconds_count;
    double seconds_mean, seconds_std; /* std NAN for fewer than 2 */
    struct cnn_table_comparison compare;
};

struct cnn_table {
    char *directory;        /* results/<experiment> */
    char *experiment;       /* its name (the directory's base name) */
    struct cnn_table_settings settings;
    int row_count;
    struct cnn_table_row *rows;
    /* With seeds (cnn_table_has_seeds): one per variant, in row order. */
    int summary_count;
    struct cnn_table_summary *summaries;
};

/* Reads results/<experiment>/ as the header above says. A variant whose
 * files are missing or corrupt becomes a row with a status and a note,
 * never an error; an unreadable experiment.yaml or a directory with no
 * variants is an error. */
int cnn_table_read(struct cnn_table *table, const char *directory,
                   struct cnn_error *err);

/* Fills one row from <table->directory>/<row->path>/ (run.json,
 * metrics.csv and epoch-seconds.csv as the settings need). */
int cnn_table_read_row(const struct cnn_table *table,
                       struct cnn_table_row *row, struct cnn_error *err);

/* Writes <out_directory>/<manifest name>/experiment.yaml: the manifest's
 * path, every variant in manifest order with the digest of its resolved
 * manifest, and the resolved `table:` settings. `manifest` must hold
 * every variant (load it again when --variant kept only one). */
int cnn_table_write_experiment(const struct cnn_manifest *manifest,
                               const char *out_directory,
                               struct cnn_error *err);

/* With seeds: fills table->summaries from the rows (table_summary.c),
 * then each summary's comparison (table_compare.c). cnn_table_read calls
 * both. */
int cnn_table_summarise(struct cnn_table *table, struct cnn_error *err);
int cnn_table_compare(struct cnn_table *table, struct cnn_error *err);

/* The summary's status for people: "complete", "2 of 3 seeds", or the
 * status its runs share when none is complete ("not run"). */
void cnn_table_summary_status(const struct cnn_table *table,
                              const struct cnn_table_summary *summary,
                              char *text, size_t size);

/* Writes table.md, table.tex and table.csv into table->directory, each
 * atomically. */
int cnn_table_write(const struct cnn_table *table, struct cnn_error *err);

/* The row's name for people: "V", or "V (seed S)". */
void cnn_table_row_label(const struct cnn_table_row *row, char *text,
                         size_t size);

/* 1 when some row is one seed's run (the table has a seed column). */
int cnn_table_has_seeds(const struct cnn_table *table);

/* "complete", "failed", "not run", ... */
const char *cnn_table_status_name(enum cnn_table_status status);

int cnn_table_digest(const struct cnn_node *resolved,
                     char digest[CNN_TABLE_DIGEST_SIZE],
                     struct cnn_error *err);
/* The fingerprint with `table:`, as experiment.yaml files written before
 * `table:` was left out hold it. */
int cnn_table_digest_whole(const struct cnn_node *resolved,
                           char digest[CNN_TABLE_DIGEST_SIZE],
                           struct cnn_error *err);

/* The text of table.md and table.tex, written to `out` (the report
 * document puts them in its own files); -1 when out of memory. */
int cnn_table_format_markdown(const struct cnn_table *table, FILE *out);
int cnn_table_format_latex(const struct cnn_table *table, FILE *out);

void cnn_table_free(struct cnn_table *table);

#endif
