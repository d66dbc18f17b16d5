/* Tests of the receptive-field arithmetic (core/model/receptive_field.c) on the
 * models of experiments/part-a: the best model (A.7) and the baseline
 * (A.1's 3-conv, the base model of conv-layers.yaml), loaded from their
 * manifests and compared with numbers derived by hand below; then padding,
 * dilation, per-axis strides, pooling with padding, global layers and a
 * layer type without geometry on small models; and patches clipped at
 * every border. All values are integers: every comparison is exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/node.h"
#include "cnnlab/receptive_field.h"
#include "config/manifest.h"
#include "model/model.h"
#include "test-util.h"

/* Expected per layer: size, jump, start (square: both axes alike), or
 * size 0 for a global field. */
struct expected_field {
    int size, jump, start;
};

static int build_model(struct cnn_registry *registry,
                       const struct cnn_node *model_node,
                       struct cnn_model *model)
{
    struct cnn_error err = {0};
    int status =
        cnn_model_build(model, registry, model_node, CNN_DEVICE_CPU, &err);
    if (!ok(status == 0, "the model builds"))
        diag("%s", err.message);
    return status;
}

/* The resolved model of manifest experiments/part-a/NAME.yaml (its base
 * variant when `variant` is NULL). */
static int build_manifest_model(struct cnn_registry *registry,
                                const char *srcdir, const char *name,
                                const char *variant, struct cnn_model *model)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/experiments/part-a/%s.yaml", srcdir,
             name);
    struct cnn_manifest manifest;
    memset(&manifest, 0, sizeof manifest);
    struct cnn_error err = {0};
    int status = cnn_manifest_load(&manifest, path, NULL, NULL, 0, &err);
    if (status == 0 && variant)
        status = cnn_manifest_select_variant(&manifest, variant, &err);
    const struct cnn_node *node =
        status == 0 ? cnn_node_get(manifest.variants[0].resolved, "model")
                    : NULL;
    if (!ok(node != NULL, "%s.yaml loads with a model", name)) {
        diag("%s", err.message);
        cnn_manifest_free(&manifest);
        return -1;
    }
    status = build_model(registry, node, model);
    cnn_manifest_free(&manifest);
    return status;
}

static void check_fields(const struct cnn_model *model,
                         const struct expected_field *expected, int count,
                         const char *what)
{
    is_int(model->layer_count, count, "%s has %d layers", what, count);
    if (model->layer_count != count)
        return;
    struct cnn_receptive_field fields[32];
    cnn_receptive_fields(model->layers, count, fields);
    for (int k = 0; k < count; k++) {
        const struct cnn_receptive_field *f = &fields[k];
        const struct expected_field *e = &expected[k];
        if (e->size == 0) {
            ok(f->global && f->size_h == model->input.h &&
                   f->size_w == model->input.w && f->jump_h == 0 &&
                   f->start_h == 0,
               "%s layer %d (%s) sees the whole %dx%d input", what, k,
               model->layers[k].name, model->input.h, model->input.w);
            continue;
        }
        int same = !f->global && f->size_h == e->size &&
                   f->size_w == e->size && f->jump_h == e->jump &&
                   f->jump_w == e->jump && f->start_h == e->start &&
                   f->start_w == e->start;
        if (!ok(same, "%s layer %d (%s): size %d, jump %d, start %d", what, k,
                model->layers[k].name, e->size, e->jump, e->start))
            diag("  got global %d, size %dx%d, jump %dx%d, start %d,%d",
                 f->global, f->size_h, f->size_w, f->jump_h, f->jump_w,
                 f->start_h, f->start_w);
    }
}

static void check_patch(const struct cnn_receptive_field *rf, int height,
                        int width, int i, int j, int top, int left,
                        int bottom, int right, const char *what)
{
    int t = -1, l = -1, b = -1, r = -1;
    cnn_receptive_patch(rf, height, width, i, j, &t, &l, &b, &r);
    if (!ok(t == top && l == left && b == bottom && r == right,
            "%s: (%d, %d) sees rows [%d, %d), columns [%d, %d)", what, i, j,
            top, bottom, left, right))
        diag("  got rows [%d, %d), columns [%d, %d)", t, b, l, r);
}

