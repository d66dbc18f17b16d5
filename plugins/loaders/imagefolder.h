/* cnnlab — the imagefolder loader's parts: the folder scan, the seeded
 * splits, the decoding pool and the cache file. imagefolder.c joins them. */
#ifndef CNNLAB_PLUGINS_LOADERS_IMAGEFOLDER_H
#define CNNLAB_PLUGINS_LOADERS_IMAGEFOLDER_H

#include <stdint.h>

#include "cnnlab/loader.h"

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
    double val, test;  /* carved split sizes: fraction < 1 or count >= 1 */
    int val_explicit, test_explicit;
    int skip_errors;   /* on_error: skip */
    const char *cache; /* "" (none), "auto" or a path */
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

/* Keeps at most `limit` files per split: a seeded choice dealt round-robin
 * over the classes, so the classes stay balanced, kept in listing order. */
int imagefolder_limit(struct imagefolder_listing *listing, long limit,
                      uint64_t seed, struct cnn_error *err);

/* One file to decode into `out` (channels x size x size). */
struct imagefolder_job {
    const char *path;
    uint8_t *out;
    int status;    /* 0 done, -1 the file is bad, -2 the machine failed */
    char *message; /* when status != 0; owned */
};

/* Decodes every job on `threads` threads (imagefolder_decode.c). With
 * stop_early, no new job starts after one fails. Fails only when the
 * machine does (threads, memory); the jobs' own failures are left in them. */
int imagefolder_decode(struct imagefolder_job *jobs, int count, int threads,
                       int size, int channels, int stop_early,
                       struct cnn_error *err);

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
/* 1: `data` filled from a valid cache with this key; 0: no usable cache
 * (missing, damaged, stale); -1: out of memory. */
int imagefolder_cache_read(const char *path, uint64_t key,
                           const struct imagefolder_listing *listing,
                           const struct imagefolder_settings *settings,
                           struct cnn_data *data, int *skipped,
                           struct cnn_error *err);
int imagefolder_cache_write(const char *path, uint64_t key,
                            const struct cnn_data *data, int skipped,
                            struct cnn_error *err);

#endif
