/* The idx loader on small IDX files written here (plain and gzip), its
 * refusals of damaged files, and the real Fashion-MNIST when installed.
 * The synthetic loader has its own test, t/test-synthetic.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "test-util.h"

static const struct cnn_loader_type *idx_loader;
static char temp_root[256];

/* ---- helpers ---------------------------------------------------------- */

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

/* The four files of an IDX dataset, named as Fashion-MNIST names them. */
enum idx_file { TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS };
static const char *const idx_names[4] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* Returns one of a few rotating buffers: valid for the next 7 calls. */
static const char *file_path(const char *dir, enum idx_file file, int gzip)
{
    static char paths[8][1024];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s%s", dir, idx_names[file],
             gzip ? ".gz" : "");
    return path;
}

/* A complete, valid dataset directory. */
static void write_dataset(const char *dir, int gzip)
{
    mkdir(dir, 0700);
    write_images(file_path(dir, TRAIN_IMAGES, gzip), 0, TRAIN, 0x803, TRAIN,
                 0, gzip);
    write_labels(file_path(dir, TRAIN_LABELS, gzip), 0, TRAIN, -1, gzip);
    write_images(file_path(dir, TEST_IMAGES, gzip), 100, TEST, 0x803, TEST, 0,
                 gzip);
    write_labels(file_path(dir, TEST_LABELS, gzip), 100, TEST, -1, gzip);
}

/* Like file_path, a rotating buffer: two directories can be in use at
 * once. */
static const char *subdir(const char *name)
{
    static char paths[2][512];
    static int next;
    char *path = paths[next++ % 2];
    snprintf(path, sizeof paths[0], "%s/%s", temp_root, name);
    return path;
}

