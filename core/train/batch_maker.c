/* cnnlab — training batches made one step ahead (batch_maker.h). One
 * worker thread and one buffer: the main thread requests batch k + 1
 * right after taking batch k, then trains on k while the worker makes
 * k + 1. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "train/augment.h"
#include "train/batch_maker.h"

struct cnn_batch_maker {
    const struct cnn_dataset *set;
    const struct cnn_train_config *config;
    int capacity;
    size_t per_image;     /* values per image */

    /* The batch: what the main thread asked for and what the worker made.
     * Guarded by lock; `state` says whose turn it is. */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    enum { IDLE, REQUESTED, READY, STOPPING } state;
    int epoch, n;
    int *indices;         /* capacity */
    float *inputs;        /* capacity * per_image */
    int32_t *labels;      /* capacity */
    uint8_t *scratch;     /* the worker's: two images' bytes */

    pthread_t thread;
    int thread_started;
};

void cnn_batch_maker_image(const struct cnn_dataset *set,
                           const struct cnn_train_config *config, int epoch,
                           int index, uint8_t *scratch, float *out)
{
    size_t bytes = cnn_shape_size(set->shape);
    const uint8_t *pixels = set->pixels + (size_t)index * bytes;
    cnn_augment_image(&config->augmentation, config->seed, epoch, index,
                      pixels, set->shape, scratch, scratch + bytes);
    cnn_normalize_pixels(scratch, set->shape, &config->normalization, out);
}

static void make_batch(struct cnn_batch_maker *maker)
{
    for (int i = 0; i < maker->n; i++) {
        int index = maker->indices[i];
        maker->labels[i] = maker->set->labels[index];
        cnn_batch_maker_image(maker->set, maker->config, maker->epoch, index,
                              maker->scratch,
                              maker->inputs + (size_t)i * maker->per_image);
    }
}

static void *worker(void *user)
{
    struct cnn_batch_maker *maker = user;
    pthread_mutex_lock(&maker->lock);
    for (;;) {
        while (maker->state != REQUESTED && maker->state != STOPPING)
            pthread_cond_wait(&maker->changed, &maker->lock);
        if (maker->state == STOPPING)
            break;
        /* The main thread touches nothing of the batch until READY. */
        pthread_mutex_unlock(&maker->lock);
        make_batch(maker);
        pthread_mutex_lock(&maker->lock);
        if (maker->state == REQUESTED)
            maker->state = READY;
        pthread_cond_broadcast(&maker->changed);
    }
    pthread_mutex_unlock(&maker->lock);
    return NULL;
}

int cnn_batch_maker_new(struct cnn_batch_maker **out,
                        const struct cnn_dataset *set,
                        const struct cnn_train_config *config, int capacity,
                        struct cnn_error *err)
{
    *out = NULL;
    struct cnn_batch_maker *maker = calloc(1, sizeof *maker);
    if (!maker)
        return cnn_error_set(err, "out of memory for the batch maker");
    maker->set = set;
    maker->config = config;
    maker->capacity = capacity;
    maker->per_image = cnn_shape_size(set->shape);
    maker->indices = malloc((size_t)capacity * sizeof *maker->indices);
    maker->inputs = malloc((size_t)capacity * maker->per_image *
                           sizeof *maker->inputs);
    maker->labels = malloc((size_t)capacity * sizeof *maker->labels);
    maker->scratch = malloc(2 * cnn_augment_scratch_size(set->shape));
    pthread_mutex_init(&maker->lock, NULL);
    pthread_cond_init(&maker->changed, NULL);
    if (!maker->indices || !maker->inputs || !maker->labels ||
        !maker->scratch) {
        cnn_batch_maker_free(maker);
        return cnn_error_set(err, "out of memory for the batch maker (%d "
                             "images of %zu values)",
                             capacity, maker->per_image);
    }
    if (pthread_create(&maker->thread, NULL, worker, maker) != 0) {
        cnn_batch_maker_free(maker);
        return cnn_error_set(err, "cannot start the thread that augments "
                             "training batches");
    }
    maker->thread_started = 1;
    *out = maker;
    return 0;
}

void cnn_batch_maker_request(struct cnn_batch_maker *maker, int epoch,
                             const int *indices, int n)
{
    pthread_mutex_lock(&maker->lock);
    maker->epoch = epoch;
    maker->n = n < maker->capacity ? n : maker->capacity;
    memcpy(maker->indices, indices, (size_t)maker->n * sizeof *indices);
    maker->state = REQUESTED;
    pthread_cond_broadcast(&maker->changed);
    pthread_mutex_unlock(&maker->lock);
}

int cnn_batch_maker_take(struct cnn_batch_maker *maker,
                         struct cnn_model *model)
{
    pthread_mutex_lock(&maker->lock);
    while (maker->state == REQUESTED)
        pthread_cond_wait(&maker->changed, &maker->lock);
    int n = maker->state == READY ? maker->n : 0;
    maker->state = IDLE;
    pthread_mutex_unlock(&maker->lock);
    memcpy(cnn_model_input(model), maker->inputs,
           (size_t)n * maker->per_image * sizeof *maker->inputs);
    memcpy(cnn_model_labels(model), maker->labels,
           (size_t)n * sizeof *maker->labels);
    return n;
}

void cnn_batch_maker_free(struct cnn_batch_maker *maker)
{
    if (!maker)
        return;
    if (maker->thread_started) {
        pthread_mutex_lock(&maker->lock);
        maker->state = STOPPING;
        pthread_cond_broadcast(&maker->changed);
        pthread_mutex_unlock(&maker->lock);
        pthread_join(maker->thread, NULL);
    }
    pthread_mutex_destroy(&maker->lock);
    pthread_cond_destroy(&maker->changed);
    free(maker->indices);
    free(maker->inputs);
    free(maker->labels);
    free(maker->scratch);
    free(maker);
}
