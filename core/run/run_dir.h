/* cnnlab — a run's directory: results/<experiment>/<variant>/ with the
 * resolved manifest.yaml, run.json, metrics.csv, epoch-seconds.csv and
 * model.safetensors. Every file is written atomically; a lock keeps two
 * runs out of the same directory. */
#ifndef CNNLAB_RUN_DIR_H
#define CNNLAB_RUN_DIR_H

#include <jansson.h>

#include "cnnlab/node.h"
#include "model/model.h"
#include "train/train.h"

struct cnn_run_dir {
    char *path;
    int lock_fd;
    json_t *info;           /* run.json, rewritten as the run goes */
    char *metrics;          /* metrics.csv so far */
    size_t metrics_length;
    char *seconds;          /* epoch-seconds.csv so far */
    size_t seconds_length;
};

/* Creates the directory (and parents), takes the lock. */
int cnn_run_dir_open(struct cnn_run_dir *dir, const char *path,
                     struct cnn_error *err);
/* Opens the directory of an earlier run to add to it (cnnlab analyse):
 * takes the lock and reads its run.json back, so that cnn_run_dir_set
 * keeps every field. Fails naming the directory when it holds no run. */
int cnn_run_dir_reopen(struct cnn_run_dir *dir, const char *path,
                       struct cnn_error *err);
/* 1 when the directory holds a complete run of exactly this manifest,
 * `table:` aside: the experiment's table settings change no run. A run
 * whose starting weights' file has changed since it started (run.json's
 * start_weights) is not complete. */
int cnn_run_dir_is_complete(const char *path, const struct cnn_node *resolved);
/* The same, `analyses:` aside: the training this manifest asks for is
 * done, and only its analyses may differ. */
int cnn_run_dir_is_trained(const char *path, const struct cnn_node *resolved);
/* 1 when the run's starting weights' file has other bytes now than when
 * it started, with `detail` naming the file and both digests (for the
 * note that says why a run trains again). */
int cnn_run_dir_start_weights_changed(const char *path, char *detail,
                                      size_t size);
int cnn_run_dir_write_manifest(struct cnn_run_dir *dir,
                               const struct cnn_node *resolved,
                               struct cnn_error *err);
/* Sets a run.json field (takes the reference) and rewrites the file. */
int cnn_run_dir_set(struct cnn_run_dir *dir, const char *key, json_t *value,
                    struct cnn_error *err);
int cnn_run_dir_add_epoch(struct cnn_run_dir *dir,
                          const struct cnn_epoch_metrics *metrics,
                          long images, struct cnn_error *err);
/* The same for `count` epochs at once, writing each file once (a resumed
 * run's finished epochs); count 0 writes the header lines alone (a run
 * without training). */
int cnn_run_dir_add_epochs(struct cnn_run_dir *dir,
                           const struct cnn_epoch_metrics *metrics, int count,
                           long images, struct cnn_error *err);
/* Writes the model's parameters as <dir>/<file> (safetensors). */
int cnn_run_dir_save_model(struct cnn_run_dir *dir, const char *file,
                           const struct cnn_model *model, int epoch,
                           struct cnn_error *err);
void cnn_run_dir_close(struct cnn_run_dir *dir);

/* "2026-11-25T10:00:00Z" */
void cnn_utc_timestamp(char *buf, size_t size);

#endif
