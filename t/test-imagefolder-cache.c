/* The imagefolder loader's cache file (a hit equals a fresh decode, a
 * changed file or parameter or a damaged cache rebuilds it), its seeded
 * splits of a folder of class folders, its limit, and that the number of
 * decoding threads changes nothing. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imagefolder-fixtures.h"
#include "test-util.h"

static const struct cnn_loader_type *loader;

static int load(const char *root, uint64_t seed, long limit,
                const char *const *extra, struct cnn_data *data,
                struct cnn_error *err)
{
    return fixture_load(loader, root, seed, limit, extra, data, err);
}

static int same_split(const struct cnn_dataset *a, const struct cnn_dataset *b)
{
    return a->count == b->count && a->shape.c == b->shape.c
        && a->shape.h == b->shape.h && a->shape.w == b->shape.w
        && memcmp(a->pixels, b->pixels,
                  (size_t)a->count * cnn_shape_size(a->shape)) == 0
        && memcmp(a->labels, b->labels, (size_t)a->count * sizeof(int32_t))
               == 0;
}

static int same_data(const struct cnn_data *a, const struct cnn_data *b)
{
    return a->classes == b->classes && same_split(&a->train, &b->train)
        && same_split(&a->val, &b->val) && same_split(&a->test, &b->test);
}

static long long inode_of(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 ? (long long)info.st_ino : -1;
}

static long long size_of(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 ? (long long)info.st_size : -1;
}

/* Two classes; three 16 x 16 images each in train, one in val and test. */
static void write_tree(const char *root)
{
    const char *splits[3] = {"train", "val", "test"};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < 2; k++) {
            char dir[1024];
            snprintf(dir, sizeof dir, "%s/%s/class%d", root, splits[s], k);
            fixture_mkdirs(dir);
            for (int i = 0; i < (s == 0 ? 3 : 1); i++)
                fixture_write_pattern(fixture_path("%s/%c.jpg", dir, 'a' + i),
                                      16, 16, 3, 10 * s + 3 * k + i);
        }
}

