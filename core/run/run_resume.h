/* cnnlab — a run directory's training state: saved as the run trains (at
 * every epoch's end and when it is interrupted), continued from by
 * `cnnlab run --resume`, removed once the run is complete. */
#ifndef CNNLAB_RUN_RESUME_H
#define CNNLAB_RUN_RESUME_H

#include <jansson.h>

#include "run/run_config.h"
#include "run/run_dir.h"
#include "run/runner.h"
#include "train/train_state.h"

struct cnn_run_resume {
    char *path;                       /* <run dir>/train-state.safetensors */
    struct cnn_train_state_identity identity;
    struct cnn_train_state *loaded;   /* NULL: the run starts from scratch */
    json_t *previous;                 /* the interrupted run's run.json */
};

/* Before the run writes anything in `directory` (locked): with `wanted`
 * (--resume) loads and checks the state there, if any; without it
 * removes a state left there, saying so through the observer's note, as
 * the run starts from scratch. Fails, leaving the directory untouched,
 * when the state cannot be resumed from (damaged, another manifest). */
int cnn_run_resume_prepare(struct cnn_run_resume *resume,
                           const char *directory, const char *label,
                           const struct cnn_node *resolved,
                           const struct cnn_run_config *config,
                           const struct cnn_model *model, int train_images,
                           int wanted, const struct cnn_run_observer *observer,
                           struct cnn_error *err);

/* The snapshot to continue from, or NULL. */
const struct cnn_train_snapshot *cnn_run_resume_snapshot(
    const struct cnn_run_resume *resume);

/* After run.json is started: puts the finished epochs back into
 * metrics.csv and epoch-seconds.csv and records the resume in run.json
 * ("resumed": [{"at", "epoch", "batch"}, ...], "started" kept from the
 * first run). Does nothing when starting from scratch. */
int cnn_run_resume_record(struct cnn_run_resume *resume,
                          struct cnn_run_dir *dir, long images,
                          struct cnn_error *err);

/* cnn_train's save_state. */
int cnn_run_resume_save(struct cnn_run_resume *resume,
                        struct cnn_model *model,
                        const struct cnn_train_snapshot *snapshot,
                        struct cnn_error *err);

/* Removes the state when the training is complete, and frees. */
void cnn_run_resume_finish(struct cnn_run_resume *resume, int complete);

#endif
