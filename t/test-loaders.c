/* The idx loader on small IDX files written here (plain and gzip), its
 * refusals of damaged files, and the real Fashion-MNIST when installed.
 * The synthetic loader has its own test, t/test-synthetic.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cnnlab/registry.h"
#include "tap.h"

static const struct cnn_loader_type *idx_loader;
static char temp_root[256];

/* ---- helpers ---------------------------------------------------------- */

/* settings: "name=value" pairs, NULL-terminated. */
static struct cnn_params make_params(const struct cnn_loader_type *type,
                                     const char *const *settings)
{
    struct cnn_params params;
    struct cnn_error err = {0};
    struct cnn_mark mark = {"test", 0, 0};
    if (cnn_params_init_defaults(&params, type->params, type->param_count,
                                 type->name, &err)
        != 0) {
        printf("Bail out! %s\n", err.message);
        exit(1);
    }
    for (int i = 0; settings && settings[i]; i++) {
        char name[64];
        const char *equals = strchr(settings[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(equals - settings[i]),
                 settings[i]);
        if (cnn_params_set_text(&params, name, equals + 1, mark, type->name,
                                &err)
            != 0) {
            printf("Bail out! %s\n", err.message);
            exit(1);
        }
    }
    return params;
}

static int load(const struct cnn_loader_type *type, const char *const *settings,
                uint64_t seed, long limit, struct cnn_data *data,
                struct cnn_error *err)
{
    struct cnn_params params = make_params(type, settings);
    struct cnn_load_request request = {seed, limit, NULL};
    memset(data, 0, sizeof *data);
    memset(err, 0, sizeof *err);
    int status = type->load(&params, &request, data, err);
    cnn_params_free(&params);
    return status;
}

static void put_u32(uint8_t *at, uint32_t value)
{
    at[0] = (uint8_t)(value >> 24);
    at[1] = (uint8_t)(value >> 16);
    at[2] = (uint8_t)(value >> 8);
    at[3] = (uint8_t)value;
}

static void write_bytes(const char *path, const uint8_t *bytes, size_t size,
                        int gzip)
{
    if (gzip) {
        gzFile file = gzopen(path, "wb");
        if (!file || gzwrite(file, bytes, (unsigned)size) != (int)size
            || gzclose(file) != Z_OK) {
            printf("Bail out! cannot write %s\n", path);
            exit(1);
        }
        return;
    }
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(bytes, 1, size, file) != size || fclose(file) != 0) {
        printf("Bail out! cannot write %s\n", path);
        exit(1);
    }
}

/* The test images: image i of a file has pixel (r, c) = (7 i + 3 r + c) mod
 * 256 and label i mod 10, so a loaded image tells where it came from. Test
 * images are offset by 100 in i. Images are 4 x 3 to catch transposes. */
enum { ROWS = 4, COLS = 3, TRAIN = 20, TEST = 6 };

static uint8_t pixel_of(int i, int r, int c)
{
    return (uint8_t)(7 * i + 3 * r + c);
}

/* Writes an images file of `count` images (header says `declared`), keeping
 * only the first `keep` bytes when keep > 0. */
static void write_images(const char *path, int first, int count,
                         uint32_t magic, int declared, size_t keep, int gzip)
{
    size_t size = 16 + (size_t)count * ROWS * COLS;
    uint8_t *bytes = malloc(size);
    put_u32(bytes, magic);
    put_u32(bytes + 4, (uint32_t)declared);
    put_u32(bytes + 8, ROWS);
    put_u32(bytes + 12, COLS);
    for (int i = 0; i < count; i++)
        for (int r = 0; r < ROWS; r++)
            for (int c = 0; c < COLS; c++)
                bytes[16 + (size_t)i * ROWS * COLS + r * COLS + c] =
                    pixel_of(first + i, r, c);
    write_bytes(path, bytes, keep ? keep : size, gzip);
    free(bytes);
}

static void write_labels(const char *path, int first, int count, int bad_at,
                         int gzip)
{
    uint8_t *bytes = malloc(8 + (size_t)count);
    put_u32(bytes, 0x00000801);
    put_u32(bytes + 4, (uint32_t)count);
    for (int i = 0; i < count; i++)
        bytes[8 + i] = (uint8_t)(i == bad_at ? 10 : (first + i) % 10);
    write_bytes(path, bytes, 8 + (size_t)count, gzip);
    free(bytes);
}

