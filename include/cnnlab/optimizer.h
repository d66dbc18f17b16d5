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

/* One update of `count` parameters: the model's trainable ones (frozen
 * layers' parameters follow them in the buffers and are not part of the
 * step: no update, no state, no weight decay). */
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

/* The device-independent definition: the schema, and the settings parsed
 * from it once. */
struct cnn_optimizer_type {
    const char *name; /* "sgd" */
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    /* Bytes of the typed settings `parse` fills (for the built-in
     * optimizers, the structs of <cnnlab/builtin_training.h>). */
    size_t settings_size;
    /* Reads the validated parameters (each already within its spec's
     * range) into `settings`, settings_size zeroed bytes, and checks their
     * combinations (SGD: nesterov needs momentum). Called once, when the
     * manifest is validated, so a bad combination is refused before any
     * data loads; the kernels read only the settings, so nothing in the
     * step loop looks a parameter up by name. */
    int (*parse)(const struct cnn_params *params, void *settings,
                 struct cnn_error *err);
    /* Floats of state per parameter with these settings (SGD with
     * momentum: 1, Adam: 2). The core allocates count*state_per_param
     * floats, zeroed, and saves them in training checkpoints. NULL: no
     * state. */
    int (*state_per_param)(const void *settings);
};

/* One device's implementation of an optimizer, registered by whichever
 * module serves that device. */
struct cnn_optimizer_kernels {
    const char *optimizer; /* the cnn_optimizer_type name implemented */
    enum cnn_device device;
    /* One update with the parsed settings. */
    int (*step)(struct cnn_context *ctx, const void *settings,
                const struct cnn_optimizer_step *step, struct cnn_error *err);
};

/* Parses `params` (validated against type->params) into a new settings
 * block of type->settings_size bytes; free it with free(). NULL, with the
 * error, when parse refuses them or memory runs out. */
void *cnn_optimizer_parse_settings(const struct cnn_optimizer_type *type,
                                   const struct cnn_params *params,
                                   struct cnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
