/* cnnlab — where a run's starting weights come from (model.weights, or
 * model.from: another run's results, which is run first when they are
 * missing) and runs that only evaluate them (train.epochs: 0). */
#ifndef CNNLAB_RUN_SOURCE_H
#define CNNLAB_RUN_SOURCE_H

#include "config/manifest.h"
#include "model/model_weights.h"
#include "run/run_config.h"
#include "run/run_dir.h"
#include "run/runner.h"

/* The checkpoint a model.from source left under `out_directory`:
 * <out>/<experiment>/<variant>/model.safetensors. */
int cnn_run_source_weights(const struct cnn_model_source *source,
                           const char *out_directory, char *path, size_t size,
                           struct cnn_error *err);

/* Loads the variant's starting weights into the allocated model: the file
 * model.weights names, if any; for model.from the source's checkpoint,
 * after running the source (same profile, same results directory) when
 * the checkpoint is missing. A checkpoint of another model fails with the
 * differences, placed at model.from; one whose head alone has another
 * output count (fine-tuning on other classes) leaves the model's head as
 * initialised and says so in *head when head->allowed (model_weights.h). */
int cnn_run_load_start_weights(const struct cnn_registry *registry,
                               const struct cnn_manifest *manifest,
                               const struct cnn_variant *variant,
                               const struct cnn_run_options *options,
                               const struct cnn_node *model_node,
                               struct cnn_model *model,
                               struct cnn_new_head *head,
                               struct cnn_error *err);

/* A new head, when there is one: a note for the user (`label`:
 * "experiment/variant") and run.json's "new_head" ({layer, index,
 * detail}). */
void cnn_run_note_new_head(const struct cnn_run_options *options,
                           const char *label, const struct cnn_model *model,
                           const struct cnn_new_head *head);
int cnn_run_record_new_head(struct cnn_run_dir *dir,
                            const struct cnn_model *model,
                            const struct cnn_new_head *head,
                            struct cnn_error *err);

/* run.json's "model_from": {manifest, experiment, variant, weights}; no
 * field without model.from. */
int cnn_run_record_source(struct cnn_run_dir *dir,
                          const struct cnn_variant *variant,
                          const char *out_directory, struct cnn_error *err);

/* run.json's "start_weights": {file, sha256} of the file the starting
 * weights came from (model.weights, {variant: V} or model.from); nothing
 * when they came from the seed. cnn_run_dir_is_complete compares it with
 * the file as it is later, so that a run started from weights that have
 * changed since trains again. */
int cnn_run_record_start_weights(struct cnn_run_dir *dir,
                                 const struct cnn_variant *variant,
                                 const char *out_directory,
                                 const struct cnn_node *model_node,
                                 struct cnn_error *err);

/* A run without training: evaluates the model as it is on every split
 * into *result (epochs_run 0, selected_epoch 0), and writes the history's
 * headers and model.safetensors, so the directory is as complete as a
 * trained run's. */
int cnn_run_untrained(struct cnn_model *model, const struct cnn_data *data,
                      const struct cnn_train_config *config,
                      struct cnn_run_dir *dir,
                      struct cnn_train_result *result,
                      struct cnn_error *err);

#endif
