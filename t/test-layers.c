/* The built-in layers (plugins/layers.so) on the CPU: registration,
 * PyTorch reprs, output shapes and geometry, shape errors, relu, flatten
 * and global pooling against float64 loops, dropout's masks, and
 * re-preparing for a new batch size. (test-layers-numeric.c checks conv2d,
 * linear and maxpool2d against references and by central differences.)
 *
 * Tolerances: kernels compute in float32, the references in float64.
 * Forward and gradients must agree within 1e-4 relative to the array's
 * largest reference value (at least 1): a dot product of a few hundred
 * float terms carries errors near 1e-6 of its terms' size, so 1e-4 is
 * loose enough for oneDNN's summation order and tight enough to catch any
 * wrong index. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "layer-reference.h"
#include "tap.h"

#define TOLERANCE 1e-4

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

static void check_registry(void)
{
    static const struct {
        const char *name, *prefix, *summary;
    } expected[] = {
        {"conv2d", "conv", "Conv2d"},     {"linear", "fc", "Linear"},
        {"maxpool2d", "pool", "MaxPool2d"}, {"relu", "relu", NULL},
        {"globalpool", "gp", NULL},       {"flatten", "flatten", NULL},
        {"dropout", "dropout", "Dropout"},
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
        const struct cnn_layer_type *type =
            cnn_registry_layer(harness_registry, expected[i].name);
        const struct cnn_layer_kernels *cpu = cnn_registry_layer_kernels(
            harness_registry, expected[i].name, CNN_DEVICE_CPU);
        ok(type && cpu && cpu->forward && cpu->backward && type->setup &&
               type->describe && type->geometry && type->help,
           "%s: type and CPU kernels registered", expected[i].name);
        if (!type)
            continue;
        is_str(type->name_prefix, expected[i].prefix, "%s: name prefix",
               expected[i].name);
        is_str(type->summary_name, expected[i].summary, "%s: summary name",
               expected[i].name);
    }
}

/* Name, value pairs for a layer's parameters, NULL-terminated. */
#define SETTINGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_SETTINGS ((const char *const[]){NULL})

/* One describe() result. */
static void check_describe(const char *expected, const char *type,
                           struct cnn_shape input,
                           const char *const *settings)
{
    struct test_layer t;
    char buf[256] = "";
    if (test_layer_make_list(&t, type, input, settings) == 0)
        t.layer.type->describe(&t.layer, buf, sizeof buf);
    else
        diag("  setup failed: %s", t.err.message);
    is_str(buf, expected, "describe gives %s", expected);
    test_layer_free(&t);
}

static void check_describes(void)
{
    struct cnn_shape rgb = {3, 32, 32};
    check_describe("Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1))",
                   "conv2d", rgb, SETTINGS("out", "8", "kernel", "5"));
    check_describe("Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), "
                   "padding=(1, 1), dilation=(2, 2), bias=False)",
                   "conv2d", rgb,
                   SETTINGS("out", "16", "kernel", "3", "stride", "2",
                            "padding", "1", "dilation", "2", "bias",
                            "false"));
    check_describe("Conv2d(3, 4, kernel_size=(3, 1), stride=(1, 2), "
                   "padding=(0, 2))",
                   "conv2d", rgb,
                   SETTINGS("out", "4", "kernel", "[3, 1]", "stride",
                            "[1, 2]", "padding", "[0, 2]"));
    check_describe("Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))",
                   "conv2d", rgb,
                   SETTINGS("out", "4", "kernel", "3", "activation",
                            "relu"));
    check_describe("Linear(in_features=256, out_features=128, bias=True)",
                   "linear", (struct cnn_shape){16, 4, 4},
                   SETTINGS("out", "128"));
    check_describe("Linear(in_features=10, out_features=3, bias=False)",
                   "linear", (struct cnn_shape){10, 1, 1},
                   SETTINGS("out", "3", "bias", "false"));
    check_describe("MaxPool2d(kernel_size=2, stride=2, padding=0, "
                   "dilation=1, ceil_mode=False)",
                   "maxpool2d", rgb, SETTINGS("kernel", "2"));
    check_describe("MaxPool2d(kernel_size=3, stride=2, padding=1, "
                   "dilation=1, ceil_mode=False)",
                   "maxpool2d", rgb,
                   SETTINGS("kernel", "3", "stride", "2", "padding", "1"));
    check_describe("MaxPool2d(kernel_size=(3, 2), stride=(3, 2), "
                   "padding=(1, 0), dilation=1, ceil_mode=False)",
                   "maxpool2d", rgb,
                   SETTINGS("kernel", "[3, 2]", "padding", "[1, 0]"));
    check_describe("ReLU()", "relu", rgb, NO_SETTINGS);
    check_describe("AdaptiveAvgPool2d(output_size=1)", "globalpool", rgb,
                   NO_SETTINGS);
    check_describe("AdaptiveMaxPool2d(output_size=1)", "globalpool", rgb,
                   SETTINGS("mode", "max"));
    check_describe("Flatten(start_dim=1, end_dim=-1)", "flatten", rgb,
                   NO_SETTINGS);
    check_describe("Dropout(p=0.5, inplace=False)", "dropout", rgb,
                   NO_SETTINGS);
    check_describe("Dropout(p=0.1, inplace=False)", "dropout", rgb,
                   SETTINGS("p", "0.1"));
    check_describe("Dropout(p=1.0, inplace=False)", "dropout", rgb,
                   SETTINGS("p", "1"));
}

