/* cnnlab — `cnnlab run M --jobs N`: the variants in N worker processes
 * on this machine, the cores shared out among them. Each worker is
 * `cnnlab run M --variant V ...` (with `seeds:`, one worker per seed:
 * `--variant V --seed S`), a process of its own, so a crash costs one run
 * only; its progress and errors (stderr) come back a whole line at a
 * time, prefixed "[V] " ("[V/seed-S] "), so the workers' lines never mix
 * mid-line. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/json_input.h"
#include "run/run_dir.h"
#include "cli/cli_signals.h"
#include "cli/sweep.h"

extern char **environ;

struct worker {
    pid_t pid;             /* 0: the slot is free */
    int fd;                /* read end of the worker's stdout and stderr */
    int variant;           /* index into manifest->variants */
    int threads;           /* its CNNLAB_THREADS */
    size_t length;
    char line[4096];       /* the line being received */
};

struct outcome {
    int started;
    int finished;
    int exit_status;       /* as the shell says it: 128 + N for signal N */
    int blocked;           /* not started: the run it starts from failed */
};

/* The cores to share: CNNLAB_THREADS when set (run_config.c has checked
 * it by now), else every online core. */
static int total_threads(void)
{
    const char *text = getenv("CNNLAB_THREADS");
    long value = text ? strtol(text, NULL, 10) : 0;
    if (value < 1)
        value = sysconf(_SC_NPROCESSORS_ONLN);
    return value > 0 ? (int)value : 1;
}

/* This environment with CNNLAB_THREADS=threads: a manifest that leaves
 * `threads` at 0 then takes the worker's share. */
static char **worker_environment(int threads, char *setting, size_t size)
{
    size_t count = 0;
    while (environ[count])
        count++;
    char **envp = calloc(count + 2, sizeof *envp);
    if (!envp)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], "CNNLAB_THREADS=", 15) != 0)
            envp[n++] = environ[i];
    snprintf(setting, size, "CNNLAB_THREADS=%d", threads);
    envp[n++] = setting;
    envp[n] = NULL;
    return envp;
}

static int start_worker(struct worker *worker, const char *program,
                        const struct cnn_cli_options *options,
                        const struct cnn_variant *variant,
                        struct cnn_error *err)
{
    char setting[64], seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)variant->seed);
    char **argv = cnn_sweep_worker_argv(program, options, variant->name,
                                        variant->repeated ? seed : NULL);
    char **envp = worker_environment(worker->threads, setting,
                                     sizeof setting);
    int fds[2] = {-1, -1};
    /* The worker's stdout is only its one-line summary, which the
     * summary at the end repeats. */
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int status = 0;
    if (!argv || !envp)
        status = cnn_error_set(err, "out of memory starting a worker");
    else if (null_fd < 0 || pipe(fds) < 0 ||
             fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 ||
             fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0)
        status = cnn_error_set(err, "cannot make a pipe for a worker: %s",
                               strerror(errno));
    pid_t pid = status == 0 ? fork() : -1;
    if (status == 0 && pid < 0)
        status = cnn_error_set(err, "cannot start a worker process: %s",
                               strerror(errno));
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        cnn_cli_signals_child();
        dup2(null_fd, STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        execve(program, argv, envp);
        static const char text[] = "cnnlab: the worker could not execute "
                                   "the cnnlab program\n";
        ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
        (void)ignored;
        _exit(127);
    }
    if (fds[1] >= 0)
        close(fds[1]);
    if (null_fd >= 0)
        close(null_fd);
    if (status < 0 && fds[0] >= 0)
        close(fds[0]);
    free(argv);
    free(envp);
    if (status < 0)
        return -1;
    worker->pid = pid;
    worker->fd = fds[0];
    worker->length = 0;
    return 0;
}

static void emit_line(const char *variant, struct worker *worker)
{
    fprintf(stderr, "[%s] %.*s\n", variant, (int)worker->length,
            worker->line);
    worker->length = 0;
}

/* Reads what the worker wrote; 0 at its end (EOF), 1 otherwise. */
static int receive(const char *variant, struct worker *worker)
{
    char chunk[4096];
    ssize_t got = read(worker->fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR)
        return 1;
    if (got <= 0)
        return 0;
    for (ssize_t i = 0; i < got; i++) {
        if (chunk[i] == '\n') {
            emit_line(variant, worker);
            continue;
        }
        worker->line[worker->length++] = chunk[i];
        if (worker->length == sizeof worker->line)
            emit_line(variant, worker);
    }
    return 1;
}

