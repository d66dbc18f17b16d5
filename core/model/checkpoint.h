/* cnnlab — a model's parameters as a safetensors checkpoint. */
#ifndef CNNLAB_CHECKPOINT_H
#define CNNLAB_CHECKPOINT_H

#include "cnnlab/error.h"
#include "model/model.h"

/* Saves / loads a model's parameters by tensor name ("0.weight": the
 * layer's index and the tensor's name), checking every shape. Save writes
 * host_parameters: on a device, call cnn_model_parameters_to_host first;
 * load also sends them to the device. */
int cnn_model_save(const struct cnn_model *model, const char *path,
                   int epoch, struct cnn_error *err);
int cnn_model_load(struct cnn_model *model, const char *path,
                   struct cnn_error *err);
/* cnn_model_load leaving layer `keep_layer`'s tensors as they are (-1:
 * none): the file must still name them, in whatever shape (a new head
 * for fine-tuning, model_weights.c). */
int cnn_model_load_except(struct cnn_model *model, const char *path,
                          int keep_layer, struct cnn_error *err);

#endif
