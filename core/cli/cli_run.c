/* cnnlab — `cnnlab run`: validate every variant, then train each, showing
 * progress, and print a summary table. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/cli_signals.h"
#include "cli/cli_validate.h"
#include "run/runner.h"
#include "cli/sweep.h"

struct progress {
    /* Test only ($CNNLAB_TEST_INTERRUPT_AFTER_BATCHES): after this many
     * batches the command sends itself SIGINT (to the process, as from
     * outside), so a test interrupts at a batch it chooses; 0: never. */
    long interrupt_after;
    long batches;
    int quiet;
    int terminal;        /* stderr is a terminal: one updating line */
    double epoch_started;
    double last_drawn;   /* when the progress line was last redrawn */
    char label[256];
    int json;            /* --json: events on stdout, nothing on stderr
                            but errors */
    const char *experiment, *variant; /* of the variant running */
    struct cnn_cli_progress line;
};

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void on_started(void *user, const char *experiment,
                       const char *variant, const char *directory,
                       long parameters, int threads)
{
    struct progress *p = user;
    /* `variant` is the run's path: <variant>/seed-<s> with seeds: */
    snprintf(p->label, sizeof p->label, "%s/%s", experiment, variant);
    memset(&p->line, 0, sizeof p->line);
    if (p->json)
        cnn_cli_event_run_start(experiment, p->variant, directory,
                                parameters, threads);
    else if (!p->quiet)
        fprintf(stderr, "%s: %ld parameters, %d threads, writing %s\n",
                p->label, parameters, threads, directory);
    p->epoch_started = now_seconds();
}

static void on_progress(void *user, int epoch, int epochs, long done,
                        long total, double loss, double accuracy)
{
    struct progress *p = user;
    if (p->quiet || p->json || !p->terminal)
        return;
    /* Ten redraws a second are plenty; small batches finish far faster. */
    double now = now_seconds();
    if (now - p->last_drawn < 0.1 && done < total)
        return;
    p->last_drawn = now;
    char text[1024];
    cnn_cli_progress_format(&p->line, text, sizeof text,
                            cnn_cli_terminal_columns(), p->label, epoch,
                            epochs, done, total, loss, accuracy, now);
    fprintf(stderr, "\r%s\033[K", text);
}

static void on_epoch_done(void *user, const struct cnn_epoch_metrics *m,
                          int epochs, int is_selected)
{
    struct progress *p = user;
    double now = now_seconds();
    p->line.last_epoch_seconds = now - p->epoch_started;
    if (p->json)
        cnn_cli_event_epoch_end(p->experiment, p->variant, m, epochs,
                                is_selected);
    else if (!p->quiet)
        fprintf(stderr,
                "%s%s epoch %d/%d: train loss %.4f acc %.2f%% | val loss "
                "%.4f acc %.2f%% | %.1f s%s\n",
                p->terminal ? "\r\033[K" : "", p->label, m->epoch, epochs,
                m->train_loss, m->train_accuracy, m->val_loss,
                m->val_accuracy, m->seconds, is_selected ? " *" : "");
    p->epoch_started = now;
}

/* Polled once per batch. */
static int on_should_stop(void *user)
{
    struct progress *p = user;
    if (p->interrupt_after > 0 && ++p->batches == p->interrupt_after)
        cnn_cli_signals_send_and_wait(SIGINT);
    return cnn_cli_stop_signal() != 0;
}

static long test_interrupt_after(void)
{
    const char *text = getenv("CNNLAB_TEST_INTERRUPT_AFTER_BATCHES");
    char *end;
    long value = text ? strtol(text, &end, 10) : 0;
    return text && *end == '\0' && value > 0 ? value : 0;
}

/* Shown even with --quiet: it is about the results, not progress. */
static void on_note(void *user, const char *text)
{
    struct progress *p = user;
    if (p->terminal && !p->json)
        fputs("\r\033[K", stderr);
    cnn_cli_warn(text);
}

static int validate_all(const struct cnn_registry *registry,
                        const struct cnn_manifest *manifest,
                        struct cnn_error *err)
{
    for (int i = 0; i < manifest->variant_count; i++) {
        struct cnn_run_config config;
        struct cnn_model model;
        if (cnn_cli_validate_variant(registry, &manifest->variants[i],
                                     &config, &model, err) < 0) {
            if (manifest->variant_count > 1)
                cnn_error_prefix(err, "variant %s: ",
                                 manifest->variants[i].path);
            return -1;
        }
        cnn_model_free(&model);
        cnn_run_config_free(&config);
    }
    return 0;
}

