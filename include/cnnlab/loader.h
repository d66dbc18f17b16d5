/* cnnlab — data loaders: they produce the train/val/test splits as 8-bit
 * images (pixel space, before normalisation) and int32 labels. The core
 * normalises per batch with the manifest's mean/std, so analyses such as
 * occlusion can work in pixel space. */
#ifndef CNNLAB_LOADER_H
#define CNNLAB_LOADER_H

#include <stdint.h>

#include "error.h"
#include "params.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_dataset {
    int count;              /* images */
    struct cnn_shape shape; /* of one image: channels, height, width */
    uint8_t *pixels;        /* count * c*h*w values, NCHW; owned */
    int32_t *labels;        /* count values in [0, classes); owned */
};

struct cnn_data {
    struct cnn_dataset train, val, test;
    int classes;
    char **class_names;     /* classes strings; owned */
    /* Files a loader left out because it was told to skip bad ones
     * (imagefolder's on_error: skip); the runner reports the count. */
    long skipped;
};

struct cnn_load_request {
    uint64_t seed;     /* the run's seed: for seeded splits and synthesis */
    long limit;        /* 0, or the most images to keep per split */
    const char *manifest_path; /* for messages; may be NULL */
};

struct cnn_loader_type {
    const char *name; /* "idx" */
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    /* Fills *data (zeroed by the caller). On failure frees what it made.
     * Errors name the file, what is wrong with it and how to fix it. */
    int (*load)(const struct cnn_params *params,
                const struct cnn_load_request *request, struct cnn_data *data,
                struct cnn_error *err);
};

/* Allocates a dataset's pixels and labels (zeroed). */
int cnn_dataset_alloc(struct cnn_dataset *set, int count,
                      struct cnn_shape shape, struct cnn_error *err);
void cnn_dataset_free(struct cnn_dataset *set);
/* Allocates `classes` class names ("0", "1", ... until set). */
int cnn_data_set_classes(struct cnn_data *data, int classes,
                         const char *const *names, struct cnn_error *err);
void cnn_data_free(struct cnn_data *data);

#ifdef __cplusplus
}
#endif
#endif
