/* The imagefolder loader on small JPEG folders written here: the layout,
 * class order and labels, the pixels after decoding and resizing against a
 * reference computed here, grayscale and channels, and every refusal (a
 * damaged, truncated, non-JPEG, CMYK or oversized file, an empty class,
 * differing classes, a missing root) with on_error: skip. The cache, the
 * seeded splits and limits are in t/test-imagefolder-cache.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imagefolder-fixtures.h"
#include "test-util.h"

static const struct cnn_loader_type *loader;

static int load(const char *root, const char *extra1, const char *extra2,
                struct cnn_data *data, struct cnn_error *err)
{
    char root_setting[600];
    snprintf(root_setting, sizeof root_setting, "root=%s", root);
    const char *settings[] = {root_setting, "size=8", "threads=2", extra1,
                              extra2, NULL};
    if (!extra1)
        settings[3] = NULL;
    else if (!extra2)
        settings[4] = NULL;
    return test_load_data(loader, settings, 1, 0, data, err);
}

/* ---- the layout, the labels, the pixels ------------------------------- */

/* One training file, its class and how it was written. */
struct sample {
    const char *class_name, *file;
    int width, height, gray;
};

/* In listing order: classes in byte order ('C' < 'a' < 'b'), then names. */
static const struct sample train_samples[] = {
    {"C_cls", "img0.jpg", 20, 13, 0},  /* shrinks both ways, unevenly */
    {"C_cls", "img1.jpg", 5, 7, 0},    /* enlarges */
    {"a_cls", "g0.jpg", 16, 16, 1},    /* grayscale, halves */
    {"b_cls", "x.JPEG", 8, 8, 0},      /* the target size: no resize */
    {"b_cls", "y.jpeg", 30, 41, 0},
};
enum { TRAIN_SAMPLES = 5 };

static void write_main_tree(const char *root)
{
    for (int i = 0; i < TRAIN_SAMPLES; i++) {
        const struct sample *s = &train_samples[i];
        fixture_mkdirs(fixture_path("%s/train/%s", root, s->class_name));
        fixture_write_pattern(fixture_path("%s/train/%s/%s", root,
                                           s->class_name, s->file),
                              s->width, s->height, s->gray ? 1 : 3, i);
    }
    const char *classes[3] = {"C_cls", "a_cls", "b_cls"};
    for (int k = 0; k < 3; k++)
        for (int split = 0; split < 2; split++) {
            const char *name = split ? "test" : "val";
            fixture_mkdirs(fixture_path("%s/%s/%s", root, name, classes[k]));
            fixture_write_pattern(fixture_path("%s/%s/%s/v.jpg", root, name,
                                               classes[k]),
                                  12, 12, 3, 10 + k);
        }
    /* Ignored: hidden files, files beside the class folders. */
    fixture_write_bytes(fixture_path("%s/train/a_cls/.DS_Store", root), "x",
                        1);
    fixture_write_bytes(fixture_path("%s/README.txt", root), "x", 1);
    fixture_write_bytes(fixture_path("%s/train/labels.csv", root), "x", 1);
}

/* The expected pixels of training sample i: the reference decode and
 * resize, channels planes of 8 x 8. */
static void expected_pixels(const char *root, int i, int channels,
                            uint8_t *out)
{
    const struct sample *s = &train_samples[i];
    int width, height, components;
    uint8_t *decoded = fixture_decode(
        fixture_path("%s/train/%s/%s", root, s->class_name, s->file),
        channels == 1, &width, &height, &components);
    for (int c = 0; c < channels; c++)
        fixture_reference_resize(decoded, height, width, components,
                                 components == 1 ? 0 : c, 8, 8, out + c * 64);
    free(decoded);
}

