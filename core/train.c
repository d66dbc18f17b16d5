/* cnnlab — the training loop: seeded shuffle, mini-batches, per-epoch
 * validation, selection of the best-val epoch, final evaluation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnnlab/rng.h"
#include "train.h"

/* Seed streams of a run (init is 1, in model.c). */
#define CNN_STREAM_SHUFFLE 2

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void cnn_fill_batch(struct cnn_model *model, const struct cnn_dataset *set,
                    const int *indices, int n,
                    const struct cnn_normalization *normalization)
{
    struct cnn_shape shape = set->shape;
    size_t plane = (size_t)shape.h * (size_t)shape.w;
    size_t per_image = cnn_shape_size(shape);
    float *out = cnn_model_input(model);
    for (int c = 0; c < shape.c; c++) {
        int k = normalization->count > 1 ? c : 0;
        /* (p/255 - mean) / std as one multiply-add per pixel. */
        float scale = (float)(1.0 / (255.0 * normalization->std[k]));
        float shift = (float)(-normalization->mean[k] / normalization->std[k]);
        for (int i = 0; i < n; i++) {
            const uint8_t *pixels = set->pixels +
                                    (size_t)indices[i] * per_image +
                                    (size_t)c * plane;
            float *target = out + (size_t)i * per_image + (size_t)c * plane;
            for (size_t p = 0; p < plane; p++)
                target[p] = (float)pixels[p] * scale + shift;
        }
    }
}

static int count_correct(const struct cnn_tensor *logits,
                         const int32_t *labels, int32_t *predictions)
{
    int classes = (int)cnn_shape_size(logits->shape);
    int correct = 0;
    for (int i = 0; i < logits->n; i++) {
        const float *row = logits->data + (size_t)i * (size_t)classes;
        int best = 0;
        for (int k = 1; k < classes; k++)
            if (row[k] > row[best])
                best = k;
        correct += best == labels[i];
        if (predictions)
            predictions[i] = best;
    }
    return correct;
}

int cnn_evaluate(struct cnn_model *model, const struct cnn_dataset *set,
                 const struct cnn_train_config *config, double *loss,
                 double *accuracy, int32_t *predictions,
                 struct cnn_error *err)
{
    int batch = config->eval_batch > 0 ? config->eval_batch : config->batch;
    int *indices = malloc((size_t)batch * sizeof *indices);
    if (!indices)
        return cnn_error_set(err, "out of memory");
    double loss_sum = 0;
    long correct = 0;
    int status = cnn_model_reserve(model, batch, err);
    for (int start = 0; status == 0 && start < set->count; start += batch) {
        int n = set->count - start < batch ? set->count - start : batch;
        for (int i = 0; i < n; i++)
            indices[i] = start + i;
        cnn_fill_batch(model, set, indices, n, &config->normalization);
        status = cnn_model_forward(model, n, 0, err);
        if (status < 0)
            break;
        struct cnn_tensor logits = cnn_model_output(model);
        double batch_loss = 0;
        status = config->loss->compute(config->loss_params, &logits,
                                       set->labels + start, &batch_loss,
                                       NULL, err);
        loss_sum += batch_loss * n;
        correct += count_correct(&logits, set->labels + start,
                                 predictions ? predictions + start : NULL);
    }
    free(indices);
    if (status < 0)
        return -1;
    *loss = set->count ? loss_sum / set->count : 0;
    *accuracy = set->count ? 100.0 * (double)correct / set->count : 0;
    return 0;
}

struct epoch_state {
    int *order;          /* train indices in this epoch's order */
    int32_t *labels;     /* the current batch's labels */
    float *optimizer_state;
    int state_per_param;
    float *selected;     /* parameters of the selected epoch */
};

static int train_epoch(struct cnn_model *model, const struct cnn_data *data,
                       const struct cnn_train_config *config,
                       const struct cnn_train_hooks *hooks,
                       struct epoch_state *state, int epoch,
                       struct cnn_epoch_metrics *metrics,
                       struct cnn_error *err)
{
    const struct cnn_dataset *train = &data->train;
    struct cnn_rng rng;
    /* One shuffle stream per epoch: epoch e's order depends only on the
     * seed and e, which keeps a resumed run identical. */
    cnn_rng_seed_stream(&rng, config->seed,
                        ((uint64_t)CNN_STREAM_SHUFFLE << 32) | (uint64_t)epoch);
    for (int i = 0; i < train->count; i++)
        state->order[i] = i;
    cnn_rng_shuffle(&rng, state->order, (size_t)train->count);