static void finish(const char *variant, struct worker *worker,
                   struct outcome *outcome, int quiet)
{
    if (worker->length > 0)
        emit_line(variant, worker);
    close(worker->fd);
    int status = 0;
    while (waitpid(worker->pid, &status, 0) < 0 && errno == EINTR)
        continue;
    if (WIFEXITED(status))
        outcome->exit_status = WEXITSTATUS(status);
    else
        outcome->exit_status = 128 + (WIFSIGNALED(status)
                                          ? WTERMSIG(status) : 0);
    if (WIFSIGNALED(status))
        fprintf(stderr, "[%s] the worker was killed by signal %d\n", variant,
                WTERMSIG(status));
    else if (outcome->exit_status != 0)
        fprintf(stderr, "[%s] the worker ended with exit status %d\n",
                variant, outcome->exit_status);
    else if (!quiet)
        fprintf(stderr, "[%s] done\n", variant);
    outcome->finished = 1;
    worker->pid = 0;
    worker->fd = -1;
}

/* The next planned run that may start: in plan order, the first not yet
 * started whose starting weights are trained (its sibling finished
 * well). A run whose sibling failed is never started; it is reported
 * once, here. -1: none may start now. */
static int next_run(const struct cnn_manifest *manifest,
                    const struct cnn_sweep_plan *plan,
                    struct outcome *outcomes)
{
    for (int k = 0; k < plan->count; k++) {
        int v = plan->variants[k];
        if (outcomes[v].started || outcomes[v].blocked)
            continue;
        int d = cnn_sweep_plan_dependency(manifest, plan, v);
        if (d < 0)
            return v;
        if (outcomes[d].blocked ||
            (outcomes[d].finished && outcomes[d].exit_status != 0)) {
            outcomes[v].blocked = 1;
            fprintf(stderr,
                    "[%s] not run: it starts from the weights of %s, "
                    "which did not complete\n",
                    manifest->variants[v].path, manifest->variants[d].path);
            k = -1; /* what waited on this one is blocked too */
            continue;
        }
        if (!outcomes[d].finished)
            continue; /* waits; a later run may start meanwhile */
        return v;
    }
    return -1;
}

/* Starts workers into free slots, passes their output on and collects
 * them, until every planned variant has run or a stop was asked for. A
 * run that starts from another's weights waits until that one is done. */
static void run_workers(const struct cnn_cli_options *options,
                        const struct cnn_manifest *manifest,
                        const struct cnn_sweep_plan *plan,
                        const char *program, struct worker *workers,
                        int slots, struct outcome *outcomes)
{
    int running = 0, forwarded = 0;
    struct pollfd fds[CNN_SWEEP_JOBS_MAX];
    int slot_of[CNN_SWEEP_JOBS_MAX];
    int next = next_run(manifest, plan, outcomes);
    while (running > 0 || (next >= 0 && !cnn_cli_stop_signal())) {
        for (int s = 0; s < slots && !cnn_cli_stop_signal(); s++) {
            if (workers[s].pid)
                continue;
            int v = next_run(manifest, plan, outcomes);
            if (v < 0)
                break;
            struct cnn_error err = {0};
            workers[s].variant = v;
            outcomes[v].started = 1;
            if (start_worker(&workers[s], program, options,
                             &manifest->variants[v], &err) < 0) {
                cnn_error_prefix(&err, "variant %s: ",
                                 manifest->variants[v].path);
                cnn_cli_report(&err);
                outcomes[v].exit_status = 127;
            } else {
                running++;
            }
        }
        /* Ctrl-C reaches the workers from the terminal; a signal sent to
         * this process alone is passed on, so each saves its state. */
        if (cnn_cli_stop_signal() && !forwarded) {
            for (int s = 0; s < slots; s++)
                if (workers[s].pid)
                    kill(workers[s].pid, cnn_cli_stop_signal());
            forwarded = 1;
        }
        int n = 0;
        for (int s = 0; s < slots; s++)
            if (workers[s].pid) {
                fds[n].fd = workers[s].fd;
                fds[n].events = POLLIN;
                fds[n].revents = 0;
                slot_of[n++] = s;
            }
        if (n == 0)
            continue;
        if (poll(fds, (nfds_t)n, 1000) < 0)
            continue; /* EINTR; a stop is seen within a second */
        for (int k = 0; k < n; k++) {
            struct worker *w = &workers[slot_of[k]];
            const char *name = manifest->variants[w->variant].path;
            if (fds[k].revents && !receive(name, w)) {
                finish(name, w, &outcomes[w->variant], options->quiet);
                running--;
            }
        }
        next = next_run(manifest, plan, outcomes);
    }
}

struct result {
    int complete;          /* complete results of exactly this manifest */
    long parameters;       /* -1: unknown */
    double train, val, test;
};