static void remove_tree(const char *dir)
{
    for (int file = TRAIN_IMAGES; file <= TEST_LABELS; file++)
        for (int gzip = 0; gzip < 2; gzip++)
            unlink(file_path(dir, file, gzip));
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

/* Counts in seen[] the training-file images that `set` holds; clears
 * *intact when one of its images is not such an image and *ordered when
 * they are out of file order. */
static void tally_sources(const struct cnn_dataset *set, int *seen,
                          int *intact, int *ordered)
{
    int previous = -1;
    for (int k = 0; k < set->count; k++) {
        int i = source_of(set, k, 0);
        if (i < 0 || i >= TRAIN) {
            *intact = 0;
            continue;
        }
        seen[i]++;
        *ordered &= i > previous;
        previous = i;
    }
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
    if (!ok(test_load_data(idx_loader, settings, 1, 0, &data, &err) == 0,
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
    int seen[TRAIN] = {0}, intact = 1, ordered = 1;
    tally_sources(&data.train, seen, &intact, &ordered);
    tally_sources(&data.val, seen, &intact, &ordered);
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
    test_load_data(idx_loader, settings, 1, 0, &data2, &err);
    val_sources(&data2, again);
    ok(data2.val.count == 5 && memcmp(first, again, sizeof first) == 0,
       "idx: the same seed gives the same split");
    cnn_data_free(&data2);
    test_load_data(idx_loader, settings, 2, 0, &data2, &err);
    val_sources(&data2, other);
    ok(data2.val.count == 5 && memcmp(first, other, sizeof first) != 0,
       "idx: another seed gives another split");
    cnn_data_free(&data2);

    /* limit keeps the first images of each split. */
    test_load_data(idx_loader, settings, 1, 3, &data2, &err);
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
    ok(test_load_data(idx_loader, no_val, 1, 0, &data2, &err) == 0
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
    test_load_data(idx_loader, plain_settings, 9, 0, &plain, &err);
    int status = test_load_data(idx_loader, gzip_settings, 9, 0, &packed, &err);
    if (!ok(status == 0, "idx: gzip files load (%s)", err.message)) {
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
    ok(test_load_data(idx_loader, settings, 1, 0, &data, &err) != 0,
       "idx: %s refused", what);
    diag("%s", err.message);
    like(err.message, needle1, "idx: %s: message names '%s'", what, needle1);
    if (needle2)
        like(err.message, needle2, "idx: %s: message says '%s'", what,
             needle2);
    ok(data.train.pixels == NULL && data.val.pixels == NULL
           && data.test.pixels == NULL && data.class_names == NULL,
       "idx: %s: nothing left allocated", what);
}

static void bail_out(const char *what, const char *path)
{
    printf("Bail out! cannot %s %s\n", what, path);
    exit(1);
}

static long file_size(const char *path)
{
    struct stat info;
    if (stat(path, &info) != 0)
        bail_out("stat", path);
    return (long)info.st_size;
}

static void truncate_file(const char *path, long keep)
{
    if (truncate(path, keep) != 0)
        bail_out("truncate", path);
}

/* A file opened for update at `offset` (from the end when negative). */
static FILE *open_at(const char *path, long offset)
{
    FILE *file = fopen(path, "r+b");
    if (!file || fseek(file, offset, offset < 0 ? SEEK_END : SEEK_SET) != 0)
        bail_out("seek in", path);
    return file;
}

static int get_byte(const char *path, long offset)
{
    FILE *file = open_at(path, offset);
    int byte = fgetc(file);
    if (byte == EOF || fclose(file) != 0)
        bail_out("read", path);
    return byte;
}

static void set_byte(const char *path, long offset, int byte)
{
    FILE *file = open_at(path, offset);
    if (fputc(byte, file) == EOF || fclose(file) != 0)
        bail_out("write", path);
}

/* The damages, each done to one file of a valid dataset. */

static void remove_file(const char *path)
{
    if (unlink(path) != 0)
        bail_out("remove", path);
}

static void label_magic(const char *path)
{
    write_images(path, 0, TRAIN, 0x801, TRAIN, 0, 0);
}

/* 12 whole images and half of the 13th. */
static void cut_in_an_image(const char *path)
{
    write_images(path, 0, TRAIN, 0x803, TRAIN, 16 + 12 * ROWS * COLS + 6, 0);
}

static void cut_in_the_header(const char *path)
{
    write_images(path, 0, TRAIN, 0x803, TRAIN, 10, 0);
}

/* A gzip file cut in the middle of its compressed stream. */
static void cut_in_half(const char *path)
{
    truncate_file(path, file_size(path) / 2);
}

/* A gzip file that lost only its 8-byte trailer (CRC and length): the data
 * is complete but the stream is not. */
static void cut_the_trailer(const char *path)
{
    truncate_file(path, file_size(path) - 8);
}

/* A gzip trailer starts with the CRC of the data. */
static void spoil_the_checksum(const char *path)
{
    set_byte(path, -8, get_byte(path, -8) ^ 0xff);
}

/* A plain file longer than its header says. */
static void undeclared_image(const char *path)
{
    write_images(path, 0, TRAIN, 0x803, TRAIN - 1, 0, 0);
}

/* TRAIN labels declared, one more stored. */
static void undeclared_label(const char *path)
{
    uint8_t *bytes = malloc(8 + (size_t)TRAIN + 1);
    put_u32(bytes, 0x00000801);
    put_u32(bytes + 4, (uint32_t)TRAIN);
    for (int i = 0; i <= TRAIN; i++)
        bytes[8 + i] = (uint8_t)(i % 10);
    write_bytes(path, bytes, 8 + (size_t)TRAIN + 1, 0);
    free(bytes);
}

static void missing_label(const char *path)
{
    write_labels(path, 0, TRAIN - 1, -1, 0);
}

static void label_out_of_range(const char *path)
{
    write_labels(path, 100, TEST, 3, 0);
}

/* Rows is the third big-endian u32 of the header. */
static void zero_rows(const char *path)
{
    for (long at = 8; at < 12; at++)
        set_byte(path, at, 0);
}

static void check_idx_refusals(void)
{
    const char *missing = subdir("does-not-exist");
    expect_refusal(missing, NULL, "missing root", missing,
                   "dataset-fashion-mnist");

    static const struct {
        const char *what;
        int gzip;                         /* the dataset is gzip-compressed */
        enum idx_file file;               /* damaged; the message names it */
        void (*damage)(const char *path); /* NULL: the files stay valid */
        const char *setting;              /* instead of val=5, or NULL */
        const char *needle;               /* the message also says this */
    } cases[] = {
        {"missing labels file", 0, TEST_LABELS, remove_file, NULL,
         "data.root"},
        {"wrong magic", 0, TRAIN_IMAGES, label_magic, NULL, "0x00000803"},
        {"truncated images file", 0, TRAIN_IMAGES, cut_in_an_image, NULL,
         "header declares 20 images of 4×3, file ends after 12 images"},
        {"file ending inside its header", 0, TRAIN_IMAGES, cut_in_the_header,
         NULL, "header"},
        {"truncated gzip file", 1, TRAIN_IMAGES, cut_in_half, NULL,
         "truncated"},
        {"gzip file without its trailer", 1, TEST_LABELS, cut_the_trailer,
         NULL, "truncated"},
        {"gzip file with a wrong checksum", 1, TEST_LABELS,
         spoil_the_checksum, NULL, "corrupt"},
        /* Labels are read before their images, and an image file whose
         * header disagrees with them is refused from the header. */
        {"image file declaring fewer images than there are labels", 0,
         TRAIN_IMAGES, undeclared_image, NULL,
         "holds 19 images but"},
        {"file longer than declared", 0, TRAIN_LABELS, undeclared_label,
         NULL, "longer than its header declares"},
        {"image and label counts differ", 0, TRAIN_LABELS, missing_label,
         NULL, "train-images-idx3-ubyte"},
        {"label out of range", 0, TEST_LABELS, label_out_of_range, NULL,
         "label 10 of image 3"},
        {"val as large as the training set", 0, TRAIN_IMAGES, NULL, "val=20",
         "val"},
        {"zero rows", 0, TEST_IMAGES, zero_rows, NULL, "damaged"},
    };
    const char *dir = subdir("broken");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s",
                 file_path(dir, cases[i].file, cases[i].gzip));
        write_dataset(dir, cases[i].gzip);
        if (cases[i].damage)
            cases[i].damage(path);
        expect_refusal(dir, cases[i].setting, cases[i].what, path,
                       cases[i].needle);
        remove_tree(dir);
    }
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
    if (!ok(test_load_data(idx_loader, settings, 1, 0, &data, &err) == 0,
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

static void check_idx(void)
{
    snprintf(temp_root, sizeof temp_root, "/tmp/cnnlab-loaders-XXXXXX");
    if (!mkdtemp(temp_root)) {
        printf("Bail out! mkdtemp failed\n");
        exit(1);
    }
    check_idx_plain();
    check_idx_gzip();
    check_idx_refusals();
    rmdir(temp_root);
    check_fashion_mnist();
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        idx_loader = cnn_registry_loader(registry, "idx");
        if (ok(idx_loader != NULL, "idx is registered"))
            check_idx();
    }
    cnn_registry_free(registry);
    return done_testing();
}
