/* cnnlab — starting a model from a file's weights instead of its seeded
 * initialisation: the manifest's `model: {weights: FILE}` and `cnnlab eval
 * --weights FILE`. Any safetensors file of float32 tensors named like the
 * state_dict of the equivalent torch.nn.Sequential ("0.weight", "0.bias",
 * "3.weight", ...) fits, whoever wrote it. */
#ifndef CNNLAB_MODEL_WEIGHTS_H
#define CNNLAB_MODEL_WEIGHTS_H

#include <stddef.h>

#include "cnnlab/node.h"
#include "model/model.h"

/* The file that `model_node`'s `weights` key names, resolved into `path`
 * (size bytes): a name written in a manifest is relative to that
 * manifest's directory; one given on the command line (model.weights=FILE)
 * to the current directory. `path` is "" when there is no such key. Fails,
 * naming the place, when the value is not a file name. */
int cnn_model_weights_path(const struct cnn_node *model_node, char *path,
                           size_t size, struct cnn_error *err);

/* Loads the weights file `path` into an allocated model, after checking
 * that its tensors are exactly the model's: the error lists what differs
 * (a tensor the file lacks, one the model lacks, a shape), names the
 * file, and says how to fix it. Extra metadata in the file is ignored. */
int cnn_model_load_weights(struct cnn_model *model, const char *path,
                           struct cnn_error *err);

/* cnn_model_load_weights for the file `model_node` names, if any (no key:
 * nothing happens); errors are placed at the key in the manifest. */
int cnn_model_load_node_weights(struct cnn_model *model,
                                const struct cnn_node *model_node,
                                struct cnn_error *err);

#endif
