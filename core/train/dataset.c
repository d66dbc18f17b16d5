/* cnnlab — allocation helpers for loaders' datasets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/loader.h"
#include "train/dataset_stream.h"

int cnn_dataset_alloc(struct cnn_dataset *set, int count,
                      struct cnn_shape shape, struct cnn_error *err)
{
    size_t per_image = cnn_shape_size(shape);
    memset(set, 0, sizeof *set);
    if (count < 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
        return cnn_error_set(err, "invalid dataset size %d of %dx%dx%d",
                             count, shape.c, shape.h, shape.w);
    set->pixels = calloc((size_t)count * per_image + 1, 1);
    set->labels = calloc((size_t)count + 1, sizeof *set->labels);
    if (!set->pixels || !set->labels) {
        cnn_dataset_free(set);
        return cnn_error_set(err, "out of memory for %d images of %dx%dx%d",
                             count, shape.c, shape.h, shape.w);
    }
    set->count = count;
    set->shape = shape;
    return 0;
}

void cnn_dataset_free(struct cnn_dataset *set)
{
    free(set->pixels);
    free(set->labels);
    memset(set, 0, sizeof *set);
}

int cnn_data_set_classes(struct cnn_data *data, int classes,
                         const char *const *names, struct cnn_error *err)
{
    if (classes <= 0)
        return cnn_error_set(err, "a dataset needs at least one class");
    char **copy = calloc((size_t)classes, sizeof *copy);
    if (!copy)
        return cnn_error_set(err, "out of memory for class names");
    for (int i = 0; i < classes; i++) {
        char number[32];
        snprintf(number, sizeof number, "%d", i);
        copy[i] = strdup(names && names[i] ? names[i] : number);
        if (!copy[i]) {
            for (int j = 0; j < i; j++)
                free(copy[j]);
            free(copy);
            return cnn_error_set(err, "out of memory for class names");
        }
    }
    if (data->class_names)
        for (int i = 0; i < data->classes; i++)
            free(data->class_names[i]);
    free(data->class_names);
    data->class_names = copy;
    data->classes = classes;
    return 0;
}

void cnn_data_free(struct cnn_data *data)
{
    /* First: the decoding threads write into the splits. */
    cnn_data_stream_end(data);
    cnn_dataset_free(&data->train);
    cnn_dataset_free(&data->val);
    cnn_dataset_free(&data->test);
    if (data->class_names)
        for (int i = 0; i < data->classes; i++)
            free(data->class_names[i]);
    free(data->class_names);
    memset(data, 0, sizeof *data);
}
