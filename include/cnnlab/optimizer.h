/* cnnlab — optimizers step over flat arrays: the model's parameters,
 * gradients and optimizer state are each one contiguous buffer. */
#ifndef CNNLAB_OPTIMIZER_H
#define CNNLAB_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "params.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_optimizer_type {
    const char *name; /* "sgd" */
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    enum cnn_device device;
    /* Floats of state per parameter (SGD with momentum: 1, Adam: 2). The
     * core allocates count*state_per_param floats, zeroed, and saves them
     * in training checkpoints. */
    int (*state_per_param)(const struct cnn_params *params);
    /* One update. weights, grads: `count` floats; state: as above,
     * laid out as state_per_param consecutive arrays of `count` floats.
     * step is 1 for the first update. */
    int (*step)(const struct cnn_params *params, float *weights,
                const float *grads, float *state, size_t count,
                uint64_t step, struct cnn_error *err);
    /* Checks combinations of parameters that each pass their own range
     * (SGD: nesterov needs momentum), when the manifest is validated, so a
     * bad combination is refused before any data loads. May be NULL. */
    int (*check)(const struct cnn_params *params, struct cnn_error *err);
};

#ifdef __cplusplus
}
#endif
#endif
