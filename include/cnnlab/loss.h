/* cnnlab — losses. */
#ifndef CNNLAB_LOSS_H
#define CNNLAB_LOSS_H

#include <stdint.h>

#include "error.h"
#include "params.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_loss_type {
    const char *name; /* "cross-entropy" */
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    enum cnn_device device;
    /* logits: (n, classes, 1, 1); labels: n values in [0, classes).
     * Writes the mean loss over the batch to *loss, and, when dlogits is
     * not NULL (same shape as logits), d(mean loss)/d(logits).
     * A label out of range is an error, never a read out of bounds. */
    int (*compute)(const struct cnn_params *params,
                   const struct cnn_tensor *logits, const int32_t *labels,
                   double *loss, struct cnn_tensor *dlogits,
                   struct cnn_error *err);
};

#ifdef __cplusplus
}
#endif
#endif