/* A.7: conv3 conv3 pool(3,2), three times, then gp and three linears
 * (ReLU fused into the convs and hidden linears: 13 layers). From the
 * input (size 1, jump 1, start 0), size += (k - 1) * jump, then
 * jump *= stride; nothing is padded, so every start stays 0:
 *   conv1 k3 s1: 1 + 2*1 = 3,   jump 1   (map 82)
 *   conv2 k3 s1: 3 + 2*1 = 5,   jump 1   (80)
 *   pool  k3 s2: 5 + 2*1 = 7,   jump 2   (39)
 *   conv3 k3 s1: 7 + 2*2 = 11,  jump 2   (37)
 *   conv4 k3 s1: 11 + 2*2 = 15, jump 2   (35)
 *   pool  k3 s2: 15 + 2*2 = 19, jump 4   (17)
 *   conv5 k3 s1: 19 + 2*4 = 27, jump 4   (15)
 *   conv6 k3 s1: 27 + 2*4 = 35, jump 4   (13)
 *   pool  k3 s2: 35 + 2*4 = 43, jump 8   (6)
 *   globalpool and the linears: the whole 84x84 image. */
static const struct expected_field best_fields[] = {
    {3, 1, 0},  {5, 1, 0},  {7, 2, 0},  {11, 2, 0}, {15, 2, 0},
    {19, 4, 0}, {27, 4, 0}, {35, 4, 0}, {43, 8, 0}, {0, 0, 0},
    {0, 0, 0},  {0, 0, 0},  {0, 0, 0},
};

/* A.1's baseline: conv5 pool(2,2), three times, gp, three linears (10
 * layers). Same arithmetic:
 *   conv1 k5: 1 + 4*1 = 5,    jump 1  (80)
 *   pool  k2 s2: 5 + 1*1 = 6,  jump 2  (40)
 *   conv2 k5: 6 + 4*2 = 14,   jump 2  (36)
 *   pool  k2 s2: 14 + 1*2 = 16, jump 4 (18)
 *   conv3 k5: 16 + 4*4 = 32,  jump 4  (14)
 *   pool  k2 s2: 32 + 1*4 = 36, jump 8 (7) */
static const struct expected_field baseline_fields[] = {
    {5, 1, 0},  {6, 2, 0},  {14, 2, 0}, {16, 4, 0}, {32, 4, 0},
    {36, 8, 0}, {0, 0, 0},  {0, 0, 0},  {0, 0, 0},  {0, 0, 0},
};

static void test_part_a_models(struct cnn_registry *registry,
                               const char *srcdir)
{
    struct cnn_model model;
    memset(&model, 0, sizeof model);
    if (build_manifest_model(registry, srcdir, "best", NULL, &model) == 0) {
        check_fields(&model, best_fields, 13, "best");
        struct cnn_receptive_field fields[13];
        cnn_receptive_fields(model.layers, 13, fields);
        /* The last pool's 6x6 map: position 5 starts at 5 * 8 = 40 and
         * ends at 40 + 43 = 83, inside the 84 pixels; position 0 at 0. */
        check_patch(&fields[8], 84, 84, 5, 5, 40, 40, 83, 83,
                    "best, last pool");
        check_patch(&fields[8], 84, 84, 0, 3, 0, 24, 43, 67,
                    "best, last pool");
        /* conv1's map is 82 wide: position 81 sees [81, 84). */
        check_patch(&fields[0], 84, 84, 81, 0, 81, 0, 84, 3, "best, conv1");
        check_patch(&fields[12], 84, 84, 0, 0, 0, 0, 84, 84,
                    "best, last linear");
        cnn_model_free(&model);
    }

    memset(&model, 0, sizeof model);
    if (build_manifest_model(registry, srcdir, "conv-layers", "3-conv",
                             &model) == 0) {
        check_fields(&model, baseline_fields, 10, "baseline (3-conv)");
        struct cnn_receptive_field fields[10];
        cnn_receptive_fields(model.layers, 10, fields);
        /* The 7x7 map: position 6 sees [48, 84). */
        check_patch(&fields[5], 84, 84, 6, 6, 48, 48, 84, 84,
                    "baseline, last pool");
        cnn_model_free(&model);
    }
}

/* Padding, dilation and strides that differ per axis, pooling with
 * padding, then global layers. Input 32 rows x 24 columns.
 *   conv k[3,5] pad[1,2] dil[2,1] stride[1,2]:
 *     rows:    size 1 + 2*2*1 = 5, start -1*1 = -1, jump 1   (map 30)
 *     columns: size 1 + 4*1*1 = 5, start -2*1 = -2, jump 2   (map 12)
 *   relu: unchanged
 *   maxpool k2 s2 pad1:
 *     rows:    size 5 + 1*1 = 6, start -1 - 1*1 = -2, jump 2 (map 16)
 *     columns: size 5 + 1*2 = 7, start -2 - 1*2 = -4, jump 4 (map 7)
 *   conv k3 dil3:
 *     rows:    size 6 + 2*3*2 = 18, start -2, jump 2          (map 10)
 *     columns: size 7 + 2*3*4 = 31, start -4, jump 4          (map 1)
 *   globalpool, linear: the whole 32x24 input. */
