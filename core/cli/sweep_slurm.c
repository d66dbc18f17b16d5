/* cnnlab — `cnnlab run M --executor slurm`: one sbatch job array, a task
 * per variant that still needs running (with `seeds:`, per variant and
 * seed), each task `cnnlab run M --variant V [--seed S]` into the shared
 * results directory; and a job that depends
 * on the array (afterany: it runs however the tasks end) and writes the
 * table with `cnnlab table`. The scripts are kept in
 * <out>/<experiment>/slurm/ beside the tasks' logs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cnnlab/atomic_file.h"
#include "cli/cli_signals.h"
#include "cli/sweep.h"

struct text {
    char *data;
    size_t length, capacity;
    int failed;            /* out of memory: data is incomplete */
};

static void add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->failed || need < 0) {
        t->failed = 1;
        return;
    }
    if (t->length + (size_t)need + 1 > t->capacity) {
        size_t capacity = (t->length + (size_t)need + 1) * 2;
        char *data = realloc(t->data, capacity);
        if (!data) {
            t->failed = 1;
            return;
        }
        t->data = data;
        t->capacity = capacity;
    }
    va_start(ap, fmt);
    vsnprintf(t->data + t->length, t->capacity - t->length, fmt, ap);
    va_end(ap);
    t->length += (size_t)need;
}

/* One shell word: single quotes, each ' written as '\''. */
static void add_quoted(struct text *t, const char *word)
{
    add(t, "'");
    for (const char *c = word; *c; c++) {
        if (*c == '\'')
            add(t, "'\\''");
        else
            add(t, "%c", *c);
    }
    add(t, "'");
}

/* Where the scripts run and write, absolute: a batch job may start
 * elsewhere. */
struct places {
    char cwd[4096];
    char program[4096];
    char *experiment_dir;  /* <out>/<experiment> as given */
    char *log_dir;         /* absolute <out>/<experiment>/slurm */
};

static int find_places(struct places *p, const struct cnn_cli_options *options,
                       const struct cnn_manifest *manifest,
                       struct cnn_error *err)
{
    if (!getcwd(p->cwd, sizeof p->cwd))
        return cnn_error_set(err, "cannot read the current directory: %s",
                             strerror(errno));
    if (cnn_sweep_program(p->program, sizeof p->program, 1, err) < 0)
        return -1;
    p->experiment_dir = cnn_sweep_directory(options, manifest, NULL);
    size_t size = strlen(p->cwd) + (p->experiment_dir
                                        ? strlen(p->experiment_dir) : 0) +
                  sizeof "//slurm";
    p->log_dir = malloc(size);
    if (!p->experiment_dir || !p->log_dir)
        return cnn_error_set(err, "out of memory");
    if (p->experiment_dir[0] == '/')
        snprintf(p->log_dir, size, "%s/slurm", p->experiment_dir);
    else
        snprintf(p->log_dir, size, "%s/%s/slurm", p->cwd, p->experiment_dir);
    /* The scripts' --output lines hold it in 4200 bytes; cut, it would
     * name another folder. */
    if (strlen(p->log_dir) > 4096)
        return cnn_error_set(err,
                             "the log directory '%.200s...' is %zu bytes "
                             "long; sbatch's --output takes up to 4096 here: "
                             "use a shorter --out",
                             p->log_dir, strlen(p->log_dir));
    /* #SBATCH lines are not shell: no quoting, and % starts a pattern. */
    if (strpbrk(p->log_dir, " \t%'\"\\"))
        return cnn_error_set(err,
                             "the log directory '%s' has a space, quote, "
                             "backslash or %%, which sbatch's --output "
                             "cannot take: give --out a plainer path",
                             p->log_dir);
    return 0;
}

/* The worker's variant (and seed) in the array script: each task's own. */
static const char variant_word[] = "$variant";
static const char seed_word[] = "$seed";

