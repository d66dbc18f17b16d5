/* cnnlab — ablation's predictions with each chosen filter off, reusing the
 * activations before the ablated layer (ablation_reuse.c). */
#ifndef CNNLAB_ABLATION_REUSE_H
#define CNNLAB_ABLATION_REUSE_H

#include "analyses.h"

/* Predicted classes of the test split with each of filters[0..count) of
 * layer `layer` switched off alone (weights, and the bias when
 * `with_bias`): after[f * test_count + i] for filter f and image i. The
 * layers before `layer` do not depend on its weights, so they run once
 * per batch of images, and only the rest of the model runs per filter;
 * every filter is back on when this returns, whether it fails or not. */
int ablation_predict_off(struct cnn_analysis *analysis, int layer,
                         const int *filters, int count, int with_bias,
                         int32_t *after, struct cnn_error *err);

#endif
