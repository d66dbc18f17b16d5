/* cnnlab — a training run's complete state between two batches, and its
 * file: what `cnnlab run --resume` needs to go on exactly as if the run had
 * never stopped.
 *
 * The file is a safetensors file, written atomically (temporary, fsync,
 * rename), with the tensors
 *   parameters       [P]     the current weights, laid out as the model's
 *                            flat buffer (frozen layers' last)
 *   optimizer_state  [F]     SGD momentum, Adam moments of the trainable
 *                            parameters, the model's first trainable_count
 *                            (frozen ones have none; absent when F = 0)
 *   selected         [P]     the weights of the selected epoch (absent
 *                            before the first epoch ends)
 *   order            [N, 2]  mid-epoch only: that epoch's order of the N
 *                            training images, index = 4096 * [i, 0] +
 *                            [i, 1] (two floats keep every index exact)
 * and the metadata "format" ("cnnlab-train-state"), "format_version",
 * "state" (JSON: position, step count, running totals, selection,
 * per-epoch history; doubles as C99 hex-float strings, so they come back
 * bit for bit), "manifest" (the resolved manifest but `analyses:`) and
 * "checksum" (of all the above), so a damaged file is refused rather than
 * resumed from. */
#ifndef CNNLAB_TRAIN_STATE_H
#define CNNLAB_TRAIN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/loss.h"
#include "cnnlab/node.h"
#include "model/model.h"
#include "train/train.h"

#define CNN_TRAIN_STATE_FILE "train-state.safetensors"

/* Where a run stands. In a snapshot that cnn_train hands to save_state the
 * model holds the weights and optimizer state (parameters and
 * optimizer_state are NULL); in a loaded one they are here. */
struct cnn_train_snapshot {
    int epoch;                  /* in progress (1-based); epochs + 1 when
                                   every epoch is done */
    int batch;                  /* batches of it done; 0: not begun */
    const int *order;           /* batch > 0: its order of the train split */
    int order_count;            /* the train split's size */
    struct cnn_loss_totals totals; /* batch > 0: its running totals */
    double seconds, cpu_seconds;   /* batch > 0: its time so far */
    uint64_t step;              /* optimizer steps taken (context.step) */
    double best_val;            /* val accuracy of the selection; -1 none */
    int selected_epoch;         /* 0: none yet */
    const float *selected;      /* its weights (parameter_count), or NULL */
    const struct cnn_epoch_metrics *history; /* the finished epochs */
    int history_count;          /* epoch - 1 */
    const float *parameters;
    const float *optimizer_state;
    size_t optimizer_floats;
};

/* What a state file must have been saved by. Differences in threads or
 * device do not stop a resume (the results may then differ in the last
 * bits): cnn_train_state_load says so in its note. */
struct cnn_train_state_identity {
    const struct cnn_node *resolved; /* the variant's resolved manifest */
    int threads;
    const char *device;              /* "cpu", "cuda" */
};

/* Writes `snapshot` and the model's weights and optimizer state (brought
 * to the host) to `path` atomically. */
int cnn_train_state_save(const char *path, struct cnn_model *model,
                         const struct cnn_train_snapshot *snapshot,
                         const struct cnn_train_state_identity *identity,
                         struct cnn_error *err);

/* Reads and checks a state file against the run about to resume: format,
 * checksum, the manifest (the first key that differs is named), the
 * model's parameter count, the optimizer state's size for `config`, the
 * train split's size, and that every number is in range. Every error
 * names the file. `note` receives "" or what differs without stopping
 * the resume. */
struct cnn_train_state;
int cnn_train_state_load(const char *path, const struct cnn_model *model,
                         const struct cnn_train_config *config,
                         int train_images,
                         const struct cnn_train_state_identity *identity,
                         struct cnn_train_state **state, char *note,
                         size_t note_size, struct cnn_error *err);
const struct cnn_train_snapshot *cnn_train_state_snapshot(
    const struct cnn_train_state *state);
void cnn_train_state_free(struct cnn_train_state *state);

/* Puts a loaded snapshot's weights, optimizer state (allocated already,
 * of the same size) and step count into the model, on its device. */
int cnn_train_snapshot_apply(struct cnn_model *model,
                             const struct cnn_train_snapshot *snapshot,
                             struct cnn_error *err);

#endif
