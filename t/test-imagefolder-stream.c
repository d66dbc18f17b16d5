/* The imagefolder loader decoding in the background (loader.h, "Decoding
 * in the background"): load returns before the images are decoded, the
 * training images come in the order asked for, the result equals a load
 * that decodes up front, a damaged file's error reaches the waiter naming
 * it, on_error: skip leaves images out of batches and splits, the cache
 * remembers them, and freeing mid-decode stops the threads.
 *
 * $CNNLAB_TEST_DECODE_DELAY_US slows every decode, so that the checks on
 * what is decoded when hold on a fast machine too: each is far from its
 * threshold (stated at each check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "imagefolder-fixtures.h"
#include "test-util.h"

enum { CLASSES = 2, PER_CLASS = 40, TRAIN = CLASSES * PER_CLASS };

static const struct cnn_loader_type *loader;

/* Loads `root` (size 8); settings after it end in NULL (at most 4). */
static int load(const char *root, int background, const char *const *extra,
                struct cnn_data *data, struct cnn_error *err)
{
    char root_setting[600];
    snprintf(root_setting, sizeof root_setting, "root=%s", root);
    const char *settings[8] = {root_setting, "size=8"};
    int n = 2;
    for (int i = 0; extra && extra[i] && n < 7; i++)
        settings[n++] = extra[i];
    settings[n] = NULL;
    struct cnn_params params = test_params(loader->params,
                                           loader->param_count, loader->name,
                                           settings);
    struct cnn_load_request request = {1, 0, NULL, background};
    memset(data, 0, sizeof *data);
    memset(err, 0, sizeof *err);
    int status = loader->load(&params, &request, data, err);
    cnn_params_free(&params);
    return status;
}

static int same_split(const struct cnn_dataset *a, const struct cnn_dataset *b)
{
    return a->count == b->count
        && memcmp(a->pixels, b->pixels,
                  (size_t)a->count * cnn_shape_size(a->shape)) == 0
        && memcmp(a->labels, b->labels, (size_t)a->count * sizeof(int32_t))
               == 0;
}

static int same_data(const struct cnn_data *a, const struct cnn_data *b)
{
    return a->classes == b->classes && a->skipped == b->skipped
        && same_split(&a->train, &b->train) && same_split(&a->val, &b->val)
        && same_split(&a->test, &b->test);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* 40 training images per class, 3 in val and test: train image i of
 * class k has global index 40 k + i. */
static void write_tree(const char *root)
{
    const char *splits[3] = {"train", "val", "test"};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < CLASSES; k++) {
            char dir[1024];
            snprintf(dir, sizeof dir, "%s/%s/class%d", root, splits[s], k);
            fixture_mkdirs(dir);
            for (int i = 0; i < (s == 0 ? PER_CLASS : 3); i++)
                fixture_write_pattern(fixture_path("%s/%02d.jpg", dir, i),
                                      12, 12, 3, 100 * s + PER_CLASS * k + i);
        }
}

static void damage(const char *path)
{
    fixture_write_bytes(path, "\xff\xd8 not really a JPEG", 20);
}

static void check_overlap(const char *root)
{
    const char *one_thread[] = {"threads=1", NULL};
    struct cnn_data expected, data;
    struct cnn_error err;
    if (!ok(load(root, 0, one_thread, &expected, &err) == 0,
            "up front: loads (%s)", err.message))
        return;
    setenv("CNNLAB_TEST_DECODE_DELAY_US", "20000", 1);
    int status = load(root, 1, one_thread, &data, &err);
    struct cnn_data_timing timing;
    cnn_data_get_timing(&data, &timing);
    /* 92 images at 20 ms each: 1.8 s of decoding still ahead. */
    if (!ok(status == 0 && timing.threads == 1 && timing.all_decoded < 0,
            "background: load returns before the images are decoded (%s)",
            err.message))
        return;
    ok(data.train.count == TRAIN && data.val.count == 6
           && data.test.count == 6 && data.classes == 2
           && data.train.labels[TRAIN - 1] == 1,
       "background: counts, labels and classes are known at once");

    /* The last training images first: in listing order they come after
     * 76 others. */
    int order[TRAIN];
    for (int i = 0; i < TRAIN; i++)
        order[i] = TRAIN - 1 - i;
    cnn_data_prefer(&data, order, TRAIN);
    int batch[4] = {order[0], order[1], order[2], order[3]};
    int kept = cnn_data_wait_images(&data, &data.train, batch, 4, &err);
    cnn_data_get_timing(&data, &timing);
    /* One thread: the batch plus what it decoded before being told the
     * order (a few images); in listing order it would be 80. */
    ok(kept == 4 && timing.decoded < 40 && timing.all_decoded < 0,
       "background: the first batch (the last 4 images) is ready after %d "
       "of %d decodes (fewer than 40), before the rest",
       timing.decoded, timing.total);
    ok(timing.first_ready >= 0 && timing.waited > 0,
       "background: the wait is timed (first batch after %.3f s, waited "
       "%.3f s)", timing.first_ready, timing.waited);
    uint8_t *first = data.train.pixels + (size_t)batch[0] * 3 * 64;
    ok(memcmp(first, expected.train.pixels + (size_t)(TRAIN - 1) * 3 * 64,
              3 * 64) == 0,
       "background: a waited image is in place");
    ok(cnn_data_wait_all(&data, &err) == 0 && same_data(&data, &expected),
       "background: after waiting for all, the data equals an up-front "
       "load (%s)", err.message);
    cnn_data_get_timing(&data, &timing);
    ok(timing.decoded == timing.total && timing.total == TRAIN + 12
           && timing.all_decoded > 0,
       "background: every image decoded (%d of %d)", timing.decoded,
       timing.total);
    cnn_data_free(&data);

    /* Freed mid-decode: the threads stop after the image in progress. */
    setenv("CNNLAB_TEST_DECODE_DELAY_US", "50000", 1);
    const char *two_threads[] = {"threads=2", NULL};
    double started = seconds();
    status = load(root, 1, two_threads, &data, &err);
    cnn_data_free(&data);
    double elapsed = seconds() - started;
    /* Decoding all would take 92 x 50 ms / 2 = 2.3 s. */
    ok(status == 0 && elapsed < 1.2 && !data.stream && !data.train.pixels,
       "background: freeing mid-decode stops it (%.3f s)", elapsed);
    unsetenv("CNNLAB_TEST_DECODE_DELAY_US");
    cnn_data_free(&expected);
}