/* Output shape and geometry kind of one layer. */
static void check_shape(const char *type, struct cnn_shape input,
                        const char *const *settings,
                        struct cnn_shape expected,
                        enum cnn_geometry_kind kind)
{
    struct test_layer t;
    char described[256] = "";
    int status = test_layer_make_list(&t, type, input, settings);
    struct cnn_shape got = t.layer.output;
    struct cnn_geometry g = {0};
    if (status == 0) {
        t.layer.type->geometry(&t.layer, &g);
        t.layer.type->describe(&t.layer, described, sizeof described);
    }
    if (!ok(status == 0 && got.c == expected.c && got.h == expected.h &&
                got.w == expected.w && g.kind == kind,
            "%s on [%d, %d, %d] gives [%d, %d, %d], geometry %d",
            described[0] ? described : type, input.c, input.h, input.w,
            expected.c, expected.h, expected.w, (int)kind))
        diag("  got [%d, %d, %d], geometry %d%s%s", got.c, got.h, got.w,
             (int)g.kind, status ? "; " : "", status ? t.err.message : "");
    test_layer_free(&t);
}

static void check_shapes(void)
{
    const enum cnn_geometry_kind window = CNN_GEOMETRY_WINDOW;
    const enum cnn_geometry_kind global = CNN_GEOMETRY_GLOBAL;
    const enum cnn_geometry_kind identity = CNN_GEOMETRY_IDENTITY;
    check_shape("conv2d", (struct cnn_shape){3, 32, 32},
                SETTINGS("out", "8", "kernel", "5"),
                (struct cnn_shape){8, 28, 28}, window);
    check_shape("conv2d", (struct cnn_shape){2, 7, 7},
                SETTINGS("out", "4", "kernel", "3", "stride", "2"),
                (struct cnn_shape){4, 3, 3}, window);
    check_shape("conv2d", (struct cnn_shape){2, 7, 8},
                SETTINGS("out", "4", "kernel", "3", "stride", "2", "padding",
                         "1"),
                (struct cnn_shape){4, 4, 4}, window);
    check_shape("conv2d", (struct cnn_shape){1, 5, 5},
                SETTINGS("out", "2", "kernel", "7", "padding", "1"),
                (struct cnn_shape){2, 1, 1}, window);
    check_shape("conv2d", (struct cnn_shape){1, 9, 10},
                SETTINGS("out", "2", "kernel", "3", "dilation", "[2, 2]"),
                (struct cnn_shape){2, 5, 6}, window);
    check_shape("maxpool2d", (struct cnn_shape){6, 28, 28},
                SETTINGS("kernel", "2"), (struct cnn_shape){6, 14, 14},
                window);
    check_shape("maxpool2d", (struct cnn_shape){6, 7, 7},
                SETTINGS("kernel", "3", "stride", "2"),
                (struct cnn_shape){6, 3, 3}, window);
    check_shape("maxpool2d", (struct cnn_shape){2, 7, 8},
                SETTINGS("kernel", "3", "stride", "2", "padding", "1"),
                (struct cnn_shape){2, 4, 4}, window);
    check_shape("maxpool2d", (struct cnn_shape){2, 9, 9},
                SETTINGS("kernel", "[3, 2]", "stride", "[0, 1]"),
                (struct cnn_shape){2, 3, 8}, window);
    check_shape("linear", (struct cnn_shape){16, 4, 4},
                SETTINGS("out", "10"), (struct cnn_shape){10, 1, 1}, global);
    check_shape("globalpool", (struct cnn_shape){7, 5, 3}, NO_SETTINGS,
                (struct cnn_shape){7, 1, 1}, global);
    check_shape("flatten", (struct cnn_shape){7, 5, 3}, NO_SETTINGS,
                (struct cnn_shape){105, 1, 1}, global);
    check_shape("relu", (struct cnn_shape){7, 5, 3}, NO_SETTINGS,
                (struct cnn_shape){7, 5, 3}, identity);
    check_shape("dropout", (struct cnn_shape){7, 5, 3}, NO_SETTINGS,
                (struct cnn_shape){7, 5, 3}, identity);

    struct test_layer t;
    struct cnn_geometry g = {0};
    if (test_layer_make(&t, "conv2d", (struct cnn_shape){3, 20, 20}, "out",
                        "4", "kernel", "[5, 3]", "stride", "[2, 1]",
                        "padding", "[2, 1]", "dilation", "[1, 3]",
                        NULL) == 0)
        t.layer.type->geometry(&t.layer, &g);
    ok(g.kernel_h == 5 && g.kernel_w == 3 && g.stride_h == 2 &&
           g.stride_w == 1 && g.pad_h == 2 && g.pad_w == 1 &&
           g.dilation_h == 1 && g.dilation_w == 3,
       "conv2d geometry gives kernel, stride, padding and dilation");
    test_layer_free(&t);
    memset(&g, 0, sizeof g);
    if (test_layer_make(&t, "maxpool2d", (struct cnn_shape){3, 20, 20},
                        "kernel", "3", "padding", "1", NULL) == 0)
        t.layer.type->geometry(&t.layer, &g);
    ok(g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 3 &&
           g.stride_w == 3 && g.pad_h == 1 && g.pad_w == 1 &&
           g.dilation_h == 1 && g.dilation_w == 1,
       "maxpool2d geometry gives the default stride (the kernel)");
    test_layer_free(&t);
}