static void print_summary(const struct cnn_manifest *manifest,
                          const struct cnn_run_summary *summaries,
                          const int *failed)
{
    printf("%-20s %8s %8s %8s %12s  %s\n", "variant", "train", "val", "test",
           "parameters", "results");
    for (int i = 0; i < manifest->variant_count; i++) {
        const struct cnn_run_summary *s = &summaries[i];
        if (failed[i])
            printf("%-20s %8s %8s %8s %12ld  %s\n",
                   manifest->variants[i].path, "failed", "-", "-",
                   s->parameters, s->directory);
        else if (s->skipped)
            printf("%-20s %8s %8s %8s %12ld  %s (complete; --force reruns)\n",
                   manifest->variants[i].path, "-", "-", "-", s->parameters,
                   s->directory);
        else
            printf("%-20s %7.2f%% %7.2f%% %7.2f%% %12ld  %s\n",
                   manifest->variants[i].path, s->result.train_accuracy,
                   s->result.val_accuracy, s->result.test_accuracy,
                   s->parameters, s->directory);
    }
}

/* Runs the variants in order until a stop signal; a failed variant does
 * not stop the others. Fills summaries[i] and failed[i]; returns the exit
 * status they make. */
static int run_variants(const struct cnn_registry *registry,
                        const struct cnn_manifest *manifest,
                        const struct cnn_run_options *run_options,
                        struct progress *progress,
                        struct cnn_run_summary *summaries, int *failed)
{
    int status = CNN_EXIT_OK;
    for (int i = 0; i < manifest->variant_count && !cnn_cli_stop_signal();
         i++) {
        const struct cnn_variant *variant = &manifest->variants[i];
        struct cnn_error run_error = {0};
        progress->variant = variant->name;
        cnn_cli_event_run_seed(variant->repeated, variant->seed);
        if (cnn_run_variant(registry, manifest, variant, run_options,
                            &summaries[i], &run_error) < 0) {
            failed[i] = 1;
            cnn_cli_report(&run_error);
            status = CNN_EXIT_RUN_FAILED;
        } else if (summaries[i].analyses_failed > 0) {
            /* The training's results stand; the notes said what failed. */
            status = CNN_EXIT_RUN_FAILED;
        }
        if (progress->json)
            cnn_cli_event_run_end(
                manifest->name, variant->name,
                failed[i] ? (cnn_cli_stop_signal() ? "interrupted" : "failed")
                : summaries[i].skipped    ? "skipped"
                : summaries[i].reanalysed ? "reanalysed"
                                          : "complete",
                &summaries[i]);
    }
    return status;
}

int cnn_cli_run(struct cnn_registry *registry,
                const struct cnn_cli_options *options)
{
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    if (cnn_sweep_check_options(options) < 0)
        return CNN_EXIT_USAGE;
    if (cnn_cli_load_manifest(registry, options, &manifest, &err) < 0) {
        cnn_cli_report(&err);
        return CNN_EXIT_USAGE;
    }
    /* Every variant is checked before the first one trains, so a typo in
     * the last variant does not surface hours later. */
    if (validate_all(registry, &manifest, &err) < 0) {
        cnn_cli_report(&err);
        cnn_manifest_free(&manifest);
        return CNN_EXIT_USAGE;
    }
    if (cnn_sweep_wanted(options)) {
        int sweep_status = options->executor &&
                                   strcmp(options->executor, "slurm") == 0
                               ? cnn_sweep_submit_slurm(options, &manifest)
                               : cnn_sweep_run_local(options, &manifest);
        cnn_manifest_free(&manifest);
        return sweep_status;
    }
    cnn_cli_signals_stop_gracefully();

    struct progress progress = {test_interrupt_after(), 0, options->quiet,
                                isatty(STDERR_FILENO), 0, 0, "",
                                cnn_cli_events_enabled(), manifest.name,
                                NULL, {0}};
    struct cnn_run_observer observer = {&progress, on_started, on_epoch_done,
                                        on_progress, on_should_stop,
                                        on_note};
    struct cnn_run_options run_options = {options->out_directory,
                                          options->force, &observer,
                                          options->resume};
    struct cnn_run_summary *summaries =
        calloc((size_t)manifest.variant_count, sizeof *summaries);
    int *failed = calloc((size_t)manifest.variant_count, sizeof *failed);
    int status = CNN_EXIT_OK;
    if (!summaries || !failed) {
        fprintf(stderr, "cnnlab: out of memory\n");
        status = CNN_EXIT_RUN_FAILED;
    } else {
        status = run_variants(registry, &manifest, &run_options, &progress,
                              summaries, failed);
        if (!progress.json)
            print_summary(&manifest, summaries, failed);
    }
    /* The table covers every variant with results on disk, so it is
     * rewritten also after failures, an interrupt or --variant. */
    if (!options->no_table &&
        cnn_cli_update_tables(options, &manifest) < 0 &&
        status == CNN_EXIT_OK)
        status = CNN_EXIT_RUN_FAILED;
    if (cnn_cli_stop_signal())
        status = CNN_EXIT_INTERRUPTED;
    free(summaries);
    free(failed);
    cnn_manifest_free(&manifest);
    return status;
}