static void read_result(const char *directory,
                        const struct cnn_variant *variant,
                        struct result *result)
{
    memset(result, 0, sizeof *result);
    result->parameters = -1;
    size_t size = strlen(directory) + sizeof "/run.json";
    char *path = malloc(size);
    json_t *info = NULL;
    if (path) {
        snprintf(path, size, "%s/run.json", directory);
        info = cnn_json_load_regular(path, 0, NULL);
    }
    json_t *parameters = json_object_get(info, "parameters");
    if (json_is_integer(parameters))
        result->parameters = (long)json_integer_value(parameters);
    json_t *numbers = json_object_get(info, "result");
    result->complete =
        numbers && cnn_run_dir_is_complete(directory, variant->resolved);
    result->train = json_number_value(
        json_object_get(numbers, "train_accuracy"));
    result->val = json_number_value(json_object_get(numbers, "val_accuracy"));
    result->test = json_number_value(
        json_object_get(numbers, "test_accuracy"));
    json_decref(info);
    free(path);
}

/* The same table as a run in one process; returns 1 when a variant has
 * no complete results. */
static int print_summary(const struct cnn_cli_options *options,
                         const struct cnn_manifest *manifest,
                         const struct cnn_sweep_plan *plan,
                         const struct outcome *outcomes)
{
    int incomplete = 0;
    fflush(stderr);
    printf("%-20s %8s %8s %8s %12s  %s\n", "variant", "train", "val", "test",
           "parameters", "results");
    for (int i = 0; i < manifest->variant_count; i++) {
        const struct cnn_variant *variant = &manifest->variants[i];
        char *directory = cnn_sweep_directory(options, manifest,
                                              variant->path);
        struct result r;
        read_result(directory ? directory : "", variant, &r);
        char parameters[32] = "-";
        if (r.parameters >= 0)
            snprintf(parameters, sizeof parameters, "%ld", r.parameters);
        const char *word = NULL;
        incomplete += !r.complete;
        if (!r.complete)
            word = outcomes[i].blocked    ? "not run (its weights failed)"
                   : !outcomes[i].started ? "not run"
                   : outcomes[i].exit_status == 130 ? "interrupted"
                                                   : "failed";
        if (word)
            printf("%-20s %8s %8s %8s %12s  %s\n", variant->path, word, "-",
                   "-", parameters, directory ? directory : "");
        else
            printf("%-20s %7.2f%% %7.2f%% %7.2f%% %12s  %s%s\n",
                   variant->path, r.train, r.val, r.test, parameters,
                   directory ? directory : "",
                   plan->complete[i] ? " (complete; --force reruns)" : "");
        free(directory);
    }
    return incomplete > 0;
}

int cnn_sweep_run_local(const struct cnn_cli_options *options,
                        const struct cnn_manifest *manifest)
{
    struct cnn_error err = {0};
    struct cnn_sweep_plan plan = {0};
    char program[4096];
    if (cnn_sweep_program(program, sizeof program, 0, &err) < 0 ||
        cnn_sweep_plan_make(&plan, options, manifest, &err) < 0) {
        cnn_cli_report(&err);
        return CNN_EXIT_RUN_FAILED;
    }
    int slots = options->jobs < plan.count ? options->jobs : plan.count;
    struct worker *workers = calloc((size_t)slots + 1, sizeof *workers);
    struct outcome *outcomes =
        calloc((size_t)manifest->variant_count, sizeof *outcomes);
    if (!workers || !outcomes) {
        fprintf(stderr, "cnnlab: out of memory\n");
        free(workers);
        free(outcomes);
        cnn_sweep_plan_free(&plan);
        return CNN_EXIT_RUN_FAILED;
    }
    int total = total_threads();
    for (int s = 0; s < slots; s++) {
        workers[s].threads = total / slots + (s < total % slots);
        if (workers[s].threads < 1)
            workers[s].threads = 1;
    }
    const char *runs = manifest->seed_count ? "run" : "variant";
    if (!options->quiet)
        fprintf(stderr,
                "cnnlab: %d %s%s to run in %d worker process%s, %d "
                "thread%s each where the manifest leaves `threads` at 0; "
                "%d complete already\n",
                plan.count, runs, plan.count == 1 ? "" : "s", slots,
                slots == 1 ? "" : "es", slots ? workers[0].threads : 0,
                slots && workers[0].threads == 1 ? "" : "s",
                manifest->variant_count - plan.count);

    cnn_cli_signals_stop_gracefully();
    run_workers(options, manifest, &plan, program, workers, slots, outcomes);

    int status = CNN_EXIT_OK;
    for (int i = 0; i < manifest->variant_count; i++)
        if (outcomes[i].started && outcomes[i].exit_status != 0)
            status = CNN_EXIT_RUN_FAILED;
    if (print_summary(options, manifest, &plan, outcomes))
        status = CNN_EXIT_RUN_FAILED;
    if (!options->no_table && cnn_cli_update_tables(options, manifest) < 0 &&
        status == CNN_EXIT_OK)
        status = CNN_EXIT_RUN_FAILED;
    if (cnn_cli_stop_signal())
        status = CNN_EXIT_INTERRUPTED;
    free(workers);
    free(outcomes);
    cnn_sweep_plan_free(&plan);
    return status;
}