/* Returns one of a few rotating buffers: valid for the next 7 calls. */
static const char *file_path(const char *dir, const char *base, int gzip)
{
    static char paths[8][1024];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s%s", dir, base, gzip ? ".gz" : "");
    return path;
}

/* A complete, valid dataset directory. */
static void write_dataset(const char *dir, int gzip)
{
    mkdir(dir, 0700);
    write_images(file_path(dir, "train-images-idx3-ubyte", gzip), 0, TRAIN,
                 0x803, TRAIN, 0, gzip);
    write_labels(file_path(dir, "train-labels-idx1-ubyte", gzip), 0, TRAIN, -1,
                 gzip);
    write_images(file_path(dir, "t10k-images-idx3-ubyte", gzip), 100, TEST,
                 0x803, TEST, 0, gzip);
    write_labels(file_path(dir, "t10k-labels-idx1-ubyte", gzip), 100, TEST,
                 -1, gzip);
}

static const char *subdir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", temp_root, name);
    return path;
}

static void remove_tree(const char *dir)
{
    static const char *const bases[4] = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    char path[1024];
    for (int i = 0; i < 4; i++)
        for (int gzip = 0; gzip < 2; gzip++) {
            snprintf(path, sizeof path, "%s/%s%s", dir, bases[i],
                     gzip ? ".gz" : "");
            unlink(path);
        }
    rmdir(dir);
}

/* The source index of a loaded image (from its first pixel), or -1 when
 * its pixels or label do not match that source. */
static int source_of(const struct cnn_dataset *set, int k, int first)
{
    const uint8_t *image = set->pixels + (size_t)k * ROWS * COLS;
    for (int i = first; i < first + 37; i++) {
        if (image[0] != pixel_of(i, 0, 0))
            continue;
        for (int r = 0; r < ROWS; r++)
            for (int c = 0; c < COLS; c++)
                if (image[r * COLS + c] != pixel_of(i, r, c))
                    return -1;
        return set->labels[k] == i % 10 ? i : -1;
    }
    return -1;
}

/* ---- idx: loading ------------------------------------------------------- */

static int val_sources(const struct cnn_data *data, int *sources)
{
    for (int k = 0; k < data->val.count; k++)
        sources[k] = source_of(&data->val, k, 0);
    return data->val.count;
}

static void check_idx_plain(void)
{
    const char *dir = subdir("plain");
    write_dataset(dir, 0);
    char root[600];
    snprintf(root, sizeof root, "root=%s", dir);
    const char *settings[] = {root, "val=5", NULL};
    struct cnn_data data;
    struct cnn_error err;
    if (!ok(load(idx_loader, settings, 1, 0, &data, &err) == 0,
            "idx: plain files load (%s)", err.message))
        return;
    is_int(data.train.count, 15, "idx: 15 training images");
    is_int(data.val.count, 5, "idx: 5 validation images");
    is_int(data.test.count, 6, "idx: 6 test images");
    ok(data.train.shape.c == 1 && data.train.shape.h == ROWS
           && data.train.shape.w == COLS && data.test.shape.h == ROWS,
       "idx: image shape {1, 4, 3} (got {%d, %d, %d})", data.train.shape.c,
       data.train.shape.h, data.train.shape.w);
    is_int(data.classes, 10, "idx: 10 classes");
    ok(data.class_names && strcmp(data.class_names[0], "0") == 0
           && strcmp(data.class_names[9], "9") == 0,
       "idx: a root without 'fashion' gets MNIST's digit names");

    /* train and val: every source once, pixels and labels intact, each part
     * in file order. */
    int seen[TRAIN] = {0}, intact = 1, ordered = 1, previous = -1;
    for (int k = 0; k < data.train.count; k++) {
        int i = source_of(&data.train, k, 0);
        intact &= i >= 0;
        if (i >= 0) {
            seen[i]++;
            ordered &= i > previous;
            previous = i;
        }
    }
    previous = -1;
    for (int k = 0; k < data.val.count; k++) {
        int i = source_of(&data.val, k, 0);
        intact &= i >= 0;
        if (i >= 0) {
            seen[i]++;
            ordered &= i > previous;
            previous = i;
        }
    }
    int each_once = 1;
    for (int i = 0; i < TRAIN; i++)
        each_once &= seen[i] == 1;
    ok(intact, "idx: train and val pixels and labels match their source");
    ok(each_once, "idx: train and val together hold each image once");
    ok(ordered, "idx: train and val keep file order");
    int test_in_order = 1;
    for (int k = 0; k < data.test.count; k++)
        test_in_order &= source_of(&data.test, k, 100) == 100 + k;
    ok(test_in_order, "idx: the test split is t10k as is");

    /* The split depends on the seed, and only on it. */
    int first[5], again[5], other[5];
    val_sources(&data, first);
    struct cnn_data data2;
    load(idx_loader, settings, 1, 0, &data2, &err);
    val_sources(&data2, again);
    ok(data2.val.count == 5 && memcmp(first, again, sizeof first) == 0,
       "idx: the same seed gives the same split");
    cnn_data_free(&data2);
    load(idx_loader, settings, 2, 0, &data2, &err);
    val_sources(&data2, other);
    ok(data2.val.count == 5 && memcmp(first, other, sizeof first) != 0,
       "idx: another seed gives another split");
    cnn_data_free(&data2);

    /* limit keeps the first images of each split. */
    load(idx_loader, settings, 1, 3, &data2, &err);
    ok(data2.train.count == 3 && data2.val.count == 3
           && data2.test.count == 3,
       "idx: limit 3 caps every split (got %d/%d/%d)", data2.train.count,
       data2.val.count, data2.test.count);
    ok(data2.train.count == 3
           && memcmp(data2.train.pixels, data.train.pixels, 3 * ROWS * COLS)
                  == 0
           && memcmp(data2.val.pixels, data.val.pixels, 3 * ROWS * COLS) == 0,
       "idx: limit keeps the first images of the same split");
    cnn_data_free(&data2);

    const char *no_val[] = {root, "val=0", "classes=fashion-mnist", NULL};
    ok(load(idx_loader, no_val, 1, 0, &data2, &err) == 0
           && data2.train.count == TRAIN && data2.val.count == 0,
       "idx: val 0 keeps all training images (%s)", err.message);
    ok(data2.class_names
           && strcmp(data2.class_names[0], "T-shirt/top") == 0
           && strcmp(data2.class_names[9], "Ankle boot") == 0,
       "idx: classes=fashion-mnist names the classes");
    cnn_data_free(&data2);
    cnn_data_free(&data);
    remove_tree(dir);
}