static void check_layout(const char *root)
{
    struct cnn_data data;
    struct cnn_error err;
    if (!ok(load(root, NULL, NULL, &data, &err) == 0,
            "imagefolder: the split layout loads (%s)", err.message))
        return;
    is_int(data.classes, 3, "three classes");
    ok(data.class_names && strcmp(data.class_names[0], "C_cls") == 0
           && strcmp(data.class_names[1], "a_cls") == 0
           && strcmp(data.class_names[2], "b_cls") == 0,
       "class names are the folder names in byte order");
    ok(data.train.count == TRAIN_SAMPLES && data.val.count == 3
           && data.test.count == 3,
       "counts 5/3/3, hidden and stray files ignored (got %d/%d/%d)",
       data.train.count, data.val.count, data.test.count);
    ok(data.train.shape.c == 3 && data.train.shape.h == 8
           && data.train.shape.w == 8 && data.test.shape.c == 3,
       "images are 3 x 8 x 8");
    int labels_right = data.train.count == TRAIN_SAMPLES;
    static const int expected_labels[TRAIN_SAMPLES] = {0, 0, 1, 2, 2};
    for (int i = 0; labels_right && i < TRAIN_SAMPLES; i++)
        labels_right &= data.train.labels[i] == expected_labels[i];
    for (int i = 0; i < data.val.count; i++)
        labels_right &= data.val.labels[i] == i && data.test.labels[i] == i;
    ok(labels_right, "labels follow the class order in every split");

    /* Tolerance 1: the loader sums in float, the reference in double, so
     * a value near .5 may round the other way. */
    for (int i = 0; i < data.train.count && i < TRAIN_SAMPLES; i++) {
        uint8_t expected[3 * 64];
        expected_pixels(root, i, 3, expected);
        int difference = fixture_max_difference(
            data.train.pixels + (size_t)i * 3 * 64, expected, 3 * 64);
        ok(difference <= 1,
           "%s/%s (%d×%d%s): pixels match the reference resize (largest "
           "difference %d)",
           train_samples[i].class_name, train_samples[i].file,
           train_samples[i].width, train_samples[i].height,
           train_samples[i].gray ? ", gray" : "", difference);
    }
    const uint8_t *gray = data.train.pixels + 2 * 3 * 64;
    ok(memcmp(gray, gray + 64, 64) == 0 && memcmp(gray, gray + 128, 64) == 0,
       "a grayscale file gives three equal planes");
    cnn_data_free(&data);

    if (!ok(load(root, "channels=1", NULL, &data, &err) == 0,
            "channels: 1 loads (%s)", err.message))
        return;
    ok(data.train.shape.c == 1, "channels: 1 gives one plane");
    int worst = 0;
    for (int i = 0; i < data.train.count && i < TRAIN_SAMPLES; i++) {
        uint8_t expected[64];
        expected_pixels(root, i, 1, expected);
        int d = fixture_max_difference(data.train.pixels + (size_t)i * 64,
                                       expected, 64);
        worst = d > worst ? d : worst;
    }
    ok(worst <= 1, "channels: 1 is libjpeg's luma, resized (largest "
                   "difference %d, tolerance 1)", worst);
    cnn_data_free(&data);
}

/* ---- refusals ------------------------------------------------------------ */

/* A valid tree: two classes, three 10 x 10 images each in train, one in
 * val and test. */
static void write_small_tree(const char *root)
{
    const char *splits[3] = {"train", "val", "test"};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < 2; k++) {
            char dir[1024];
            snprintf(dir, sizeof dir, "%s/%s/class%d", root, splits[s], k);
            fixture_mkdirs(dir);
            for (int i = 0; i < (s == 0 ? 3 : 1); i++)
                fixture_write_pattern(fixture_path("%s/%c.jpg", dir, 'a' + 2 * i),
                                      10, 10, 3, 3 * k + i);
        }
}

static void expect_refusal(const char *root, const char *setting,
                           const char *what, const char *needle1,
                           const char *needle2)
{
    struct cnn_data data;
    struct cnn_error err;
    ok(load(root, setting, NULL, &data, &err) != 0, "%s: refused", what);
    diag("%s", err.message);
    like(err.message, needle1, "%s: the message says '%s'", what, needle1);
    if (needle2)
        like(err.message, needle2, "%s: the message says '%s'", what, needle2);
    ok(!data.train.pixels && !data.val.pixels && !data.test.pixels
           && !data.class_names,
       "%s: nothing left allocated", what);
}

