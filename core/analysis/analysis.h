/* cnnlab core-internal: how the runner and `cnnlab analyse` make a struct
 * cnn_analysis (include/cnnlab/analysis.h) from a model, its data, its run
 * directory and history, and run a manifest's `analyses:` list on it. */
#ifndef CNNLAB_CORE_ANALYSIS_H
#define CNNLAB_CORE_ANALYSIS_H

#include <jansson.h>

#include "cnnlab/analysis.h"
#include "cnnlab/registry.h"
#include "model/model.h"
#include "train/train.h"

/* One entry of the manifest's `analyses:` list, checked against the
 * analysis's schema. */
struct cnn_analysis_request {
    const struct cnn_analysis_type *type;
    struct cnn_params params;
    struct cnn_mark mark;          /* where the manifest names it */
};

struct cnn_analysis_list {
    int count;
    struct cnn_analysis_request *items;
};

/* `analyses: [summary, {timing: {repeats: 5}}]` (NULL or an empty value:
 * none). An unknown name gets a did-you-mean and the known names, a bad
 * parameter its own file:line:column, a name listed twice an error at the
 * second. */
int cnn_analysis_list_parse(struct cnn_analysis_list *list,
                            const struct cnn_registry *registry,
                            const struct cnn_node *node,
                            struct cnn_error *err);
void cnn_analysis_list_free(struct cnn_analysis_list *list);

/* Checks each listed analysis's parameters against the model with its
 * validate hook (analysis.h), before anything trains: `model` is built
 * (its weights need not be allocated) and `train` parsed. The first
 * failure is the error, as the analysis words it. */
int cnn_analysis_list_validate(const struct cnn_analysis_list *list,
                               struct cnn_model *model,
                               const struct cnn_train_config *train,
                               const char *variant, int threads,
                               struct cnn_error *err);

/* What an analysis sees. Pointers are borrowed: they must outlive the
 * analysis (the history is copied). */
struct cnn_analysis_setup {
    const char *directory;         /* results/<experiment>/<variant> */
    const char *variant;
    struct cnn_model *model;       /* allocated, selected weights loaded */
    const struct cnn_data *data;   /* NULL: no data */
    const struct cnn_train_config *train;
    int threads;
    const char *device_text;       /* cnn_describe_device's line */
    const struct cnn_epoch_record *history;
    int history_count;
    int gpu_known;                 /* the utilisation below was sampled */
    double gpu_mean, gpu_max;
};

int cnn_analysis_new(struct cnn_analysis **analysis,
                     const struct cnn_analysis_setup *setup,
                     struct cnn_error *err);
void cnn_analysis_free(struct cnn_analysis *analysis);

/* The setup's model and training configuration, for the core's own
 * analysis functions. */
struct cnn_model *cnn_analysis_model(struct cnn_analysis *analysis);
const struct cnn_train_config *cnn_analysis_train_config(
    const struct cnn_analysis *analysis);

/* Where analysis_run.c keeps the selected parameters while a filter is
 * switched off (NULL while every filter is on). */
float **cnn_analysis_saved_parameters(struct cnn_analysis *analysis);
/* Switches every filter back on (the selected weights, bit for bit).
 * cnn_analysis_run_list calls it after each analysis and
 * cnn_analysis_free before freeing, so an analysis that fails half-way
 * never hands the next one a model with filters off. */
int cnn_analysis_filters_restore(struct cnn_analysis *analysis,
                                 struct cnn_error *err);

/* What analysis_gradient.c keeps between calls: the input gradient's
 * device buffer (for input_capacity samples) and the host copy of the
 * parameter gradients it puts back after each call. */
struct cnn_analysis_gradient_buffers {
    float *input_gradient;
    int input_capacity;
    float *kept_gradients;
};
struct cnn_analysis_gradient_buffers *cnn_analysis_gradient_buffers(
    struct cnn_analysis *analysis);
/* Frees them (cnn_analysis_free calls it). */
void cnn_analysis_gradient_release(struct cnn_analysis *analysis);

/* Called with each analysis's outcome: message is NULL when it succeeded,
 * else why it failed. */
typedef void (*cnn_analysis_report_fn)(void *user, const char *name,
                                       const char *message);

/* Runs every analysis of `list` in order; one failing does not stop the
 * others. Sets outcomes[name] to "ok" or "failed: <message>" and returns
 * how many failed. */
int cnn_analysis_run_list(struct cnn_analysis *analysis,
                          const struct cnn_analysis_list *list,
                          json_t *outcomes, cnn_analysis_report_fn report,
                          void *user);

/* The epochs of a run directory, from metrics.csv and epoch-seconds.csv
 * (cpu_seconds -1 when that file predates the column). *records is
 * malloc'd (NULL when there are none). Errors name the file and line. */
int cnn_analysis_history_read(const char *directory,
                              struct cnn_epoch_record **records, int *count,
                              struct cnn_error *err);

/* One line naming where the model runs: the device module's description,
 * or "N CPU threads, <CPU model from /proc/cpuinfo>". */
void cnn_describe_device(struct cnn_model *model, int threads, char *buf,
                         size_t size);

#endif