static void check_idx_gzip(void)
{
    /* gzip files give the same data as plain ones; "fashion" in the root
     * selects the Fashion-MNIST names. */
    const char *plain_dir = subdir("plain2");
    const char *gzip_dir = subdir("my-Fashion-copy");
    write_dataset(plain_dir, 0);
    write_dataset(gzip_dir, 1);
    char plain_root[600], gzip_root[600];
    snprintf(plain_root, sizeof plain_root, "root=%s", plain_dir);
    snprintf(gzip_root, sizeof gzip_root, "root=%s", gzip_dir);
    const char *plain_settings[] = {plain_root, "val=4", NULL};
    const char *gzip_settings[] = {gzip_root, "val=4", NULL};
    struct cnn_data plain, packed;
    struct cnn_error err;
    load(idx_loader, plain_settings, 9, 0, &plain, &err);
    if (!ok(load(idx_loader, gzip_settings, 9, 0, &packed, &err) == 0,
            "idx: gzip files load (%s)", err.message)) {
        cnn_data_free(&plain);
        return;
    }
    ok(packed.train.count == 16 && plain.train.count == 16
           && memcmp(packed.train.pixels, plain.train.pixels,
                     16 * ROWS * COLS)
                  == 0
           && memcmp(packed.train.labels, plain.train.labels,
                     16 * sizeof(int32_t))
                  == 0
           && memcmp(packed.test.pixels, plain.test.pixels, TEST * ROWS * COLS)
                  == 0,
       "idx: gzip and plain files give the same splits");
    ok(packed.class_names
           && strcmp(packed.class_names[0], "T-shirt/top") == 0,
       "idx: auto picks Fashion-MNIST names for a root containing 'fashion'");
    cnn_data_free(&plain);
    cnn_data_free(&packed);
    remove_tree(plain_dir);
    remove_tree(gzip_dir);
}

/* ---- idx: refusals ------------------------------------------------------ */

static void expect_refusal(const char *dir, const char *extra,
                           const char *what, const char *needle1,
                           const char *needle2)
{
    char root[600];
    snprintf(root, sizeof root, "root=%s", dir);
    const char *settings[] = {root, extra ? extra : "val=5", NULL};
    struct cnn_data data;
    struct cnn_error err;
    ok(load(idx_loader, settings, 1, 0, &data, &err) != 0, "idx: %s refused",
       what);
    diag("%s", err.message);
    like(err.message, needle1, "idx: %s: message names '%s'", what, needle1);
    if (needle2)
        like(err.message, needle2, "idx: %s: message says '%s'", what,
             needle2);
    ok(data.train.pixels == NULL && data.val.pixels == NULL
           && data.test.pixels == NULL && data.class_names == NULL,
       "idx: %s: nothing left allocated", what);
}

