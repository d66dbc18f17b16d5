/* cnnlab — decoding a loader's images in the background (loader.h, "Decoding
 * in the background"): a few threads take image after image from a plan
 * (the training images in the order the consumer asked for, then val,
 * then test) and decode it through the loader's source; the consumer waits
 * on a condition variable for the images of its batch only.
 *
 * Everything shared sits behind one mutex: each thread writes an image's
 * pixels, then marks it done under the mutex, and a waiter reads the
 * pixels only after seeing the mark under the same mutex, so the pixels it
 * reads are complete. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnnlab/loader.h"
#include "train/dataset_stream.h"

enum image_state { PENDING, DECODING, READY, FAILED };
#define SPLITS 3
#define PLACED 0x80 /* in state, only while cnn_data_prefer runs */

struct cnn_data_stream {
    pthread_mutex_t lock;
    pthread_cond_t changed;     /* an image finished, or the stream ended */
    struct cnn_stream_source source;
    int skip_errors;
    int counts[SPLITS], total;
    uint8_t *state;             /* per global index: enum image_state */
    int *plan;                  /* global indices in decoding order */
    int planned;                /* entries in plan */
    int next;                   /* plan position of the next to take */
    int busy;                   /* images (or `finished`) in progress */
    int done;                   /* images READY or FAILED */
    int excluded;               /* FAILED under skip_errors */
    int finished;               /* done == total and `finished` returned */
    int stopping;               /* cnn_data_free: take nothing new */
    int failed;                 /* the stream's error is set: take nothing */
    int failed_index;           /* global index the error names; total for
                                   an error of no image */
    struct cnn_error error;
    int compacted;              /* cnn_data_wait_all removed the left out */
    pthread_t *threads;
    int thread_count;           /* running (0 once joined) */
    int threads_started;
    double started, first_ready, all_decoded, waited;
};

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static struct cnn_data_stream *stream_new(const struct cnn_data *data,
                                          struct cnn_error *err)
{
    struct cnn_data_stream *stream = calloc(1, sizeof *stream);
    const struct cnn_dataset *sets[SPLITS] = {&data->train, &data->val,
                                              &data->test};
    if (!stream)
        return cnn_error_set(err, "out of memory for decoding"), NULL;
    for (int s = 0; s < SPLITS; s++) {
        stream->counts[s] = sets[s]->count;
        stream->total += sets[s]->count;
    }
    stream->state = calloc((size_t)stream->total + 1, 1);
    stream->plan = malloc(((size_t)stream->total + 1) * sizeof(int));
    if (!stream->state || !stream->plan) {
        cnn_error_set(err, "out of memory for decoding %d images",
                      stream->total);
        free(stream->state);
        free(stream->plan);
        free(stream);
        return NULL;
    }
    for (int g = 0; g < stream->total; g++)
        stream->plan[g] = g;
    stream->planned = stream->total;
    pthread_mutex_init(&stream->lock, NULL);
    pthread_cond_init(&stream->changed, NULL);
    stream->failed_index = stream->total;
    stream->started = now_seconds();
    stream->first_ready = stream->all_decoded = -1;
    return stream;
}

/* Keeps the error of the lowest global index, so that with several bad
 * files the one named does not depend on which thread was faster. */
static void record_failure(struct cnn_data_stream *stream, int index,
                           const struct cnn_error *error)
{
    if (!stream->failed || index < stream->failed_index) {
        stream->error = *error;
        stream->failed_index = index;
    }
    stream->failed = 1;
}

/* Under the lock: the last image is done; runs the source's `finished`
 * with the lock released. */
static void finish(struct cnn_data_stream *stream)
{
    stream->all_decoded = now_seconds() - stream->started;
    if (stream->source.finished && !stream->failed) {
        stream->busy++;
        pthread_mutex_unlock(&stream->lock);
        struct cnn_error error = {0};
        int status = stream->source.finished(stream->source.user, &error);
        pthread_mutex_lock(&stream->lock);
        stream->busy--;
        if (status != 0)
            record_failure(stream, stream->total, &error);
    }
    stream->finished = 1;
}