static const char geometry_model[] =
    "input: [1, 32, 24]\n"
    "layers:\n"
    "  - conv2d: {out: 2, kernel: [3, 5], padding: [1, 2], dilation: [2, 1],"
    " stride: [1, 2]}\n"
    "  - relu\n"
    "  - maxpool2d: {kernel: 2, stride: 2, padding: 1}\n"
    "  - conv2d: {out: 2, kernel: 3, dilation: 3}\n"
    "  - globalpool\n"
    "  - linear: {out: 3}\n";

static void test_geometry(struct cnn_registry *registry)
{
    struct cnn_node *node = NULL;
    struct cnn_error err = {0};
    if (!ok(cnn_node_load_string(geometry_model, "model.yaml", &node, &err) ==
                0,
            "the geometry model parses")) {
        diag("%s", err.message);
        return;
    }
    struct cnn_model model;
    memset(&model, 0, sizeof model);
    int built = build_model(registry, node, &model);
    cnn_node_free(node);
    if (built < 0)
        return;
    is_int(model.layers[3].output.h, 10, "last conv map: 10 rows");
    is_int(model.layers[3].output.w, 1, "last conv map: 1 column");
    struct cnn_receptive_field f[6];
    cnn_receptive_fields(model.layers, 6, f);
    const int expected[4][6] = {
        /* size_h size_w jump_h jump_w start_h start_w */
        {5, 5, 1, 2, -1, -2},
        {5, 5, 1, 2, -1, -2},
        {6, 7, 2, 4, -2, -4},
        {18, 31, 2, 4, -2, -4},
    };
    for (int k = 0; k < 4; k++) {
        int got[6] = {f[k].size_h, f[k].size_w, f[k].jump_h,
                      f[k].jump_w, f[k].start_h, f[k].start_w};
        int same = !f[k].global && memcmp(got, expected[k], sizeof got) == 0;
        if (!ok(same, "layer %d (%s): size %dx%d, jump %dx%d, start %d,%d",
                k, model.layers[k].name, expected[k][0], expected[k][1],
                expected[k][2], expected[k][3], expected[k][4],
                expected[k][5]))
            diag("  got size %dx%d, jump %dx%d, start %d,%d%s", got[0],
                 got[1], got[2], got[3], got[4], got[5],
                 f[k].global ? " (global)" : "");
    }
    ok(f[4].global && f[4].size_h == 32 && f[4].size_w == 24 &&
           f[5].global,
       "globalpool and linear see the whole 32x24 input");

    /* Clipping: conv1 (0, 0) reaches 1 row and 2 columns into the
     * padding: rows [-1, 4) -> [0, 4), columns [-2, 3) -> [0, 3). */
    check_patch(&f[0], 32, 24, 0, 0, 0, 0, 4, 3, "conv1, top-left");
    /* conv1 (29, 11): rows [28, 33) -> [28, 32), columns
     * -2 + 11*2 = 20: [20, 25) -> [20, 24). */
    check_patch(&f[0], 32, 24, 29, 11, 28, 20, 32, 24,
                "conv1, bottom-right");
    /* Inside: (5, 3): rows [4, 9), columns [4, 9), unclipped. */
    check_patch(&f[0], 32, 24, 5, 3, 4, 4, 9, 9, "conv1, inside");
    /* Last conv (0, 0): rows [-2, 16) -> [0, 16), columns [-4, 27) ->
     * [0, 24): clipped on three sides at once. (9, 0): rows
     * -2 + 9*2 = 16: [16, 34) -> [16, 32). */
    check_patch(&f[3], 32, 24, 0, 0, 0, 0, 16, 24, "conv4, top");
    check_patch(&f[3], 32, 24, 9, 0, 16, 0, 32, 24, "conv4, bottom");
    check_patch(&f[5], 32, 24, 0, 0, 0, 0, 32, 24, "linear, global");
    cnn_model_free(&model);
}

/* padding: same pads one zero more after than before for an even span:
 * the field starts at the padding before, and the last output's window
 * reaches the extra zero after; average pooling is a window like max
 * pooling's. Input 10 rows x 9 columns:
 *   conv k[4,3] dil[1,2] same: padding rows 1 before 2 after, columns 2
 *     and 2: rows size 4, start -1; columns size 5, start -2; 10x9 out.
 *   last output (9, 8): rows [8, 12) -> [8, 10), columns [6, 11) ->
 *     [6, 9).
 *   avgpool2d k3 s2 p1: size 4 + 2 = 6 and 5 + 2 = 7, start -1 - 1 = -2
 *     and -2 - 1 = -3, jump 2; 5x5 out. */