static void truncate_file(const char *path, long keep)
{
    if (truncate(path, keep) != 0) {
        printf("Bail out! cannot truncate %s\n", path);
        exit(1);
    }
}

static void check_idx_refusals(void)
{
    const char *missing = subdir("does-not-exist");
    expect_refusal(missing, NULL, "missing root", missing,
                   "dataset-fashion-mnist");

    const char *dir = subdir("broken");
    write_dataset(dir, 0);
    unlink(file_path(dir, "t10k-labels-idx1-ubyte", 0));
    expect_refusal(dir, NULL, "missing labels file", "t10k-labels-idx1-ubyte",
                   "data.root");
    remove_tree(dir);

    write_dataset(dir, 0);
    write_images(file_path(dir, "train-images-idx3-ubyte", 0), 0, TRAIN,
                 0x801, TRAIN, 0, 0);
    expect_refusal(dir, NULL, "wrong magic",
                   file_path(dir, "train-images-idx3-ubyte", 0), "0x00000803");
    remove_tree(dir);

    /* 12 whole images and half of the 13th. */
    write_dataset(dir, 0);
    write_images(file_path(dir, "train-images-idx3-ubyte", 0), 0, TRAIN,
                 0x803, TRAIN, 16 + 12 * ROWS * COLS + 6, 0);
    expect_refusal(dir, NULL, "truncated images file",
                   file_path(dir, "train-images-idx3-ubyte", 0),
                   "header declares 20 images of 4×3, file ends after 12 "
                   "images");
    remove_tree(dir);

    write_dataset(dir, 0);
    write_images(file_path(dir, "train-images-idx3-ubyte", 0), 0, TRAIN,
                 0x803, TRAIN, 10, 0);
    expect_refusal(dir, NULL, "file ending inside its header",
                   file_path(dir, "train-images-idx3-ubyte", 0), "header");
    remove_tree(dir);

    /* A gzip file cut in the middle of its compressed stream. */
    write_dataset(dir, 1);
    char gz_images[1024], gz_labels[1024];
    snprintf(gz_images, sizeof gz_images, "%s",
             file_path(dir, "train-images-idx3-ubyte", 1));
    snprintf(gz_labels, sizeof gz_labels, "%s",
             file_path(dir, "t10k-labels-idx1-ubyte", 1));
    struct stat info;
    stat(gz_images, &info);
    truncate_file(gz_images, (long)info.st_size / 2);
    expect_refusal(dir, NULL, "truncated gzip file",
                   file_path(dir, "train-images-idx3-ubyte", 1), "truncated");
    remove_tree(dir);

    /* A gzip file that lost only its 8-byte trailer (CRC and length): the
     * data is complete but the stream is not. */
    write_dataset(dir, 1);
    stat(gz_labels, &info);
    truncate_file(gz_labels, (long)info.st_size - 8);
    expect_refusal(dir, NULL, "gzip file without its trailer",
                   file_path(dir, "t10k-labels-idx1-ubyte", 1), "truncated");
    remove_tree(dir);

    /* A gzip file whose CRC does not match its data. */
    write_dataset(dir, 1);
    stat(gz_labels, &info);
    {
        FILE *file = fopen(gz_labels, "r+b");
        if (file) {
            fseek(file, (long)info.st_size - 8, SEEK_SET);
            int byte = fgetc(file);
            fseek(file, (long)info.st_size - 8, SEEK_SET);
            fputc(byte ^ 0xff, file);
            fclose(file);
        }
    }
    expect_refusal(dir, NULL, "gzip file with a wrong checksum",
                   file_path(dir, "t10k-labels-idx1-ubyte", 1), "corrupt");
    remove_tree(dir);

    /* A plain file longer than its header says. */
    write_dataset(dir, 0);
    write_images(file_path(dir, "train-images-idx3-ubyte", 0), 0, TRAIN,
                 0x803, TRAIN - 1, 0, 0);
    expect_refusal(dir, NULL, "file longer than declared",
                   file_path(dir, "train-images-idx3-ubyte", 0),
                   "longer than its header declares");
    remove_tree(dir);

    write_dataset(dir, 0);
    write_labels(file_path(dir, "train-labels-idx1-ubyte", 0), 0, TRAIN - 1,
                 -1, 0);
    expect_refusal(dir, NULL, "image and label counts differ",
                   file_path(dir, "train-labels-idx1-ubyte", 0),
                   "train-images-idx3-ubyte");
    remove_tree(dir);

    write_dataset(dir, 0);
    write_labels(file_path(dir, "t10k-labels-idx1-ubyte", 0), 100, TEST, 3, 0);
    expect_refusal(dir, NULL, "label out of range",
                   file_path(dir, "t10k-labels-idx1-ubyte", 0),
                   "label 10 of image 3");
    remove_tree(dir);

    write_dataset(dir, 0);
    expect_refusal(dir, "val=20", "val as large as the training set",
                   file_path(dir, "train-images-idx3-ubyte", 0), "val");
    remove_tree(dir);

    write_dataset(dir, 0);
    write_images(file_path(dir, "t10k-images-idx3-ubyte", 0), 0, TEST, 0x803,
                 TEST, 0, 0);
    {
        /* Overwrite the rows field with 0. */
        uint8_t header[16];
        FILE *file = fopen(file_path(dir, "t10k-images-idx3-ubyte", 0), "r+b");
        if (file && fread(header, 1, 16, file) == 16) {
            put_u32(header + 8, 0);
            fseek(file, 0, SEEK_SET);
            fwrite(header, 1, 16, file);
        }
        if (file)
            fclose(file);
    }
    expect_refusal(dir, NULL, "zero rows",
                   file_path(dir, "t10k-images-idx3-ubyte", 0), "damaged");
    remove_tree(dir);
}