static void *stream_work(void *argument)
{
    struct cnn_data_stream *stream = argument;
    const struct cnn_stream_source *source = &stream->source;
    void *scratch = source->thread_start
                        ? source->thread_start(source->user) : NULL;
    pthread_mutex_lock(&stream->lock);
    if (source->thread_start && !scratch) {
        struct cnn_error error = {0};
        cnn_error_set(&error, "out of memory for a decoding thread");
        record_failure(stream, stream->total, &error);
        pthread_cond_broadcast(&stream->changed);
    }
    for (;;) {
        while (stream->next < stream->planned &&
               stream->state[stream->plan[stream->next]] != PENDING)
            stream->next++;
        if (stream->stopping || stream->failed ||
            stream->next >= stream->planned)
            break;
        int g = stream->plan[stream->next++];
        int split = g < stream->counts[0] ? 0
                    : g < stream->counts[0] + stream->counts[1] ? 1 : 2;
        int index = g - (split > 0 ? stream->counts[0] : 0) -
                    (split > 1 ? stream->counts[1] : 0);
        stream->state[g] = DECODING;
        stream->busy++;
        pthread_mutex_unlock(&stream->lock);
        struct cnn_error error = {0};
        int status = source->decode(source->user, scratch, split, index,
                                    &error);
        pthread_mutex_lock(&stream->lock);
        stream->busy--;
        stream->state[g] = status == 0 ? READY : FAILED;
        if (status == -1 && stream->skip_errors)
            stream->excluded++;
        else if (status != 0)
            record_failure(stream, g, &error);
        if (++stream->done == stream->total)
            finish(stream);
        pthread_cond_broadcast(&stream->changed);
    }
    pthread_mutex_unlock(&stream->lock);
    if (source->thread_end)
        source->thread_end(source->user, scratch);
    return NULL;
}

/* Frees a stream whose threads have ended (or never started). */
static void stream_free(struct cnn_data_stream *stream)
{
    pthread_mutex_destroy(&stream->lock);
    pthread_cond_destroy(&stream->changed);
    free(stream->threads);
    free(stream->state);
    free(stream->plan);
    free(stream);
}

int cnn_data_stream_start(struct cnn_data *data,
                          const struct cnn_stream_source *source,
                          int threads, int skip_errors,
                          struct cnn_error *err)
{
    if (data->stream)
        return cnn_error_set(err, "the data is being decoded already");
    struct cnn_data_stream *stream = stream_new(data, err);
    if (!stream)
        return -1;
    stream->source = *source;
    stream->skip_errors = skip_errors;
    if (threads > stream->total)
        threads = stream->total;
    if (threads < 1)
        threads = 1;
    stream->threads = malloc((size_t)threads * sizeof *stream->threads);
    /* Fewer threads than asked decode the same images. */
    for (int t = 0; stream->threads && t < threads && stream->total > 0;
         t++) {
        if (pthread_create(&stream->threads[t], NULL, stream_work, stream) !=
            0)
            break;
        stream->thread_count++;
    }
    stream->threads_started = stream->thread_count;
    if (!stream->threads || (stream->total > 0 && stream->thread_count == 0)) {
        stream_free(stream);
        return cnn_error_set(err, "cannot start a decoding thread (out of "
                             "memory or of threads)");
    }
    if (stream->total == 0) {
        pthread_mutex_lock(&stream->lock);
        finish(stream);
        pthread_mutex_unlock(&stream->lock);
    }
    data->stream = stream;
    return 0;
}

static int global_index(const struct cnn_data_stream *stream, int split,
                        int index)
{
    return index + (split > 0 ? stream->counts[0] : 0) +
           (split > 1 ? stream->counts[1] : 0);
}

int cnn_data_exclude(struct cnn_data *data, int split, int index,
                     struct cnn_error *err)
{
    struct cnn_data_stream *stream = data->stream;
    if (!stream) {
        stream = stream_new(data, err);
        if (!stream)
            return -1;
        memset(stream->state, READY, (size_t)stream->total);
        stream->done = stream->total;
        stream->planned = 0;
        stream->finished = 1;
        stream->all_decoded = 0;
        data->stream = stream;
    }
    if (stream->threads_started > 0 || split < 0 || split >= SPLITS ||
        index < 0 || index >= stream->counts[split])
        return cnn_error_set(err, "cannot leave out image %d of split %d",
                             index, split);
    int g = global_index(stream, split, index);
    if (stream->state[g] != FAILED)
        stream->excluded++;
    stream->state[g] = FAILED;
    return 0;
}

void cnn_data_prefer(const struct cnn_data *data, const int *train_order,
                     int count)
{
    struct cnn_data_stream *stream = data->stream;
    if (!stream)
        return;
    pthread_mutex_lock(&stream->lock);
    int planned = 0;
    for (int i = 0; i < count; i++) {
        int g = train_order[i];
        if (g >= 0 && g < stream->counts[0] && stream->state[g] == PENDING) {
            stream->state[g] |= PLACED;
            stream->plan[planned++] = g;
        }
    }
    /* Then whatever else is pending, in index order; what is decoding or
     * done already leaves the plan. */
    for (int g = 0; g < stream->total; g++) {
        if (stream->state[g] == PENDING)
            stream->plan[planned++] = g;
        stream->state[g] &= (uint8_t)~PLACED;
    }
    stream->planned = planned;
    stream->next = 0;
    pthread_mutex_unlock(&stream->lock);
}

static int split_of_set(const struct cnn_data *data,
                        const struct cnn_dataset *set)
{
    return set == &data->train ? 0
           : set == &data->val ? 1
           : set == &data->test ? 2 : -1;
}

/* Under the lock: the stream's error once no image is in progress (the
 * one named is then the lowest index of all that failed). 1: wait. */
static int failure_settled(const struct cnn_data_stream *stream)
{
    return stream->failed && stream->busy == 0;
}