static void random_bytes_after_soi(const char *path)
{
    uint8_t bytes[600];
    uint32_t state = 12345;
    for (size_t i = 0; i < sizeof bytes; i++) {
        state = state * 1103515245u + 12345u;
        bytes[i] = (uint8_t)(state >> 16);
    }
    bytes[0] = 0xff;
    bytes[1] = 0xd8;
    fixture_write_bytes(path, bytes, sizeof bytes);
}

static void png_named_jpg(const char *path)
{
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                  0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    fixture_write_bytes(path, png, sizeof png);
}

static void truncated_jpeg(const char *path)
{
    fixture_write_pattern(path, 32, 32, 3, 7);
    size_t size;
    uint8_t *bytes = fixture_read_bytes(path, &size);
    fixture_write_bytes(path, bytes, size / 2);
    free(bytes);
}

static void cmyk_jpeg(const char *path)
{
    uint8_t pixels[8 * 8 * 4];
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t)(i * 3);
    fixture_write_jpeg(path, 8, 8, 4, pixels, 90);
}

/* A valid JPEG whose frame header (SOF0) declares width x height. */
static void declares(const char *path, int width, int height)
{
    fixture_write_pattern(path, 8, 8, 3, 1);
    size_t size;
    uint8_t *bytes = fixture_read_bytes(path, &size);
    size_t at = 2;
    while (at + 9 < size && !(bytes[at] == 0xff && bytes[at + 1] == 0xc0))
        at++;
    if (at + 9 >= size) {
        printf("Bail out! no SOF0 marker in %s\n", path);
        exit(1);
    }
    bytes[at + 5] = (uint8_t)(height >> 8);
    bytes[at + 6] = (uint8_t)height;
    bytes[at + 7] = (uint8_t)(width >> 8);
    bytes[at + 8] = (uint8_t)width;
    fixture_write_bytes(path, bytes, size);
    free(bytes);
}

static void huge_sides(const char *path)
{
    declares(path, 20000, 20000);
}

static void huge_area(const char *path)
{
    declares(path, 12000, 12000); /* sides allowed, 144 MP not */
}

