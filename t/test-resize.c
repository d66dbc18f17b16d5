/* The loaders' shared resize (plugins/loaders/resize.c, compiled in):
 * values worked out by hand, a reference computed from the filter's
 * definition (imagefolder-fixtures.c), and the idx loader's size and
 * channels parameters, which use it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../plugins/loaders/resize.h"
#include "imagefolder-fixtures.h"
#include "test-util.h"

static void resize(const uint8_t *source, int h, int w, uint8_t *target,
                   int th, int tw)
{
    struct loaders_resizer resizer;
    struct cnn_error err = {0};
    if (loaders_resizer_init(&resizer, h, w, th, tw, &err) != 0) {
        printf("Bail out! %s\n", err.message);
        exit(1);
    }
    loaders_resize_plane(&resizer, source, (size_t)w, 1, target);
    loaders_resizer_free(&resizer);
}

static void check_by_hand(void)
{
    /* Enlarging 2 -> 4: output centres 0.25, 0.75, 1.25, 1.75 in source
     * pixels, source centres 0.5 and 1.5: the ends repeat the edge, the
     * middle interpolates 1/4 and 3/4 of the way. */
    const uint8_t two[2] = {0, 100};
    uint8_t four[4];
    resize(two, 1, 2, four, 1, 4);
    ok(four[0] == 0 && four[1] == 25 && four[2] == 75 && four[3] == 100,
       "enlarging [0 100] to 4 gives [0 25 75 100] (got [%d %d %d %d])",
       four[0], four[1], four[2], four[3]);

    /* Halving [0 40 80 120]: the triangle is two pixels wide; output 0 is
     * centred at 1.0 and weighs pixels 0, 1, 2 by 0.75, 0.75, 0.25:
     * (0 + 30 + 20) / 1.75 = 28.6 -> 29; output 1 likewise gives
     * (10 + 60 + 90) / 1.75 = 91.4 -> 91. */
    const uint8_t ramp[4] = {0, 40, 80, 120};
    uint8_t half[2];
    resize(ramp, 1, 4, half, 1, 2);
    ok(half[0] == 29 && half[1] == 91,
       "halving [0 40 80 120] gives [29 91] (got [%d %d])", half[0], half[1]);

    /* Shrinking 1-pixel stripes by 3 averages them (nearest-neighbour or
     * plain bilinear would give 0 or 255): every output within 127 +- 45
     * (the exact value depends on the phase at the edges). */
    uint8_t stripes[27 * 27], small[9 * 9];
    for (int y = 0; y < 27; y++)
        for (int x = 0; x < 27; x++)
            stripes[y * 27 + x] = x % 2 ? 255 : 0;
    resize(stripes, 27, 27, small, 9, 9);
    int lowest = 255, highest = 0;
    for (int i = 0; i < 81; i++) {
        lowest = small[i] < lowest ? small[i] : lowest;
        highest = small[i] > highest ? small[i] : highest;
    }
    ok(lowest >= 82 && highest <= 172,
       "shrinking 1-pixel stripes by 3 averages them (range %d..%d)", lowest,
       highest);

    uint8_t flat[13 * 7], flat_out[5 * 11];
    memset(flat, 77, sizeof flat);
    resize(flat, 13, 7, flat_out, 5, 11);
    int constant = 1;
    for (int i = 0; i < 5 * 11; i++)
        constant &= flat_out[i] == 77;
    ok(constant, "a flat image stays flat (weights sum to 1)");

    uint8_t same[6 * 5], copy[6 * 5];
    for (int i = 0; i < 30; i++)
        same[i] = (uint8_t)(i * 37);
    resize(same, 6, 5, copy, 6, 5);
    ok(memcmp(same, copy, sizeof same) == 0, "the same size copies exactly");
}

/* Random images, sizes up and down, against the definition. Tolerance 1:
 * float sums against double ones may round a .5 differently. */
static void check_against_reference(void)
{
    static const int sizes[][4] = {{28, 28, 84, 84}, {37, 50, 8, 8},
                                   {9, 31, 20, 6},   {84, 84, 84, 84},
                                   {1, 7, 3, 3},     {100, 3, 7, 10}};
    uint32_t state = 7;
    for (size_t n = 0; n < sizeof sizes / sizeof sizes[0]; n++) {
        int h = sizes[n][0], w = sizes[n][1], th = sizes[n][2],
            tw = sizes[n][3];
        uint8_t *source = malloc((size_t)h * w);
        uint8_t *got = malloc((size_t)th * tw);
        uint8_t *expected = malloc((size_t)th * tw);
        for (int i = 0; i < h * w; i++) {
            state = state * 1103515245u + 12345u;
            source[i] = (uint8_t)(state >> 16);
        }
        resize(source, h, w, got, th, tw);
        fixture_reference_resize(source, h, w, 1, 0, th, tw, expected);
        int difference = fixture_max_difference(got, expected,
                                                (size_t)th * tw);
        ok(difference <= 1,
           "%d×%d -> %d×%d of noise matches the definition (largest "
           "difference %d)",
           h, w, th, tw, difference);
        free(source);
        free(got);
        free(expected);
    }
}

