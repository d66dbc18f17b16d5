/* cnnlab — ablation's predictions, filter by filter, on shared prefixes
 * (ablation_reuse.h). Predicting the whole test split again for every
 * filter repeats layers 0..layer-1 each time, although switching a filter
 * of `layer` off cannot change them: for a filter of the study's first
 * linear layer that is all the convolutions, nearly the whole model. Here
 * each batch of test images runs through those layers once, and each
 * filter then only through the rest. The predictions are the arg-max of
 * the logits (ties to the lower class, as the loss's), the same as
 * cnn_analysis_predict gives for the ablated model. */
#include <stdlib.h>

#include "ablation_reuse.h"

/* Images per batch: as many as keep the saved activations within about
 * 64 M floats (256 MiB), at most 256. */
static int batch_for(size_t per_image, int images)
{
    size_t fit = per_image > 0 ? ((size_t)64 << 20) / per_image : 256;
    int batch = fit < 1 ? 1 : fit > 256 ? 256 : (int)fit;
    return batch < images ? batch : images;
}

static int32_t arg_max(const float *logits, int classes)
{
    int best = 0;
    for (int c = 1; c < classes; c++)
        if (logits[c] > logits[best])
            best = c;
    return best;
}

/* One batch: its activations before `layer` (the normalised images when
 * layer is 0), then the rest of the model once per filter. */
static int predict_batch(struct cnn_analysis *a, int layer,
                         const int *filters, int count, int with_bias,
                         const uint8_t *pixels, int n, float *prefix,
                         float *logits, int32_t *after, int test_count,
                         struct cnn_error *err)
{
    int last = cnn_analysis_layer_count(a) - 1;
    int classes = (int)cnn_shape_size(cnn_analysis_layer(a, last)->output);
    int status = 0;
    if (layer == 0)
        cnn_analysis_normalize(a, pixels, n, prefix);
    else
        status = cnn_analysis_forward_images(a, pixels, n, layer - 1, prefix,
                                             err);
    for (int f = 0; status == 0 && f < count; f++) {
        status = cnn_analysis_filter_off(a, layer, filters[f], with_bias,
                                         err);
        if (status == 0)
            status = cnn_analysis_forward_from(a, layer, prefix, n, last,
                                               logits, err);
        /* Back on even after a failed forward. */
        struct cnn_error ignored = {0};
        if (cnn_analysis_filter_on(a, layer, filters[f],
                                   status == 0 ? err : &ignored) < 0)
            status = -1;
        for (int i = 0; status == 0 && i < n; i++)
            after[(size_t)f * test_count + i] =
                arg_max(logits + (size_t)i * classes, classes);
    }
    return status;
}

int ablation_predict_off(struct cnn_analysis *a, int layer,
                         const int *filters, int count, int with_bias,
                         int32_t *after, struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    if (!data || data->test.count == 0)
        return cnn_error_set(err, "ablation needs test images");
    const struct cnn_dataset *test = &data->test;
    int last = cnn_analysis_layer_count(a) - 1;
    if (layer < 0 || layer > last)
        return cnn_error_set(err, "ablation: layer %d does not exist (the "
                                  "model's layers are 0..%d)",
                             layer, last);
    struct cnn_shape input = cnn_analysis_input_shape(a);
    size_t per_image = cnn_shape_size(input);
    size_t prefix_size =
        layer == 0 ? per_image
                   : cnn_shape_size(cnn_analysis_layer(a, layer - 1)->output);
    size_t classes = cnn_shape_size(cnn_analysis_layer(a, last)->output);
    int batch = batch_for(prefix_size, test->count);
    float *prefix = malloc((size_t)batch * prefix_size * sizeof *prefix);
    float *logits = malloc((size_t)batch * classes * sizeof *logits);
    int status = prefix && logits ? 0 : cnn_error_set(err, "out of memory");
    for (int start = 0; status == 0 && start < test->count; start += batch) {
        int n = test->count - start < batch ? test->count - start : batch;
        status = predict_batch(a, layer, filters, count, with_bias,
                               test->pixels + (size_t)start * per_image, n,
                               prefix, logits, after + start, test->count,
                               err);
    }
    free(prefix);
    free(logits);
    return status;
}
