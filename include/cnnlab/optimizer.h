/* cnnlab — optimizers step over flat arrays: the model's parameters,
 * gradients and optimizer state are each one contiguous buffer, in the
 * memory of the optimizer's device. */
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

struct cnn_context;

/* One update of `count` parameters. */
struct cnn_optimizer_step {
    float *weights;
    const float *grads;
    /* state_per_param consecutive arrays of `count` floats, zeroed before
     * the first step. */
    float *state;
    size_t count;
    /* 1 for the first update. A device that replays captured steps gives
     * the count in ctx->device_step instead (see layer.h). */
    uint64_t step;
    /* The learning-rate schedule's factor for this step (1 without a
     * schedule): the rate used is lr * lr_scale. A captured step is
     * captured again when it changes. */
    double lr_scale;
};

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
    int (*step)(struct cnn_context *ctx, const struct cnn_params *params,
                const struct cnn_optimizer_step *step, struct cnn_error *err);
    /* Checks combinations of parameters that each pass their own range
     * (SGD: nesterov needs momentum), when the manifest is validated, so a
     * bad combination is refused before any data loads. May be NULL. */
    int (*check)(const struct cnn_params *params, struct cnn_error *err);
};

#ifdef __cplusplus
}
#endif
#endif