/* A setup that must fail, with a message naming the layer and containing
 * each of `needles`. */
static void check_setup_error(const char *what, const char *type,
                              struct cnn_shape input,
                              const char *const *settings,
                              const char *needle1, const char *needle2)
{
    struct test_layer t;
    int status = test_layer_make_list(&t, type, input, settings);
    ok(status != 0, "%s fails", what);
    like(t.err.message, t.layer.name, "%s: the error names the layer", what);
    like(t.err.message, needle1, "%s: the error says %s", what, needle1);
    like(t.err.message, needle2, "%s: the error says %s", what, needle2);
    test_layer_free(&t);
}

static void check_setup_errors(void)
{
    check_setup_error("conv2d kernel 7 on a 5x5 input", "conv2d",
                      (struct cnn_shape){3, 5, 5},
                      SETTINGS("out", "8", "kernel", "7"), "[3, 5, 5]",
                      "largest kernel that fits is (5, 5)");
    check_setup_error("conv2d kernel 3 dilation 3 on a 5x5 input", "conv2d",
                      (struct cnn_shape){1, 5, 5},
                      SETTINGS("out", "2", "kernel", "3", "dilation", "3"),
                      "(2, 2)", "padding (1, 1)");
    check_setup_error("conv2d kernel [2, 9] on a 6x6 input", "conv2d",
                      (struct cnn_shape){1, 6, 6},
                      SETTINGS("out", "2", "kernel", "[2, 9]"), "6x6",
                      "largest kernel that fits is (6, 6)");
    check_setup_error("maxpool2d kernel 6 on a 4x4 input", "maxpool2d",
                      (struct cnn_shape){1, 4, 4}, SETTINGS("kernel", "6"),
                      "4x4", "largest kernel that fits is (4, 4)");
    check_setup_error("maxpool2d padding 2 with kernel 3", "maxpool2d",
                      (struct cnn_shape){1, 9, 9},
                      SETTINGS("kernel", "3", "padding", "2"),
                      "more than half the kernel", "at most (1, 1)");
}

