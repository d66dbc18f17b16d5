/* A loader's `labels:` (a class subset, renumbered in the listed order):
 * the idx loader on a small IDX dataset written here, which images it
 * keeps, in which order, their new labels and class names, and that
 * `val` and `data.limit` apply to what is kept; the synthetic loader's
 * subset; and the loaders' own refusals (the core's, with their
 * file:line:column, are t/loader-labels.sh's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

/* Image i of a file is 2 x 2 pixels of value i (the test images 100 + i),
 * with label i mod 10: a loaded image tells where it came from. */
enum { SIDE = 2, TRAIN = 20, TEST = 10 };

static char root[256];

static void put_u32(uint8_t *at, uint32_t value)
{
    at[0] = (uint8_t)(value >> 24);
    at[1] = (uint8_t)(value >> 16);
    at[2] = (uint8_t)(value >> 8);
    at[3] = (uint8_t)value;
}

static void write_file(const char *name, const uint8_t *bytes, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, name);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(bytes, 1, size, file) != size || fclose(file) != 0) {
        printf("Bail out! cannot write %s\n", path);
        exit(1);
    }
}

static void write_split(const char *images, const char *labels, int first,
                        int count)
{
    uint8_t bytes[16 + TRAIN * SIDE * SIDE];
    put_u32(bytes, 0x803);
    put_u32(bytes + 4, (uint32_t)count);
    put_u32(bytes + 8, SIDE);
    put_u32(bytes + 12, SIDE);
    for (int i = 0; i < count; i++)
        memset(bytes + 16 + i * SIDE * SIDE, first + i, SIDE * SIDE);
    write_file(images, bytes, 16 + (size_t)count * SIDE * SIDE);
    put_u32(bytes, 0x801);
    for (int i = 0; i < count; i++)
        bytes[8 + i] = (uint8_t)((first + i) % 10);
    write_file(labels, bytes, 8 + (size_t)count);
}

static void remove_dataset(void)
{
    static const char *const names[4] = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    char path[512];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        unlink(path);
    }
    rmdir(root);
}

/* The split's images as their file indices ("12 5 ..."), and their new
 * labels. */
static void describe(const struct cnn_dataset *set, int first, char *sources,
                     char *labels, size_t size)
{
    size_t s = 0, l = 0;
    sources[0] = labels[0] = '\0';
    for (int k = 0; k < set->count; k++) {
        s += (size_t)snprintf(sources + s, size - s, "%s%d", k ? " " : "",
                              set->pixels[(size_t)k * SIDE * SIDE] - first);
        l += (size_t)snprintf(labels + l, size - l, "%s%d", k ? " " : "",
                              set->labels[k]);
    }
}

static void check_idx_subset(const struct cnn_loader_type *idx)
{
    char root_setting[300];
    snprintf(root_setting, sizeof root_setting, "root=%s", root);
    /* Classes 7, 2, 5 of the training file are images 2 5 7 12 15 17;
     * of the test file 2 5 7. */
    const char *settings[] = {root_setting, "val=2", "classes=fashion-mnist",
                              "labels=[7, 2, 5]", NULL};
    struct cnn_data data;
    struct cnn_error err;
    if (!ok(test_load_data(idx, settings, 1, 0, &data, &err) == 0,
            "idx labels: loads (%s)", err.message))
        return;
    is_int(data.classes, 3, "idx labels: three classes");
    ok(data.classes == 3 && !strcmp(data.class_names[0], "Sneaker") &&
           !strcmp(data.class_names[1], "Pullover") &&
           !strcmp(data.class_names[2], "Sandal"),
       "idx labels: the classes are named in the listed order "
       "(Sneaker, Pullover, Sandal)");
    char sources[256], labels[256], all[256] = "";
    describe(&data.test, 100, sources, labels, sizeof sources);
    is_str(sources, "2 5 7", "idx labels: the test split keeps classes "
                             "2, 5, 7 in file order");
    is_str(labels, "1 2 0", "idx labels: renumbered 7 -> 0, 2 -> 1, 5 -> 2");
    is_int(data.val.count, 2, "idx labels: val holds 2 of the kept images");
    is_int(data.train.count, 4, "idx labels: train holds the other 4");
    /* Train and val together: every kept training image once, each with
     * its new label. */
    int seen[TRAIN] = {0}, relabelled = 1;
    const struct cnn_dataset *parts[2] = {&data.train, &data.val};
    static const int new_label[10] = {-1, -1, 1, -1, -1, 2, -1, 0, -1, -1};
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < parts[p]->count; k++) {
            int source = parts[p]->pixels[(size_t)k * SIDE * SIDE];
            if (source < TRAIN)
                seen[source]++;
            relabelled &= source < TRAIN &&
                          parts[p]->labels[k] == new_label[source % 10];
        }
    for (int i = 0; i < TRAIN; i++) {
        char one[8];
        if (seen[i]) {
            snprintf(one, sizeof one, "%s%d", all[0] ? " " : "", i);
            strcat(all, one);
        }
    }
    is_str(all, "2 5 7 12 15 17",
           "idx labels: train and val hold each kept training image once");
    ok(relabelled, "idx labels: train and val labels renumbered");
    cnn_data_free(&data);

    /* data.limit after the filter: the first kept test image, not the
     * file's first. */
    if (ok(test_load_data(idx, settings, 1, 1, &data, &err) == 0,
           "idx labels: loads with limit 1 (%s)", err.message)) {
        describe(&data.test, 100, sources, labels, sizeof sources);
        is_str(sources, "2", "idx labels: limit 1 keeps the first kept "
                             "test image");
        ok(data.train.count == 1 && data.val.count == 1,
           "idx labels: limit 1 caps train and val after the filter");
        cnn_data_free(&data);
    }

    /* val counts kept images: 6 of them cannot give val 6. */
    const char *too_many[] = {root_setting, "val=6", "labels=[7, 2, 5]",
                              NULL};
    ok(test_load_data(idx, too_many, 1, 0, &data, &err) != 0,
       "idx labels: val = the kept count is refused");
    like(err.message, "holds 6 of the classes data.labels keeps",
         "idx labels: the message counts the kept images");
}

