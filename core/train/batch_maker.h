/* cnnlab — training batches made one step ahead: while the model trains
 * on batch k, a worker thread augments and normalises batch k + 1 into a
 * buffer of its own, so augmentation costs the step no time when a core
 * is free for it. The batches are the same bytes whatever the timing:
 * augmentation depends on (seed, epoch, image index) only (augment.h). */
#ifndef CNNLAB_BATCH_MAKER_H
#define CNNLAB_BATCH_MAKER_H

#include "cnnlab/loader.h"
#include "model/model.h"
#include "train/train.h"

struct cnn_batch_maker;

/* A maker for batches of up to `capacity` images of `set`, augmented as
 * config->augmentation says with config->seed, normalised as
 * config->normalization says. Starts its worker thread. */
int cnn_batch_maker_new(struct cnn_batch_maker **maker,
                        const struct cnn_dataset *set,
                        const struct cnn_train_config *config, int capacity,
                        struct cnn_error *err);

/* Starts making the batch of the n images `indices` (copied) of `epoch`.
 * The previous batch must have been taken. */
void cnn_batch_maker_request(struct cnn_batch_maker *maker, int epoch,
                             const int *indices, int n);

/* Waits for the requested batch and copies it into the model's input and
 * labels (cnn_model_input, cnn_model_labels); returns its size. */
int cnn_batch_maker_take(struct cnn_batch_maker *maker,
                         struct cnn_model *model);

/* Stops the worker (after the batch in progress) and frees everything. */
void cnn_batch_maker_free(struct cnn_batch_maker *maker);

/* One augmented, normalised image, as the worker makes it (for callers
 * without a maker, and for tests): `scratch` holds two images' bytes. */
void cnn_batch_maker_image(const struct cnn_dataset *set,
                           const struct cnn_train_config *config, int epoch,
                           int index, uint8_t *scratch, float *out);

#endif