static void check_globalpool_case(int n, int c, int h, int w, int max)
{
    char label[96], what[160];
    snprintf(label, sizeof label, "globalpool %s n=%d %dx%dx%d",
             max ? "max" : "avg", n, c, h, w);
    struct cnn_shape input = {c, h, w};
    struct test_layer t;
    if (test_layer_make(&t, "globalpool", input, "mode", max ? "max" : "avg",
                        NULL)) {
        ok(0, "%s: setup", label);
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor x = tensor_new(n, input);
    struct cnn_tensor y = tensor_new(n, t.layer.output);
    struct cnn_tensor dy = tensor_new(n, t.layer.output);
    struct cnn_tensor dx = tensor_new(n, input);
    size_t x_count = cnn_tensor_count(&x), y_count = cnn_tensor_count(&y);
    double *want_y = doubles_new(y_count), *want_dy = doubles_new(y_count);
    double *want_dx = doubles_new(x_count);
    fill_uniform(x.data, x_count, -1.0f, 1.0f);
    fill_uniform(dy.data, y_count, -1.0f, 1.0f);
    for (size_t i = 0; i < y_count; i++)
        want_dy[i] = dy.data[i];
    ref_globalpool_forward(n, c, h, w, max, x.data, want_y);
    ref_globalpool_backward(n, c, h, w, max, x.data, want_dy, want_dx);
    int ran = test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y, 1) == 0;
    snprintf(what, sizeof what, "%s: forward", label);
    report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
               : check_not_run(what));
    poison(dx.data, x_count);
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "%s: input gradient", label);
    report(ran ? compare(dx.data, want_dx, x_count, TOLERANCE, what)
               : check_not_run(what));
    free(want_y);
    free(want_dy);
    free(want_dx);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

/* relu and flatten against the obvious loops. */
static void check_elementwise(void)
{
    struct cnn_shape input = {3, 5, 4};
    int n = 2;
    struct test_layer relu, flatten;
    struct cnn_tensor x = tensor_new(n, input), y = tensor_new(n, input);
    struct cnn_tensor dy = tensor_new(n, input), dx = tensor_new(n, input);
    size_t count = cnn_tensor_count(&x);
    double *want = doubles_new(count), *want_dx = doubles_new(count);
    fill_uniform(x.data, count, -1.0f, 1.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);

    int made = test_layer_make(&relu, "relu", input, NULL) == 0;
    for (size_t i = 0; i < count; i++)
        want[i] = x.data[i] > 0.0f ? x.data[i] : 0.0;
    int ran = made && test_layer_prepare(&relu, n) == 0 &&
              test_layer_forward(&relu, &x, &y, 1) == 0;
    report(ran ? compare(y.data, want, count, 0.0, "relu forward")
               : check_not_run("relu forward"));
    if (ran) {
        float original = x.data[0];
        x.data[0] = NAN;
        ran = test_layer_forward(&relu, &x, &y, 1) == 0;
        ok(ran && isnan(y.data[0]), "relu passes NaN through, as PyTorch");
        x.data[0] = original;
        ran = ran && test_layer_forward(&relu, &x, &y, 1) == 0;
    }
    ref_relu_mask((int)count, y.data, dy.data, want_dx);
    ran = ran && test_layer_backward(&relu, &x, &y, &dy, &dx) == 0;
    report(ran ? compare(dx.data, want_dx, count, 0.0, "relu backward")
               : check_not_run("relu backward"));
    test_layer_free(&relu);

    made = test_layer_make(&flatten, "flatten", input, NULL) == 0;
    struct cnn_tensor flat = tensor_new(n, flatten.layer.output);
    flat.shape = (struct cnn_shape){60, 1, 1};
    ran = made && test_layer_prepare(&flatten, n) == 0 &&
          test_layer_forward(&flatten, &x, &flat, 1) == 0;
    ok(ran && memcmp(flat.data, x.data, count * sizeof(float)) == 0,
       "flatten forward copies the data");
    fill_constant(dx.data, count, 0.0f);
    int status = flatten.kernels->backward(&harness_context, &flatten.layer,
                                           &x, &flat, &dy, &dx,
                                           &flatten.err);
    ok(status != 0, "flatten backward rejects a gradient of the wrong "
       "shape");
    like(flatten.err.message, "[60, 1, 1]", "the error gives the right "
         "shape");
    struct cnn_tensor flat_dy = dy;
    flat_dy.shape = flatten.layer.output;
    ran = test_layer_backward(&flatten, &x, &flat, &flat_dy, &dx) == 0;
    ok(ran && memcmp(dx.data, dy.data, count * sizeof(float)) == 0,
       "flatten backward copies the gradient");
    test_layer_free(&flatten);
    tensor_free(&flat);
    free(want);
    free(want_dx);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
}