static void test_same_padding(struct cnn_registry *registry)
{
    struct cnn_node *node = NULL;
    struct cnn_error err = {0};
    struct cnn_model model;
    memset(&model, 0, sizeof model);
    if (cnn_node_load_string("input: [1, 10, 9]\n"
                             "layers:\n"
                             "  - conv2d: {out: 2, kernel: [4, 3], "
                             "dilation: [1, 2], padding: same}\n"
                             "  - avgpool2d: {kernel: 3, stride: 2, "
                             "padding: 1}\n",
                             "model.yaml", &node, &err) != 0 ||
        build_model(registry, node, &model) < 0) {
        ok(0, "the padding: same model builds");
        diag("%s", err.message);
        cnn_node_free(node);
        return;
    }
    cnn_node_free(node);
    ok(model.layers[0].output.h == 10 && model.layers[0].output.w == 9,
       "padding: same keeps 10x9");
    struct cnn_receptive_field f[2];
    cnn_receptive_fields(model.layers, 2, f);
    ok(!f[0].global && f[0].size_h == 4 && f[0].size_w == 5 &&
           f[0].jump_h == 1 && f[0].jump_w == 1 && f[0].start_h == -1 &&
           f[0].start_w == -2,
       "padding: same: size 4x5, jump 1, start -1,-2 (the padding before)");
    check_patch(&f[0], 10, 9, 9, 8, 8, 6, 10, 9, "same, bottom-right");
    ok(model.layers[1].output.h == 5 && model.layers[1].output.w == 5 &&
           !f[1].global && f[1].size_h == 6 && f[1].size_w == 7 &&
           f[1].jump_h == 2 && f[1].jump_w == 2 && f[1].start_h == -2 &&
           f[1].start_w == -3,
       "avgpool2d k3 s2 p1: 5x5, size 6x7, jump 2, start -2,-3");
    cnn_model_free(&model);
}

/* Layer types made up here: one that keeps positions, one windowed that
 * fills no stride or dilation (0 counts as 1), one without geometry. */
static void identity_geometry(const struct cnn_layer *layer,
                              struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){.kind = CNN_GEOMETRY_IDENTITY};
}

static void bare_window_geometry(const struct cnn_layer *layer,
                                 struct cnn_geometry *g)
{
    (void)layer;
    *g = (struct cnn_geometry){
        .kind = CNN_GEOMETRY_WINDOW, .kernel_h = 3, .kernel_w = 3};
}

static void test_without_plugins(void)
{
    static const struct cnn_layer_type identity = {
        .name = "identity", .geometry = identity_geometry};
    static const struct cnn_layer_type window = {
        .name = "window", .geometry = bare_window_geometry};
    static const struct cnn_layer_type opaque = {.name = "opaque"};
    struct cnn_layer layers[4];
    memset(layers, 0, sizeof layers);
    layers[0].type = &identity;
    layers[0].input = (struct cnn_shape){1, 10, 12};
    layers[1].type = &window;
    layers[2].type = &opaque;
    layers[3].type = &window;
    struct cnn_receptive_field f[4];
    cnn_receptive_fields(layers, 4, f);
    ok(!f[0].global && f[0].size_h == 1 && f[0].jump_h == 1 &&
           f[0].start_h == 0,
       "an identity first layer: each output sees its own pixel");
    ok(!f[1].global && f[1].size_h == 3 && f[1].size_w == 3 &&
           f[1].jump_h == 1 && f[1].jump_w == 1,
       "stride and dilation left 0 count as 1 (size 3, jump 1)");
    ok(f[2].global && f[2].size_h == 10 && f[2].size_w == 12,
       "a layer without geometry counts as global");
    ok(f[3].global, "a window after a global layer stays global");
    f[0].size_h = 99;
    cnn_receptive_fields(layers, 0, f);
    is_int(f[0].size_h, 99, "no layers: nothing written");
}

int main(void)
{
    test_without_plugins();
    const char *srcdir = test_directory("CNNLAB_SRCDIR", "manifests");
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "layers.so") == 1) {
        test_geometry(registry);
        test_same_padding(registry);
        if (srcdir)
            test_part_a_models(registry, srcdir);
    }
    cnn_registry_free(registry);
    return done_testing();
}