static void check_bad_files(const char *base)
{
    static const struct {
        const char *what;
        void (*write)(const char *path);
        const char *needle;
    } cases[] = {
        {"random bytes after a JPEG start", random_bytes_after_soi, "corrupt"},
        {"a PNG named .jpg", png_named_jpg, "is not a JPEG file"},
        {"a truncated JPEG", truncated_jpeg, "is truncated"},
        {"a CMYK JPEG", cmyk_jpeg, "CMYK"},
        {"a JPEG declaring 20000×20000", huge_sides, "20000×20000"},
        {"a JPEG declaring 144 megapixels", huge_area, "megapixels"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char root[1024];
        snprintf(root, sizeof root, "%s/bad%zu", base, i);
        write_small_tree(root);
        char bad[1024];
        snprintf(bad, sizeof bad, "%s/train/class1/b.jpg", root);
        cases[i].write(bad);
        expect_refusal(root, NULL, cases[i].what, bad, cases[i].needle);
        fixture_remove_tree(root);
    }
}

static void check_layout_errors(const char *base)
{
    char missing[1024], root[1024], empty[1024], val_dir[1024];
    snprintf(missing, sizeof missing, "%s/does-not-exist", base);
    expect_refusal(missing, NULL, "a missing root", missing,
                   "scripts/make-imagefolder");

    snprintf(root, sizeof root, "%s/layout", base);
    write_small_tree(root);
    snprintf(empty, sizeof empty, "%s/train/class2", root);
    fixture_mkdirs(empty);
    fixture_mkdirs(fixture_path("%s/val/class2", root));
    fixture_mkdirs(fixture_path("%s/test/class2", root));
    expect_refusal(root, NULL, "an empty class folder", empty, "no .jpg");
    fixture_remove_tree(root);

    write_small_tree(root);
    fixture_mkdirs(fixture_path("%s/val/extra", root));
    fixture_write_pattern(fixture_path("%s/val/extra/a.jpg", root), 8, 8, 3,
                          0);
    snprintf(val_dir, sizeof val_dir, "%s/val'", root);
    expect_refusal(root, NULL, "a class only in val", "'extra'", val_dir);
    fixture_remove_tree(root);

    write_small_tree(root);
    fixture_write_bytes(fixture_path("%s/train/class0/notes.txt", root), "x",
                        1);
    expect_refusal(root, NULL, "a non-JPEG file name", "notes.txt",
                   "on_error: skip");
    fixture_remove_tree(root);

    write_small_tree(root);
    fixture_mkdirs(fixture_path("%s/train/class0/nested", root));
    expect_refusal(root, NULL, "a folder in a class folder", "nested",
                   "directly");
    fixture_remove_tree(fixture_path("%s/train/class0/nested", root));
    expect_refusal(root, "val=0.5", "data.val with a val folder",
                   "data.val", "remove");
    fixture_remove_tree(root);

    fixture_mkdirs(fixture_path("%s/val/class0", root));
    expect_refusal(root, NULL, "val without train", "no train folder", NULL);
    fixture_remove_tree(root);
}

/* on_error: skip leaves out the bad files and keeps the others, in
 * order: the result equals the clean folder's. */
static void check_skip(const char *base)
{
    char clean[1024], dirty[1024];
    snprintf(clean, sizeof clean, "%s/clean", base);
    snprintf(dirty, sizeof dirty, "%s/dirty", base);
    write_small_tree(clean);
    write_small_tree(dirty);
    /* Between the good files a.jpg, c.jpg, e.jpg, so kept images move. */
    random_bytes_after_soi(fixture_path("%s/train/class0/b.jpg", dirty));
    truncated_jpeg(fixture_path("%s/train/class1/d.jpg", dirty));
    png_named_jpg(fixture_path("%s/test/class0/b.jpg", dirty));
    fixture_write_bytes(fixture_path("%s/train/class1/notes.txt", dirty), "x",
                        1);
    struct cnn_data expected, data;
    struct cnn_error err;
    load(clean, NULL, NULL, &expected, &err);
    if (ok(load(dirty, "on_error=skip", NULL, &data, &err) == 0,
           "on_error: skip loads a folder with 4 bad files (%s)",
           err.message)) {
        ok(data.train.count == 6 && data.val.count == 2
               && data.test.count == 2,
           "on_error: skip leaves out the 3 bad JPEGs and the .txt (counts "
           "%d/%d/%d, expected 6/2/2)",
           data.train.count, data.val.count, data.test.count);
        size_t image = 3 * 64;
        ok(data.train.count == expected.train.count
               && memcmp(data.train.pixels, expected.train.pixels,
                         6 * image) == 0
               && memcmp(data.train.labels, expected.train.labels,
                         6 * sizeof(int32_t)) == 0
               && memcmp(data.test.pixels, expected.test.pixels, 2 * image)
                      == 0,
           "on_error: skip keeps the good images, in order, as a clean "
           "folder gives them");
        is_int((int)data.skipped, 4, "the data reports the 4 skipped files");
        is_int((int)expected.skipped, 0, "a clean folder reports none");
    }
    cnn_data_free(&data);
    cnn_data_free(&expected);
    fixture_remove_tree(clean);
    fixture_remove_tree(dirty);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        loader = cnn_registry_loader(registry, "imagefolder");
        if (ok(loader != NULL, "imagefolder is registered")) {
            char base[256], root[512];
            snprintf(base, sizeof base, "%s", fixture_temp_root("imagefolder"));
            snprintf(root, sizeof root, "%s/main", base);
            write_main_tree(root);
            check_layout(root);
            check_bad_files(base);
            check_layout_errors(base);
            check_skip(base);
            fixture_remove_tree(base);
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
