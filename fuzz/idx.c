/* cnnlab fuzzing — the idx loader (plugins/loaders/idx.c): the four IDX
 * files of MNIST or Fashion-MNIST, each plain or gzip, read, checked
 * against each other, split and resized.
 *
 * The input is one options byte, then the four files (train images, train
 * labels, test images, test labels) separated by the line "--idx--". A
 * file that starts with gzip's magic bytes (1f 8b) is written with a .gz
 * suffix, as the dataset ships it; an empty or absent part is a missing
 * file. The options byte picks the loader's parameters:
 *   bits 0-1  data.val: 0, 1, 2 or 5 training images held out
 *   bits 2-4  data.size: as stored, 1, 2, 5, 13, 28, 40 or 64
 *   bit 5     data.channels: 3 (else 1)
 *   bit 6     a run's data.limit of 2 images per split
 *   bit 7     data.classes: fashion-mnist (else auto)
 * Loading must fail saying why, or give splits of the requested shape
 * whose labels are classes. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/loader.h"
#include "fuzz.h"
#include "loaders.h"

#define SEPARATOR "\n--idx--\n"

static const char *const bases[4] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_directory();
    return 0;
}

/* Writes part `index` (or removes both of its names when it is empty). */
static void write_part(int index, const uint8_t *bytes, size_t size)
{
    char plain[512], gzip[512], name[64];
    fuzz_scratch_path(plain, sizeof plain, bases[index]);
    snprintf(name, sizeof name, "%s.gz", bases[index]);
    fuzz_scratch_path(gzip, sizeof gzip, name);
    fuzz_remove_file(plain);
    fuzz_remove_file(gzip);
    if (size == 0)
        return;
    int gzipped = size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    fuzz_write_file(gzipped ? gzip : plain, bytes, size);
}

static void write_parts(const uint8_t *data, size_t size)
{
    size_t separator = strlen(SEPARATOR);
    for (int index = 0; index < 4; index++) {
        const uint8_t *end =
            size ? memmem(data, size, SEPARATOR, separator) : NULL;
        size_t length = end ? (size_t)(end - data) : size;
        write_part(index, data, length);
        size_t used = end ? length + separator : size;
        data += used;
        size -= used;
    }
}

static void set(struct cnn_params *params, const char *name,
                const char *value)
{
    struct cnn_error err = {0};
    if (cnn_params_set_text(params, name, value, (struct cnn_mark){0}, "idx",
                            &err)
        != 0)
        fuzz_fail("cannot set idx's %s to %s: %s", name, value, err.message);
}

static void check_split(const struct cnn_dataset *set, int channels,
                        int size, const char *which)
{
    if (set->count <= 0 || !set->pixels || !set->labels)
        fuzz_fail("the %s split is empty", which);
    if (set->shape.c != channels
        || (size && (set->shape.h != size || set->shape.w != size)))
        fuzz_fail("the %s split's images are %dx%dx%d, not %d channels of "
                  "%d", which, set->shape.c, set->shape.h, set->shape.w,
                  channels, size);
    for (int i = 0; i < set->count; i++)
        if (set->labels[i] < 0 || set->labels[i] >= 10)
            fuzz_fail("the %s split has label %d", which, set->labels[i]);
    /* Every pixel is read, so ASan sees a short buffer. */
    size_t bytes = (size_t)set->count * (size_t)set->shape.c
                 * (size_t)set->shape.h * (size_t)set->shape.w;
    volatile unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++)
        sum += set->pixels[i];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const char *const vals[4] = {"0", "1", "2", "5"};
    static const int sizes[8] = {0, 1, 2, 5, 13, 28, 40, 64};
    uint8_t options = data[0];
    int val = atoi(vals[options & 3]);
    int side = sizes[(options >> 2) & 7];
    int channels = options & 0x20 ? 3 : 1;
    write_parts(data + 1, size - 1);

    struct cnn_params params;
    struct cnn_error err = {0};
    if (cnn_params_init_defaults(&params, loaders_idx_type.params,
                                 loaders_idx_type.param_count, "idx", &err)
        != 0)
        fuzz_fail("idx's defaults: %s", err.message);
    char text[16];
    set(&params, "root", fuzz_scratch_directory());
    set(&params, "val", vals[options & 3]);
    snprintf(text, sizeof text, "%d", side);
    set(&params, "size", text);
    set(&params, "channels", channels == 3 ? "3" : "1");
    set(&params, "classes", options & 0x80 ? "fashion-mnist" : "auto");
    struct cnn_load_request request = {.seed = 1,
                                       .limit = options & 0x40 ? 2 : 0};
    struct cnn_data loaded;
    memset(&loaded, 0, sizeof loaded);
    int status = loaders_idx_type.load(&params, &request, &loaded, &err);
    fuzz_check_error(status, &err, "idx load");
    if (status == 0) {
        if (loaded.classes != 10 || !loaded.class_names)
            fuzz_fail("%d classes", loaded.classes);
        check_split(&loaded.train, channels, side, "train");
        check_split(&loaded.test, channels, side, "test");
        if (val > 0)
            check_split(&loaded.val, channels, side, "val");
        else if (loaded.val.count != 0)
            fuzz_fail("val = 0 gave %d validation images", loaded.val.count);
        if (request.limit && (loaded.train.count > 2 || loaded.test.count > 2
                              || loaded.val.count > 2))
            fuzz_fail("limit 2 gave more images");
        cnn_data_free(&loaded);
    }
    cnn_params_free(&params);
    return 0;
}