static void check_cache(const char *base)
{
    char root[1024], cache[1024], cache_setting[1100];
    snprintf(root, sizeof root, "%s/tree", base);
    snprintf(cache, sizeof cache, "%s/decoded.cache", base);
    snprintf(cache_setting, sizeof cache_setting, "cache=%s", cache);
    const char *cached[] = {cache_setting, NULL};
    write_tree(root);
    struct cnn_data fresh, data;
    struct cnn_error err;
    if (!ok(load(root, 1, 0, NULL, &fresh, &err) == 0,
            "cache: the folder loads without a cache (%s)", err.message))
        return;
    ok(load(root, 1, 0, cached, &data, &err) == 0 && same_data(&data, &fresh),
       "cache: the first load with a cache equals a fresh decode (%s)",
       err.message);
    cnn_data_free(&data);
    long long inode = inode_of(cache);
    ok(inode >= 0, "cache: the first load writes the cache file");
    ok(load(root, 1, 0, cached, &data, &err) == 0 && same_data(&data, &fresh),
       "cache: a cache hit equals a fresh decode");
    cnn_data_free(&data);
    ok(inode_of(cache) == inode, "cache: a hit leaves the file as it was");

    /* The last byte of the file is the last pixel of the test split. */
    size_t size;
    uint8_t *bytes = fixture_read_bytes(cache, &size);
    bytes[size - 1] ^= 0xff;
    fixture_write_bytes(cache, bytes, size);
    load(root, 1, 0, cached, &data, &err);
    size_t last = (size_t)data.test.count * 3 * 64 - 1;
    ok(data.test.count == 2 && data.test.pixels[last] == bytes[size - 1],
       "cache: a hit reads its pixels from the file");
    cnn_data_free(&data);
    free(bytes);

    /* A changed image (new contents, new time) makes the cache stale. */
    const char *changed = fixture_path("%s/train/class1/b.jpg", root);
    fixture_write_pattern(changed, 16, 16, 3, 99);
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    utimensat(AT_FDCWD, changed, times, 0);
    struct cnn_data fresh2;
    load(root, 1, 0, NULL, &fresh2, &err);
    ok(!same_data(&fresh2, &fresh), "cache: (the changed image changes the "
                                    "data)");
    ok(load(root, 1, 0, cached, &data, &err) == 0
           && same_data(&data, &fresh2),
       "cache: after a file changes, the load equals a fresh decode");
    cnn_data_free(&data);
    ok(inode_of(cache) != inode, "cache: ...and the cache is rewritten");

    const char *resized[] = {cache_setting, "size=6", NULL};
    int status = load(root, 1, 0, resized, &data, &err);
    ok(status == 0 && data.train.shape.h == 6,
       "cache: another size is not served from the cache (%d)",
       data.train.shape.h);
    cnn_data_free(&data);

    /* A damaged cache (it begins as cnnlab's do) is ignored and rebuilt. */
    bytes = fixture_read_bytes(cache, &size);
    fixture_write_bytes(cache, bytes, 100);
    free(bytes);
    ok(load(root, 1, 0, cached, &data, &err) == 0
           && same_data(&data, &fresh2),
       "cache: a cache cut to 100 bytes is ignored (%s)", err.message);
    cnn_data_free(&data);
    ok(size_of(cache) > 100, "cache: ...and rebuilt");

    /* A file that is not cnnlab's is refused and kept (issue 19): cnnlab
     * replaces only caches it can tell it wrote. */
    fixture_write_bytes(cache, "not a cache", 11);
    cnn_error_clear(&err);
    ok(load(root, 1, 0, cached, &data, &err) != 0,
       "cache: a file that is not a cache is refused");
    like(err.message, "is not a cnnlab cache", "cache: ...saying so");
    like(err.message, cache, "cache: ...naming it");
    ok(size_of(cache) == 11, "cache: ...and it is kept as it was");
    cnn_data_free(&data);
    unlink(cache);
    ok(load(root, 1, 0, cached, &data, &err) == 0
           && same_data(&data, &fresh2),
       "cache: with it removed, the cache is rebuilt (%s)", err.message);
    cnn_data_free(&data);

    char other[1024], other_setting[1100];
    snprintf(other, sizeof other, "%s/limited.cache", base);
    snprintf(other_setting, sizeof other_setting, "cache=%s", other);
    const char *limited[] = {other_setting, NULL};
    ok(load(root, 1, 2, limited, &data, &err) == 0 && size_of(other) < 0,
       "cache: a limited load writes no cache");
    cnn_data_free(&data);

    snprintf(other, sizeof other, "%s/no/such/folder/x.cache", base);
    snprintf(other_setting, sizeof other_setting, "cache=%s", other);
    ok(load(root, 1, 0, limited, &data, &err) != 0, "cache: an unwritable "
                                                    "cache path is an error");
    like(err.message, other, "cache: ...naming it");

    char xdg[1024];
    snprintf(xdg, sizeof xdg, "%s/xdg", base);
    setenv("XDG_CACHE_HOME", xdg, 1);
    const char *automatic[] = {"cache=auto", NULL};
    ok(load(root, 1, 0, automatic, &data, &err) == 0
           && same_data(&data, &fresh2),
       "cache: auto loads (%s)", err.message);
    cnn_data_free(&data);
    DIR *dir = opendir(fixture_path("%s/cnnlab", xdg));
    int files = 0;
    for (struct dirent *entry; dir && (entry = readdir(dir)) != NULL;)
        files += strncmp(entry->d_name, "imagefolder-", 12) == 0;
    if (dir)
        closedir(dir);
    is_int(files, 1, "cache: auto writes one file in $XDG_CACHE_HOME/cnnlab");
    ok(load(root, 1, 0, automatic, &data, &err) == 0
           && same_data(&data, &fresh2),
       "cache: auto hits");
    cnn_data_free(&data);

    const char *one_thread[] = {"threads=1", NULL};
    const char *three_threads[] = {"threads=3", NULL};
    struct cnn_data other_data;
    load(root, 1, 0, one_thread, &data, &err);
    load(root, 1, 0, three_threads, &other_data, &err);
    ok(same_data(&data, &fresh2) && same_data(&other_data, &fresh2),
       "threads: 1, 2 and 3 decoding threads give the same data");
    cnn_data_free(&data);
    cnn_data_free(&other_data);
    cnn_data_free(&fresh);
    cnn_data_free(&fresh2);
}

/* ---- seeded splits and limits -------------------------------------------- */

enum { CLASSES = 3, PER_CLASS = 10 };

/* Image i of class k is flat grey 10 + 8 (10 k + i): its id. */
static int id_of(const struct cnn_dataset *set, int n)
{
    int level = set->pixels[(size_t)n * cnn_shape_size(set->shape)];
    return (level - 10 + 4) / 8;
}

static void write_flat_tree(const char *root)
{
    for (int k = 0; k < CLASSES; k++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/kind%d", root, k);
        fixture_mkdirs(dir);
        for (int i = 0; i < PER_CLASS; i++)
            fixture_write_flat(fixture_path("%s/%02d.jpg", dir, i), 8, 8,
                               10 + 8 * (PER_CLASS * k + i));
    }
}

/* Counts each id over the three splits; 0 when an image's label is not its
 * class or a split is out of order. */
