/* cnnlab — the imagefolder loader: a folder of JPEG files, one subfolder
 * per class (the mini-ImageNet layout), decoded with libjpeg-turbo on
 * background threads while training starts (the core's streaming, see
 * loader.h), resized to size x size (resize.h states the filter) and
 * kept in memory as 8-bit NCHW; optionally cached in a file keyed by the
 * folder's contents. The parts: imagefolder_scan.c (layout),
 * imagefolder_split.c (seeded splits and limits), imagefolder_decode.c
 * (the threads' work), jpeg_decode.c (one file), imagefolder_cache.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnnlab/atomic_file.h"
#include "imagefolder.h"
#include "loaders.h"

#define IMAGEFOLDER_PATH_MAX 4096

static const struct cnn_param_spec imagefolder_params[] = {
    {"root", CNN_PARAM_STRING, "data/mini-imagenet", 0, 0, NULL,
     "folder of root/{train,val,test}/<class>/*.jpg, or of "
     "root/<class>/*.jpg (then val and test are carved, seeded by "
     "data.split_seed)"},
    {"size", CNN_PARAM_INT, "84", 1, 4096, NULL,
     "images are resized to size × size (triangle filter, averaging when "
     "shrinking)"},
    {"channels", CNN_PARAM_CHOICE, "3", 0, 0, "1|3",
     "3: RGB (grayscale files replicated); 1: luma"},
    {"val", CNN_PARAM_FLOAT, "0.1", 0, 1000000, NULL,
     "when root has no val folder: a fraction (< 1) of each class's "
     "training images, or a count per class, held out (seeded by "
     "data.split_seed)"},
    {"test", CNN_PARAM_FLOAT, "0.1", 0, 1000000, NULL,
     "when root has no test folder: like val"},
    {"on_error", CNN_PARAM_CHOICE, "fail", 0, 0, "fail|skip",
     "a damaged or non-JPEG file: fail naming it, or leave it out"},
    {"cache", CNN_PARAM_STRING, "", 0, 0, NULL,
     "file of the decoded images: a path, auto ($XDG_CACHE_HOME/cnnlab), "
     "or empty (none); rebuilt when the folder changes"},
    {"threads", CNN_PARAM_INT, "0", 0, 1024, NULL,
     "decoding threads (0: one per online CPU)"},
    {"background", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "decode while training runs, the next batches' images first; false: "
     "decode every image before training starts"},
    LOADERS_LABELS_SPEC(1000000,
                        "keep only the images of these classes (their "
                        "places 0, 1, ... in the class folders' byte "
                        "order), renumbered 0, 1, ... in this order and "
                        "named after their folders (left out: every "
                        "class); val and test are carved as without it"),
};

static struct cnn_dataset *split_of(struct cnn_data *data, int s)
{
    return s == IMAGEFOLDER_TRAIN ? &data->train
         : s == IMAGEFOLDER_VAL   ? &data->val
                                  : &data->test;
}

static void read_settings(const struct cnn_params *params,
                          struct imagefolder_settings *settings)
{
    settings->root = cnn_param_string(params, "root");
    settings->size = (int)cnn_param_int(params, "size");
    settings->channels = atoi(cnn_param_string(params, "channels"));
    settings->val = cnn_param_float(params, "val");
    settings->test = cnn_param_float(params, "test");
    settings->val_explicit = cnn_param_is_explicit(params, "val");
    settings->test_explicit = cnn_param_is_explicit(params, "test");
    settings->skip_errors =
        strcmp(cnn_param_string(params, "on_error"), "skip") == 0;
    settings->cache = cnn_param_string(params, "cache");
    if (strcmp(settings->cache, "none") == 0)
        settings->cache = "";
    settings->background = cnn_param_bool(params, "background");
    settings->label_count = cnn_param_floats(params, "labels",
                                             &settings->labels);
    settings->threads = (int)cnn_param_int(params, "threads");
    if (settings->threads <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        settings->threads = online > 0 ? (int)online : 1;
    }
}

/* Allocates the splits for the listing, with their labels. */
static int allocate_splits(const struct imagefolder_settings *settings,
                           const struct imagefolder_listing *listing,
                           struct cnn_data *data, struct cnn_error *err)
{
    struct cnn_shape shape = {settings->channels, settings->size,
                              settings->size};
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++) {
        const struct imagefolder_list *list = &listing->splits[s];
        struct cnn_dataset *set = split_of(data, s);
        if (cnn_dataset_alloc(set, list->count, shape, err) != 0)
            return cnn_error_prefix(err, "imagefolder: ");
        for (int i = 0; i < list->count; i++)
            set->labels[i] = list->files[i].label;
    }
    return 0;
}

