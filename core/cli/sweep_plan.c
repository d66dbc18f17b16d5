/* cnnlab — what both executors share: which runs (variants, or with
 * `seeds:` a variant's seeds) to run, how a worker is invoked, and where
 * this cnnlab lives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run_dir.h"
#include "cli/sweep.h"

char *cnn_sweep_directory(const struct cnn_cli_options *options,
                          const struct cnn_manifest *manifest,
                          const char *variant)
{
    size_t size = strlen(options->out_directory) + strlen(manifest->name) +
                  (variant ? strlen(variant) : 0) + 3;
    char *path = malloc(size);
    if (!path)
        return NULL;
    if (variant)
        snprintf(path, size, "%s/%s/%s", options->out_directory,
                 manifest->name, variant);
    else
        snprintf(path, size, "%s/%s", options->out_directory, manifest->name);
    return path;
}

int cnn_sweep_plan_make(struct cnn_sweep_plan *plan,
                        const struct cnn_cli_options *options,
                        const struct cnn_manifest *manifest,
                        struct cnn_error *err)
{
    int n = manifest->variant_count;
    plan->count = 0;
    plan->variants = calloc((size_t)n + 1, sizeof *plan->variants);
    plan->complete = calloc((size_t)n + 1, sizeof *plan->complete);
    if (!plan->variants || !plan->complete) {
        cnn_sweep_plan_free(plan);
        return cnn_error_set(err, "out of memory planning %d variants", n);
    }
    for (int i = 0; i < n; i++) {
        /* The same test the runner makes, so that a worker is started
         * only for a variant with work to do. */
        if (!options->force) {
            char *directory = cnn_sweep_directory(options, manifest,
                                                  manifest->variants[i].path);
            if (!directory) {
                cnn_sweep_plan_free(plan);
                return cnn_error_set(err, "out of memory");
            }
            plan->complete[i] = cnn_run_dir_is_complete(
                directory, manifest->variants[i].resolved);
            free(directory);
        }
        /* A variant whose starting weights' variant trains again may
         * start from other weights: its worker waits for them, and skips
         * the run if they come out the same bytes (run.json's
         * start_weights). Sources are listed first, so they are planned
         * by now. */
        if (plan->complete[i] &&
            cnn_sweep_plan_dependency(manifest, plan, i) >= 0)
            plan->complete[i] = 0;
        if (!plan->complete[i])
            plan->variants[plan->count++] = i;
    }
    return 0;
}

void cnn_sweep_plan_free(struct cnn_sweep_plan *plan)
{
    free(plan->variants);
    free(plan->complete);
    plan->variants = NULL;
    plan->complete = NULL;
    plan->count = 0;
}

int cnn_sweep_plan_dependency(const struct cnn_manifest *manifest,
                              const struct cnn_sweep_plan *plan, int v)
{
    const struct cnn_model_source *source = manifest->variants[v].source;
    if (!source || !source->sibling)
        return -1;
    for (int k = 0; k < plan->count; k++)
        if (strcmp(manifest->variants[plan->variants[k]].path,
                   source->run) == 0)
            return plan->variants[k];
    return -1;
}

char **cnn_sweep_worker_argv(const char *program,
                             const struct cnn_cli_options *options,
                             const char *variant, const char *seed)
{
    /* program run MANIFEST --variant V --seed S --no-table --out D
     * --profile P --force --resume --quiet, the overrides, NULL */
    size_t size = 16 + (size_t)options->override_count;
    const char **argv = calloc(size, sizeof *argv);
    if (!argv)
        return NULL;
    size_t n = 0;
    argv[n++] = program;
    argv[n++] = "run";
    argv[n++] = options->manifest;
    argv[n++] = "--variant";
    argv[n++] = variant;
    if (seed) {
        argv[n++] = "--seed";
        argv[n++] = seed;
    }
    /* The executor writes the table once the variants are done; workers
     * writing it at the same time would only race. */
    argv[n++] = "--no-table";
    argv[n++] = "--out";
    argv[n++] = options->out_directory;
    if (options->profile) {
        argv[n++] = "--profile";
        argv[n++] = options->profile;
    }
    if (options->force)
        argv[n++] = "--force";
    if (options->resume)
        argv[n++] = "--resume";
    if (options->quiet)
        argv[n++] = "--quiet";
    for (int i = 0; i < options->override_count; i++)
        argv[n++] = options->overrides[i];
    argv[n] = NULL;
    /* exec takes char *const[]; nothing here is ever written through. */
    return (char **)argv;
}

static int ends_with(const char *text, const char *suffix)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    return length >= suffix_length &&
           strcmp(text + length - suffix_length, suffix) == 0;
}

int cnn_sweep_program(char *path, size_t size, int for_scripts,
                      struct cnn_error *err)
{
    ssize_t length = readlink("/proc/self/exe", path, size - 1);
    if (length < 0)
        return cnn_error_set(err, "cannot find the cnnlab program to run "
                                  "the variants with (/proc/self/exe: %s)",
                             strerror(errno));
    if ((size_t)length >= size - 1)
        return cnn_error_set(err, "the cnnlab program's path is longer "
                                  "than %zu bytes", size - 2);
    path[length] = '\0';
    if (!for_scripts)
        return 0;
    /* An uninstalled build runs <build>/.libs/cnnlab (or lt-cnnlab)
     * through the libtool wrapper <build>/cnnlab, which sets the library
     * path; a batch job must start from the wrapper. */
    static const char *const binaries[] = {"/.libs/cnnlab",
                                           "/.libs/lt-cnnlab"};
    for (int i = 0; i < 2; i++) {
        if (!ends_with(path, binaries[i]))
            continue;
        char wrapper[4096];
        int prefix = (int)(strlen(path) - strlen(binaries[i]));
        snprintf(wrapper, sizeof wrapper, "%.*s/cnnlab", prefix, path);
        if (access(wrapper, X_OK) == 0 && strlen(wrapper) < size)
            snprintf(path, size, "%s", wrapper);
        break;
    }
    return 0;
}
