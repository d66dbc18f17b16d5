/* t/parity-driver — cnnlab's side of t/parity-torch.sh: trains a
 * manifest's model for a few SGD steps on the CPU through the core's own
 * step (cnn_train_step) and writes what PyTorch must reproduce.
 *
 *   parity-driver MANIFEST DIR STEPS [KEY=VALUE ...]
 *
 * The manifest is resolved as `cnnlab run` does (device=cpu first, then
 * the overrides; one variant), its model built and initialised from the
 * seed, then from `model.weights` when it names a file. DIR receives:
 *   model.json          input shape, batch, classes, seed, lr, momentum and
 *                       each layer's type, resolved parameters and tensors
 *   inputs.f32          STEPS batches of inputs, float32 little-endian,
 *                       uniform in [-2, 2) from a seeded cnnlab RNG
 *   labels.i32          STEPS batches of labels, int32 little-endian
 *   initial.safetensors the weights before any step
 *   logits.f32          eval-mode logits of the first batch (batch × classes)
 *   gradients.safetensors  every parameter's gradient of the first step
 *   losses.txt          each step's training loss (before its update)
 *   final.safetensors   the weights (and buffers: batch norm's running
 *                       statistics) after STEPS steps
 *   final-logits.f32    eval-mode logits of the first batch after them
 *
 *   parity-driver --gradients MANIFEST DIR [KEY=VALUE ...]
 *
 * writes model.json, inputs.f32 and labels.i32 (one batch) and
 * initial.safetensors as above, then the gradients the analysis API
 * takes of that batch (t/parity-gradients.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/registry.h"
#include "cnnlab/rng.h"
#include "config/manifest.h"
#include "model/checkpoint.h"
#include "model/model_weights.h"
#include "run/run_config.h"
#include "run/run_dir.h"
#include "model/safetensors.h"
#include "train/train.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "parity-driver writes raw little-endian files with fwrite"
#endif

#include "parity-driver.h"

int driver_write_raw(const struct driver *d, const char *file,
                     const void *data, size_t bytes, struct cnn_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", d->directory, file);
    FILE *out = fopen(path, "wb");
    if (!out)
        return cnn_error_set(err, "cannot create '%s'", path);
    size_t written = fwrite(data, 1, bytes, out);
    if (fclose(out) != 0 || written != bytes)
        return cnn_error_set(err, "cannot write '%s'", path);
    return 0;
}

static void write_param(FILE *out, const struct cnn_params *params,
                        const struct cnn_param_spec *spec)
{
    switch (spec->type) {
    case CNN_PARAM_INT:
        fprintf(out, "%ld", cnn_param_int(params, spec->name));
        break;
    case CNN_PARAM_FLOAT:
        fprintf(out, "%.17g", cnn_param_float(params, spec->name));
        break;
    case CNN_PARAM_BOOL:
        fputs(cnn_param_bool(params, spec->name) ? "true" : "false", out);
        break;
    case CNN_PARAM_INT_PAIR: {
        /* A word ("same") instead of numbers is a JSON string. */
        const char *word = cnn_param_word(params, spec->name);
        int a, b;
        cnn_param_pair(params, spec->name, &a, &b);
        if (word)
            fprintf(out, "\"%s\"", word);
        else
            fprintf(out, "[%d, %d]", a, b);
        break;
    }
    case CNN_PARAM_FLOAT_LIST: {
        const double *values;
        int count = cnn_param_floats(params, spec->name, &values);
        fputc('[', out);
        for (int i = 0; i < count; i++)
            fprintf(out, "%s%.17g", i ? ", " : "", values[i]);
        fputc(']', out);
        break;
    }
    case CNN_PARAM_STRING:
    case CNN_PARAM_CHOICE:
        /* Layer parameters are names and choices: no quotes to escape. */
        fprintf(out, "\"%s\"", cnn_param_string(params, spec->name));
        break;
    case CNN_PARAM_NAME_LIST: {
        const char *const *names;
        int count = cnn_param_names(params, spec->name, &names, NULL);
        fputc('[', out);
        for (int i = 0; i < count; i++)
            fprintf(out, "%s\"%s\"", i ? ", " : "", names[i]);
        fputc(']', out);
        break;
    }
    }
}

