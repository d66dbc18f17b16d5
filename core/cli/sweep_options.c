/* cnnlab — run's executor options: --jobs, --executor, --slurm-opt,
 * --dry-run and --no-table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sweep.h"

static int usage(const char *fmt, const char *detail)
{
    fprintf(stderr, "cnnlab: ");
    fprintf(stderr, fmt, detail);
    fprintf(stderr, "\nTry 'cnnlab --help'.\n");
    return -1;
}

static int parse_jobs(const char *text, int *jobs)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 1 ||
        value > CNN_SWEEP_JOBS_MAX)
        return usage("--jobs needs a number of worker processes from 1 to "
                     "1024, got '%s'",
                     text);
    *jobs = (int)value;
    return 0;
}

/* One sbatch option for both batch scripts, as "#SBATCH VALUE". */
static int add_slurm_option(int argc, const char *value,
                            struct cnn_cli_options *options)
{
    if (value[0] != '-' || strpbrk(value, "\n\r"))
        return usage("--slurm-opt takes one sbatch option on one line, "
                     "e.g. --slurm-opt=--partition=gpu, got '%s'",
                     value);
    /* The array is one task per variant: that is cnnlab's to say. */
    if (strncmp(value, "--array", 7) == 0 || strncmp(value, "-a", 2) == 0)
        return usage("--slurm-opt='%s': cnnlab makes the array, one task "
                     "per variant; choose variants with --variant and "
                     "limit the tasks running at once with --jobs N",
                     value);
    if (!options->slurm_options) {
        /* Never more than the arguments. */
        options->slurm_options = calloc((size_t)argc, sizeof(char *));
        if (!options->slurm_options)
            return usage("%s", "out of memory");
    }
    options->slurm_options[options->slurm_option_count++] = value;
    return 0;
}

int cnn_cli_sweep_option(int argc, char **argv, int *i,
                         struct cnn_cli_options *options)
{
    static const char *const valued[] = {"--jobs", "--executor",
                                         "--slurm-opt"};
    const char *name = NULL, *value = NULL;
    for (int k = 0; k < 3 && !name; k++) {
        int found = cnn_cli_option_value(argc, argv, i, valued[k], &value);
        if (found < 0)
            return usage("option %s needs a value", valued[k]);
        if (found)
            name = valued[k];
    }
    if (!name && (strcmp(argv[*i], "--dry-run") == 0 ||
                  strcmp(argv[*i], "--no-table") == 0))
        name = argv[*i];
    if (!name)
        return 0;
    if (strcmp(argv[1], "run") != 0)
        return usage("%s is an option of `cnnlab run` only", name);
    if (strcmp(name, "--jobs") == 0)
        return parse_jobs(value, &options->jobs) < 0 ? -1 : 1;
    if (strcmp(name, "--executor") == 0) {
        if (strcmp(value, "local") != 0 && strcmp(value, "slurm") != 0)
            return usage("--executor is local (this machine, the default) "
                         "or slurm (a Slurm job array), not '%s'",
                         value);
        options->executor = value;
        return 1;
    }
    if (strcmp(name, "--slurm-opt") == 0)
        return add_slurm_option(argc, value, options) < 0 ? -1 : 1;
    if (strcmp(name, "--dry-run") == 0)
        options->dry_run = 1;
    else
        options->no_table = 1;
    return 1;
}

static int is_slurm(const struct cnn_cli_options *options)
{
    return options->executor && strcmp(options->executor, "slurm") == 0;
}

int cnn_sweep_check_options(const struct cnn_cli_options *options)
{
    if (!is_slurm(options) && options->dry_run)
        return usage("%s", "--dry-run prints the batch script of "
                           "--executor slurm; add --executor slurm");
    if (!is_slurm(options) && options->slurm_option_count > 0)
        return usage("--slurm-opt %s is for --executor slurm; add "
                     "--executor slurm",
                     options->slurm_options[0]);
    return 0;
}

int cnn_sweep_wanted(const struct cnn_cli_options *options)
{
    return is_slurm(options) || options->jobs > 1;
}