static void check_fashion_mnist(void)
{
    const char *root = "/usr/share/datasets/fashion-mnist";
    struct stat info;
    if (stat(root, &info) != 0) {
        skip("no /usr/share/datasets/fashion-mnist (Debian package "
             "dataset-fashion-mnist)",
             "idx: the real Fashion-MNIST");
        return;
    }
    const char *settings[] = {"val=5000", NULL};
    struct cnn_data data;
    struct cnn_error err;
    if (!ok(load(idx_loader, settings, 1, 0, &data, &err) == 0,
            "idx: Fashion-MNIST loads from the default root (%s)",
            err.message))
        return;
    ok(data.train.count == 55000 && data.val.count == 5000
           && data.test.count == 10000,
       "idx: Fashion-MNIST splits 55000/5000/10000 (got %d/%d/%d)",
       data.train.count, data.val.count, data.test.count);
    ok(data.train.shape.c == 1 && data.train.shape.h == 28
           && data.train.shape.w == 28,
       "idx: Fashion-MNIST images are 1x28x28");
    ok(data.classes == 10 && strcmp(data.class_names[0], "T-shirt/top") == 0
           && strcmp(data.class_names[5], "Sandal") == 0
           && strcmp(data.class_names[9], "Ankle boot") == 0,
       "idx: Fashion-MNIST class names");
    int per_class[10] = {0};
    for (int i = 0; i < data.test.count; i++)
        if (data.test.labels[i] >= 0 && data.test.labels[i] < 10)
            per_class[data.test.labels[i]]++;
    int balanced = 1;
    for (int k = 0; k < 10; k++)
        balanced &= per_class[k] == 1000;
    ok(balanced, "idx: Fashion-MNIST test set has 1000 images per class");
    cnn_data_free(&data);
}

int main(void)
{
    const char *dir = getenv("CNNLAB_BUILD_PLUGIN_DIR");
    if (!dir) {
        skip("CNNLAB_BUILD_PLUGIN_DIR not set (run through make check)",
             "loaders");
        return done_testing();
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/loaders.so", dir);
    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_error err = {0};
    if (!ok(cnn_registry_load_module(registry, path, &err) == 0,
            "loaders module loads (%s)", err.message))
        return done_testing();
    idx_loader = cnn_registry_loader(registry, "idx");
    if (!ok(idx_loader != NULL, "idx is registered"))
        return done_testing();

    snprintf(temp_root, sizeof temp_root, "/tmp/cnnlab-loaders-XXXXXX");
    if (!mkdtemp(temp_root)) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    check_idx_plain();
    check_idx_gzip();
    check_idx_refusals();
    rmdir(temp_root);
    check_fashion_mnist();
    cnn_registry_free(registry);
    return done_testing();
}
