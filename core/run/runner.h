/* cnnlab — running one variant of a manifest end to end: validate, load
 * data, build, train, write the run directory. */
#ifndef CNNLAB_RUNNER_H
#define CNNLAB_RUNNER_H

#include "cnnlab/registry.h"
#include "config/manifest.h"
#include "train/train.h"

struct cnn_run_summary {
    int skipped;                 /* complete already; nothing done */
    char directory[1024];
    long parameters;
    struct cnn_train_result result;
    int analyses_failed;         /* analyses that failed after training */
    int reanalysed;              /* trained already: only `analyses:`
                                    changed, and they ran again */
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
    /* Something the user should know that is not an error (files the
     * loader skipped, an analysis that failed); may be NULL. */
    void (*note)(void *user, const char *text);
};

struct cnn_run_options {
    const char *out_directory;   /* "results" */
    int force;                   /* rerun even when complete */
    const struct cnn_run_observer *observer;
    int resume;                  /* continue an interrupted run from its
                                    saved training state (--resume) */
};

struct cnn_run_config;

/* Builds the variant's model as its run does (on config->device): the
 * layers (a layer's `trainable: false` freezes it), then train.freeze.
 * A run that trains (train.epochs > 0) with every layer that has
 * parameters frozen is refused: it would change nothing. */
int cnn_run_build_model(struct cnn_model *model,
                        const struct cnn_registry *registry,
                        const struct cnn_run_config *config,
                        struct cnn_error *err);

/* Loads the variant's data (zeroing *data first) and checks that it fits
 * the model: the image shape its input, the class count its outputs. */
int cnn_run_load_data(const struct cnn_manifest *manifest,
                      const struct cnn_variant *variant,
                      const struct cnn_run_config *config,
                      const struct cnn_model *model, struct cnn_data *data,
                      struct cnn_error *err);

/* The analyses step of a run, shared with `cnnlab analyse`. */
struct cnn_run_dir;
struct cnn_analysis_inputs {
    const char *label;                 /* "experiment/variant", for notes */
    const char *variant;
    const struct cnn_run_config *config;
    struct cnn_model *model;           /* the selected weights in place */
    const struct cnn_data *data;
    const char *device_text;
    int gpu_known;                     /* utilisation sampled in training */
    double gpu_mean, gpu_max;
    const struct cnn_run_observer *observer; /* its note hears failures */
};

/* Runs config->analyses (none: nothing happens) with the history read
 * back from the run directory, and records each outcome in run.json's
 * "analyses" ({"curves": "ok", "timing": "failed: ..."}). Returns how many
 * failed; a failure never touches the training's results. */
int cnn_run_analyses(struct cnn_run_dir *dir,
                     const struct cnn_analysis_inputs *inputs);

/* Runs the analyses again on the complete results in `directory`, made
 * from this variant's manifest but for `analyses:` (`cnnlab analyse`, and
 * `cnnlab run` when only the analyses changed): loads model.safetensors
 * into `model` (built and allocated) and the data, runs them, and rewrites
 * manifest.yaml, so the run records the analyses its files come from.
 * *result (may be NULL) gets run.json's result; *failed the analyses that
 * failed. Fails when the directory holds no complete run. */
int cnn_run_reanalyse(const struct cnn_manifest *manifest,
                      const struct cnn_variant *variant,
                      const struct cnn_run_config *config,
                      struct cnn_model *model, const char *directory,
                      const struct cnn_run_observer *observer,
                      struct cnn_train_result *result, int *failed,
                      struct cnn_error *err);

int cnn_run_variant(const struct cnn_registry *registry,
                    const struct cnn_manifest *manifest,
                    const struct cnn_variant *variant,
                    const struct cnn_run_options *options,
                    struct cnn_run_summary *summary, struct cnn_error *err);

#endif
