/* t/parity-driver --gradients: the gradients the analysis API takes
 * (cnn_analysis_gradient, analysis.h) of one seeded batch, for
 * t/gradients_torch.py to compare with PyTorch's autograd on the same
 * weights. The class of sample i is labels.i32's label i. For each output
 * kind (`logit`, `probability`) and each place (-1: the input; k: layer
 * k's output), DIR receives
 *   gradient-<kind>-<place>.f32    batch × the place's size, float32
 *   activation-<place>.f32         the place's values (once)
 *   value-<kind>.f32               batch: the differentiated outputs */
#include <stdio.h>
#include <stdlib.h>

#include "analysis/analysis.h"
#include "model/checkpoint.h"
#include "parity-driver.h"

static const char *const kinds[] = {"logit", "probability"};

static int write_place(struct driver *d, struct cnn_analysis *a,
                       enum cnn_gradient_output kind, int place,
                       float *gradient, float *activation, float *value,
                       struct cnn_error *err)
{
    const struct cnn_model *m = &d->model;
    int n = d->config.train.batch;
    struct cnn_shape shape = place < 0 ? m->input : m->layers[place].output;
    size_t bytes = (size_t)n * cnn_shape_size(shape) * sizeof(float);
    struct cnn_gradient_request request = {kind, d->labels, place};
    struct cnn_gradient_result result = {gradient, activation, value};
    char name[96];
    if (cnn_analysis_gradient(a, d->inputs, n, &request, &result, err) < 0)
        return -1;
    snprintf(name, sizeof name, "gradient-%s-%d.f32", kinds[kind], place);
    if (driver_write_raw(d, name, gradient, bytes, err) < 0)
        return -1;
    snprintf(name, sizeof name, "activation-%d.f32", place);
    if (kind == CNN_GRADIENT_LOGIT &&
        driver_write_raw(d, name, activation, bytes, err) < 0)
        return -1;
    snprintf(name, sizeof name, "value-%s.f32", kinds[kind]);
    return driver_write_raw(d, name, value, (size_t)n * sizeof(float), err);
}

/* The largest place's size: the input or a layer's output. */
static size_t largest_place(const struct cnn_model *m)
{
    size_t largest = cnn_shape_size(m->input);
    for (int i = 0; i < m->layer_count; i++)
        if (cnn_shape_size(m->layers[i].output) > largest)
            largest = cnn_shape_size(m->layers[i].output);
    return largest;
}

static int write_all(struct driver *d, struct cnn_analysis *a,
                     struct cnn_error *err)
{
    int n = d->config.train.batch;
    size_t floats = (size_t)n * largest_place(&d->model);
    float *gradient = malloc(floats * sizeof *gradient);
    float *activation = malloc(floats * sizeof *activation);
    float *value = malloc((size_t)n * sizeof *value);
    int status = gradient && activation && value
                     ? 0
                     : cnn_error_set(err, "out of memory");
    for (int kind = 0; status == 0 && kind < 2; kind++)
        for (int place = -1; status == 0 && place < d->model.layer_count;
             place++)
            status = write_place(d, a, (enum cnn_gradient_output)kind, place,
                                 gradient, activation, value, err);
    free(gradient);
    free(activation);
    free(value);
    return status;
}

int driver_run_gradients(struct driver *d, struct cnn_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/initial.safetensors", d->directory);
    if (driver_write_model_json(d, err) < 0 ||
        driver_make_batches(d, err) < 0 ||
        cnn_model_save(&d->model, path, 0, err) < 0)
        return -1;
    struct cnn_analysis_setup setup = {
        .directory = d->directory, .variant = "main", .model = &d->model,
        .train = &d->config.train, .threads = d->config.threads};
    struct cnn_analysis *a = NULL;
    if (cnn_analysis_new(&a, &setup, err) < 0)
        return -1;
    int status = write_all(d, a, err);
    cnn_analysis_free(a);
    return status;
}
