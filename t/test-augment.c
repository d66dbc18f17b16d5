/* Data augmentation (core/train/augment.c) on small images whose results
 * are worked out by hand: a flip of a 3x2 image, the nine windows a crop
 * with padding 1 can cut (and that all nine occur), a resized crop of a
 * 2x2 window of a 4x4 image upsampled bilinearly, colour jitter's
 * brightness and contrast relations, saturation leaving one channel
 * alone, and the randomness being a function of (seed, epoch, index)
 * only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/node.h"
#include "tap.h"
#include "train/augment.h"

static struct cnn_augmentation one_step(struct cnn_augment_step step)
{
    struct cnn_augmentation a = {.count = 1};
    a.steps[0] = step;
    return a;
}

static void augment(const struct cnn_augmentation *a, uint64_t seed,
                    int epoch, int index, const uint8_t *in,
                    struct cnn_shape shape, uint8_t *out)
{
    uint8_t scratch[256];
    if (cnn_augment_scratch_size(shape) > sizeof scratch) {
        printf("Bail out! scratch too small for the test image\n");
        exit(1);
    }
    cnn_augment_image(a, seed, epoch, index, in, shape, out, scratch);
}

static void check_flip(void)
{
    struct cnn_shape shape = {1, 2, 3};
    const uint8_t image[] = {1, 2, 3, 4, 5, 6};
    const uint8_t flipped[] = {3, 2, 1, 6, 5, 4};
    uint8_t out[6];
    struct cnn_augmentation always =
        one_step((struct cnn_augment_step){.kind = CNN_AUGMENT_FLIP, .p = 1});
    augment(&always, 1, 0, 0, image, shape, out);
    ok(memcmp(out, flipped, sizeof out) == 0,
       "flip p=1 of [[1 2 3] [4 5 6]] is [[3 2 1] [6 5 4]]");
    struct cnn_augmentation never =
        one_step((struct cnn_augment_step){.kind = CNN_AUGMENT_FLIP, .p = 0});
    augment(&never, 1, 0, 0, image, shape, out);
    ok(memcmp(out, image, sizeof out) == 0, "flip p=0 leaves it");
    struct cnn_augmentation half = one_step(
        (struct cnn_augment_step){.kind = CNN_AUGMENT_FLIP, .p = 0.5});
    int flips = 0;
    for (int i = 0; i < 1000; i++) {
        augment(&half, 7, 1, i, image, shape, out);
        flips += memcmp(out, flipped, sizeof out) == 0;
    }
    ok(flips > 420 && flips < 580, "flip p=0.5 flips about half (%d of 1000)",
       flips);
}

/* The 2x2 window of the 1-padded 2x2 image [[1 2] [3 4]] (fill 9) whose
 * corner is (top, left) in the padded image. */
static void padded_window(int top, int left, uint8_t window[4])
{
    const uint8_t padded[4][4] = {
        {9, 9, 9, 9}, {9, 1, 2, 9}, {9, 3, 4, 9}, {9, 9, 9, 9}};
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 2; x++)
            window[y * 2 + x] = padded[top + y][left + x];
}

static void check_crop(void)
{
    struct cnn_shape shape = {1, 2, 2};
    const uint8_t image[] = {1, 2, 3, 4};
    struct cnn_augmentation a = one_step((struct cnn_augment_step){
        .kind = CNN_AUGMENT_CROP, .padding = 1, .fill = 9});
    int seen[9] = {0}, strays = 0;
    for (int i = 0; i < 900; i++) {
        uint8_t out[4];
        augment(&a, 3, 0, i, image, shape, out);
        int found = -1;
        for (int w = 0; w < 9 && found < 0; w++) {
            uint8_t window[4];
            padded_window(w / 3, w % 3, window);
            if (memcmp(out, window, 4) == 0)
                found = w;
        }
        if (found < 0)
            strays++;
        else
            seen[found]++;
    }
    int all = 1;
    for (int w = 0; w < 9; w++)
        all = all && seen[w] > 50;
    ok(strays == 0, "every crop is one of the nine windows of the padded "
       "image (%d are not)", strays);
    ok(all, "each of the nine corners occurs (%d %d %d %d %d %d %d %d %d "
       "of 900)", seen[0], seen[1], seen[2], seen[3], seen[4], seen[5],
       seen[6], seen[7], seen[8]);
}

/* [[a b] [c d]] upsampled to 4x4 with align_corners=False: source
 * positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (whose neighbour is
 * past the edge), so each row is a, (3a + b)/4, (a + 3b)/4, b. */
static void upsampled(const uint8_t w[4], uint8_t out[16])
{
    const int low[4] = {0, 0, 0, 1};
    const float weight[4] = {0, 0.25f, 0.75f, 0};
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) {
            float wx = weight[x], wy = weight[y];
            float top = (1 - wx) * w[low[y] * 2 + low[x]] +
                        wx * w[low[y] * 2 + 1];
            float bottom = (1 - wx) * w[2 + low[x]] + wx * w[3];
            out[y * 4 + x] =
                (uint8_t)nearbyintf((1 - wy) * top + wy * bottom);
        }
}