int driver_write_model_json(const struct driver *d, struct cnn_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model.json", d->directory);
    FILE *out = fopen(path, "w");
    if (!out)
        return cnn_error_set(err, "cannot create '%s'", path);
    const struct cnn_model *m = &d->model;
    const struct cnn_run_config *c = &d->config;
    fprintf(out,
            "{\"input\": [%d, %d, %d], \"batch\": %d, \"classes\": %zu, "
            "\"seed\": %llu, \"steps\": %d, \"lr\": %.17g, "
            "\"momentum\": %.17g,\n \"layers\": [\n",
            m->input.c, m->input.h, m->input.w, c->train.batch,
            cnn_shape_size(cnn_model_output_shape(m)),
            (unsigned long long)c->seed, d->steps,
            cnn_param_float(&c->optimizer_params, "lr"),
            cnn_param_float(&c->optimizer_params, "momentum"));
    for (int i = 0; i < m->layer_count; i++) {
        const struct cnn_layer *layer = &m->layers[i];
        fprintf(out, "  {\"type\": \"%s\", \"output\": [%d, %d, %d], "
                "\"params\": {",
                layer->type->name, layer->output.c, layer->output.h,
                layer->output.w);
        for (int k = 0; k < layer->type->param_count; k++) {
            fprintf(out, "%s\"%s\": ", k ? ", " : "",
                    layer->type->params[k].name);
            write_param(out, &layer->params, &layer->type->params[k]);
        }
        /* Parameters and buffers: the keys of the layer's state_dict. */
        fputs("}, \"tensors\": [", out);
        for (int t = 0; t < cnn_layer_stored_count(layer); t++)
            fprintf(out, "%s\"%d.%s\"", t ? ", " : "", i,
                    cnn_layer_stored(layer, t).name);
        fprintf(out, "]}%s\n", i + 1 < m->layer_count ? "," : "");
    }
    fputs(" ]}\n", out);
    if (fclose(out) != 0)
        return cnn_error_set(err, "cannot write '%s'", path);
    return 0;
}

/* The first step's gradients under the checkpoint's names. */
static int write_gradients(const struct driver *d, struct cnn_error *err)
{
    const struct cnn_model *m = &d->model;
    struct cnn_st_tensor tensors[256];
    char names[256][CNN_LAYER_NAME_MAX + CNN_TENSOR_NAME_MAX + 2];
    int count = 0;
    for (int i = 0; i < m->layer_count; i++)
        for (int t = 0; t < m->layers[i].tensor_count; t++, count++) {
            if (count == 256)
                return cnn_error_set(err, "more than 256 tensors");
            const struct cnn_param_tensor *tensor = &m->layers[i].tensors[t];
            snprintf(names[count], sizeof names[count], "%d.%s", i,
                     tensor->name);
            tensors[count] = (struct cnn_st_tensor){
                .name = names[count], .ndim = tensor->ndim,
                .data = m->gradients + tensor->offset};
            for (int k = 0; k < tensor->ndim; k++)
                tensors[count].dims[k] = tensor->dims[k];
        }
    char path[4096];
    snprintf(path, sizeof path, "%s/gradients.safetensors", d->directory);
    return cnn_safetensors_write(path, tensors, count, NULL, 0, err);
}