/* `array`: the --array value, or NULL. */
static void add_header(struct text *t, const struct cnn_cli_options *options,
                       const char *job_name, const char *array,
                       const char *output)
{
    add(t, "#!/bin/sh\n#SBATCH --job-name=%s\n", job_name);
    if (array)
        add(t, "#SBATCH --array=%s\n", array);
    add(t, "#SBATCH --output=%s\n", output);
    /* After cnnlab's own lines, so that the user's win. */
    for (int i = 0; i < options->slurm_option_count; i++)
        add(t, "#SBATCH %s\n", options->slurm_options[i]);
}

static void array_script(struct text *t, const struct cnn_cli_options *options,
                         const struct cnn_manifest *manifest,
                         const struct cnn_sweep_plan *plan,
                         const struct places *p, char **argv)
{
    char job_name[600], array[64], output[4200];
    snprintf(job_name, sizeof job_name, "cnnlab-%s", manifest->name);
    /* --jobs N: at most N tasks at once. */
    if (options->jobs > 0)
        snprintf(array, sizeof array, "0-%d%%%d", plan->count - 1,
                 options->jobs);
    else
        snprintf(array, sizeof array, "0-%d", plan->count - 1);
    snprintf(output, sizeof output, "%s/%%A_%%a.out", p->log_dir);
    add_header(t, options, job_name, array, output);
    int seeded = manifest->seed_count > 0;
    if (seeded)
        add(t, "# Written by `cnnlab run --executor slurm`: one array task "
               "per variant and seed\n# of %s, each `cnnlab run --variant V "
               "--seed S` into the shared results\n# directory.\n",
            manifest->name);
    else
        add(t, "# Written by `cnnlab run --executor slurm`: one array task "
               "per variant of\n# %s, each `cnnlab run --variant V` into "
               "the shared results directory.\n", manifest->name);
    add(t, "cd ");
    add_quoted(t, p->cwd);
    add(t, " || exit 1\ncase \"${SLURM_ARRAY_TASK_ID:-}\" in\n");
    for (int k = 0; k < plan->count; k++) {
        const struct cnn_variant *run = &manifest->variants[plan->variants[k]];
        if (seeded)
            add(t, "%d) variant=%s seed=%llu ;;\n", k, run->name,
                (unsigned long long)run->seed);
        else
            add(t, "%d) variant=%s ;;\n", k, run->name);
    }
    add(t, "*) echo \"cnnlab: array task '${SLURM_ARRAY_TASK_ID:-}' has no "
           "variant\" >&2; exit 2 ;;\nesac\n");
    if (seeded)
        add(t, "echo \"cnnlab: array task $SLURM_ARRAY_TASK_ID runs variant "
               "$variant, seed $seed\"\n");
    else
        add(t, "echo \"cnnlab: array task $SLURM_ARRAY_TASK_ID runs variant "
               "$variant\"\n");
    add(t, "# A manifest that leaves `threads` at 0 uses the CPUs of the "
           "task.\nCNNLAB_THREADS=\"${SLURM_CPUS_PER_TASK:-${CNNLAB_THREADS:"
           "-$(nproc)}}\"\nexport CNNLAB_THREADS\nexec");
    for (int i = 0; argv[i]; i++) {
        add(t, " ");
        if (argv[i] == variant_word || argv[i] == seed_word)
            add(t, "\"%s\"", argv[i]);
        else
            add_quoted(t, argv[i]);
    }
    add(t, "\n");
}

static void table_script(struct text *t, const struct cnn_cli_options *options,
                         const struct cnn_manifest *manifest,
                         const struct places *p)
{
    char job_name[600], output[4200];
    snprintf(job_name, sizeof job_name, "cnnlab-%s-table", manifest->name);
    snprintf(output, sizeof output, "%s/table-%%j.out", p->log_dir);
    add_header(t, options, job_name, NULL, output);
    add(t, "# Written by `cnnlab run --executor slurm`: the table of %s "
           "once its array\n# job has ended, however its tasks ended.\ncd ",
        manifest->name);
    add_quoted(t, p->cwd);
    add(t, " || exit 1\nexec ");
    add_quoted(t, p->program);
    add(t, " table ");
    add_quoted(t, p->experiment_dir);
    add(t, "\n");
}

