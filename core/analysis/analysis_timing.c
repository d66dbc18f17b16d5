/* cnnlab — per-layer time of a training step: each layer's forward and
 * backward run on their own, with the device drained before and after,
 * so a layer is charged only for its own work. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int drain(struct cnn_model *model, struct cnn_error *err)
{
    if (!model->device_type)
        return 0;
    return model->device_type->synchronize(&model->context, err);
}

/* The loss's gradient of the logits, so backward sees realistic values
 * (the loss's own time is not a layer's). */
static int loss_gradient(struct cnn_model *model,
                         const struct cnn_train_config *config,
                         struct cnn_error *err)
{
    struct cnn_tensor logits = cnn_model_output(model);
    struct cnn_tensor dlogits = cnn_model_output_gradient(model);
    const struct cnn_loss_batch batch = {
        .logits = &logits,
        .labels = cnn_model_device_labels(model),
        .dlogits = &dlogits,
        .totals = model->totals,
        .predictions = NULL,
    };
    return config->loss_kernels->compute(&model->context,
                                         config->loss_settings, &batch, err);
}

static int timed_forward(struct cnn_model *model, int n, double *seconds,
                         struct cnn_error *err)
{
    for (int i = 0; i < model->layer_count; i++) {
        if (drain(model, err) < 0)
            return -1;
        double started = now_seconds();
        if (cnn_model_forward_layer(model, i, n, 1, err) < 0 ||
            drain(model, err) < 0)
            return -1;
        seconds[i] += now_seconds() - started;
    }
    model->batch = n;
    return 0;
}

static int timed_backward(struct cnn_model *model, int n, double *seconds,
                          struct cnn_error *err)
{
    for (int i = model->layer_count - 1; i >= 0; i--) {
        if (drain(model, err) < 0)
            return -1;
        double started = now_seconds();
        if (cnn_model_backward_layer(model, i, n, err) < 0 ||
            drain(model, err) < 0)
            return -1;
        seconds[i] += now_seconds() - started;
    }
    return 0;
}

int cnn_analysis_time_layers(struct cnn_analysis *analysis, int batch,
                             int repeats, double *forward, double *backward,
                             struct cnn_error *err)
{
    struct cnn_model *model = cnn_analysis_model(analysis);
    const struct cnn_train_config *config =
        cnn_analysis_train_config(analysis);
    const struct cnn_data *data = cnn_analysis_data(analysis);
    if (batch < 1 || repeats < 1)
        return cnn_error_set(err, "timing layers needs a batch and a repeat "
                                  "count of at least 1 (got %d and %d)",
                             batch, repeats);
    if (!data || data->train.count == 0)
        return cnn_error_set(err, "timing layers needs training images, and "
                                  "the training split is empty");
    /* Timing runs training forwards, which move batch norm's running
     * statistics: they are put back after, so that the analyses after
     * this one see the trained model's. */
    float *kept = cnn_model_keep_buffers(model, err);
    if (!kept)
        return -1;
    int *indices = malloc((size_t)batch * sizeof *indices);
    if (!indices) {
        free(kept);
        return cnn_error_set(err, "out of memory");
    }
    /* The first images of the split, repeated when it holds fewer. */
    for (int i = 0; i < batch; i++)
        indices[i] = i % data->train.count;
    int status = cnn_model_reserve(model, batch, err);
    if (status == 0) {
        cnn_fill_batch(model, &data->train, indices, batch,
                       &config->normalization);
        status = cnn_model_upload_batch(model, batch, err);
    }
    free(indices);
    /* The warm-up prepares every kernel for this batch size (primitives,
     * workspaces), which the timed passes must not pay for. */
    if (status == 0)
        status = cnn_model_forward(model, batch, 1, err);
    if (status == 0)
        status = loss_gradient(model, config, err);
    if (status == 0)
        status = cnn_model_backward(model, err);
    int layers = model->layer_count;
    for (int i = 0; i < layers; i++)
        forward[i] = backward[i] = 0;
    for (int r = 0; status == 0 && r < repeats; r++) {
        status = timed_forward(model, batch, forward, err);
        if (status == 0)
            status = loss_gradient(model, config, err);
        if (status == 0)
            status = timed_backward(model, batch, backward, err);
    }
    /* Restored on failure too (that error is the one reported). */
    struct cnn_error restoring = {0};
    if (cnn_model_restore_buffers(model, kept, &restoring) < 0 &&
        status == 0) {
        *err = restoring;
        status = -1;
    }
    if (status < 0)
        return cnn_error_prefix(err, "timing layers at batch %d: ", batch);
    for (int i = 0; i < layers; i++) {
        forward[i] /= repeats;
        backward[i] /= repeats;
    }
    return 0;
}
