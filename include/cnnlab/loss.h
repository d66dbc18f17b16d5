/* cnnlab — losses. A loss also keeps the running totals of an epoch (loss
 * sum, correct predictions, the first non-finite batch) where it runs, so
 * a device never waits for the host between steps. */
#ifndef CNNLAB_LOSS_H
#define CNNLAB_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "params.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_context;

/* Running totals over the batches of an evaluation or epoch, in the
 * memory of the loss's device; the core zeroes them (first_bad_batch
 * = -1) and reads them back when it needs them. */
struct cnn_loss_totals {
    double loss_sum;        /* sum over samples of the per-sample loss */
    double correct;         /* samples whose arg-max equals the label */
    double samples;
    double batches;         /* compute calls so far */
    double first_bad_batch; /* 0-based index of the first batch whose
                               loss was NaN or infinite; -1 if none */
};

/* One batch. All pointers are in the memory of the loss's device. */
struct cnn_loss_batch {
    const struct cnn_tensor *logits; /* (n, classes, 1, 1) */
    const int32_t *labels;           /* n values in [0, classes) */
    struct cnn_tensor *dlogits;      /* NULL, or d(mean loss)/d(logits) */
    struct cnn_loss_totals *totals;  /* accumulated into */
    int32_t *predictions;            /* NULL, or n arg-max classes */
};

/* The device-independent definition: the schema, and the settings parsed
 * from it once. */
struct cnn_loss_type {
    const char *name; /* "cross-entropy" */
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    /* Bytes of the typed settings `parse` fills (for the built-in loss,
     * struct cnn_cross_entropy_settings of <cnnlab/builtin_training.h>). */
    size_t settings_size;
    /* Reads the validated parameters into `settings` (settings_size zeroed
     * bytes) and checks their combinations, once, when the manifest is
     * validated; the kernels read only the settings. */
    int (*parse)(const struct cnn_params *params, void *settings,
                 struct cnn_error *err);
};

/* One device's implementation of a loss. */
struct cnn_loss_kernels {
    const char *loss; /* the cnn_loss_type name implemented */
    enum cnn_device device;
    /* Adds the batch to *totals and writes dlogits and predictions when
     * asked. The gradient is that of the batch's mean loss. A label out of
     * range is an error on the CPU, never a read out of bounds; on a
     * device, where checking would stall the stream, such a sample counts
     * as a NaN loss (so first_bad_batch names it). */
    int (*compute)(struct cnn_context *ctx, const void *settings,
                   const struct cnn_loss_batch *batch, struct cnn_error *err);
};

/* Parses `params` (validated against type->params) into a new settings
 * block of type->settings_size bytes; free it with free(). NULL, with the
 * error, when parse refuses them or memory runs out. */
void *cnn_loss_parse_settings(const struct cnn_loss_type *type,
                              const struct cnn_params *params,
                              struct cnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
