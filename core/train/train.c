/* cnnlab — the training loop: seeded shuffle, mini-batches, per-epoch
 * validation, selection of the best-val epoch, final evaluation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnnlab/rng.h"
#include "model/device.h"
#include "train/batch_maker.h"
#include "train/train.h"
#include "train/train_state.h"

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

void cnn_normalize_pixels(const uint8_t *pixels, struct cnn_shape shape,
                          const struct cnn_normalization *normalization,
                          float *out)
{
    size_t plane = (size_t)shape.h * (size_t)shape.w;
    for (int c = 0; c < shape.c; c++) {
        int k = normalization->count > 1 ? c : 0;
        /* (p/255 - mean) / std as one multiply-add per pixel. */
        float scale = (float)(1.0 / (255.0 * normalization->std[k]));
        float shift = (float)(-normalization->mean[k] / normalization->std[k]);
        const uint8_t *source = pixels + (size_t)c * plane;
        float *target = out + (size_t)c * plane;
        for (size_t p = 0; p < plane; p++)
            target[p] = (float)source[p] * scale + shift;
    }
}

void cnn_fill_batch(struct cnn_model *model, const struct cnn_dataset *set,
                    const int *indices, int n,
                    const struct cnn_normalization *normalization)
{
    size_t per_image = cnn_shape_size(set->shape);
    float *out = cnn_model_input(model);
    int32_t *labels = cnn_model_labels(model);
    for (int i = 0; i < n; i++) {
        labels[i] = set->labels[indices[i]];
        cnn_normalize_pixels(set->pixels + (size_t)indices[i] * per_image,
                             set->shape, normalization,
                             out + (size_t)i * per_image);
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
    if (s->config->loss_kernels->compute(ctx, s->config->loss_settings,
                                         &batch, err) < 0)
        return -1;
    if (!s->training)
        return 0;
    if (cnn_model_backward(model, err) < 0)
        return -1;
    /* Frozen layers' parameters follow the trainable ones in the flat
     * buffers: the update (weight decay included) never reaches them. */
    const struct cnn_optimizer_step update = {
        .weights = model->parameters,
        .grads = model->gradients,
        .state = model->optimizer_state,
        .count = model->trainable_count,
        .step = ctx->step + 1,
        .lr_scale = s->lr_scale,
    };
    if (s->config->optimizer_kernels->step(ctx, s->config->optimizer_settings,
                                           &update, err) < 0)
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

int cnn_train_state_per_param(const struct cnn_train_config *config)
{
    return config->optimizer->state_per_param
               ? config->optimizer->state_per_param(
                     config->optimizer_settings)
               : 0;
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

/* A NaN or infinity stops training; the weights of the last selected
 * epoch (the ones the run saved) stay the result, and the message says
 * which epoch that is. */
static int not_finite_error(const char *what, int kept_epoch,
                            struct cnn_error *err)
{
    if (kept_epoch > 0)
        return cnn_error_set(err,
                             "%s: training stopped; the weights of epoch %d "
                             "(the last one train.select chose) are kept "
                             "(lower the learning rate, or check the data "
                             "and labels)",
                             what, kept_epoch);
    return cnn_error_set(err,
                         "%s: training stopped before any epoch was "
                         "selected, so no weights are kept (lower the "
                         "learning rate, or check the data and labels)",
                         what);
}

static int bad_loss_error(const struct cnn_loss_totals *totals, int epoch,
                          int kept_epoch, struct cnn_error *err)
{
    char what[128];
    snprintf(what, sizeof what,
             "the loss became NaN or infinite at epoch %d, batch %.0f", epoch,
             totals->first_bad_batch + 1);
    return not_finite_error(what, kept_epoch, err);
}

/* After an epoch: weights turned NaN by its last update (whose loss was
 * still finite) or a validation loss that is not finite must not become
 * the selected, saved weights. Needs the host copy of the parameters. */
static int check_epoch_finite(const struct cnn_model *model,
                              const struct cnn_epoch_metrics *metrics,
                              int epoch, int kept_epoch,
                              struct cnn_error *err)
{
    char what[128];
    if (!cnn_model_host_finite(model))
        snprintf(what, sizeof what,
                 "the weights became NaN or infinite during epoch %d", epoch);
    else if (!isfinite(metrics->val_loss))
        snprintf(what, sizeof what,
                 "the validation loss after epoch %d is NaN or infinite",
                 epoch);
    else
        return 0;
    return not_finite_error(what, kept_epoch, err);
}

/* cnn_evaluate on `set`, one of data's splits, waiting for its images as
 * they are decoded and passing over those left out; with data NULL every
 * image must be in place. predictions need data NULL. */
static int evaluate_split(struct cnn_model *model,
                          const struct cnn_data *data,
                          const struct cnn_dataset *set,
                          const struct cnn_train_config *config,
                          double *loss, double *accuracy,
                          int32_t *predictions, struct cnn_error *err)
{
    int batch = config->eval_batch > 0 ? config->eval_batch : config->batch;
    int *indices = malloc((size_t)batch * sizeof *indices);
    if (!indices)
        return cnn_error_set(err, "out of memory");
    int status = cnn_model_reserve(model, batch, err);
    if (status == 0)
        status = cnn_model_totals_reset(model, err);
    long evaluated = 0;
    for (int start = 0; status == 0 && start < set->count; start += batch) {
        int n = set->count - start < batch ? set->count - start : batch;
        for (int i = 0; i < n; i++)
            indices[i] = start + i;
        if (data)
            n = cnn_data_wait_images(data, set, indices, n, err);
        if (n <= 0) {
            status = n;
            continue;
        }
        cnn_fill_batch(model, set, indices, n, &config->normalization);
        status = cnn_train_step(model, config, n, 0, err);
        evaluated += n;
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
    *loss = evaluated ? totals.loss_sum / (double)evaluated : 0;
    *accuracy = evaluated ? 100.0 * totals.correct / (double)evaluated : 0;
    return 0;
}

int cnn_evaluate(struct cnn_model *model, const struct cnn_dataset *set,
                 const struct cnn_train_config *config, double *loss,
                 double *accuracy, int32_t *predictions,
                 struct cnn_error *err)
{
    return evaluate_split(model, NULL, set, config, loss, accuracy,
                          predictions, err);
}

/* Epoch e's order of the training images: one shuffle stream per epoch,
 * so it depends only on the seed and e, which keeps a resumed run
 * identical, and the first epoch's order is known before training starts
 * (background decoding follows it). */
static void epoch_order(uint64_t seed, int epoch, int *order, int count)
{
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, seed,
                        ((uint64_t)CNN_STREAM_SHUFFLE << 32) |
                            (uint64_t)epoch);
    for (int i = 0; i < count; i++)
        order[i] = i;
    cnn_rng_shuffle(&rng, order, (size_t)count);
}

struct epoch_state {
    int *order;          /* train indices in this epoch's order */
    float *selected;     /* parameters of the selected epoch (host) */
    int selected_epoch;  /* that epoch; 0 before one is selected */
    double best_val;     /* its val accuracy; -1 before */
    struct cnn_epoch_metrics *history; /* the finished epochs */
    int history_count;
    double started, cpu_started; /* the epoch's start (moved back by its
                                    time before an interruption) */
    /* Resuming: the snapshot, until the epoch it stopped in begins. */
    const struct cnn_train_snapshot *resume;
};

/* Hands save_state the position after `batch` batches of `epoch` (0:
 * before it begins; then the totals are not needed). */
static int save_position(struct cnn_model *model,
                         const struct cnn_train_hooks *hooks,
                         const struct epoch_state *state, int epoch,
                         int batch, int train_count,
                         const struct cnn_loss_totals *totals,
                         struct cnn_error *err)
{
    if (!hooks || !hooks->save_state)
        return 0;
    struct cnn_train_snapshot s = {
        .epoch = epoch,
        .batch = batch,
        .order = batch > 0 ? state->order : NULL,
        .order_count = train_count,
        .totals = {.first_bad_batch = -1},
        .step = model->context.step,
        .best_val = state->best_val,
        .selected_epoch = state->selected_epoch,
        .selected = state->selected_epoch > 0 ? state->selected : NULL,
        .history = state->history,
        .history_count = state->history_count,
    };
    if (batch > 0) {
        s.totals = *totals;
        s.seconds = now_seconds() - state->started;
        s.cpu_seconds = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) -
                        state->cpu_started;
    }
    return hooks->save_state(hooks->user, model, &s, err);
}

/* should_stop asked: the state is saved as it is after `batch` batches. */
static int stop_after_batch(struct cnn_model *model,
                            const struct cnn_train_hooks *hooks,
                            const struct epoch_state *state, int epoch,
                            int batch, int train_count,
                            struct cnn_error *err)
{
    if (!hooks->save_state)
        return cnn_error_set(err, "interrupted at epoch %d, batch %d",
                             epoch, batch);
    /* A device's totals are read only now and then: read them exactly. */
    struct cnn_loss_totals totals;
    if (cnn_model_totals_read(model, &totals, err) < 0 ||
        save_position(model, hooks, state, epoch, batch, train_count,
                      &totals, err) < 0)
        return cnn_error_prefix(err,
                                "interrupted at epoch %d, batch %d, but its "
                                "state was not saved: ",
                                epoch, batch);
    return cnn_error_set(err,
                         "interrupted at epoch %d, batch %d; its state is "
                         "saved (`cnnlab run --resume` continues the run)",
                         epoch, batch);
}

/* The epoch a resumed run stopped in picks up its order, running totals
 * and time so far. Returns the batches it had done (0: `epoch` begins
 * afresh), or -1. */
static int resume_epoch(struct cnn_model *model, struct epoch_state *state,
                        int epoch, int train_count,
                        struct cnn_loss_totals *totals, struct cnn_error *err)
{
    const struct cnn_train_snapshot *s = state->resume;
    if (!s || s->epoch != epoch || s->batch == 0)
        return 0;
    state->resume = NULL;
    memcpy(state->order, s->order, (size_t)train_count * sizeof *s->order);
    *totals = s->totals;
    state->started -= s->seconds;
    state->cpu_started -= s->cpu_seconds;
    if (cnn_device_upload(model->device_type, &model->context, model->totals,
                          totals, sizeof *totals, err) < 0)
        return -1;
    return s->batch;
}

/* A resumed run takes back the model's weights, optimizer state and step
 * count, the history and the selection. Returns the first epoch to run. */
static int resume_run(struct cnn_model *model, struct epoch_state *state,
                      const struct cnn_train_snapshot *from, int epochs,
                      struct cnn_train_result *result, struct cnn_error *err)
{
    if (from->epoch < 1 || from->epoch > epochs + 1 ||
        from->history_count != from->epoch - 1 ||
        from->selected_epoch > from->history_count ||
        (from->selected_epoch > 0 && !from->selected))
        return cnn_error_set(err, "the saved training state does not fit "
                                  "this run");
    if (cnn_train_snapshot_apply(model, from, err) < 0)
        return -1;
    if (from->history_count > 0)
        memcpy(state->history, from->history,
               (size_t)from->history_count * sizeof *state->history);
    state->history_count = from->history_count;
    state->best_val = from->best_val;
    state->selected_epoch = from->selected_epoch;
    if (from->selected)
        memcpy(state->selected, from->selected,
               model->parameter_count * sizeof(float));
    state->resume = from;
    result->selected_epoch = from->selected_epoch;
    result->epochs_run = from->history_count;
    return from->epoch;
}

/* Seconds between reads of the running totals on a device: each read
 * waits for the device, so it happens only as often as progress is shown.
 * On the CPU reading costs nothing and happens every batch. */
#define CNN_PROGRESS_INTERVAL 0.2

/* Where an epoch's batches come from: the training split in the epoch's
 * order, waited for while decoding in the background, and with
 * augmentation made one batch ahead by the batch maker. */
struct batch_source {
    const struct cnn_data *data;
    const struct cnn_train_config *config;
    struct epoch_state *state;
    struct cnn_batch_maker *maker; /* NULL without augmentation */
    int epoch;
};

/* Waits for the images of the batch at `start` (left-out ones drop out,
 * so the batch may shrink) and, with a maker, starts making it. Returns
 * the images kept, or -1. */
static int begin_batch(const struct batch_source *source, int start,
                       struct cnn_error *err)
{
    const struct cnn_dataset *train = &source->data->train;
    int batch = source->config->batch;
    int n = train->count - start < batch ? train->count - start : batch;
    int *indices = source->state->order + start;
    int kept = cnn_data_wait_images(source->data, train, indices, n, err);
    if (kept > 0 && source->maker)
        cnn_batch_maker_request(source->maker, source->epoch, indices, kept);
    return kept;
}

/* Puts the begun batch at `start` into the model's input. */
static void fill_begun_batch(struct cnn_model *model,
                             const struct batch_source *source, int start,
                             int kept)
{
    if (source->maker)
        cnn_batch_maker_take(source->maker, model);
    else
        cnn_fill_batch(model, &source->data->train,
                       source->state->order + start, kept,
                       &source->config->normalization);
}

/* Reads the running totals (on a device, only as often as progress is
 * shown), stops at a non-finite loss and reports progress. */
static int follow_totals(struct cnn_model *model,
                         const struct batch_source *source,
                         const struct cnn_train_hooks *hooks, int last,
                         double *last_read, struct cnn_loss_totals *totals,
                         struct cnn_error *err)
{
    double now = now_seconds();
    if (model->device_type && !last &&
        now - *last_read < CNN_PROGRESS_INTERVAL)
        return 0;
    *last_read = now;
    if (cnn_model_totals_read(model, totals, err) < 0)
        return -1;
    if (totals->first_bad_batch >= 0)
        return bad_loss_error(totals, source->epoch,
                              source->state->selected_epoch, err);
    if (hooks && hooks->progress && totals->samples > 0)
        hooks->progress(hooks->user, source->epoch, source->config->epochs,
                        (long)totals->samples, source->data->train.count,
                        totals->loss_sum / totals->samples,
                        100.0 * totals->correct / totals->samples);
    return 0;
}

/* The epoch's batches from `batch_index` on. With a maker the next batch
 * is begun before the step on this one, so it is made while the model
 * trains; without one, each batch is begun when its turn comes. */
static int train_batches(struct cnn_model *model,
                         const struct batch_source *source,
                         const struct cnn_train_hooks *hooks,
                         int batch_index, double lr_scale,
                         struct cnn_loss_totals *totals,
                         struct cnn_error *err)
{
    const struct cnn_train_config *config = source->config;
    int count = source->data->train.count;
    double last_read = now_seconds();
    int start = batch_index * config->batch;
    int kept = start < count ? begin_batch(source, start, err) : 0;
    for (; start < count; start += config->batch) {
        if (kept < 0)
            return -1;
        if (kept > 0)
            fill_begun_batch(model, source, start, kept);
        int next = start + config->batch;
        int next_kept = 0;
        if (next < count && source->maker)
            next_kept = begin_batch(source, next, err);
        if (kept > 0 &&
            train_step(model, config, kept, 1, lr_scale, err) < 0)
            return -1;
        batch_index++;
        if (follow_totals(model, source, hooks, next >= count, &last_read,
                          totals, err) < 0)
            return -1;
        if (hooks && hooks->should_stop && hooks->should_stop(hooks->user))
            return stop_after_batch(model, hooks, source->state,
                                    source->epoch, batch_index, count, err);
        if (next < count && !source->maker)
            next_kept = begin_batch(source, next, err);
        kept = next_kept;
    }
    return 0;
}

static int train_epoch(struct cnn_model *model, const struct cnn_data *data,
                       const struct cnn_train_config *config,
                       const struct cnn_train_hooks *hooks,
                       struct epoch_state *state, int epoch,
                       double lr_scale, struct cnn_epoch_metrics *metrics,
                       struct cnn_error *err)
{
    const struct cnn_dataset *train = &data->train;
    epoch_order(config->seed, epoch, state->order, train->count);

    if (cnn_model_totals_reset(model, err) < 0)
        return -1;
    struct cnn_loss_totals totals = {.first_bad_batch = -1};
    int batch_index = resume_epoch(model, state, epoch, train->count, &totals,
                                   err);
    if (batch_index < 0)
        return -1;
    struct batch_source source = {data, config, state, NULL, epoch};
    if (config->augmentation.count > 0 &&
        cnn_batch_maker_new(&source.maker, train, config, config->batch,
                            err) < 0)
        return -1;
    int status = train_batches(model, &source, hooks, batch_index, lr_scale,
                               &totals, err);
    cnn_batch_maker_free(source.maker);
    if (status != 0)
        return status;
    if (totals.samples == 0)
        return cnn_error_set(err, "epoch %d had no training image: every one "
                             "was left out (on_error: skip), as no file "
                             "could be read; check the data folder", epoch);
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
    return cnn_train_resume(model, data, config, hooks, NULL, result, err);
}

/* Allocates the epoch state (the caller frees its buffers), the model's
 * optimizer state and its batch buffers, and with `from` takes the saved
 * state back. Returns the first epoch to run, or -1. */
static int prepare_training(struct cnn_model *model,
                            const struct cnn_data *data,
                            const struct cnn_train_config *config,
                            const struct cnn_train_snapshot *from,
                            struct epoch_state *state,
                            struct cnn_train_result *result,
                            struct cnn_error *err)
{
    int state_per_param = cnn_train_state_per_param(config);
    size_t count = model->parameter_count;
    /* State for the trainable parameters alone: frozen ones have none. */
    size_t state_floats = model->trainable_count * (size_t)state_per_param;
    /* selected holds one float more than the parameters, so that a model
     * without any still gets a buffer. */
    state->order = malloc((size_t)data->train.count * sizeof *state->order);
    state->selected = malloc((count + 1) * sizeof(float));
    state->history = calloc((size_t)config->epochs + 1,
                            sizeof *state->history);
    if (!state->order || !state->selected || !state->history)
        return cnn_error_set(err, "out of memory for training state");
    if (!cnn_model_optimizer_state(model, state_floats, err))
        return -1;
    if (cnn_model_reserve(model, config->batch, err) != 0)
        return -1;
    if (!from)
        return 1;
    return resume_run(model, state, from, config->epochs, result, err);
}

/* Background decoding follows the batches from the start; a run resumed
 * inside an epoch needs the rest of its order. */
static void prefer_first_images(const struct cnn_data *data,
                                const struct cnn_train_config *config,
                                const struct cnn_train_snapshot *from,
                                struct epoch_state *state, int first_epoch)
{
    int done = from && from->epoch == first_epoch
                   ? from->batch * config->batch : 0;
    epoch_order(config->seed, first_epoch, state->order, data->train.count);
    if (done < data->train.count)
        cnn_data_prefer(data, state->order + done, data->train.count - done);
}

/* Trains one epoch, timing it (wall and CPU), then evaluates it on val;
 * metrics comes back filled. */
static int measure_epoch(struct cnn_model *model, const struct cnn_data *data,
                         const struct cnn_train_config *config,
                         const struct cnn_train_hooks *hooks,
                         struct epoch_state *state, int epoch,
                         struct cnn_epoch_metrics *metrics,
                         struct cnn_error *err)
{
    metrics->lr_scale =
        cnn_schedule_factor(&config->schedule, epoch, config->epochs);
    /* The linear scaling rule; a zeroed config (tests) has none. */
    if (config->lr_batch_factor > 0)
        metrics->lr_scale *= config->lr_batch_factor;
    metrics->lr = base_learning_rate(config) * metrics->lr_scale;
    state->started = now_seconds();
    state->cpu_started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    int status = train_epoch(model, data, config, hooks, state, epoch,
                             metrics->lr_scale, metrics, err);
    if (status < 0)
        return status;
    metrics->seconds = now_seconds() - state->started;
    metrics->cpu_seconds = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) -
                           state->cpu_started;
    if (data->val.count > 0)
        status = evaluate_split(model, data, &data->val, config,
                                &metrics->val_loss, &metrics->val_accuracy,
                                NULL, err);
    return status;
}

/* One epoch measured; its weights kept if it is the best so far; the
 * position after it saved. */
static int run_epoch(struct cnn_model *model, const struct cnn_data *data,
                     const struct cnn_train_config *config,
                     const struct cnn_train_hooks *hooks,
                     struct epoch_state *state, int epoch,
                     struct cnn_train_result *result, struct cnn_error *err)
{
    struct cnn_epoch_metrics metrics = {0};
    int status = measure_epoch(model, data, config, hooks, state, epoch,
                               &metrics, err);
    if (status < 0)
        return status;
    /* Strictly better, so ties keep the earlier epoch. */
    int selected = !config->select_best || data->val.count == 0 ||
                   metrics.val_accuracy > state->best_val;
    if (status == 0)
        status = cnn_model_parameters_to_host(model, err);
    if (status == 0)
        status = check_epoch_finite(model, &metrics, epoch,
                                    state->selected_epoch, err);
    if (status < 0)
        return status;
    if (selected) {
        state->best_val = metrics.val_accuracy;
        result->selected_epoch = epoch;
        state->selected_epoch = epoch;
        memcpy(state->selected, model->host_parameters,
               model->parameter_count * sizeof(float));
    }
    result->epochs_run = epoch;
    state->history[state->history_count++] = metrics;
    if (hooks && hooks->epoch_done)
        status = hooks->epoch_done(hooks->user, model, &metrics, selected,
                                   err);
    /* After the epoch's results are on disk, so a state never runs ahead
     * of them. */
    if (status == 0)
        status = save_position(model, hooks, state, epoch + 1, 0,
                               data->train.count, NULL, err);
    return status;
}

/* The selected epoch's weights go back into the model, and the result
 * gets their accuracy on every split. */
static int evaluate_selected(struct cnn_model *model,
                             const struct cnn_data *data,
                             const struct cnn_train_config *config,
                             const struct epoch_state *state,
                             struct cnn_train_result *result,
                             struct cnn_error *err)
{
    double ignored;
    memcpy(model->host_parameters, state->selected,
           model->parameter_count * sizeof(float));
    int status = cnn_model_parameters_from_host(model, err);
    if (status == 0)
        status = evaluate_split(model, data, &data->train, config, &ignored,
                                &result->train_accuracy, NULL, err);
    if (status == 0 && data->val.count > 0)
        status = evaluate_split(model, data, &data->val, config, &ignored,
                                &result->val_accuracy, NULL, err);
    if (status == 0 && data->test.count > 0)
        status = evaluate_split(model, data, &data->test, config,
                                &result->test_loss, &result->test_accuracy,
                                NULL, err);
    return status;
}

int cnn_train_resume(struct cnn_model *model, const struct cnn_data *data,
                     const struct cnn_train_config *config,
                     const struct cnn_train_hooks *hooks,
                     const struct cnn_train_snapshot *from,
                     struct cnn_train_result *result, struct cnn_error *err)
{
    memset(result, 0, sizeof *result);
    if (data->train.count == 0)
        return cnn_error_set(err, "the training split is empty");
    struct epoch_state state = {.best_val = -1};
    int first_epoch = prepare_training(model, data, config, from, &state,
                                       result, err);
    int status = first_epoch < 0 ? -1 : 0;
    if (status == 0 && first_epoch <= config->epochs)
        prefer_first_images(data, config, from, &state, first_epoch);
    for (int epoch = first_epoch; status == 0 && epoch <= config->epochs;
         epoch++)
        status = run_epoch(model, data, config, hooks, &state, epoch, result,
                           err);
    if (status == 0 && result->epochs_run > 0)
        status = evaluate_selected(model, data, config, &state, result, err);
    free(state.order);
    free(state.selected);
    free(state.history);
    return status;
}