/* ---- idx: size and channels --------------------------------------------- */

enum { ROWS = 4, COLS = 3, TRAIN = 6, TEST = 2 };

static void put_u32(uint8_t *at, uint32_t value)
{
    at[0] = (uint8_t)(value >> 24);
    at[1] = (uint8_t)(value >> 16);
    at[2] = (uint8_t)(value >> 8);
    at[3] = (uint8_t)value;
}

static uint8_t pixel_of(int i, int r, int c)
{
    return (uint8_t)(40 * i + 50 * r + 17 * c);
}

static void write_idx(const char *dir, const char *name, int count, int first,
                      int images)
{
    size_t header = images ? 16 : 8;
    size_t item = images ? ROWS * COLS : 1;
    uint8_t bytes[16 + 8 * ROWS * COLS];
    put_u32(bytes, images ? 0x803 : 0x801);
    put_u32(bytes + 4, (uint32_t)count);
    put_u32(bytes + 8, ROWS);
    put_u32(bytes + 12, COLS);
    for (int i = 0; i < count; i++)
        for (size_t k = 0; k < item; k++)
            bytes[header + i * item + k] =
                images ? pixel_of(first + i, (int)k / COLS, (int)k % COLS)
                       : (uint8_t)((first + i) % 10);
    fixture_write_bytes(fixture_path("%s/%s", dir, name), bytes,
                        header + (size_t)count * item);
}

static void check_idx(const struct cnn_loader_type *idx)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s", fixture_temp_root("idx-resize"));
    write_idx(dir, "train-images-idx3-ubyte", TRAIN, 0, 1);
    write_idx(dir, "train-labels-idx1-ubyte", TRAIN, 0, 0);
    write_idx(dir, "t10k-images-idx3-ubyte", TEST, 100, 1);
    write_idx(dir, "t10k-labels-idx1-ubyte", TEST, 100, 0);
    char root[300];
    snprintf(root, sizeof root, "root=%s", dir);

    const char *resized[] = {root, "val=0", "size=6", "channels=3", NULL};
    struct cnn_data data;
    struct cnn_error err;
    if (ok(test_load_data(idx, resized, 1, 0, &data, &err) == 0,
           "idx: size 6, channels 3 loads (%s)", err.message)) {
        ok(data.train.shape.c == 3 && data.train.shape.h == 6
               && data.train.shape.w == 6 && data.test.shape.c == 3,
           "idx: images become 3 x 6 x 6");
        int right = 1, replicated = 1;
        for (int n = 0; n < TEST; n++) {
            uint8_t source[ROWS * COLS], expected[36];
            for (int k = 0; k < ROWS * COLS; k++)
                source[k] = pixel_of(100 + n, k / COLS, k % COLS);
            fixture_reference_resize(source, ROWS, COLS, 1, 0, 6, 6, expected);
            const uint8_t *image = data.test.pixels + (size_t)n * 108;
            right &= fixture_max_difference(image, expected, 36) <= 1;
            replicated &= memcmp(image, image + 36, 36) == 0
                       && memcmp(image, image + 72, 36) == 0;
        }
        ok(right, "idx: a 4×3 image resized to 6×6 matches the reference "
                  "(tolerance 1)");
        ok(replicated, "idx: channels 3 repeats the gray plane");
        ok(data.train.labels[5] == 5 && data.test.labels[1] == 1,
           "idx: labels unchanged");
        cnn_data_free(&data);
    }

    const char *native[] = {root, "val=0", "channels=3", NULL};
    if (ok(test_load_data(idx, native, 1, 0, &data, &err) == 0,
           "idx: size 0 (native), channels 3 loads (%s)", err.message)) {
        const uint8_t *image = data.train.pixels + 2 * 3 * ROWS * COLS;
        int exact = data.train.shape.h == ROWS && data.train.shape.w == COLS;
        for (int c = 0; exact && c < 3; c++)
            for (int k = 0; k < ROWS * COLS; k++)
                exact &= image[c * ROWS * COLS + k]
                      == pixel_of(2, k / COLS, k % COLS);
        ok(exact, "idx: native size keeps the pixels, in three planes");
        cnn_data_free(&data);
    }
    const char *plain[] = {root, "val=0", NULL};
    if (ok(test_load_data(idx, plain, 1, 0, &data, &err) == 0,
           "idx: the defaults load (%s)", err.message)) {
        ok(data.train.shape.c == 1 && data.train.shape.h == ROWS
               && data.train.shape.w == COLS,
           "idx: by default images stay 1 × 4 × 3");
        cnn_data_free(&data);
    }
    fixture_remove_tree(dir);
}

int main(void)
{
    check_by_hand();
    check_against_reference();
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        const struct cnn_loader_type *idx = cnn_registry_loader(registry,
                                                                "idx");
        if (ok(idx != NULL, "idx is registered"))
            check_idx(idx);
    }
    cnn_registry_free(registry);
    return done_testing();
}
