/* cnnlab — imagefolder: decoding the files on a pool of threads. Each
 * thread takes the next job under a mutex and decodes it straight into its
 * place in the dataset, so the result does not depend on which thread did
 * what. Jobs are handed out in order, so when no new job starts after a
 * failure, every job before the failing one has still run: the lowest
 * failing job is the same on every run. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "imagefolder.h"
#include "jpeg_decode.h"

struct pool {
    struct imagefolder_job *jobs;
    int count, size, channels, stop_early;
    pthread_mutex_t lock;
    int next;    /* the next job to hand out */
    int stopped; /* a job failed and stop_early is set */
};

static int take_job(struct pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    int job = pool->stopped || pool->next >= pool->count ? -1 : pool->next++;
    pthread_mutex_unlock(&pool->lock);
    return job;
}

static void *work(void *argument)
{
    struct pool *pool = argument;
    struct loaders_jpeg_worker worker;
    memset(&worker, 0, sizeof worker);
    for (int i = take_job(pool); i >= 0; i = take_job(pool)) {
        struct imagefolder_job *job = &pool->jobs[i];
        struct cnn_error err = {0};
        job->status = loaders_jpeg_decode_file(&worker, job->path, pool->size,
                                               pool->channels, job->out,
                                               &err);
        if (job->status == 0)
            continue;
        /* Without memory for the message, the status still tells. */
        job->message = strdup(err.message);
        if (pool->stop_early || job->status == -2) {
            pthread_mutex_lock(&pool->lock);
            pool->stopped = 1;
            pthread_mutex_unlock(&pool->lock);
        }
    }
    loaders_jpeg_worker_free(&worker);
    return NULL;
}

int imagefolder_decode(struct imagefolder_job *jobs, int count, int threads,
                       int size, int channels, int stop_early,
                       struct cnn_error *err)
{
    struct pool pool = {jobs, count, size, channels, stop_early,
                        PTHREAD_MUTEX_INITIALIZER, 0, 0};
    if (threads > count)
        threads = count;
    if (threads < 1)
        threads = 1;
    pthread_t *ids = malloc((size_t)threads * sizeof *ids);
    if (!ids)
        return cnn_error_set(err, "imagefolder: out of memory");
    /* The calling thread is one of the workers. */
    int started = 0;
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&ids[started], NULL, work, &pool) != 0)
            break; /* fewer threads decode the same jobs */
        started++;
    }
    work(&pool);
    for (int t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    free(ids);
    pthread_mutex_destroy(&pool.lock);
    for (int i = 0; i < count; i++)
        if (jobs[i].status == -2)
            return cnn_error_set(err, "imagefolder: %s",
                                 jobs[i].message ? jobs[i].message
                                                 : "out of memory");
    return 0;
}
