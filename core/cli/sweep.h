/* cnnlab — `cnnlab run` beyond one process. `--jobs N` runs the variants
 * in N worker processes on this machine (sweep_local.c); `--executor
 * slurm` submits them as one Slurm job array and a dependent job that
 * writes the table (sweep_slurm.c). Both run each variant as `cnnlab run
 * MANIFEST --variant V` with the same profile, overrides and results
 * directory, so a variant's results are the same whichever runs it, and
 * both leave out the variants whose results are complete already. */
#ifndef CNNLAB_SWEEP_H
#define CNNLAB_SWEEP_H

#include "cli/cli.h"
#include "config/manifest.h"

/* The most worker processes (and Slurm tasks at once) --jobs asks for. */
#define CNN_SWEEP_JOBS_MAX 1024

/* Takes run's executor options at argv[*i] (--jobs, --executor,
 * --slurm-opt, --dry-run, --no-table): 1 taken, 0 argv[*i] is none of
 * them, -1 a usage error, already printed. */
int cnn_cli_sweep_option(int argc, char **argv, int *i,
                         struct cnn_cli_options *options);

/* After parsing: options that do not go together (--dry-run without
 * slurm, ...) are a usage error, printed; returns -1 then, else 0. */
int cnn_sweep_check_options(const struct cnn_cli_options *options);

/* 1 when the variants should run outside this process. */
int cnn_sweep_wanted(const struct cnn_cli_options *options);

/* Run the manifest's runs (validated already) as the options say and
 * return the command's exit status. */
int cnn_sweep_run_local(const struct cnn_cli_options *options,
                        const struct cnn_manifest *manifest);
int cnn_sweep_submit_slurm(const struct cnn_cli_options *options,
                           const struct cnn_manifest *manifest);

/* The runs a sweep runs (a variant, or one seed of it with `seeds:`):
 * all of them with --force, else those without complete results for
 * exactly their resolved manifest. */
struct cnn_sweep_plan {
    int count;
    int *variants;        /* indices into manifest->variants, in order */
    int *complete;        /* per manifest run: 1 when skipped */
};

int cnn_sweep_plan_make(struct cnn_sweep_plan *plan,
                        const struct cnn_cli_options *options,
                        const struct cnn_manifest *manifest,
                        struct cnn_error *err);
void cnn_sweep_plan_free(struct cnn_sweep_plan *plan);

/* The planned run whose weights run `v` starts from (`model: {weights:
 * {variant: V}}`, the same seed), which must be complete before `v`
 * starts; -1 when it starts from none or from one the plan leaves out
 * (complete already). Indices into manifest->variants. */
int cnn_sweep_plan_dependency(const struct cnn_manifest *manifest,
                              const struct cnn_sweep_plan *plan, int v);

/* "<out>/<experiment>/<variant>", or "<out>/<experiment>" for a NULL
 * variant; malloc'd, NULL when out of memory. */
char *cnn_sweep_directory(const struct cnn_cli_options *options,
                          const struct cnn_manifest *manifest,
                          const char *variant);

/* The argument vector of a worker, NULL-terminated and malloc'd (the
 * strings are the options' own): `PROGRAM run MANIFEST --variant V
 * [--seed S] --no-table --out D [--profile P] [--force] [--resume]
 * [--quiet] [KEY=VALUE ...]`; `seed` NULL for a manifest without seeds.
 * NULL when out of memory. */
char **cnn_sweep_worker_argv(const char *program,
                             const struct cnn_cli_options *options,
                             const char *variant, const char *seed);

/* The path of the running cnnlab. With `for_scripts`, the libtool wrapper
 * of an uninstalled build rather than the binary it runs, since a batch
 * job does not get the library path the wrapper sets. */
int cnn_sweep_program(char *path, size_t size, int for_scripts,
                      struct cnn_error *err);

#endif