int driver_set_up(struct driver *d, const char *manifest_path,
                  const char *const *overrides, int override_count,
                  struct cnn_error *err)
{
    d->registry = cnn_registry_new();
    if (!d->registry)
        return cnn_error_set(err, "out of memory");
    if (cnn_registry_load_default(d->registry, err) < 0 ||
        cnn_manifest_load(&d->manifest, manifest_path, NULL, overrides,
                          override_count, err) < 0)
        return -1;
    d->manifest_loaded = 1;
    if (d->manifest.variant_count != 1)
        return cnn_error_set(err, "%s: give a manifest of one variant",
                             manifest_path);
    if (cnn_run_config_parse(&d->config, d->registry,
                             d->manifest.variants[0].resolved, err) < 0)
        return -1;
    d->config_parsed = 1;
    if (strcmp(d->config.train.optimizer->name, "sgd") != 0 ||
        strcmp(d->config.train.loss->name, "cross-entropy") != 0)
        return cnn_error_set(err, "the parity test knows sgd and "
                             "cross-entropy only");
    if (cnn_model_build(&d->model, d->registry, d->config.model_node,
                        CNN_DEVICE_CPU, err) < 0)
        return -1;
    d->model_built = 1;
    struct cnn_model *m = &d->model;
    m->context.threads = d->config.threads;
    int state_per_param = d->config.train.optimizer->state_per_param(
        d->config.train.optimizer_params);
    if (cnn_model_allocate(m, d->config.seed, err) < 0 ||
        cnn_model_load_node_weights(m, d->config.model_node, NULL, err) < 0 ||
        cnn_model_reserve(m, d->config.train.batch, err) < 0 ||
        !cnn_model_optimizer_state(m,
                                   m->parameter_count *
                                       (size_t)state_per_param,
                                   err))
        return -1;
    return 0;
}

/* Seeded inputs and labels, written for PyTorch to read. */
int driver_make_batches(struct driver *d, struct cnn_error *err)
{
    const struct cnn_model *m = &d->model;
    int batch = d->config.train.batch;
    size_t per_sample = cnn_shape_size(m->input);
    size_t values = (size_t)d->steps * (size_t)batch * per_sample;
    size_t classes = cnn_shape_size(cnn_model_output_shape(m));
    d->inputs = malloc(values * sizeof *d->inputs);
    d->labels = malloc((size_t)d->steps * (size_t)batch * sizeof *d->labels);
    if (!d->inputs || !d->labels)
        return cnn_error_set(err, "out of memory");
    struct cnn_rng rng;
    cnn_rng_seed(&rng, d->config.seed + 1000);
    for (size_t i = 0; i < values; i++)
        d->inputs[i] = 4.0f * cnn_rng_float(&rng) - 2.0f;
    for (int i = 0; i < d->steps * batch; i++)
        d->labels[i] = (int32_t)cnn_rng_below(&rng, classes);
    if (driver_write_raw(d, "inputs.f32", d->inputs, values * sizeof *d->inputs,
                  err) < 0 ||
        driver_write_raw(d, "labels.i32", d->labels,
                  (size_t)d->steps * (size_t)batch * sizeof *d->labels,
                  err) < 0)
        return -1;
    return 0;
}

static void use_batch(struct driver *d, int step)
{
    int batch = d->config.train.batch;
    size_t per_sample = cnn_shape_size(d->model.input);
    memcpy(cnn_model_input(&d->model),
           d->inputs + (size_t)step * (size_t)batch * per_sample,
           (size_t)batch * per_sample * sizeof(float));
    memcpy(cnn_model_labels(&d->model), d->labels + (size_t)step * batch,
           (size_t)batch * sizeof(int32_t));
}