/* Dropout: identity in evaluation; in training a reproducible mask that
 * zeroes about p of the values, scales the rest and is reused backward. */
static void check_dropout(void)
{
    struct cnn_shape input = {4, 16, 16};
    int n = 8;
    const double p = 0.3;
    struct test_layer t;
    struct cnn_tensor x = tensor_new(n, input), y = tensor_new(n, input);
    struct cnn_tensor again = tensor_new(n, input);
    struct cnn_tensor dy = tensor_new(n, input), dx = tensor_new(n, input);
    size_t count = cnn_tensor_count(&x);
    /* Inputs away from 0, so a zero in y can only come from the mask. */
    fill_uniform(x.data, count, 0.5f, 1.5f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    int made = test_layer_make(&t, "dropout", input, "p", "0.3", NULL) == 0;
    t.layer.index = 2;
    harness_context.step = 5;

    int ran = made && test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y, 0) == 0;
    ok(ran && memcmp(y.data, x.data, count * sizeof(float)) == 0,
       "dropout: evaluation forward is the identity");
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    ok(ran && memcmp(dx.data, dy.data, count * sizeof(float)) == 0,
       "dropout: backward after an evaluation forward is the identity");

    ran = ran && test_layer_forward(&t, &x, &y, 1) == 0;
    size_t zeros = 0, wrong_scale = 0;
    for (size_t i = 0; ran && i < count; i++) {
        if (y.data[i] == 0.0f)
            zeros++;
        else if (fabs(y.data[i] - x.data[i] / (1.0 - p)) >
                 1e-6 * x.data[i] / (1.0 - p))
            wrong_scale++;
    }
    /* 8192 draws: the zero fraction's standard deviation is 0.005, so
     * 0.03 is six of them. */
    double fraction = (double)zeros / (double)count;
    ok(ran && fabs(fraction - p) < 0.03,
       "dropout: training zeroes %.3f of the values (p = %.1f)", fraction, p);
    ok(ran && wrong_scale == 0,
       "dropout: kept values are scaled by 1/(1-p) (%zu wrong)",
       wrong_scale);

    ran = ran && test_layer_forward(&t, &x, &again, 1) == 0;
    ok(ran && memcmp(y.data, again.data, count * sizeof(float)) == 0,
       "dropout: the same seed, step and layer give the same mask");
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    size_t wrong_gradient = 0;
    for (size_t i = 0; ran && i < count; i++) {
        double want = y.data[i] == 0.0f ? 0.0 : dy.data[i] / (1.0 - p);
        if (fabs(dx.data[i] - want) > 1e-6 * fabs(want))
            wrong_gradient++;
    }
    ok(ran && wrong_gradient == 0,
       "dropout: backward applies the forward's mask (%zu wrong)",
       wrong_gradient);

    harness_context.step = 6;
    ran = ran && test_layer_forward(&t, &x, &again, 1) == 0;
    ok(ran && memcmp(y.data, again.data, count * sizeof(float)) != 0,
       "dropout: the next step draws another mask");
    harness_context.step = 5;
    t.layer.index = 3;
    ran = ran && test_layer_forward(&t, &x, &again, 1) == 0;
    ok(ran && memcmp(y.data, again.data, count * sizeof(float)) != 0,
       "dropout: another layer draws another mask");
    t.layer.index = 2;
    harness_context.seed++;
    ran = ran && test_layer_forward(&t, &x, &again, 1) == 0;
    ok(ran && memcmp(y.data, again.data, count * sizeof(float)) != 0,
       "dropout: another seed draws another mask");
    harness_context.seed--;
    test_layer_free(&t);

    /* p = 1 drops everything (no 1/0); p = 0 keeps everything. */
    made = test_layer_make(&t, "dropout", input, "p", "1", NULL) == 0;
    ran = made && test_layer_prepare(&t, n) == 0 &&
          test_layer_forward(&t, &x, &y, 1) == 0 &&
          test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    size_t nonzero = 0;
    for (size_t i = 0; ran && i < count; i++)
        nonzero += y.data[i] != 0.0f || dx.data[i] != 0.0f;
    ok(ran && nonzero == 0, "dropout p=1: output and gradient are all zero");
    test_layer_free(&t);
    made = test_layer_make(&t, "dropout", input, "p", "0", NULL) == 0;
    ran = made && test_layer_prepare(&t, n) == 0 &&
          test_layer_forward(&t, &x, &y, 1) == 0;
    ok(ran && memcmp(y.data, x.data, count * sizeof(float)) == 0,
       "dropout p=0: training is the identity");
    test_layer_free(&t);

    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&again);
    tensor_free(&dy);
    tensor_free(&dx);
}