int cnn_data_wait_images(const struct cnn_data *data,
                         const struct cnn_dataset *set, int *indices, int n,
                         struct cnn_error *err)
{
    struct cnn_data_stream *stream = data->stream;
    if (!stream)
        return n;
    if (stream->compacted) {
        /* The splits are plain arrays now; only the timing is kept. */
        pthread_mutex_lock(&stream->lock);
        if (stream->first_ready < 0)
            stream->first_ready = now_seconds() - stream->started;
        pthread_mutex_unlock(&stream->lock);
        return n;
    }
    int split = split_of_set(data, set);
    if (split < 0)
        return cnn_error_set(err, "waiting for images of a dataset that is "
                             "not one of the data's splits");
    int offset = global_index(stream, split, 0);
    pthread_mutex_lock(&stream->lock);
    double began = now_seconds();
    int status = 0;
    for (;;) {
        if (failure_settled(stream)) {
            *err = stream->error;
            status = -1;
            break;
        }
        int ready = !stream->failed;
        for (int i = 0; ready && i < n; i++)
            ready = stream->state[offset + indices[i]] >= READY;
        if (ready)
            break;
        pthread_cond_wait(&stream->changed, &stream->lock);
    }
    double ended = now_seconds();
    stream->waited += ended - began;
    if (status == 0 && stream->first_ready < 0)
        stream->first_ready = ended - stream->started;
    int kept = 0;
    for (int i = 0; status == 0 && i < n; i++)
        if (stream->state[offset + indices[i]] == READY)
            indices[kept++] = indices[i];
    pthread_mutex_unlock(&stream->lock);
    return status == 0 ? kept : -1;
}

static void join_threads(struct cnn_data_stream *stream)
{
    for (int t = 0; t < stream->thread_count; t++)
        pthread_join(stream->threads[t], NULL);
    stream->thread_count = 0;
    if (stream->source.release)
        stream->source.release(stream->source.user);
    stream->source.release = NULL;
}

/* Moves the kept images of one split together, in order. */
static int compact_split(struct cnn_dataset *set, const uint8_t *state)
{
    size_t image = cnn_shape_size(set->shape);
    int kept = 0;
    for (int i = 0; i < set->count; i++) {
        if (state[i] != READY)
            continue;
        if (kept != i) {
            memmove(set->pixels + (size_t)kept * image,
                    set->pixels + (size_t)i * image, image);
            set->labels[kept] = set->labels[i];
        }
        kept++;
    }
    int removed = set->count - kept;
    set->count = kept;
    return removed;
}

int cnn_data_wait_decoded(const struct cnn_data *data, struct cnn_error *err)
{
    struct cnn_data_stream *stream = data->stream;
    if (!stream || stream->compacted)
        return 0;
    pthread_mutex_lock(&stream->lock);
    while (!stream->finished && !failure_settled(stream))
        pthread_cond_wait(&stream->changed, &stream->lock);
    int failed = stream->failed;
    if (failed)
        *err = stream->error;
    pthread_mutex_unlock(&stream->lock);
    return failed ? -1 : 0;
}

int cnn_data_wait_all(struct cnn_data *data, struct cnn_error *err)
{
    struct cnn_data_stream *stream = data->stream;
    if (!stream || stream->compacted)
        return 0;
    if (cnn_data_wait_decoded(data, err) < 0)
        return -1;
    join_threads(stream);
    struct cnn_dataset *sets[SPLITS] = {&data->train, &data->val,
                                        &data->test};
    long removed = 0;
    for (int s = 0; s < SPLITS; s++)
        removed += compact_split(sets[s], stream->state +
                                              global_index(stream, s, 0));
    stream->compacted = 1;
    data->skipped += removed;
    if (data->train.count == 0)
        return cnn_error_set(err, "every training image was left out (%ld "
                             "files could not be read and on_error: skip "
                             "is set): check the data folder",
                             removed);
    return 0;
}

void cnn_data_get_timing(const struct cnn_data *data,
                         struct cnn_data_timing *timing)
{
    struct cnn_data_stream *stream = data->stream;
    memset(timing, 0, sizeof *timing);
    timing->first_ready = timing->all_decoded = -1;
    if (!stream || stream->threads_started == 0)
        return;
    pthread_mutex_lock(&stream->lock);
    timing->threads = stream->threads_started;
    timing->first_ready = stream->first_ready;
    timing->all_decoded = stream->all_decoded;
    timing->waited = stream->waited;
    timing->decoded = stream->done;
    timing->total = stream->total;
    pthread_mutex_unlock(&stream->lock);
}

void cnn_data_stream_end(struct cnn_data *data)
{
    struct cnn_data_stream *stream = data->stream;
    if (!stream)
        return;
    pthread_mutex_lock(&stream->lock);
    stream->stopping = 1;
    pthread_mutex_unlock(&stream->lock);
    join_threads(stream);
    stream_free(stream);
    data->stream = NULL;
}
