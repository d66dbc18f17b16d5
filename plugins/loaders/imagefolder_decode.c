/* cnnlab — imagefolder: the source of the core's background decoding
 * (loader.h, "Decoding in the background"). Each image is decoded straight
 * into its place in its split, so the result does not depend on which
 * thread did what, nor on the order the core asks for. Once every image is
 * done, the cache file is written from the splits as they stand, with the
 * images that failed flagged.
 *
 * $CNNLAB_TEST_DECODE_DELAY_US (microseconds, for tests only) makes every
 * decode that much slower, so a test can watch training overtake
 * decoding on any machine. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imagefolder.h"
#include "jpeg_decode.h"

struct decoding {
    char **paths;                       /* per global index; owned */
    uint8_t *failed;                    /* per global index; each written
                                           only by its image's thread */
    uint8_t *pixels[IMAGEFOLDER_SPLITS];
    int offsets[IMAGEFOLDER_SPLITS];    /* global index of each split's 0 */
    int total;
    int size, channels;
    long delay_microseconds;
    struct imagefolder_images images;   /* for the cache */
    char *cache;                        /* NULL: none */
    uint64_t key;
    int cache_required;                 /* an explicit path: failing to
                                           write it is an error */
};

static void *thread_start(void *user)
{
    (void)user;
    return calloc(1, sizeof(struct loaders_jpeg_worker));
}

static void thread_end(void *user, void *scratch)
{
    (void)user;
    if (scratch)
        loaders_jpeg_worker_free(scratch);
    free(scratch);
}

static void pause_for_tests(long microseconds)
{
    if (microseconds <= 0)
        return;
    struct timespec delay = {microseconds / 1000000,
                             (microseconds % 1000000) * 1000};
    nanosleep(&delay, NULL);
}

static int decode(void *user, void *scratch, int split, int index,
                  struct cnn_error *err)
{
    struct decoding *d = user;
    int g = d->offsets[split] + index;
    size_t image = (size_t)d->channels * d->size * d->size;
    pause_for_tests(d->delay_microseconds);
    struct cnn_error why = {0};
    int status = loaders_jpeg_decode_file(scratch, d->paths[g], d->size,
                                          d->channels,
                                          d->pixels[split] + index * image,
                                          &why);
    if (status == 0)
        return 0;
    d->failed[g] = 1;
    if (status == -1)
        cnn_error_set(err,
                      "imagefolder: %s: replace or remove it, or set "
                      "data.on_error: skip to leave such files out",
                      why.message);
    else
        cnn_error_set(err, "imagefolder: %s", why.message);
    return status;
}

static int finished(void *user, struct cnn_error *err)
{
    struct decoding *d = user;
    if (!d->cache)
        return 0;
    struct cnn_error why = {0};
    if (imagefolder_cache_write(d->cache, d->key, &d->images, &why) == 0 ||
        !d->cache_required)
        return 0;
    return cnn_error_set(err, "%s: set data.cache to a writable path, or "
                         "remove it", why.message);
}

static void release(void *user)
{
    struct decoding *d = user;
    for (int g = 0; d->paths && g < d->total; g++)
        free(d->paths[g]);
    free(d->paths);
    free(d->failed);
    free(d->cache);
    free(d);
}

static long test_delay(void)
{
    const char *text = getenv("CNNLAB_TEST_DECODE_DELAY_US");
    long value = text ? strtol(text, NULL, 10) : 0;
    return value > 0 && value < 10000000 ? value : 0;
}

static struct cnn_dataset *split_of(struct cnn_data *data, int s)
{
    return s == IMAGEFOLDER_TRAIN ? &data->train
         : s == IMAGEFOLDER_VAL   ? &data->val
                                  : &data->test;
}

int imagefolder_decode_start(const struct imagefolder_settings *settings,
                             struct imagefolder_listing *listing,
                             struct cnn_data *data, const char *cache,
                             uint64_t key, struct cnn_error *err)
{
    struct decoding *d = calloc(1, sizeof *d);
    if (!d)
        return cnn_error_set(err, "imagefolder: out of memory");
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++) {
        struct cnn_dataset *set = split_of(data, s);
        d->offsets[s] = d->total;
        d->total += set->count;
        d->pixels[s] = set->pixels;
        d->images.counts[s] = set->count;
        d->images.labels[s] = set->labels;
        d->images.pixels[s] = set->pixels;
    }
    d->paths = calloc((size_t)d->total + 1, sizeof *d->paths);
    d->failed = calloc((size_t)d->total + 1, 1);
    d->cache = cache[0] ? strdup(cache) : NULL;
    if (!d->paths || !d->failed || (cache[0] && !d->cache)) {
        release(d);
        return cnn_error_set(err, "imagefolder: out of memory for %d files",
                             listing->splits[0].count);
    }
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++)
        for (int i = 0; i < listing->splits[s].count; i++) {
            d->paths[d->offsets[s] + i] = listing->splits[s].files[i].path;
            listing->splits[s].files[i].path = NULL;
        }
    d->size = settings->size;
    d->channels = settings->channels;
    d->delay_microseconds = test_delay();
    d->images.classes = data->classes;
    d->images.channels = settings->channels;
    d->images.size = settings->size;
    d->images.skipped = listing->skipped;
    d->images.failed = d->failed;
    d->key = key;
    d->cache_required = strcmp(settings->cache, "auto") != 0;
    struct cnn_stream_source source = {
        .user = d,
        .thread_start = thread_start,
        .thread_end = thread_end,
        .decode = decode,
        .finished = finished,
        .release = release,
    };
    if (cnn_data_stream_start(data, &source, settings->threads,
                              settings->skip_errors, err) != 0) {
        release(d);
        return cnn_error_prefix(err, "imagefolder: ");
    }
    return 0;
}
