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
 * to the current directory. `path` is "" when there is no such key, and
 * for `{variant: V}`, another variant's weights, which the manifest
 * resolves (manifest_sibling.c). Fails, naming the place, when the value
 * is neither. */
int cnn_model_weights_path(const struct cnn_node *model_node, char *path,
                           size_t size, struct cnn_error *err);

/* Loads the weights file `path` into an allocated model, after checking
 * that its tensors are exactly the model's: the error lists what differs
 * (a tensor the file lacks, one the model lacks, a shape), names the
 * file, and says how to fix it. Extra metadata in the file is ignored. */
int cnn_model_load_weights(struct cnn_model *model, const char *path,
                           struct cnn_error *err);

/* A new head for fine-tuning: whether one may start (the caller sets
 * `allowed`: a run that trains), and the layer that kept its
 * initialisation because the file's has another output count, or -1. */
struct cnn_new_head {
    int allowed;
    /* `model.new_head: true`: the head starts afresh even when the file's
     * fits it (a new task with the same class count). */
    int requested;
    int layer;
    char detail[256]; /* "'6.weight' is [5, 128] in the file, [10, 128] in
                         the model" */
};

/* cnn_model_load_weights for a run's starting weights (model.weights,
 * model.from). With head->allowed, a file that fits but for the head (the
 * model's last layer with parameters), whose tensors differ in their
 * first dimension only (another class count), loads every other tensor
 * and leaves the head as initialised: head->layer says which. Without it
 * (head NULL, or a run that only evaluates) such a file fails, and the
 * message says that fine-tuning would start a new head. Any other
 * difference fails as in cnn_model_load_weights. */
int cnn_model_load_start_weights(struct cnn_model *model, const char *path,
                                 struct cnn_new_head *head,
                                 struct cnn_error *err);

/* `model.new_head` (a bool, false when absent) into *wanted. true needs
 * starting weights (model.weights or model.from): an error at the key
 * otherwise, and for a value that is not true or false. */
int cnn_model_new_head_wanted(const struct cnn_node *model_node, int *wanted,
                              struct cnn_error *err);

/* cnn_model_load_start_weights for the file `model_node` names, if any (no
 * key: nothing happens; head may be NULL: the file must fit exactly);
 * errors are placed at the key in the manifest. */
int cnn_model_load_node_weights(struct cnn_model *model,
                                const struct cnn_node *model_node,
                                struct cnn_new_head *head,
                                struct cnn_error *err);

#endif
