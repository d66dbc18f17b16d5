/* cnnlab — what train_state.c and train_state_load.c share. */
#ifndef CNNLAB_TRAIN_STATE_INTERNAL_H
#define CNNLAB_TRAIN_STATE_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

#include "model/safetensors.h"
#include "train/train_state.h"

/* Doubles per epoch in "history": train loss and accuracy, val loss and
 * accuracy, seconds, CPU seconds, lr factor, lr. */
#define CNN_HISTORY_FIELDS 8

uint64_t cnn_train_state_hash(uint64_t hash, const void *data, size_t size);
/* Of the "state" and "manifest" texts and the tensors, in order. */
uint64_t cnn_train_state_checksum(const char *state, const char *manifest,
                                  const struct cnn_st_tensor *tensors,
                                  int count);
char *cnn_train_state_manifest_text(const struct cnn_node *resolved);

/* Parsing "state": 0 / NULL when good. */
int cnn_train_state_read_history(json_t *list, int count,
                                 struct cnn_epoch_metrics *history);
const char *cnn_train_state_read_position(json_t *root,
                                          struct cnn_train_snapshot *s,
                                          long long *parameters,
                                          long long *optimizer_floats,
                                          long long *threads);
/* The stored [N, 2] order into `order`: 0, -1 when it is not a
 * permutation of 0..count-1, -2 out of memory. */
int cnn_train_state_decode_order(const float *stored, int count, int *order);

/* Where two manifests first differ (map keys in any order): 1 and the
 * dotted path with what each side holds there, or 0 when equal. */
int cnn_manifest_difference(const struct cnn_node *saved,
                            const struct cnn_node *now, char *where,
                            size_t where_size, char *saved_text,
                            char *now_text, size_t text_size);

#endif