/* One conv2d (kernel 3, padding 1, bias) forward + backward at batch n
 * against the reference. */
static void check_conv_at_batch(struct test_layer *t, int n)
{
    struct cnn_shape input = t->layer.input;
    struct ref_conv c = {n, input.c, input.h, input.w, t->layer.output.c,
                         3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    ref_conv_output(&c);
    struct cnn_tensor x = tensor_new(n, input), dx = tensor_new(n, input);
    struct cnn_tensor y = tensor_new(n, t->layer.output);
    struct cnn_tensor dy = tensor_new(n, t->layer.output);
    size_t x_count = cnn_tensor_count(&x), y_count = cnn_tensor_count(&y);
    double *want_y = doubles_new(y_count), *want_dy = doubles_new(y_count);
    double *want_dx = doubles_new(x_count);
    double *want_dw = doubles_new(t->layer.tensors[0].count);
    double *want_db = doubles_new((size_t)c.out);
    fill_uniform(x.data, x_count, -1.0f, 1.0f);
    fill_uniform(dy.data, y_count, -1.0f, 1.0f);
    for (size_t i = 0; i < y_count; i++)
        want_dy[i] = dy.data[i];
    ref_conv_forward(&c, x.data, t->layer.tensors[0].data,
                     t->layer.tensors[1].data, 0, want_y);
    ref_conv_backward(&c, x.data, t->layer.tensors[0].data, want_dy, want_dx,
                      want_dw, want_db);
    char what[96];
    int ran = test_layer_prepare(t, n) == 0 &&
              test_layer_forward(t, &x, &y, 1) == 0;
    snprintf(what, sizeof what, "conv2d re-prepared for batch %d: forward",
             n);
    report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
               : check_not_run(what));
    ran = ran && test_layer_backward(t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what,
             "conv2d re-prepared for batch %d: weight gradient", n);
    report(ran ? compare(t->layer.tensors[0].grad, want_dw,
                         t->layer.tensors[0].count, TOLERANCE, what)
               : check_not_run(what));
    snprintf(what, sizeof what,
             "conv2d re-prepared for batch %d: input gradient", n);
    report(ran ? compare(dx.data, want_dx, x_count, TOLERANCE, what)
               : check_not_run(what));
    free(want_y);
    free(want_dy);
    free(want_dx);
    free(want_dw);
    free(want_db);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
}