/* An explicit cache path that cannot be written fails now, not after
 * the whole folder is decoded (while training runs). */
static int check_cache_writable(const char *path, struct cnn_error *err)
{
    struct cnn_atomic_file file;
    if (cnn_atomic_open(&file, path, err) != 0)
        return cnn_error_prefix(err, "imagefolder: cache: ");
    cnn_atomic_abort(&file);
    return 0;
}

static int set_names(struct cnn_data *data,
                     const struct imagefolder_listing *listing,
                     struct cnn_error *err)
{
    if (cnn_data_set_classes(data, listing->classes,
                             (const char *const *)listing->class_names, err)
        != 0)
        return cnn_error_prefix(err, "imagefolder: ");
    return 0;
}

/* Decodes the listing, through the cache when one is set, in the
 * background when the caller can wait per image (then the splits' sizes,
 * labels and names are set on return). A limited load (data.limit)
 * neither reads nor writes the cache: it would overwrite the whole
 * folder's cache with a sample. An explicit cache path that cannot be
 * written is an error; for cache: auto it only costs the next run a
 * decode. */
static int load_listing(const struct imagefolder_settings *settings,
                        struct imagefolder_listing *listing,
                        const struct cnn_load_request *request,
                        struct cnn_data *data, struct cnn_error *err)
{
    char cache[IMAGEFOLDER_PATH_MAX] = "";
    uint64_t key = 0;
    if (request->limit <= 0) {
        if (imagefolder_cache_path(settings, cache, sizeof cache, err) != 0)
            return -1;
        key = imagefolder_cache_key(settings, listing, request->seed);
    }
    int hit = 0, skipped = 0;
    if (cache[0]) {
        hit = imagefolder_cache_read(cache, key, listing, settings, data,
                                     &skipped, err);
        if (hit < 0)
            return cnn_error_prefix(err, "imagefolder: ");
    }
    if (!hit && imagefolder_limit(listing, request->limit, request->seed,
                                  err) != 0)
        return -1;
    if (!hit && allocate_splits(settings, listing, data, err) != 0)
        return -1;
    if (set_names(data, listing, err) != 0)
        return -1;
    data->skipped = hit ? skipped : listing->skipped;
    if (!hit) {
        struct cnn_error why = {0};
        /* The cache is replaced below: only one cnnlab wrote. */
        if (cache[0] && imagefolder_cache_check_owned(cache, err) != 0)
            return cnn_error_prefix(err, "imagefolder: ");
        if (cache[0] && strcmp(settings->cache, "auto") != 0 &&
            check_cache_writable(cache, &why) != 0)
            return cnn_error_set(err, "%s: set data.cache to a writable "
                                 "path, or remove it", why.message);
        if (imagefolder_decode_start(settings, listing, data, cache, key,
                                     err) != 0)
            return -1;
    }
    /* background: false still leaves the failed images to the core's
     * waits, so that training sees the same splits either way. */
    if (!request->background)
        return cnn_data_wait_all(data, err);
    return settings->background ? 0 : cnn_data_wait_decoded(data, err);
}

static int imagefolder_load(const struct cnn_params *params,
                            const struct cnn_load_request *request,
                            struct cnn_data *data, struct cnn_error *err)
{
    struct imagefolder_settings settings;
    read_settings(params, &settings);
    if (settings.channels != 1 && settings.channels != 3)
        return cnn_error_set(err, "imagefolder: channels must be 1 or 3, not "
                             "%d", settings.channels);
    struct imagefolder_listing listing;
    if (imagefolder_scan(&settings, &listing, err) != 0)
        return -1;
    struct loaders_label_subset subset;
    int status = loaders_label_subset_parse(params, listing.classes,
                                            "imagefolder", &subset, err);
    if (status == 0)
        status = imagefolder_carve(&settings, request->seed, &listing, err);
    if (status == 0)
        status = imagefolder_keep_classes(&listing, &subset, err);
    if (status == 0)
        status = load_listing(&settings, &listing, request, data, err);
    loaders_label_subset_free(&subset);
    imagefolder_listing_free(&listing);
    if (status != 0)
        cnn_data_free(data);
    return status;
}

const struct cnn_loader_type loaders_imagefolder_type = {
    .name = "imagefolder",
    .help = "JPEG files in one folder per class (mini-ImageNet's layout), "
            "decoded on several threads while training runs and resized "
            "to size × size",
    .params = imagefolder_params,
    .param_count =
        (int)(sizeof imagefolder_params / sizeof imagefolder_params[0]),
    .load = imagefolder_load,
};
