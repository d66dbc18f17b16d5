/* cnnlab — training and evaluation of a model on a loader's splits. */
#ifndef CNNLAB_TRAIN_H
#define CNNLAB_TRAIN_H

#include "cnnlab/loader.h"
#include "cnnlab/loss.h"
#include "cnnlab/optimizer.h"
#include "model/model.h"
#include "config/augment_settings.h"
#include "config/schedule.h"

#define CNN_NORMALIZE_MAX 4

/* Pixel p of channel c enters the model as (p/255 - mean[c]) / std[c]. */
struct cnn_normalization {
    int count;                       /* 1 (all channels) or channels */
    double mean[CNN_NORMALIZE_MAX];
    double std[CNN_NORMALIZE_MAX];
};

struct cnn_train_config {
    int epochs;
    int batch;
    int eval_batch;
    int select_best;                 /* 1: best-val epoch; 0: last epoch */
    uint64_t seed;
    struct cnn_normalization normalization;
    /* The loss and the optimizer as the run uses them: each definition,
     * its settings parsed once from the manifest, and the kernels of the
     * run's device, which read only those settings. */
    const struct cnn_loss_type *loss;
    const void *loss_settings;
    const struct cnn_loss_kernels *loss_kernels;
    const struct cnn_optimizer_type *optimizer;
    const void *optimizer_settings;
    const struct cnn_optimizer_kernels *optimizer_kernels;
    /* The optimizer's validated values, for the metrics' lr column. */
    const struct cnn_params *optimizer_params;
    /* The learning rate's factor per epoch; zeroed: none. */
    struct cnn_schedule schedule;
    /* The linear scaling rule's factor, batch / train.lr_reference_batch,
     * applied with the schedule's (0 or 1: none). */
    double lr_batch_factor;
    /* `data.augment`: what the training images get each epoch (count 0:
     * nothing; evaluation never augments). */
    struct cnn_augmentation augmentation;
    /* train.freeze: the layers whose parameters training leaves as they
     * are, and where each name is written. The model applies them
     * (cnn_model_freeze) before its parameters are placed. */
    int freeze_count;
    const char *const *freeze;
    const struct cnn_mark *freeze_marks;
};

struct cnn_epoch_metrics {
    int epoch;                       /* 1-based */
    double train_loss, train_accuracy; /* running, over the epoch */
    double val_loss, val_accuracy;     /* after the epoch, eval mode */
    double seconds;                  /* wall time of the training part */
    double cpu_seconds;              /* process CPU time (user + system)
                                        in that part: over `seconds`, how
                                        busy the CPU threads were */
    double lr_scale;                 /* the schedule's factor this epoch */
    double lr;                       /* the optimizer's `lr` times lr_scale
                                        (lr_scale when it declares none) */
};

struct cnn_train_result {
    int epochs_run;
    int selected_epoch;
    double train_accuracy, val_accuracy, test_accuracy; /* selected weights */
    double test_loss;
};

struct cnn_train_snapshot;

/* Called by cnn_train; any may be NULL. A hook returning < 0 stops the run
 * with its error. */
struct cnn_train_hooks {
    void *user;
    /* After each epoch; is_selected: these weights are now the selection. */
    int (*epoch_done)(void *user, const struct cnn_model *model,
                      const struct cnn_epoch_metrics *metrics,
                      int is_selected, struct cnn_error *err);
    /* During an epoch, after each batch. */
    void (*progress)(void *user, int epoch, int epochs, long done,
                     long total, double loss, double accuracy);
    /* Polled between batches: nonzero asks the loop to stop. */
    int (*should_stop)(void *user);
    /* Saves where the run stands (train_state.h): after every epoch, and
     * when should_stop stops it, before cnn_train returns. */
    int (*save_state)(void *user, struct cnn_model *model,
                      const struct cnn_train_snapshot *snapshot,
                      struct cnn_error *err);
};

/* Floats of optimizer state per model parameter with these settings. */
int cnn_train_state_per_param(const struct cnn_train_config *config);

int cnn_train(struct cnn_model *model, const struct cnn_data *data,
              const struct cnn_train_config *config,
              const struct cnn_train_hooks *hooks,
              struct cnn_train_result *result, struct cnn_error *err);

/* cnn_train continuing from a saved snapshot (NULL: from the start): the
 * same result, bit for bit, as the run that saved it would have had. */
int cnn_train_resume(struct cnn_model *model, const struct cnn_data *data,
                     const struct cnn_train_config *config,
                     const struct cnn_train_hooks *hooks,
                     const struct cnn_train_snapshot *from,
                     struct cnn_train_result *result, struct cnn_error *err);

/* Loss and accuracy of the model (eval mode) on a split. predictions, when
 * not NULL, receives set->count predicted classes. Every image of `set`
 * must be in place: data from cnn_run_load_data, or after
 * cnn_data_wait_all (cnn_train waits per batch itself). */
int cnn_evaluate(struct cnn_model *model, const struct cnn_dataset *set,
                 const struct cnn_train_config *config, double *loss,
                 double *accuracy, int32_t *predictions,
                 struct cnn_error *err);

/* One step on the n samples filled in by cnn_fill_batch: uploads them,
 * then runs forward and loss and, when training, backward and the
 * optimizer (captured and replayed on devices that can), at the
 * optimizer's own rate: only cnn_train applies config->schedule. The loss
 * adds to the model's totals (cnn_model_totals_reset / _read); training
 * needs the optimizer state (cnn_model_optimizer_state) in place. */
int cnn_train_step(struct cnn_model *model,
                   const struct cnn_train_config *config, int n,
                   int training, struct cnn_error *err);

/* One image (8-bit pixels, CHW of `shape`) normalised into `out`: the
 * only place the formula lives, so training, evaluation and analyses
 * feed the model bit-identical inputs. */
void cnn_normalize_pixels(const uint8_t *pixels, struct cnn_shape shape,
                          const struct cnn_normalization *normalization,
                          float *out);

/* Fills the model's input with images indices[0..n) of `set`, normalised.
 * The images must be in place (cnn_data_wait_images). */
void cnn_fill_batch(struct cnn_model *model, const struct cnn_dataset *set,
                    const int *indices, int n,
                    const struct cnn_normalization *normalization);

#endif
