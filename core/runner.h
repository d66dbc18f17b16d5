/* cnnlab — running one variant of a manifest end to end: validate, load
 * data, build, train, write the run directory. */
#ifndef CNNLAB_RUNNER_H
#define CNNLAB_RUNNER_H

#include "cnnlab/registry.h"
#include "manifest.h"
#include "train.h"

struct cnn_run_summary {
    int skipped;                 /* complete already; nothing done */
    char directory[1024];
    long parameters;
    struct cnn_train_result result;
};

/* The command's view of a run in progress (printing lives in main). */
struct cnn_run_observer {
    void *user;
    void (*started)(void *user, const char *experiment, const char *variant,
                    const char *directory, long parameters, int threads);
    void (*epoch_done)(void *user, const struct cnn_epoch_metrics *metrics,
                       int epochs, int is_selected);
    void (*progress)(void *user, int epoch, int epochs, long done,
                     long total, double loss, double accuracy);
    int (*should_stop)(void *user);
};

struct cnn_run_options {
    const char *out_directory;   /* "results" */
    int force;                   /* rerun even when complete */
    const struct cnn_run_observer *observer;
};

int cnn_run_variant(const struct cnn_registry *registry,
                    const struct cnn_manifest *manifest,
                    const struct cnn_variant *variant,
                    const struct cnn_run_options *options,
                    struct cnn_run_summary *summary, struct cnn_error *err);

#endif
