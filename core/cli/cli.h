/* cnnlab — the command's subcommands (main.c parses, these act). Exit
 * statuses: 0 ok, 1 a run failed, 2 usage or manifest error, 130
 * interrupted. */
#ifndef CNNLAB_CLI_H
#define CNNLAB_CLI_H

#include "cnnlab/registry.h"

enum {
    CNN_EXIT_OK = 0,
    CNN_EXIT_RUN_FAILED = 1,
    CNN_EXIT_USAGE = 2,
    CNN_EXIT_INTERRUPTED = 130,
};

struct cnn_cli_options {
    const char *manifest;
    const char *profile;
    const char *variant;
    const char *seed;    /* --seed S: only that seed's runs (as given) */
    const char *out_directory;
    const char **overrides;
    int override_count;
    int force;
    int quiet;
    int resume;     /* run: continue interrupted runs (--resume) */
    int json;       /* run: events as JSON lines on stdout (--json) */
    /* run's executors (sweep.h) */
    int jobs;                     /* --jobs N; 0 when not given */
    const char *executor;         /* --executor local|slurm; NULL: local */
    const char **slurm_options;   /* each --slurm-opt, in order */
    int slurm_option_count;
    int dry_run;                  /* --dry-run: print the batch scripts */
    int no_table;                 /* --no-table: leave the tables alone */
    int markdown;                 /* plugins: as docs/reference.md */
};

/* Prints the error as "cnnlab: file:line:col: message". */
void cnn_cli_report(const struct cnn_error *err);

int cnn_cli_run(struct cnn_registry *registry,
                const struct cnn_cli_options *options);
int cnn_cli_check(struct cnn_registry *registry,
                  const struct cnn_cli_options *options);
int cnn_cli_plugins(const struct cnn_registry *registry);
/* `cnnlab plugins --markdown`: every component's keys as Markdown (the
 * text of docs/reference.md). */
int cnn_cli_plugins_markdown(const struct cnn_registry *registry);
int cnn_cli_summary(struct cnn_registry *registry,
                    const struct cnn_cli_options *options);
/* `cnnlab rf MANIFEST`: each variant's receptive fields per layer. */
int cnn_cli_rf(struct cnn_registry *registry,
               const struct cnn_cli_options *options);
/* `cnnlab analyse MANIFEST`: reruns the manifest's analyses on each
 * variant's existing results, training nothing. */
int cnn_cli_analyse(struct cnn_registry *registry,
                    const struct cnn_cli_options *options);
/* `cnnlab compare RUN RUN` (argv as main got it): what differs between
 * two run directories, manifest and metrics, as Markdown. */
int cnn_cli_compare(int argc, char **argv);
/* `cnnlab report [RESULTS_DIR] [--out DIR] [--no-pdf]` (argv as main got
 * it): one document of every experiment (report/report.h). */
int cnn_cli_report_document(int argc, char **argv);
/* `cnnlab table DIR...` (argv as main got it). */
int cnn_cli_table(int argc, char **argv);
/* For a table with seeds: every variant's curves across seeds,
 * <variant>/curves-{loss,accuracy}.{png,svg} (cli_curves.c). */
struct cnn_table;
int cnn_cli_draw_seed_curves(const struct cnn_table *table,
                             struct cnn_error *err);
/* `cnnlab eval MANIFEST --weights FILE [--split S] ...` (argv as main got
 * it): evaluates a weights file on one split, training nothing. */
int cnn_cli_eval(int argc, char **argv);
/* After `run`: rewrites results/<experiment>/experiment.yaml and the
 * tables; prints what it wrote, or the error (returns -1). */
struct cnn_manifest;
int cnn_cli_update_tables(const struct cnn_cli_options *options,
                          const struct cnn_manifest *manifest);

/* The value of option `name` at argv[*i], given as "--name VALUE" (then
 * *i moves past it) or "--name=VALUE": 1 taken, 0 argv[*i] is another
 * argument, -1 no value follows. */
int cnn_cli_option_value(int argc, char **argv, int *i, const char *name,
                         const char **value);

#endif