static void check_resized_crop(void)
{
    struct cnn_shape shape = {1, 4, 4};
    uint8_t image[16];
    for (int i = 0; i < 16; i++)
        image[i] = (uint8_t)(10 + 16 * i);
    /* A quarter of the area, square: a 2x2 window at one of 9 corners. */
    struct cnn_augmentation a = one_step((struct cnn_augment_step){
        .kind = CNN_AUGMENT_RESIZED_CROP, .scale = {0.25, 0.25},
        .ratio = {1, 1}});
    int matched = 0, corners = 0, seen[9] = {0};
    for (int i = 0; i < 200; i++) {
        uint8_t out[16];
        augment(&a, 5, 2, i, image, shape, out);
        for (int corner = 0; corner < 9; corner++) {
            int top = corner / 3, left = corner % 3;
            const uint8_t window[4] = {
                image[top * 4 + left], image[top * 4 + left + 1],
                image[(top + 1) * 4 + left], image[(top + 1) * 4 + left + 1]};
            uint8_t want[16];
            upsampled(window, want);
            if (memcmp(out, want, 16) == 0) {
                matched++;
                corners += seen[corner]++ == 0;
                break;
            }
        }
    }
    ok(matched == 200, "each resized crop is a 2x2 window upsampled "
       "bilinearly by hand (%d of 200)", matched);
    ok(corners == 9, "from all nine corners (%d)", corners);
    struct cnn_augmentation whole = one_step((struct cnn_augment_step){
        .kind = CNN_AUGMENT_RESIZED_CROP, .scale = {1, 1}, .ratio = {1, 1}});
    uint8_t out[16];
    augment(&whole, 5, 0, 0, image, shape, out);
    ok(memcmp(out, image, 16) == 0, "the whole image resized to its own "
       "size is itself");
}

static void check_jitter(void)
{
    struct cnn_shape shape = {1, 1, 2};
    /* Brightness 0.2: a factor f in [0.8, 1.2); 200 f is 2 (100 f) in
     * float, so trunc(200 f) is 2 trunc(100 f) or one more. */
    const uint8_t pair[] = {100, 200};
    struct cnn_augmentation bright = one_step((struct cnn_augment_step){
        .kind = CNN_AUGMENT_JITTER, .brightness = 0.2});
    int related = 0, changed = 0;
    for (int i = 0; i < 100; i++) {
        uint8_t out[2];
        augment(&bright, 9, 0, i, pair, shape, out);
        int excess = out[1] - 2 * out[0];
        related += out[0] >= 80 && out[0] < 120 && (excess == 0 || excess == 1);
        changed += out[0] != 100;
    }
    ok(related == 100, "brightness: trunc(f x) for one f in [0.8, 1.2) "
       "(%d of 100)", related);
    ok(changed > 90, "brightness: the factor is drawn (%d of 100 changed)",
       changed);
    /* Contrast 0.5 (f in [0.5, 1.5)) around the mean 100 of {0, 200}:
     * trunc((1 - f) 100) and trunc(100 f + 100) add up to 199 or 200,
     * unless f > 1 clamps the first to 0 while the second passes 200. */
    const uint8_t spread[] = {0, 200};
    struct cnn_augmentation contrast = one_step((struct cnn_augment_step){
        .kind = CNN_AUGMENT_JITTER, .contrast = 0.5});
    int balanced = 0;
    for (int i = 0; i < 100; i++) {
        uint8_t out[2];
        augment(&contrast, 9, 0, i, spread, shape, out);
        int sum = out[0] + out[1];
        balanced += out[0] > 0 ? (sum == 199 || sum == 200) && out[0] <= 50
                               : out[1] >= 199 && out[1] < 250;
    }
    ok(balanced == 100, "contrast: values move about the gray mean (%d of "
       "100)", balanced);
    struct cnn_augmentation saturation = one_step((struct cnn_augment_step){
        .kind = CNN_AUGMENT_JITTER, .saturation = 0.9});
    uint8_t out[2];
    augment(&saturation, 9, 0, 0, spread, shape, out);
    ok(memcmp(out, spread, 2) == 0, "saturation leaves a one-channel image");
}

