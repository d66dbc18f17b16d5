/* cnnlab — the training loop: seeded shuffle, mini-batches, per-epoch
 * validation, selection of the best-val epoch, final evaluation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnnlab/rng.h"
#include "device.h"
#include "train.h"

/* Seed streams of a run (init is 1, in model.c). */
#define CNN_STREAM_SHUFFLE 2

static double clock_seconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double now_seconds(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

void cnn_fill_batch(struct cnn_model *model, const struct cnn_dataset *set,
                    const int *indices, int n,
                    const struct cnn_normalization *normalization)
{
    struct cnn_shape shape = set->shape;
    size_t plane = (size_t)shape.h * (size_t)shape.w;
    size_t per_image = cnn_shape_size(shape);
    float *out = cnn_model_input(model);
    int32_t *labels = cnn_model_labels(model);
    for (int i = 0; i < n; i++)
        labels[i] = set->labels[indices[i]];
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

/* One step as the device sees it: forward, loss and, when training,
 * backward and the update. Everything it touches lives at addresses the
 * model keeps, so a captured step replays correctly. */
struct step {
    struct cnn_model *model;
    const struct cnn_train_config *config;
    int n;
    int training;
    double lr_scale;
};

static int run_step(void *user, struct cnn_error *err)
{
    const struct step *s = user;
    struct cnn_model *model = s->model;
    struct cnn_context *ctx = &model->context;
    if (cnn_model_forward(model, s->n, s->training, err) < 0)
        return -1;
    struct cnn_tensor logits = cnn_model_output(model);
    struct cnn_tensor dlogits = cnn_model_output_gradient(model);
    const struct cnn_loss_batch batch = {
        .logits = &logits,
        .labels = cnn_model_device_labels(model),
        .dlogits = s->training ? &dlogits : NULL,
        .totals = model->totals,
        .predictions = s->training ? NULL : model->predictions,
    };
    if (s->config->loss->compute(ctx, s->config->loss_params, &batch, err) < 0)
        return -1;
    if (!s->training)
        return 0;
    if (cnn_model_backward(model, err) < 0)
        return -1;
    const struct cnn_optimizer_step update = {
        .weights = model->parameters,
        .grads = model->gradients,
        .state = model->optimizer_state,
        .count = model->parameter_count,
        .step = ctx->step + 1,
        .lr_scale = s->lr_scale,
    };
    if (s->config->optimizer->step(ctx, s->config->optimizer_params, &update,
                                   err) < 0)
        return -1;
    if (model->device_type && model->device_type->step_done(ctx, err) < 0)
        return -1;
    return 0;
}

/* cnn_train_step at a learning rate of lr * lr_scale. */
static int train_step(struct cnn_model *model,
                      const struct cnn_train_config *config, int n,
                      int training, double lr_scale, struct cnn_error *err)
{
    if (cnn_model_upload_batch(model, n, err) < 0)
        return -1;
    struct step s = {model, config, n, training, lr_scale};
    struct cnn_step_key key = {n, training, training ? s.lr_scale : 0};
    if (cnn_model_run_step(model, key, run_step, &s, err) < 0)
        return -1;
    if (training)
        model->context.step++;
    return 0;
}

int cnn_train_step(struct cnn_model *model,
                   const struct cnn_train_config *config, int n,
                   int training, struct cnn_error *err)
{
    return train_step(model, config, n, training, 1.0, err);
}

/* The optimizer's base rate for the metrics: its float `lr` parameter, or
 * 1 when it declares none (the lr column then shows the factor). */
static double base_learning_rate(const struct cnn_train_config *config)
{
    const struct cnn_params *params = config->optimizer_params;
    for (int i = 0; params && i < params->count; i++)
        if (strcmp(params->specs[i].name, "lr") == 0 &&
            params->specs[i].type == CNN_PARAM_FLOAT)
            return params->values[i].floats[0];
    return 1;
}

static int bad_loss_error(const struct cnn_loss_totals *totals, int epoch,
                          struct cnn_error *err)
{
    return cnn_error_set(err,
                         "the loss became NaN or infinite at epoch %d, batch "
                         "%.0f: training stopped (lower the learning rate, "
                         "or check the labels; the last good checkpoint is "
                         "kept)",
                         epoch, totals->first_bad_batch + 1);
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
    int status = cnn_model_reserve(model, batch, err);
    if (status == 0)
        status = cnn_model_totals_reset(model, err);
    for (int start = 0; status == 0 && start < set->count; start += batch) {
        int n = set->count - start < batch ? set->count - start : batch;
        for (int i = 0; i < n; i++)
            indices[i] = start + i;
        cnn_fill_batch(model, set, indices, n, &config->normalization);
        status = cnn_train_step(model, config, n, 0, err);
        if (status == 0 && predictions)
            status = cnn_device_download(model->device_type, &model->context,
                                         predictions + start,
                                         model->predictions,
                                         (size_t)n * sizeof(int32_t), err);
    }
    free(indices);
    struct cnn_loss_totals totals = {0};
    if (status == 0)
        status = cnn_model_totals_read(model, &totals, err);
    if (status < 0)
        return -1;
    *loss = set->count ? totals.loss_sum / set->count : 0;
    *accuracy = set->count ? 100.0 * totals.correct / set->count : 0;
    return 0;
}

struct epoch_state {
    int *order;          /* train indices in this epoch's order */
    float *selected;     /* parameters of the selected epoch (host) */
};

/* Seconds between reads of the running totals on a device: each read
 * waits for the device, so it happens only as often as progress is shown.
 * On the CPU reading costs nothing and happens every batch. */
#define CNN_PROGRESS_INTERVAL 0.2

static int train_epoch(struct cnn_model *model, const struct cnn_data *data,
                       const struct cnn_train_config *config,
                       const struct cnn_train_hooks *hooks,
                       struct epoch_state *state, int epoch,
                       double lr_scale, struct cnn_epoch_metrics *metrics,
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

    if (cnn_model_totals_reset(model, err) < 0)
        return -1;
    struct cnn_loss_totals totals = {.first_bad_batch = -1};
    double last_read = now_seconds();
    int batch_index = 0;
    for (int start = 0; start < train->count; start += config->batch) {
        int n = train->count - start < config->batch ? train->count - start
                                                     : config->batch;
        cnn_fill_batch(model, train, state->order + start, n,
                       &config->normalization);
        if (train_step(model, config, n, 1, lr_scale, err) < 0)
            return -1;
        batch_index++;
        int last = start + n >= train->count;
        double now = now_seconds();
        if (!model->device_type || last ||
            now - last_read >= CNN_PROGRESS_INTERVAL) {
            last_read = now;
            if (cnn_model_totals_read(model, &totals, err) < 0)
                return -1;
            if (totals.first_bad_batch >= 0)
                return bad_loss_error(&totals, epoch, err);
            if (hooks && hooks->progress && totals.samples > 0)
                hooks->progress(hooks->user, epoch, config->epochs,
                                (long)totals.samples, train->count,
                                totals.loss_sum / totals.samples,
                                100.0 * totals.correct / totals.samples);
        }
        if (hooks && hooks->should_stop && hooks->should_stop(hooks->user))
            return cnn_error_set(err, "interrupted at epoch %d, batch %d",
                                 epoch, batch_index);
    }
    metrics->epoch = epoch;
    metrics->train_loss = totals.samples ? totals.loss_sum / totals.samples
                                         : 0;
    metrics->train_accuracy =
        totals.samples ? 100.0 * totals.correct / totals.samples : 0;
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
    int state_per_param =
        config->optimizer->state_per_param
            ? config->optimizer->state_per_param(config->optimizer_params)
            : 0;
    size_t count = model->parameter_count;
    state.order = malloc((size_t)data->train.count * sizeof *state.order);
    state.selected = malloc((count + 1) * sizeof(float));
    int status = 0;
    if (!state.order || !state.selected)
        status = cnn_error_set(err, "out of memory for training state");
    if (status == 0 &&
        !cnn_model_optimizer_state(model, count * (size_t)state_per_param,
                                   err))
        status = -1;
    if (status == 0)
        status = cnn_model_reserve(model, config->batch, err);

    double best_val = -1;
    for (int epoch = 1; status == 0 && epoch <= config->epochs; epoch++) {
        struct cnn_epoch_metrics metrics = {0};
        metrics.lr_scale =
            cnn_schedule_factor(&config->schedule, epoch, config->epochs);
        metrics.lr = base_learning_rate(config) * metrics.lr_scale;
        double started = now_seconds();
        double cpu_started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        status = train_epoch(model, data, config, hooks, &state, epoch,
                             metrics.lr_scale, &metrics, err);
        if (status < 0)
            break;
        metrics.seconds = now_seconds() - started;
        metrics.cpu_seconds = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) -
                              cpu_started;
        if (data->val.count > 0)
            status = cnn_evaluate(model, &data->val, config,
                                  &metrics.val_loss, &metrics.val_accuracy,
                                  NULL, err);
        if (status < 0)
            break;
        /* Strictly better, so ties keep the earlier epoch. */
        int selected = !config->select_best || data->val.count == 0 ||
                       metrics.val_accuracy > best_val;
        if (status == 0)
            status = cnn_model_parameters_to_host(model, err);
        if (status < 0)
            break;
        if (selected) {
            best_val = metrics.val_accuracy;
            result->selected_epoch = epoch;
            memcpy(state.selected, model->host_parameters,
                   count * sizeof(float));
        }
        result->epochs_run = epoch;
        if (hooks && hooks->epoch_done)
            status = hooks->epoch_done(hooks->user, model, &metrics,
                                       selected, err);
    }
    if (status == 0 && result->epochs_run > 0) {
        double ignored;
        memcpy(model->host_parameters, state.selected, count * sizeof(float));
        status = cnn_model_parameters_from_host(model, err);
        if (status == 0)
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
    free(state.selected);
    return status;
}