static void check_errors(const char *root)
{
    /* Train image 5 of class 1: global index 45. */
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/train/class1/05.jpg", root);
    damage(bad);
    struct cnn_data data;
    struct cnn_error err;
    if (!ok(load(root, 1, NULL, &data, &err) == 0,
            "fail: the background load returns before finding the damaged "
            "file (%s)", err.message))
        return;
    int batch[4] = {44, 45, 46, 47};
    ok(cnn_data_wait_images(&data, &data.train, batch, 4, &err) == -1,
       "fail: waiting for a batch with the damaged file fails");
    like(err.message, bad, "fail: ...naming the file");
    like(err.message, "on_error: skip", "fail: ...and the way out");
    int good[1] = {0};
    memset(&err, 0, sizeof err);
    ok(cnn_data_wait_images(&data, &data.train, good, 1, &err) == -1
           && strstr(err.message, bad),
       "fail: later waits fail with the same error");
    memset(&err, 0, sizeof err);
    ok(cnn_data_wait_all(&data, &err) == -1 && strstr(err.message, bad),
       "fail: so does waiting for all");
    cnn_data_free(&data);

    /* on_error: skip, with a damaged test image as well. */
    damage(fixture_path("%s/test/class0/01.jpg", root));
    const char *skip[] = {"on_error=skip", NULL};
    struct cnn_data expected;
    load(root, 0, skip, &expected, &err);
    int status = load(root, 1, skip, &data, &err);
    if (!ok(status == 0,
            "skip: loads in the background (%s)", err.message))
        return;
    is_int(data.train.count, TRAIN, "skip: a split keeps its count while "
                                    "decoding");
    int kept = cnn_data_wait_images(&data, &data.train, batch, 4, &err);
    ok(kept == 3 && batch[0] == 44 && batch[1] == 46 && batch[2] == 47,
       "skip: the damaged image leaves its batch (kept %d)", kept);
    status = cnn_data_wait_all(&data, &err);
    ok(status == 0 && data.train.count == TRAIN - 1
           && data.test.count == 5 && data.skipped == 2,
       "skip: waiting for all removes the 2 left out and counts them "
       "(%d/%d/%d, skipped %ld)",
       data.train.count, data.val.count, data.test.count, data.skipped);
    ok(same_data(&data, &expected), "skip: ...as an up-front load does");
    cnn_data_free(&data);

    /* The cache keeps every image, the failed ones flagged. */
    char cache[1100];
    snprintf(cache, sizeof cache, "cache=%s/decoded.cache", root);
    const char *cached[] = {"on_error=skip", cache, NULL};
    struct cnn_data hit;
    load(root, 1, cached, &data, &err);
    ok(cnn_data_wait_all(&data, &err) == 0 && same_data(&data, &expected),
       "cache: a miss decodes in the background (%s)", err.message);
    struct stat info;
    ok(stat(cache + 6, &info) == 0, "cache: ...and writes the file");
    struct cnn_data_timing timing;
    ok(load(root, 1, cached, &hit, &err) == 0,
       "cache: a hit loads (%s)", err.message);
    cnn_data_get_timing(&hit, &timing);
    is_int(timing.threads, 0, "cache: a hit decodes nothing");
    int again[4] = {44, 45, 46, 47};
    ok(cnn_data_wait_images(&hit, &hit.train, again, 4, &err) == 3
           && again[1] == 46,
       "cache: a hit leaves out the same image in batches");
    ok(cnn_data_wait_all(&hit, &err) == 0 && same_data(&hit, &expected),
       "cache: a hit equals the fresh decode, skipped count included");
    cnn_data_free(&hit);
    cnn_data_free(&data);
    cnn_data_free(&expected);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        loader = cnn_registry_loader(registry, "imagefolder");
        if (ok(loader != NULL, "imagefolder is registered")) {
            char base[256], root[512];
            snprintf(base, sizeof base, "%s",
                     fixture_temp_root("imagefolder-stream"));
            snprintf(root, sizeof root, "%s/tree", base);
            write_tree(root);
            check_overlap(root);
            check_errors(root);
            fixture_remove_tree(base);
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
