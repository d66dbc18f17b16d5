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
     * (imagefolder's on_error: skip); the runner reports the count. Images
     * left out while decoding in the background are added by
     * cnn_data_wait_all. */
    long skipped;
    /* Images still being decoded, or left out (see "Decoding in the
     * background" below); NULL, or after cnn_data_wait_all: every image
     * is in place. Owned. */
    struct cnn_data_stream *stream;
};

struct cnn_load_request {
    /* The data's seed (data.split_seed; by default the run's `seed:`, and
     * the same for every seed of a manifest with `seeds:`): for seeded
     * splits, limits and synthesis, which must not change with the seed
     * that initialises and shuffles. */
    uint64_t seed;
    long limit;        /* 0, or the most images to keep per split */
    const char *manifest_path; /* for messages; may be NULL */
    /* 1: the caller reaches images through cnn_data_wait_images (which
     * waits for them and passes over those left out), so the loader may
     * return once the splits' sizes, labels and classes are known and
     * decode on in the background. 0: every image is in place, none left
     * out, when load returns. */
    int background;
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
/* Ends the background decoding (joining its threads) and frees
 * everything. */
void cnn_data_free(struct cnn_data *data);

/* ---- Decoding in the background.
 *
 * A loader that decodes slowly (imagefolder) may return from load with
 * count, shape, labels and classes set and the pixels still to come: it
 * hands the core a cnn_stream_source and the core runs `threads` threads
 * that decode image after image into place. The consumer (training) says
 * which training images it needs first (cnn_data_prefer: the first
 * epoch's shuffle) and waits only for the images of the batch at hand
 * (cnn_data_wait_images); the threads decode the training images in that
 * order, then val, then test, each in index order.
 *
 * An image that fails to decode is either an error or, with skip_errors
 * (on_error: skip), left out: it stays in its split, but
 * cnn_data_wait_images drops it from the batch and cnn_data_wait_all
 * removes it from the split. An error ends the decoding (no new image
 * starts) and is returned by every wait from then on; when several files
 * fail, it names the failing file of the lowest index (train, val, test).
 *
 * Splits are numbered 0 train, 1 val, 2 test (as enum cnn_split); an
 * image's global index counts through train, then val, then test. */

struct cnn_data_stream;

struct cnn_stream_source {
    void *user;
    /* Scratch for one decoding thread (buffers reused from image to
     * image); NULL when out of memory. Both may be NULL. */
    void *(*thread_start)(void *user);
    void (*thread_end)(void *user, void *scratch);
    /* Decodes image `index` of `split` into its place in the dataset.
     * Returns 0; -1 when the image is at fault (err names its file and
     * says how to fix it); -2 when the machine is (out of memory), an
     * error even under skip_errors. */
    int (*decode)(void *user, void *scratch, int split, int index,
                  struct cnn_error *err);
    /* Called once, on a decoding thread, after every image is done; the
     * user knows which failed (a cache writes them all). Its error
     * becomes the stream's. May be NULL. */
    int (*finished)(void *user, struct cnn_error *err);
    /* Frees user, after the threads have ended. May be NULL. */
    void (*release)(void *user);
};

/* Starts decoding data's splits (allocated: count, shape, labels set) on
 * `threads` threads (at least one). On failure nothing is started and
 * source->release has not been called. */
int cnn_data_stream_start(struct cnn_data *data,
                          const struct cnn_stream_source *source,
                          int threads, int skip_errors,
                          struct cnn_error *err);

/* Marks image `index` of `split` left out, for a loader that knows before
 * returning (imagefolder's cache remembers which files failed). Only
 * without a stream started. */
int cnn_data_exclude(struct cnn_data *data, int split, int index,
                     struct cnn_error *err);

/* Asks for the training images in this order first (count indices of
 * data->train); those decoded or decoding already are passed over. */
void cnn_data_prefer(const struct cnn_data *data, const int *train_order,
                     int count);

/* Waits until images indices[0..n) of `set` (data's train, val or test)
 * are decoded, then removes the ones left out from `indices`, keeping the
 * order of the others. Returns how many remain (n without a stream), or
 * -1 with the stream's error. */
int cnn_data_wait_images(const struct cnn_data *data,
                         const struct cnn_dataset *set, int *indices, int n,
                         struct cnn_error *err);

/* Waits for every image and for the source's `finished`; the images left
 * out stay in their splits (cnn_data_wait_images passes over them), so
 * training sees the same splits as when it waits per batch. Fails with
 * the stream's error. Without a stream: returns 0. */
int cnn_data_wait_decoded(const struct cnn_data *data, struct cnn_error *err);

/* cnn_data_wait_decoded, then ends the threads and removes the images
 * left out from their splits (keeping the order of the others;
 * data->skipped counts them), so the splits are plain arrays again. Fails
 * with the stream's error, or when no training image is left. */
int cnn_data_wait_all(struct cnn_data *data, struct cnn_error *err);

/* How decoding went, in seconds since it started (cnn_data_stream_start). */
struct cnn_data_timing {
    int threads;              /* 0: no background decoding */
    double first_ready;       /* the first cnn_data_wait_images returned;
                                 -1: not yet */
    double all_decoded;       /* every image done; -1: not yet */
    double waited;            /* spent blocked in cnn_data_wait_images */
    int decoded, total;       /* images done so far (decoded or failed) */
};
void cnn_data_get_timing(const struct cnn_data *data,
                         struct cnn_data_timing *timing);

#ifdef __cplusplus
}
#endif
#endif