static void check_refusals(const struct cnn_loader_type *idx)
{
    struct cnn_data data;
    struct cnn_error err;
    const char *one[] = {"labels=[3]", NULL};
    ok(test_load_data(idx, one, 1, 0, &data, &err) != 0,
       "idx labels: one class is refused");
    like(err.message, "two or more", "idx labels: one class: says why");
    const char *twice[] = {"labels=[3, 4, 3]", NULL};
    ok(test_load_data(idx, twice, 1, 0, &data, &err) != 0,
       "idx labels: a class listed twice is refused");
    like(err.message, "lists class 3 twice", "idx labels: twice: says which");
    const char *fraction[] = {"labels=[3, 4.5]", NULL};
    ok(test_load_data(idx, fraction, 1, 0, &data, &err) != 0,
       "idx labels: 4.5 is refused");
}

static void check_synthetic(const struct cnn_loader_type *synthetic)
{
    const char *all[] = {"classes=10", "size=8", "train=40", "val=0",
                         "test=0", NULL};
    const char *some[] = {"classes=10", "size=8", "train=40", "val=0",
                          "test=0", "labels=[5, 6, 7, 8, 9]", NULL};
    struct cnn_data a, b;
    struct cnn_error err;
    if (!ok(test_load_data(synthetic, all, 1, 0, &a, &err) == 0 &&
                test_load_data(synthetic, some, 1, 0, &b, &err) == 0,
            "synthetic labels: loads (%s)", err.message))
        return;
    int in_range = 1;
    for (int k = 0; k < b.train.count; k++)
        in_range &= b.train.labels[k] >= 0 && b.train.labels[k] < 5;
    ok(b.classes == 5 && b.train.count == 40 && in_range,
       "synthetic labels: 40 images of 5 classes, labelled 0..4");
    ok(b.classes == 5 && !strcmp(b.class_names[0], "class-5") &&
           !strcmp(b.class_names[4], "class-9"),
       "synthetic labels: named by their original labels");
    /* New label 0 is class 5 itself: image i is drawn from its own
     * stream, so where both sets give it class 5 (labels 5 and 0) its
     * pixels are the same. */
    size_t size = cnn_shape_size(a.train.shape);
    int pairs = 0, same = 1;
    for (int k = 0; k < a.train.count && k < b.train.count; k++) {
        if (a.train.labels[k] != 5 || b.train.labels[k] != 0)
            continue;
        pairs++;
        same &= !memcmp(a.train.pixels + (size_t)k * size,
                        b.train.pixels + (size_t)k * size, size);
    }
    ok(pairs > 0 && same,
       "synthetic labels: new class 0 is the pattern of class 5 (%d images "
       "compared)", pairs);
    cnn_data_free(&a);
    cnn_data_free(&b);
    const char *outside[] = {"classes=4", "labels=[2, 4]", NULL};
    ok(test_load_data(synthetic, outside, 1, 0, &a, &err) != 0,
       "synthetic labels: label 4 of 4 classes is refused");
    like(err.message, "labelled 0..3",
         "synthetic labels: the message gives the labels there are");
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/cnnlab-labels-XXXXXX");
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    write_split("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 0,
                TRAIN);
    write_split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 100,
                TEST);
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        const struct cnn_loader_type *idx =
            cnn_registry_loader(registry, "idx");
        const struct cnn_loader_type *synthetic =
            cnn_registry_loader(registry, "synthetic");
        if (ok(idx && synthetic, "idx and synthetic are registered")) {
            check_idx_subset(idx);
            check_refusals(idx);
            check_synthetic(synthetic);
        }
    }
    cnn_registry_free(registry);
    remove_dataset();
    return done_testing();
}