static int make_directories(char *path, struct cnn_error *err)
{
    for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash)
            *slash = '\0';
        int failed = mkdir(path, 0777) < 0 && errno != EEXIST;
        int error = errno;
        if (slash)
            *slash = '/';
        if (failed)
            return cnn_error_set(err, "cannot make the directory '%s': %s",
                                 path, strerror(error));
        if (!slash)
            return 0;
    }
}

/* Runs sbatch ARGS... and reads the job id `--parsable` prints ("12" or
 * "12;cluster"); sbatch's own messages go to stderr as they are. */
static int sbatch(char *const argv[], long *job, struct cnn_error *err)
{
    int fds[2];
    if (pipe(fds) < 0)
        return cnn_error_set(err, "cannot run sbatch: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return cnn_error_set(err, "cannot run sbatch: %s", strerror(errno));
    }
    if (pid == 0) {
        cnn_cli_signals_child();
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        execvp("sbatch", argv);
        _exit(127);
    }
    close(fds[1]);
    char output[256];
    size_t length = 0;
    ssize_t got;
    while ((got = read(fds[0], output + length, sizeof output - 1 - length)) >
               0 ||
           (got < 0 && errno == EINTR))
        length += got > 0 ? (size_t)got : 0;
    close(fds[0]);
    output[length] = '\0';
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return cnn_error_set(err, "sbatch is not on PATH: run this on a "
                                  "machine that submits Slurm jobs (Debian: "
                                  "apt-get install slurm-client)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return cnn_error_set(err, "sbatch failed (exit status %d): see its "
                                  "message above",
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    char *end;
    errno = 0;
    *job = strtol(output, &end, 10);
    if (errno != 0 || end == output || *job <= 0 ||
        (*end != '\0' && *end != ';' && *end != '\n'))
        return cnn_error_set(err, "sbatch printed '%.100s', not a job id",
                             output);
    return 0;
}

static int write_script(const char *directory, const char *file,
                        const struct text *t, char *path, size_t size,
                        struct cnn_error *err)
{
    snprintf(path, size, "%s/%s", directory, file);
    if (cnn_atomic_write(path, t->data, t->length, err) < 0)
        return -1;
    chmod(path, 0755);
    return 0;
}

static int submit(const struct cnn_cli_options *options,
                  const struct cnn_manifest *manifest,
                  const struct cnn_sweep_plan *plan, struct places *p,
                  const struct text *array, const struct text *table,
                  struct cnn_error *err)
{
    char array_path[4200], table_path[4200], dependency[64];
    long array_job = 0, table_job = 0;
    if (make_directories(p->log_dir, err) < 0 ||
        write_script(p->log_dir, "array.sh", array, array_path,
                     sizeof array_path, err) < 0 ||
        write_script(p->log_dir, "table.sh", table, table_path,
                     sizeof table_path, err) < 0)
        return -1;
    /* experiment.yaml before any task: the table job reads the variants'
     * order and digests from it. */
    if (!options->no_table && cnn_cli_update_tables(options, manifest) < 0)
        return cnn_error_set(err, "nothing was submitted");
    char *array_argv[] = {"sbatch", "--parsable", array_path, NULL};
    if (sbatch(array_argv, &array_job, err) < 0)
        return -1;
    printf("cnnlab: submitted job array %ld: %d task%s, one per variant%s (",
           array_job, plan->count, plan->count == 1 ? "" : "s",
           manifest->seed_count ? " and seed" : "");
    for (int k = 0; k < plan->count; k++)
        printf("%s%d %s", k ? ", " : "", k,
               manifest->variants[plan->variants[k]].path);
    printf("), logs in %s/%ld_<task>.out\n", p->log_dir, array_job);
    if (options->no_table) {
        fflush(stdout);
        return 0;
    }
    snprintf(dependency, sizeof dependency, "--dependency=afterany:%ld",
             array_job);
    char *table_argv[] = {"sbatch", "--parsable", dependency, table_path,
                          NULL};
    if (sbatch(table_argv, &table_job, err) < 0)
        return cnn_error_prefix(err, "the array is submitted, but not the "
                                     "job that writes the table (run `cnnlab "
                                     "table %s` when the array ends): ",
                                p->experiment_dir);
    printf("cnnlab: job %ld writes %s/table.md when the array ends; watch "
           "them with `squeue -j %ld,%ld`\n",
           table_job, p->experiment_dir, array_job, table_job);
    fflush(stdout);
    return 0;
}

/* A Slurm array starts its tasks in any order, at once: a run that
 * starts from another planned run's weights would find them missing and
 * train them itself, beside the task that does. Such a plan is refused,
 * saying what to submit first. 0: none. */
static int dependent_runs(const struct cnn_cli_options *options,
                          const struct cnn_manifest *manifest,
                          const struct cnn_sweep_plan *plan)
{
    for (int k = 0; k < plan->count; k++) {
        int v = plan->variants[k];
        int d = cnn_sweep_plan_dependency(manifest, plan, v);
        if (d < 0)
            continue;
        fprintf(stderr,
                "cnnlab: %s starts from the weights of %s, which this "
                "array would train at the same time: submit variant %s "
                "first (`cnnlab run %s --variant %s --executor slurm%s%s`), "
                "then the rest once it is complete (complete runs are left "
                "out), or run them with --jobs N, which waits for it\n",
                manifest->variants[v].path, manifest->variants[d].path,
                manifest->variants[d].name, options->manifest,
                manifest->variants[d].name, options->profile ? " --profile "
                                                            : "",
                options->profile ? options->profile : "");
        return 1;
    }
    return 0;
}

int cnn_sweep_submit_slurm(const struct cnn_cli_options *options,
                           const struct cnn_manifest *manifest)
{
    struct cnn_error err = {0};
    struct cnn_sweep_plan plan = {0};
    struct places p = {0};
    struct text array = {0}, table = {0};
    char **argv = NULL;
    int status = CNN_EXIT_OK;
    if (find_places(&p, options, manifest, &err) < 0 ||
        cnn_sweep_plan_make(&plan, options, manifest, &err) < 0) {
        cnn_cli_report(&err);
        status = CNN_EXIT_RUN_FAILED;
    } else if (dependent_runs(options, manifest, &plan)) {
        status = CNN_EXIT_USAGE;
    } else if (plan.count == 0) {
        fprintf(stderr, "cnnlab: every %s of %s has complete results in "
                        "%s: nothing to submit (--force reruns them)\n",
                manifest->seed_count ? "run" : "variant", manifest->name,
                p.experiment_dir);
        if (!options->dry_run && !options->no_table &&
            cnn_cli_update_tables(options, manifest) < 0)
            status = CNN_EXIT_RUN_FAILED;
    } else {
        argv = cnn_sweep_worker_argv(p.program, options, variant_word,
                                     manifest->seed_count ? seed_word
                                                          : NULL);
        if (argv)
            array_script(&array, options, manifest, &plan, &p, argv);
        table_script(&table, options, manifest, &p);
        if (!argv || array.failed || table.failed) {
            fprintf(stderr, "cnnlab: out of memory writing the batch "
                            "scripts\n");
            status = CNN_EXIT_RUN_FAILED;
        } else if (options->dry_run) {
            printf("# sbatch --parsable %s/array.sh\n%s", p.log_dir,
                   array.data);
            if (!options->no_table)
                printf("# sbatch --parsable --dependency=afterany:<the "
                       "array's job id> %s/table.sh\n%s",
                       p.log_dir, table.data);
        } else if (submit(options, manifest, &plan, &p, &array, &table,
                          &err) < 0) {
            cnn_cli_report(&err);
            status = CNN_EXIT_RUN_FAILED;
        }
    }
    free(argv);
    free(array.data);
    free(table.data);
    free(p.experiment_dir);
    free(p.log_dir);
    cnn_sweep_plan_free(&plan);
    return status;
}