static int tally(const struct cnn_data *data, int *seen)
{
    const struct cnn_dataset *sets[3] = {&data->train, &data->val,
                                         &data->test};
    int right = 1;
    for (int s = 0; s < 3; s++)
        for (int n = 0; n < sets[s]->count; n++) {
            int id = id_of(sets[s], n);
            if (id < 0 || id >= CLASSES * PER_CLASS
                || sets[s]->labels[n] != id / PER_CLASS
                || (n > 0 && id <= id_of(sets[s], n - 1))) {
                right = 0;
                continue;
            }
            seen[id]++;
        }
    return right;
}

static void check_carving(const char *base)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/flat", base);
    write_flat_tree(root);
    const char *shares[] = {"val=0.2", "test=2", NULL};
    struct cnn_data data, again, other;
    struct cnn_error err;
    if (!ok(load(root, 1, 0, shares, &data, &err) == 0,
            "carve: class folders without splits load (%s)", err.message))
        return;
    ok(data.train.count == 18 && data.val.count == 6 && data.test.count == 6,
       "carve: val 0.2 and test 2 of 10 per class give 18/6/6 (got "
       "%d/%d/%d)",
       data.train.count, data.val.count, data.test.count);
    int seen[CLASSES * PER_CLASS] = {0}, once = 1;
    ok(tally(&data, seen), "carve: labels match the folders; each split in "
                           "name order");
    for (int i = 0; i < CLASSES * PER_CLASS; i++)
        once &= seen[i] == 1;
    ok(once, "carve: every image is in exactly one split");
    int per_class[CLASSES] = {0};
    for (int n = 0; n < data.val.count; n++)
        per_class[data.val.labels[n]]++;
    ok(per_class[0] == 2 && per_class[1] == 2 && per_class[2] == 2,
       "carve: each class gives its share to val");
    load(root, 1, 0, shares, &again, &err);
    load(root, 2, 0, shares, &other, &err);
    ok(same_data(&data, &again), "carve: the same seed, the same splits");
    ok(!same_split(&data.val, &other.val), "carve: another seed, other "
                                           "splits");
    cnn_data_free(&again);
    cnn_data_free(&other);

    /* The limit: a class-balanced seeded subset of each split. */
    if (ok(load(root, 1, 4, shares, &again, &err) == 0,
           "limit: loads (%s)", err.message)) {
        ok(again.train.count == 4 && again.val.count == 4
               && again.test.count == 4,
           "limit 4: 4 images per split (got %d/%d/%d)", again.train.count,
           again.val.count, again.test.count);
        int classes[CLASSES] = {0}, inside = 1;
        for (int n = 0; n < again.train.count; n++) {
            classes[again.train.labels[n]]++;
            int found = 0;
            for (int m = 0; m < data.train.count; m++)
                found |= id_of(&data.train, m) == id_of(&again.train, n);
            inside &= found;
        }
        ok(classes[0] >= 1 && classes[1] >= 1 && classes[2] >= 1,
           "limit: every class is kept (%d/%d/%d)", classes[0], classes[1],
           classes[2]);
        ok(inside, "limit: takes from the same train split");
        load(root, 1, 4, shares, &other, &err);
        ok(same_data(&again, &other), "limit: the same seed, the same "
                                      "images");
        cnn_data_free(&other);
    }
    cnn_data_free(&again);
    cnn_data_free(&data);

    const char *fractional[] = {"val=2.5", NULL};
    ok(load(root, 1, 0, fractional, &data, &err) != 0
           && strstr(err.message, "data.val = 2.5"),
       "carve: val 2.5 is refused (%s)", err.message);
    const char *greedy[] = {"val=5", "test=5", NULL};
    ok(load(root, 1, 0, greedy, &data, &err) != 0
           && strstr(err.message, "leaves none"),
       "carve: val 5 + test 5 of 10 is refused (%s)", err.message);
    fixture_remove_tree(root);

    /* A train folder alone: val and test are carved from it. */
    snprintf(root, sizeof root, "%s/only-train/train", base);
    write_flat_tree(root);
    snprintf(root, sizeof root, "%s/only-train", base);
    int status = load(root, 1, 0, NULL, &data, &err);
    ok(status == 0 && data.train.count == 24
           && data.val.count == 3 && data.test.count == 3,
       "carve: train/ alone gives 24/3/3 with the default 0.1 shares "
       "(got %d/%d/%d; %s)",
       data.train.count, data.val.count, data.test.count, err.message);
    cnn_data_free(&data);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        loader = cnn_registry_loader(registry, "imagefolder");
        if (ok(loader != NULL, "imagefolder is registered")) {
            char base[256];
            snprintf(base, sizeof base, "%s",
                     fixture_temp_root("imagefolder-cache"));
            check_cache(base);
            check_carving(base);
            fixture_remove_tree(base);
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