    double loss_sum = 0;
    long correct = 0, seen = 0;
    int batch_index = 0;
    for (int start = 0; start < train->count; start += config->batch) {
        int n = train->count - start < config->batch ? train->count - start
                                                     : config->batch;
        int32_t *labels = state->labels;
        for (int i = 0; i < n; i++)
            labels[i] = train->labels[state->order[start + i]];
        cnn_fill_batch(model, train, state->order + start, n,
                       &config->normalization);
        if (cnn_model_forward(model, n, 1, err) < 0)
            return -1;
        struct cnn_tensor logits = cnn_model_output(model);
        struct cnn_tensor dlogits = cnn_model_output_gradient(model);
        double loss = 0;
        if (config->loss->compute(config->loss_params, &logits, labels, &loss,
                                  &dlogits, err) < 0)
            return -1;
        batch_index++;
        if (!isfinite(loss))
            return cnn_error_set(err,
                                 "the loss became %s at epoch %d, batch %d: "
                                 "training stopped (lower the learning rate; "
                                 "the last good checkpoint is kept)",
                                 isnan(loss) ? "NaN" : "infinite", epoch,
                                 batch_index);
        loss_sum += loss * n;
        correct += count_correct(&logits, labels, NULL);
        seen += n;
        if (cnn_model_backward(model, err) < 0)
            return -1;
        model->context.step++;
        if (config->optimizer->step(config->optimizer_params,
                                    model->parameters, model->gradients,
                                    state->optimizer_state,
                                    model->parameter_count,
                                    model->context.step, err) < 0)
            return -1;
        if (hooks && hooks->progress)
            hooks->progress(hooks->user, epoch, config->epochs, seen,
                            train->count, loss_sum / seen,
                            100.0 * (double)correct / seen);
        if (hooks && hooks->should_stop && hooks->should_stop(hooks->user))
            return cnn_error_set(err, "interrupted at epoch %d, batch %d",
                                 epoch, batch_index);
    }
    metrics->epoch = epoch;
    metrics->train_loss = seen ? loss_sum / seen : 0;
    metrics->train_accuracy = seen ? 100.0 * (double)correct / seen : 0;
    return 0;
}

int cnn_train(struct cnn_model *model, const struct cnn_data *data,
              const struct cnn_train_config *config,
              const struct cnn_train_hooks *hooks,
              struct cnn_train_result *result, struct cnn_error *err)
{
    memset(result, 0, sizeof *result);
    if (data->train.count == 0)
        return cnn_error_set(err, "the training split is empty");
    struct epoch_state state = {0};
    state.state_per_param =
        config->optimizer->state_per_param
            ? config->optimizer->state_per_param(config->optimizer_params)
            : 0;
    size_t count = model->parameter_count;
    state.order = malloc((size_t)data->train.count * sizeof *state.order);
    state.optimizer_state = calloc(count * (size_t)state.state_per_param + 1,
                                   sizeof(float));
    state.selected = malloc((count + 1) * sizeof(float));
    state.labels = malloc((size_t)config->batch * sizeof *state.labels);
    int status = 0;
    if (!state.order || !state.optimizer_state || !state.selected ||
        !state.labels)
        status = cnn_error_set(err, "out of memory for training state");
    if (status == 0)
        status = cnn_model_reserve(model, config->batch, err);

    double best_val = -1;
    for (int epoch = 1; status == 0 && epoch <= config->epochs; epoch++) {
        struct cnn_epoch_metrics metrics = {0};
        double started = now_seconds();
        status = train_epoch(model, data, config, hooks, &state, epoch,
                             &metrics, err);
        if (status < 0)
            break;
        metrics.seconds = now_seconds() - started;
        if (data->val.count > 0)
            status = cnn_evaluate(model, &data->val, config,
                                  &metrics.val_loss, &metrics.val_accuracy,
                                  NULL, err);
        if (status < 0)
            break;
        /* Strictly better, so ties keep the earlier epoch. */
        int selected = !config->select_best || data->val.count == 0 ||
                       metrics.val_accuracy > best_val;
        if (selected) {
            best_val = metrics.val_accuracy;
            result->selected_epoch = epoch;
            memcpy(state.selected, model->parameters, count * sizeof(float));
        }
        result->epochs_run = epoch;
        if (hooks && hooks->epoch_done)
            status = hooks->epoch_done(hooks->user, model, &metrics,
                                       selected, err);
    }
    if (status == 0 && result->epochs_run > 0) {
        double ignored;
        memcpy(model->parameters, state.selected, count * sizeof(float));
        status = cnn_evaluate(model, &data->train, config, &ignored,
                              &result->train_accuracy, NULL, err);
        if (status == 0 && data->val.count > 0)
            status = cnn_evaluate(model, &data->val, config, &ignored,
                                  &result->val_accuracy, NULL, err);
        if (status == 0 && data->test.count > 0)
            status = cnn_evaluate(model, &data->test, config,
                                  &result->test_loss,
                                  &result->test_accuracy, NULL, err);
    }
    free(state.order);
    free(state.optimizer_state);
    free(state.selected);
    free(state.labels);
    return status;
}