static int run(struct driver *d, struct cnn_error *err)
{
    struct cnn_model *m = &d->model;
    int batch = d->config.train.batch;
    char path[4096];
    snprintf(path, sizeof path, "%s/initial.safetensors", d->directory);
    if (driver_write_model_json(d, err) < 0 || driver_make_batches(d, err) < 0 ||
        cnn_model_save(m, path, 0, err) < 0)
        return -1;

    use_batch(d, 0);
    if (cnn_model_totals_reset(m, err) < 0 ||
        cnn_train_step(m, &d->config.train, batch, 0, err) < 0)
        return -1;
    struct cnn_tensor logits = cnn_model_output(m);
    if (driver_write_raw(d, "logits.f32", logits.data,
                  (size_t)batch * cnn_shape_size(logits.shape) *
                      sizeof(float),
                  err) < 0)
        return -1;

    snprintf(path, sizeof path, "%s/losses.txt", d->directory);
    FILE *losses = fopen(path, "w");
    if (!losses)
        return cnn_error_set(err, "cannot create '%s'", path);
    int status = 0;
    for (int step = 0; status == 0 && step < d->steps; step++) {
        struct cnn_loss_totals totals;
        use_batch(d, step);
        status = cnn_model_totals_reset(m, err);
        if (status == 0)
            status = cnn_train_step(m, &d->config.train, batch, 1, err);
        if (status == 0)
            status = cnn_model_totals_read(m, &totals, err);
        if (status == 0)
            fprintf(losses, "%.9g\n", totals.loss_sum / totals.samples);
        if (status == 0 && step == 0)
            status = write_gradients(d, err);
    }
    if (fclose(losses) != 0 && status == 0)
        status = cnn_error_set(err, "cannot write '%s'", path);
    snprintf(path, sizeof path, "%s/final.safetensors", d->directory);
    if (status == 0)
        status = cnn_model_save(m, path, d->steps, err);
    /* Eval-mode logits of the first batch after training: batch norm's
     * running statistics at work. */
    use_batch(d, 0);
    if (status == 0)
        status = cnn_model_totals_reset(m, err);
    if (status == 0)
        status = cnn_train_step(m, &d->config.train, batch, 0, err);
    logits = cnn_model_output(m);
    if (status == 0)
        status = driver_write_raw(d, "final-logits.f32", logits.data,
                                  (size_t)batch *
                                      cnn_shape_size(logits.shape) *
                                      sizeof(float),
                                  err);
    return status;
}

static void driver_free(struct driver *d)
{
    free(d->inputs);
    free(d->labels);
    if (d->model_built)
        cnn_model_free(&d->model);
    if (d->config_parsed)
        cnn_run_config_free(&d->config);
    if (d->manifest_loaded)
        cnn_manifest_free(&d->manifest);
    if (d->registry)
        cnn_registry_free(d->registry);
}

static int usage(void)
{
    fprintf(stderr, "usage: parity-driver MANIFEST DIR STEPS [KEY=VALUE ...]\n"
                    "       parity-driver --gradients MANIFEST DIR "
                    "[KEY=VALUE ...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int gradients = argc > 1 && strcmp(argv[1], "--gradients") == 0;
    if (argc < 4)
        return usage();
    struct driver d;
    memset(&d, 0, sizeof d);
    const char *manifest = argv[gradients ? 2 : 1];
    d.directory = argv[gradients ? 3 : 2];
    d.steps = gradients ? 1 : atoi(argv[3]);
    if (d.steps < 1 || d.steps > DRIVER_STEPS_MAX) {
        fprintf(stderr, "parity-driver: STEPS must be 1..%d\n",
                DRIVER_STEPS_MAX);
        return 2;
    }
    const char **overrides = calloc((size_t)argc, sizeof *overrides);
    if (!overrides)
        return 1;
    int override_count = 0;
    overrides[override_count++] = "device=cpu";
    for (int i = 4; i < argc; i++)
        overrides[override_count++] = argv[i];

    struct cnn_error err = {0};
    int status = driver_set_up(&d, manifest, overrides, override_count, &err);
    if (status == 0)
        status = gradients ? driver_run_gradients(&d, &err) : run(&d, &err);
    if (status < 0) {
        char message[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
        fprintf(stderr, "parity-driver: %s\n",
                cnn_error_format(&err, message, sizeof message));
    }
    driver_free(&d);
    free(overrides);
    return status < 0 ? 1 : 0;
}