static void check_batch_change(void)
{
    struct test_layer t;
    struct cnn_shape input = {2, 6, 5};
    if (test_layer_make(&t, "conv2d", input, "out", "3", "kernel", "3",
                        "padding", "1", NULL)) {
        ok(0, "conv2d for batch changes: setup");
        test_layer_free(&t);
        return;
    }
    static const int batches[] = {2, 5, 1, 2};
    for (size_t i = 0; i < sizeof batches / sizeof *batches; i++)
        check_conv_at_batch(&t, batches[i]);

    /* A batch the layer was not prepared for is an error, not a read past
     * the end of a buffer. */
    struct cnn_tensor x = tensor_new(3, input);
    struct cnn_tensor y = tensor_new(3, t.layer.output);
    fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);
    int status = t.kernels->forward(&harness_context, &t.layer, &x, &y, 1,
                                    &t.err);
    ok(status != 0,
       "conv2d forward on a batch it was not prepared for fails");
    like(t.err.message, "prepare", "the error says to call prepare");
    like(t.err.message, t.layer.name, "the error names the layer");
    tensor_free(&x);
    tensor_free(&y);
    test_layer_free(&t);

    /* Pooling's workspace and dropout's mask follow the batch too. */
    static const char *const types[] = {"maxpool2d", "dropout"};
    for (size_t i = 0; i < 2; i++) {
        int made = i == 0 ? test_layer_make(&t, types[i], input, "kernel",
                                            "2", NULL)
                          : test_layer_make(&t, types[i], input, NULL);
        int ran = made == 0;
        for (int n = 1; ran && n <= 6; n += 5) {
            struct cnn_tensor in = tensor_new(n, input);
            struct cnn_tensor out = tensor_new(n, t.layer.output);
            struct cnn_tensor grad = tensor_new(n, input);
            fill_uniform(in.data, cnn_tensor_count(&in), -1.0f, 1.0f);
            fill_uniform(out.data, cnn_tensor_count(&out), -1.0f, 1.0f);
            ran = test_layer_prepare(&t, n) == 0 &&
                  test_layer_forward(&t, &in, &out, 1) == 0 &&
                  test_layer_backward(&t, &in, &out, &out, &grad) == 0;
            tensor_free(&in);
            tensor_free(&out);
            tensor_free(&grad);
        }
        ok(ran, "%s runs after re-preparing from batch 1 to 6", types[i]);
        test_layer_free(&t);
    }
}

/* Max pooling's backward after an inference forward (gradients of a
 * model in evaluation mode, as the attribution analyses take them) finds
 * the maxima again and gives the same bits as after a training forward:
 * the 2x2 path, a padded 3/2 window, and planes full of ties (the first
 * maximum wins in both) and with -0 and NaN (which the inference forward
 * handles on another path). */
static void check_maxpool_after_inference(const char *what,
                                          const char *const *settings,
                                          int ties)
{
    struct test_layer t;
    struct cnn_shape input = {3, 9, 10};
    int n = 2;
    int ran = test_layer_make_list(&t, "maxpool2d", input, settings) == 0;
    struct cnn_tensor x = tensor_new(n, input);
    struct cnn_tensor y = tensor_new(n, t.layer.output);
    struct cnn_tensor dy = tensor_new(n, t.layer.output);
    struct cnn_tensor trained = tensor_new(n, input);
    struct cnn_tensor inferred = tensor_new(n, input);
    size_t count = cnn_tensor_count(&x);
    fill_uniform(x.data, count, -1.0f, 1.0f);
    for (size_t i = 0; ties && i < count; i++)
        x.data[i] = i % 7 == 0 ? NAN : i % 3 == 0 ? -0.0f
                                                  : (float)(i % 2);
    fill_uniform(dy.data, cnn_tensor_count(&dy), -1.0f, 1.0f);
    poison(inferred.data, count);
    ran = ran && test_layer_prepare(&t, n) == 0 &&
          test_layer_forward(&t, &x, &y, 1) == 0 &&
          test_layer_backward(&t, &x, &y, &dy, &trained) == 0 &&
          test_layer_forward(&t, &x, &y, 0) == 0 &&
          test_layer_backward(&t, &x, &y, &dy, &inferred) == 0;
    report(ran ? compare_bits(inferred.data, trained.data, count, what)
               : check_not_run(what));
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&trained);
    tensor_free(&inferred);
    test_layer_free(&t);
}

static void check_maxpool_inference_backward(void)
{
    static const char *const k2[] = {"kernel", "2", NULL};
    static const char *const k3[] = {"kernel", "3", "stride", "2",
                                     "padding", "1", NULL};
    check_maxpool_after_inference("maxpool2d 2x2: backward after an "
                                  "inference forward", k2, 0);
    check_maxpool_after_inference("maxpool2d 3/2 padded: backward after an "
                                  "inference forward", k3, 0);
    check_maxpool_after_inference("maxpool2d 3/2 padded, ties, -0 and NaN: "
                                  "backward after an inference forward",
                                  k3, 1);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    check_registry();
    check_describes();
    check_shapes();
    check_setup_errors();
    check_globalpool_case(1, 3, 5, 4, 0);
    check_globalpool_case(3, 2, 7, 7, 1);
    check_globalpool_case(2, 4, 1, 1, 1);
    check_elementwise();
    check_dropout();
    check_batch_change();
    check_maxpool_inference_backward();
    harness_finish();
    return done_testing();
}