static void check_streams(void)
{
    struct cnn_shape shape = {1, 4, 4};
    uint8_t image[16], a[16], b[16];
    for (int i = 0; i < 16; i++)
        image[i] = (uint8_t)(i * 13);
    struct cnn_augmentation all = {.count = 3};
    all.steps[0] = (struct cnn_augment_step){.kind = CNN_AUGMENT_CROP,
                                             .padding = 2};
    all.steps[1] = (struct cnn_augment_step){.kind = CNN_AUGMENT_FLIP,
                                             .p = 0.5};
    all.steps[2] = (struct cnn_augment_step){.kind = CNN_AUGMENT_JITTER,
                                             .brightness = 0.4,
                                             .contrast = 0.4};
    augment(&all, 11, 3, 17, image, shape, a);
    augment(&all, 11, 3, 16, image, shape, b);
    augment(&all, 11, 3, 17, image, shape, b);
    ok(memcmp(a, b, 16) == 0, "the same (seed, epoch, index) gives the same "
       "image, whatever was augmented before");
    int differ_seed = 0, differ_epoch = 0;
    for (int i = 0; i < 20; i++) {
        augment(&all, 11, 3, i, image, shape, a);
        augment(&all, 12, 3, i, image, shape, b);
        differ_seed += memcmp(a, b, 16) != 0;
        augment(&all, 11, 4, i, image, shape, b);
        differ_epoch += memcmp(a, b, 16) != 0;
    }
    ok(differ_seed >= 18 && differ_epoch >= 18,
       "another seed or epoch gives other images (%d and %d of 20)",
       differ_seed, differ_epoch);
}

/* data.augment as a manifest gives it. */
static int parse(const char *yaml, struct cnn_augmentation *a,
                 struct cnn_error *err)
{
    struct cnn_node *node = NULL;
    if (cnn_node_load_string(yaml, "m.yaml", &node, err) < 0)
        return -1;
    int status = cnn_augment_settings_parse(node, a, err);
    cnn_node_free(node);
    return status;
}

static void check_settings(void)
{
    struct cnn_augmentation a;
    struct cnn_error err = {0};
    ok(parse("[{crop: {padding: 2, fill: 7}}, flip, {resized-crop: "
             "{scale: [0.5, 1]}}, {jitter: {brightness: 0.4, saturation: "
             "0.1}}]",
             &a, &err) == 0 && a.count == 4,
       "four augmentations parse (%s)", err.message);
    ok(a.steps[0].kind == CNN_AUGMENT_CROP && a.steps[0].padding == 2 &&
           a.steps[0].fill == 7,
       "crop: padding 2, fill 7");
    ok(a.steps[1].kind == CNN_AUGMENT_FLIP && a.steps[1].p == 0.5,
       "flip: p defaults to 0.5");
    ok(a.steps[2].kind == CNN_AUGMENT_RESIZED_CROP &&
           a.steps[2].scale[0] == 0.5 && a.steps[2].scale[1] == 1 &&
           a.steps[2].ratio[0] == 0.75 &&
           a.steps[2].ratio[1] == 1.3333333333333333,
       "resized-crop: the scale given, torchvision's default ratio");
    ok(a.steps[3].kind == CNN_AUGMENT_JITTER && a.steps[3].brightness == 0.4 &&
           a.steps[3].contrast == 0 && a.steps[3].saturation == 0.1,
       "jitter: brightness 0.4, saturation 0.1, no contrast");
    ok(cnn_augment_settings_parse(NULL, &a, &err) == 0 && a.count == 0,
       "no data.augment: no augmentation");
    ok(parse("[]", &a, &err) == 0 && a.count == 0,
       "an empty list: no augmentation (%s)", err.message);

    /* Each refusal's message, and the column it points at (line 1). */
    const struct {
        const char *yaml, *needle;
        int column;
    } bad[] = {
        {"[flop]", "unknown augmentation 'flop' in data.augment; did you "
                   "mean 'flip'?", 2},
        {"[{crop: {pading: 2}}]", "unknown parameter 'pading' for "
                                  "data.augment crop; did you mean "
                                  "'padding'?", 10},
        {"[{flip: {p: 1.5}}]", "'p' must be between 0 and 1", 13},
        {"[{resized-crop: {scale: [1, 0.5]}}]", "'scale' is [low, high]", 3},
        {"[{resized-crop: {ratio: [1]}}]", "'ratio' is [low, high]", 3},
        {"[jitter]", "jitter changes nothing", 2},
        {"[{crop: {}, flip: {}}]", "a mapping of one name", 2},
        {"{crop: {}}", "data.augment is a list", 1},
        {"[flip, flip, flip, flip, flip, flip, flip, flip, flip]",
         "data.augment lists 9 augmentations; at most 8", 50},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cnn_error refused = {0};
        ok(parse(bad[i].yaml, &a, &refused) < 0, "refused: %s", bad[i].yaml);
        like(refused.message, bad[i].needle, "  says '%s'", bad[i].needle);
        ok(refused.line == 1 && refused.column == bad[i].column &&
               strcmp(refused.file, "m.yaml") == 0,
           "  at m.yaml:1:%d (got %s:%d:%d)", bad[i].column, refused.file,
           refused.line, refused.column);
    }
}

int main(void)
{
    check_settings();
    check_flip();
    check_crop();
    check_resized_crop();
    check_jitter();
    check_streams();
    return done_testing();
}
