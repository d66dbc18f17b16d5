/* cnnlab — what the attribution analyses share (attribution.h): the
 * images explained and the model's prediction for each, the output
 * differentiated, and the first columns of their CSV files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attribution.h"
#include "test_images.h"

enum cnn_gradient_output attribution_output(const struct cnn_params *params)
{
    return strcmp(cnn_param_string(params, "output"), "probability") == 0
               ? CNN_GRADIENT_PROBABILITY
               : CNN_GRADIENT_LOGIT;
}

double attribution_value(const float *logits, int classes, int k,
                         enum cnn_gradient_output output)
{
    if (output == CNN_GRADIENT_LOGIT)
        return logits[k];
    double sum = 0;
    for (int j = 0; j < classes; j++)
        sum += exp((double)logits[j] - logits[k]);
    return 1.0 / sum;
}

/* The first largest logit (ties go to the lower class, as occlusion). */
static int arg_max(const float *logits, int classes)
{
    int best = 0;
    for (int j = 1; j < classes; j++)
        if (logits[j] > logits[best])
            best = j;
    return best;
}

static int check_classes(struct cnn_analysis *a, const char *name,
                         int *classes, struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    if (!data || data->test.count == 0)
        return cnn_error_set(err, "%s needs test images, and %s", name,
                             data ? "the test split is empty"
                                  : "no data is loaded");
    int last = cnn_analysis_layer_count(a) - 1;
    *classes = (int)cnn_shape_size(cnn_analysis_layer(a, last)->output);
    if (*classes != data->classes)
        return cnn_error_set(err, "%s: the model has %d output%s and the "
                             "data %d class%s",
                             name, *classes, *classes == 1 ? "" : "s",
                             data->classes, data->classes == 1 ? "" : "es");
    return 0;
}

/* Each image's class as the model predicts it, and its confidence. */
static int predict(struct cnn_analysis *a, struct attribution_set *set,
                   int classes, struct cnn_error *err)
{
    float *logits = malloc((size_t)set->count * classes * sizeof *logits);
    if (!logits)
        return cnn_error_set(err, "out of memory");
    int last = cnn_analysis_layer_count(a) - 1;
    int status = cnn_analysis_forward_from(a, 0, set->inputs, set->count,
                                           last, logits, err);
    for (int k = 0; status == 0 && k < set->count; k++) {
        const float *z = logits + (size_t)k * classes;
        struct attribution_image *m = &set->images[k];
        m->predicted = arg_max(z, classes);
        m->confidence = attribution_value(z, classes, m->predicted,
                                          CNN_GRADIENT_PROBABILITY);
    }
    free(logits);
    return status;
}

int attribution_set_open(struct cnn_analysis *a, const char *name,
                         const struct cnn_params *params,
                         struct attribution_set *set, struct cnn_error *err)
{
    memset(set, 0, sizeof *set);
    int classes = 0;
    if (check_classes(a, name, &classes, err) < 0 ||
        test_images_choose(a, name, params, &set->indices, &set->count,
                           err) < 0)
        return -1;
    const struct cnn_dataset *test = &cnn_analysis_data(a)->test;
    size_t per_image = cnn_shape_size(cnn_analysis_input_shape(a));
    set->images = calloc((size_t)set->count, sizeof *set->images);
    set->inputs = malloc((size_t)set->count * per_image *
                         sizeof *set->inputs);
    if (!set->images || !set->inputs)
        return cnn_error_set(err, "out of memory");
    for (int k = 0; k < set->count; k++) {
        struct attribution_image *m = &set->images[k];
        float *x = set->inputs + (size_t)k * per_image;
        m->index = set->indices[k];
        m->pixels = test->pixels + (size_t)m->index * per_image;
        m->label = test->labels[m->index];
        m->x = x;
        cnn_analysis_normalize(a, m->pixels, 1, x);
    }
    return predict(a, set, classes, err);
}

void attribution_set_close(struct attribution_set *set)
{
    free(set->images);
    free(set->inputs);
    free(set->indices);
    memset(set, 0, sizeof *set);
}

void attribution_csv_row(struct analysis_text *text, struct cnn_analysis *a,
                         const struct attribution_image *m)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    analysis_text_printf(text, "%d,%d,", m->index, m->label);
    analysis_text_csv(text, data->class_names[m->label]);
    analysis_text_printf(text, ",%d,", m->predicted);
    analysis_text_csv(text, data->class_names[m->predicted]);
    analysis_text_printf(text, ",%.6f", m->confidence);
}
