/* cnnlab — `cnnlab run`: validate every variant, then train each, showing
 * progress, and print a summary table. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_validate.h"
#include "runner.h"

static volatile sig_atomic_t stop_requested;

static void request_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

struct progress {
    int quiet;
    int terminal;        /* stderr is a terminal: one updating line */
    double epoch_started;
    double last_drawn;   /* when the progress line was last redrawn */
    char label[256];
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
    snprintf(p->label, sizeof p->label, "%s/%s", experiment, variant);
    if (!p->quiet)
        fprintf(stderr, "%s: %ld parameters, %d threads, writing %s\n",
                p->label, parameters, threads, directory);
    p->epoch_started = now_seconds();
}

static void on_progress(void *user, int epoch, int epochs, long done,
                        long total, double loss, double accuracy)
{
    struct progress *p = user;
    if (p->quiet || !p->terminal)
        return;
    /* Ten redraws a second are plenty; small batches finish far faster. */
    double now = now_seconds();
    if (now - p->last_drawn < 0.1 && done < total)
        return;
    p->last_drawn = now;
    double elapsed = now - p->epoch_started;
    double remaining = done > 0 ? elapsed * (double)(total - done) / done : 0;
    int width = 24, filled = total > 0 ? (int)(width * done / total) : 0;
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '=' : ' ';
    bar[width] = '\0';
    fprintf(stderr,
            "\r%s epoch %d/%d [%s] %ld/%ld loss %.4f acc %.2f%% %.0f img/s "
            "ETA %.0fs \033[K",
            p->label, epoch, epochs, bar, done, total, loss, accuracy,
            elapsed > 0 ? done / elapsed : 0.0, remaining);
}

static void on_epoch_done(void *user, const struct cnn_epoch_metrics *m,
                          int epochs, int is_selected)
{
    struct progress *p = user;
    if (!p->quiet)
        fprintf(stderr,
                "%s%s epoch %d/%d: train loss %.4f acc %.2f%% | val loss "
                "%.4f acc %.2f%% | %.1f s%s\n",
                p->terminal ? "\r\033[K" : "", p->label, m->epoch, epochs,
                m->train_loss, m->train_accuracy, m->val_loss,
                m->val_accuracy, m->seconds, is_selected ? " *" : "");
    p->epoch_started = now_seconds();
}

static int on_should_stop(void *user)
{
    (void)user;
    return stop_requested;
}

/* Shown even with --quiet: it is about the results, not progress. */
static void on_note(void *user, const char *text)
{
    struct progress *p = user;
    fprintf(stderr, "%scnnlab: %s\n", p->terminal ? "\r\033[K" : "", text);
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
                                 manifest->variants[i].name);
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
                   manifest->variants[i].name, "failed", "-", "-",
                   s->parameters, s->directory);
        else if (s->skipped)
            printf("%-20s %8s %8s %8s %12ld  %s (complete; --force reruns)\n",
                   manifest->variants[i].name, "-", "-", "-", s->parameters,
                   s->directory);
        else
            printf("%-20s %7.2f%% %7.2f%% %7.2f%% %12ld  %s\n",
                   manifest->variants[i].name, s->result.train_accuracy,
                   s->result.val_accuracy, s->result.test_accuracy,
                   s->parameters, s->directory);
    }
}

int cnn_cli_run(struct cnn_registry *registry,
                const struct cnn_cli_options *options)
{
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
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
    struct sigaction action = {0};
    action.sa_handler = request_stop;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    struct progress progress = {options->quiet, isatty(STDERR_FILENO), 0, 0,
                                ""};
    struct cnn_run_observer observer = {&progress, on_started, on_epoch_done,
                                        on_progress, on_should_stop,
                                        on_note};
    struct cnn_run_options run_options = {options->out_directory,
                                          options->force, &observer};
    struct cnn_run_summary *summaries =
        calloc((size_t)manifest.variant_count, sizeof *summaries);
    int *failed = calloc((size_t)manifest.variant_count, sizeof *failed);
    int status = CNN_EXIT_OK;
    if (!summaries || !failed) {
        fprintf(stderr, "cnnlab: out of memory\n");
        status = CNN_EXIT_RUN_FAILED;
    }
    /* A failed variant does not stop the others. */
    for (int i = 0; summaries && failed && i < manifest.variant_count &&
                    !stop_requested;
         i++) {
        struct cnn_error run_error = {0};
        if (cnn_run_variant(registry, &manifest, &manifest.variants[i],
                            &run_options, &summaries[i], &run_error) < 0) {
            failed[i] = 1;
            cnn_cli_report(&run_error);
            status = CNN_EXIT_RUN_FAILED;
        } else if (summaries[i].analyses_failed > 0) {
            /* The training's results stand; the notes said what failed. */
            status = CNN_EXIT_RUN_FAILED;
        }
    }
    if (summaries && failed)
        print_summary(&manifest, summaries, failed);
    /* The table covers every variant with results on disk, so it is
     * rewritten also after failures, an interrupt or --variant. */
    if (cnn_cli_update_tables(options, &manifest) < 0 &&
        status == CNN_EXIT_OK)
        status = CNN_EXIT_RUN_FAILED;
    if (stop_requested)
        status = CNN_EXIT_INTERRUPTED;
    free(summaries);
    free(failed);
    cnn_manifest_free(&manifest);
    return status;
}
