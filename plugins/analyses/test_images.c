/* cnnlab — the test images an image analysis shows (test_images.h). */
#include <math.h>
#include <stdlib.h>

#include "test_images.h"

/* The default images: per class, the first test image predicted right. */
static int default_images(struct cnn_analysis *a, const char *name,
                          const struct cnn_data *data, int **indices,
                          int *count, struct cnn_error *err)
{
    const struct cnn_dataset *test = &data->test;
    int32_t *predictions = malloc((size_t)test->count * sizeof *predictions);
    *indices = malloc((size_t)data->classes * sizeof **indices);
    *count = 0;
    int status = predictions && *indices ? 0
                                         : cnn_error_set(err, "out of memory");
    if (status == 0)
        status = cnn_analysis_predict(a, CNN_SPLIT_TEST, predictions, err);
    for (int k = 0; status == 0 && k < data->classes; k++)
        for (int i = 0; i < test->count; i++)
            if (test->labels[i] == k && predictions[i] == k) {
                (*indices)[(*count)++] = i;
                break;
            }
    free(predictions);
    if (status == 0 && *count == 0)
        status = cnn_error_set(err, "%s: no test image is classified "
                                    "correctly, so there is none to show "
                                    "by default (list some in `images`)",
                               name);
    return status;
}

static int listed_images(const char *name, const struct cnn_dataset *test,
                         const double *values, int count, int **indices,
                         struct cnn_error *err)
{
    *indices = malloc((size_t)count * sizeof **indices);
    if (!*indices)
        return cnn_error_set(err, "out of memory");
    for (int k = 0; k < count; k++) {
        double v = values[k];
        if (v != floor(v) || v < 0 || v >= test->count)
            return cnn_error_set(err,
                                 "%s: images: %.15g is not an index of "
                                 "the test split (0..%d; [-1] alone for one "
                                 "image per class)",
                                 name, v, test->count - 1);
        (*indices)[k] = (int)v;
        for (int j = 0; j < k; j++)
            if ((*indices)[j] == (*indices)[k])
                return cnn_error_set(err, "%s: images: %d is listed twice",
                                     name, (*indices)[k]);
    }
    return 0;
}

int test_images_choose(struct cnn_analysis *a, const char *name,
                       const struct cnn_params *params, int **indices,
                       int *count, struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    const double *values;
    int listed = cnn_param_floats(params, "images", &values);
    *indices = NULL;
    *count = listed;
    if (listed == 1 && values[0] == -1)
        return default_images(a, name, data, indices, count, err);
    return listed_images(name, &data->test, values, listed, indices, err);
}
