/* cnnlab — the imagefolder loader's parts: the folder scan, the seeded
 * splits, the background decoding and the cache file. imagefolder.c joins
 * them. */
#ifndef CNNLAB_PLUGINS_LOADERS_IMAGEFOLDER_H
#define CNNLAB_PLUGINS_LOADERS_IMAGEFOLDER_H

#include <stdint.h>

#include "cnnlab/loader.h"
#include "label_subset.h"

enum { IMAGEFOLDER_TRAIN, IMAGEFOLDER_VAL, IMAGEFOLDER_TEST,
       IMAGEFOLDER_SPLITS };

extern const char *const imagefolder_split_names[IMAGEFOLDER_SPLITS];

#define IMAGEFOLDER_LAYOUT_HINT                                               \
    "expected root/train/<class>/*.jpg (with root/val and root/test laid "   \
    "out the same), or root/<class>/*.jpg split by data.val and data.test; " \
    "scripts/make-imagefolder makes such a folder from Fashion-MNIST or "    \
    "synthetic images"

/* The loader's parameters, read once. */
struct imagefolder_settings {
    const char *root;
    int size;          /* images become channels x size x size */
    int channels;      /* 1 or 3 */
    int threads;       /* decoding threads; resolved, >= 1 */
    int background;    /* decode while training runs (when the caller
                          can wait per image) */
    double val, test;  /* carved split sizes: fraction < 1 or count >= 1 */
    int val_explicit, test_explicit;
    int skip_errors;   /* on_error: skip */
    const char *cache; /* "" (none), "auto" or a path */
    const double *labels; /* data.labels: the classes kept (indices into
                             the sorted class folders), label_count of
                             them; 0: every class */
    int label_count;
};

struct imagefolder_file {
    char *path;           /* root/..., owned */
    const char *relative; /* inside path: after "root/" */
    long long size;       /* bytes */
    long long mtime_seconds;
    long mtime_nanoseconds;
    int label;
};

struct imagefolder_list {
    struct imagefolder_file *files;
    int count, capacity;
};

struct imagefolder_listing {
    int classes;
    char **class_names;   /* sorted in byte order; owned */
    struct imagefolder_list splits[IMAGEFOLDER_SPLITS];
    int carved[IMAGEFOLDER_SPLITS]; /* 1: split made by the seeded carving */
    int skipped;          /* files refused by name (on_error: skip) */
};

void imagefolder_listing_free(struct imagefolder_listing *listing);
int imagefolder_list_add(struct imagefolder_list *list,
                         const struct imagefolder_file *file,
                         struct cnn_error *err);

/* Finds the classes and files (imagefolder_scan.c). Either layout; splits
 * that have no folder are carved afterwards by imagefolder_carve. */
int imagefolder_scan(const struct imagefolder_settings *settings,
                     struct imagefolder_listing *listing,
                     struct cnn_error *err);

/* Moves a seeded share of each class's training files into every split
 * marked carved (imagefolder_split.c). */
int imagefolder_carve(const struct imagefolder_settings *settings,
                      uint64_t seed, struct imagefolder_listing *listing,
                      struct cnn_error *err);

/* Keeps the files of the classes `subset` lists (data.labels), renumbered
 * 0.. in its order, regrouped so that every split stays in listing order
 * (new class, then name); the class names follow (imagefolder_split.c).
 * Called after the carving, so a kept class's val and test images are
 * those it has without the subset. */
int imagefolder_keep_classes(struct imagefolder_listing *listing,
                             const struct loaders_label_subset *subset,
                             struct cnn_error *err);

/* Keeps at most `limit` files per split: a seeded choice dealt round-robin
 * over the classes, so the classes stay balanced, kept in listing order. */
int imagefolder_limit(struct imagefolder_listing *listing, long limit,
                      uint64_t seed, struct cnn_error *err);

/* Starts decoding the listing's files into data's splits (allocated, with
 * their labels) on settings->threads background threads, in the order
 * the core asks for (imagefolder_decode.c). Takes the files' paths out of
 * the listing. Once every image is done, writes `cache` (when not "")
 * with `key`; a failure to write it is the stream's error unless
 * settings->cache is auto. */
int imagefolder_decode_start(const struct imagefolder_settings *settings,
                             struct imagefolder_listing *listing,
                             struct cnn_data *data, const char *cache,
                             uint64_t key, struct cnn_error *err);

/* What the cache file holds: every split in full, with the images that
 * failed to decode (on_error: skip) flagged rather than removed, so a
 * cache hit trains on exactly what a fresh decode does. */
struct imagefolder_images {
    int classes, channels, size;
    int skipped;                         /* files refused by name */
    int counts[IMAGEFOLDER_SPLITS];
    const int32_t *labels[IMAGEFOLDER_SPLITS];
    const uint8_t *pixels[IMAGEFOLDER_SPLITS];
    const uint8_t *failed;               /* per image, train then val then
                                            test: 1 = left out */
};

/* The cache (imagefolder_cache.c). The key covers every file's relative
 * path, size and modification time, the class names, and the parameters
 * that change the pixels or the splits. */
uint64_t imagefolder_cache_key(const struct imagefolder_settings *settings,
                               const struct imagefolder_listing *listing,
                               uint64_t seed);
/* The cache file for these settings, or "" when caching is off. */
int imagefolder_cache_path(const struct imagefolder_settings *settings,
                           char *path, unsigned long size,
                           struct cnn_error *err);
/* 1: `data` filled from a valid cache with this key (images that failed
 * marked with cnn_data_exclude); 0: no usable cache (missing, damaged,
 * stale); -1: out of memory. */
int imagefolder_cache_read(const char *path, uint64_t key,
                           const struct imagefolder_listing *listing,
                           const struct imagefolder_settings *settings,
                           struct cnn_data *data, int *skipped,
                           struct cnn_error *err);
/* 0 when `path` may be replaced by a cache: absent, or a regular file
 * (not a link) that begins as cnnlab's caches do; else -1, naming it. */
int imagefolder_cache_check_owned(const char *path, struct cnn_error *err);
int imagefolder_cache_write(const char *path, uint64_t key,
                            const struct imagefolder_images *images,
                            struct cnn_error *err);

#endif
