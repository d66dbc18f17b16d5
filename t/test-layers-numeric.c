/* The built-in layers' weighted and pooling kernels (conv2d, linear,
 * maxpool2d on oneDNN) against naive float64 references
 * (layer-reference.c) on many shapes: stride, padding, dilation,
 * rectangular and odd sizes, batch 1 and more, bias and fused ReLU on and
 * off; then central-difference gradient checks of L = sum(y .* r) for
 * conv2d, linear, maxpool2d and globalpool.
 *
 * Tolerances: kernels compute in float32, the references in float64.
 * Forward and gradients must agree within 1e-4 relative to the array's
 * largest reference value (at least 1): a dot product of a few hundred
 * float terms carries errors near 1e-6 of its terms' size, so 1e-4 is
 * loose enough for oneDNN's summation order and tight enough to catch any
 * wrong index. Gradient checks (Caffe's GradientChecker) use a step of
 * 1e-2 and a threshold of 1e-2 scaled by max(|analytic|, |numeric|, 1);
 * max pooling gets inputs spaced 0.05 apart so no step reorders a window,
 * and with a fused ReLU an element whose step flips an output's sign is
 * skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "layer-reference.h"
#include "tap.h"

#define TOLERANCE 1e-4
#define GRADIENT_STEP 1e-2f
#define GRADIENT_THRESHOLD 1e-2
/* Elements checked per tensor: enough to cover every code path (borders,
 * padding, strides) while keeping the test to a second or two. */
#define GRADIENT_LIMIT 80

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

struct conv_case {
    int n, in, h, w, out, kh, kw, sh, sw, ph, pw, dh, dw, bias, relu;
    int same; /* padding: same (ph, pw unused): PyTorch's split, with an
                 even span's extra zero after */
};

static void check_conv_case(const struct conv_case *k)
{
    char kernel[32], stride[32], padding[32], dilation[32], out[16];
    char label[160];
    snprintf(out, sizeof out, "%d", k->out);
    snprintf(kernel, sizeof kernel, "[%d, %d]", k->kh, k->kw);
    snprintf(stride, sizeof stride, "[%d, %d]", k->sh, k->sw);
    if (k->same)
        snprintf(padding, sizeof padding, "same");
    else
        snprintf(padding, sizeof padding, "[%d, %d]", k->ph, k->pw);
    snprintf(dilation, sizeof dilation, "[%d, %d]", k->dh, k->dw);
    snprintf(label, sizeof label,
             "conv2d n=%d %dx%dx%d out=%d k=%dx%d s=%dx%d p=%s d=%dx%d%s%s",
             k->n, k->in, k->h, k->w, k->out, k->kh, k->kw, k->sh, k->sw,
             padding, k->dh, k->dw, k->bias ? " bias" : "",
             k->relu ? " relu" : "");

    struct ref_conv c = {k->n, k->in, k->h, k->w, k->out, k->kh, k->kw,
                         k->sh, k->sw, k->ph, k->pw, k->dh, k->dw, 0, 0,
                         0, 0};
    if (k->same) {
        /* PyTorch: the span less one, half (rounded down) before, the
         * rest after. */
        int total_h = k->dh * (k->kh - 1), total_w = k->dw * (k->kw - 1);
        c.ph = total_h / 2;
        c.pw = total_w / 2;
        c.eh = total_h % 2;
        c.ew = total_w % 2;
    }
    ref_conv_output(&c);
    struct test_layer t;
    struct cnn_shape input = {k->in, k->h, k->w};
    if (test_layer_make(&t, "conv2d", input, "out", out, "kernel", kernel,
                        "stride", stride, "padding", padding, "dilation",
                        dilation, "bias", k->bias ? "true" : "false",
                        "activation", k->relu ? "relu" : "none", NULL) ||
        t.layer.output.c != k->out || t.layer.output.h != c.oh ||
        t.layer.output.w != c.ow) {
        ok(0, "%s: setup gives [%d, %d, %d]", label, k->out, c.oh, c.ow);
        diag("  %s; got [%d, %d, %d]", t.err.message, t.layer.output.c,
             t.layer.output.h, t.layer.output.w);
        test_layer_free(&t);
        return;
    }
    const float *weight = t.layer.tensors[0].data;
    const float *bias = k->bias ? t.layer.tensors[1].data : NULL;
    struct cnn_tensor x = tensor_new(k->n, input);
    struct cnn_tensor y = tensor_new(k->n, t.layer.output);
    struct cnn_tensor dy = tensor_new(k->n, t.layer.output);
    struct cnn_tensor dx = tensor_new(k->n, input);
    size_t x_count = cnn_tensor_count(&x), y_count = cnn_tensor_count(&y);
    double *want_y = doubles_new(y_count), *masked = doubles_new(y_count);
    double *want_dx = doubles_new(x_count);
    double *want_dw = doubles_new(t.layer.tensors[0].count);
    double *want_db = doubles_new((size_t)k->out);
    fill_uniform(x.data, x_count, -1.0f, 1.0f);
    fill_uniform(dy.data, y_count, -1.0f, 1.0f);
    ref_conv_forward(&c, x.data, weight, bias, k->relu, want_y);

    char what[256];
    int ran = test_layer_prepare(&t, k->n) == 0 &&
              test_layer_forward(&t, &x, &y, 0) == 0;
    snprintf(what, sizeof what, "%s: inference forward", label);
    report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
               : check_not_run(what));
    ran = ran && test_layer_forward(&t, &x, &y, 1) == 0;
    snprintf(what, sizeof what, "%s: training forward", label);
    report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
               : check_not_run(what));

    /* The reference masks dy with the kernel's own y, as backward does. */
    if (k->relu)
        ref_relu_mask((int)y_count, y.data, dy.data, masked);
    else
        for (size_t i = 0; i < y_count; i++)
            masked[i] = dy.data[i];
    ref_conv_backward(&c, x.data, weight, masked, want_dx, want_dw,
                      bias ? want_db : NULL);
    poison(t.gradients, t.parameter_count);
    poison(dx.data, x_count);
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "%s: input gradient", label);
    report(ran ? compare(dx.data, want_dx, x_count, TOLERANCE, what)
               : check_not_run(what));
    snprintf(what, sizeof what, "%s: weight gradient", label);
    report(ran ? compare(t.layer.tensors[0].grad, want_dw,
                         t.layer.tensors[0].count, TOLERANCE, what)
               : check_not_run(what));
    if (bias) {
        snprintf(what, sizeof what, "%s: bias gradient", label);
        report(ran ? compare(t.layer.tensors[1].grad, want_db,
                             (size_t)k->out, TOLERANCE, what)
                   : check_not_run(what));
    }
    /* The first layer of a model gets dx = NULL: parameters only. */
    poison(t.gradients, t.parameter_count);
    ran = ran && test_layer_backward(&t, &x, &y, &dy, NULL) == 0;
    snprintf(what, sizeof what, "%s: weight gradient without dx", label);
    report(ran ? compare(t.layer.tensors[0].grad, want_dw,
                         t.layer.tensors[0].count, TOLERANCE, what)
               : check_not_run(what));

    free(want_y);
    free(masked);
    free(want_dx);
    free(want_dw);
    free(want_db);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

static void check_conv(void)
{
    static const struct conv_case cases[] = {
        /* n in  h  w out kh kw sh sw ph pw dh dw bias relu same */
        {1, 1, 5, 5, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0},
        {2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        {3, 2, 9, 7, 5, 3, 2, 2, 1, 1, 0, 1, 1, 0, 0, 0},
        {2, 3, 11, 10, 3, 3, 3, 2, 3, 2, 1, 2, 2, 1, 1, 0},
        {1, 4, 7, 7, 6, 5, 5, 1, 1, 2, 2, 1, 1, 0, 1, 0},
        {4, 3, 12, 12, 8, 5, 5, 1, 1, 0, 0, 1, 1, 1, 0, 0},
        {2, 2, 6, 9, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0},
        {2, 1, 10, 10, 2, 4, 4, 3, 3, 1, 1, 1, 2, 0, 1, 0},
        {1, 5, 13, 6, 4, 2, 3, 2, 2, 3, 0, 3, 1, 1, 1, 0},
        /* padding: same. An even kernel (one zero more after), an odd
         * dilated span beside an even one, 32 channels of 3x3 (auto runs
         * Winograd there), kernel 1 (no zeros at all). */
        {2, 3, 8, 7, 4, 4, 4, 1, 1, 0, 0, 1, 1, 1, 0, 1},
        {1, 2, 9, 6, 3, 3, 2, 1, 1, 0, 0, 2, 1, 0, 1, 1},
        {2, 32, 6, 7, 8, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1, 1},
        {1, 3, 5, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_conv_case(&cases[i]);

    /* A few more drawn from the seeded RNG. */
    for (int i = 0; i < 4; i++) {
        struct conv_case k;
        k.n = 1 + (int)cnn_rng_below(&harness_rng, 3);
        k.in = 1 + (int)cnn_rng_below(&harness_rng, 4);
        k.out = 1 + (int)cnn_rng_below(&harness_rng, 6);
        k.kh = 1 + (int)cnn_rng_below(&harness_rng, 4);
        k.kw = 1 + (int)cnn_rng_below(&harness_rng, 4);
        k.sh = 1 + (int)cnn_rng_below(&harness_rng, 3);
        k.sw = 1 + (int)cnn_rng_below(&harness_rng, 3);
        k.ph = (int)cnn_rng_below(&harness_rng, 3);
        k.pw = (int)cnn_rng_below(&harness_rng, 3);
        k.dh = 1 + (int)cnn_rng_below(&harness_rng, 2);
        k.dw = 1 + (int)cnn_rng_below(&harness_rng, 2);
        k.h = k.dh * (k.kh - 1) + 1 + (int)cnn_rng_below(&harness_rng, 9);
        k.w = k.dw * (k.kw - 1) + 1 + (int)cnn_rng_below(&harness_rng, 9);
        k.bias = (int)cnn_rng_below(&harness_rng, 2);
        k.relu = (int)cnn_rng_below(&harness_rng, 2);
        k.same = 0;
        check_conv_case(&k);
    }
}

struct linear_case {
    int n, c, h, w, out, bias, relu;
};

static void check_linear_case(const struct linear_case *k)
{
    char out[16], label[128], what[192];
    snprintf(out, sizeof out, "%d", k->out);
    snprintf(label, sizeof label, "linear n=%d [%d, %d, %d] out=%d%s%s",
             k->n, k->c, k->h, k->w, k->out, k->bias ? " bias" : "",
             k->relu ? " relu" : "");
    struct cnn_shape input = {k->c, k->h, k->w};
    int in = k->c * k->h * k->w;
    struct test_layer t;
    if (test_layer_make(&t, "linear", input, "out", out, "bias",
                        k->bias ? "true" : "false", "activation",
                        k->relu ? "relu" : "none", NULL)) {
        ok(0, "%s: setup", label);
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    const float *weight = t.layer.tensors[0].data;
    const float *bias = k->bias ? t.layer.tensors[1].data : NULL;
    struct cnn_tensor x = tensor_new(k->n, input);
    struct cnn_tensor y = tensor_new(k->n, t.layer.output);
    struct cnn_tensor dy = tensor_new(k->n, t.layer.output);
    struct cnn_tensor dx = tensor_new(k->n, input);
    size_t y_count = cnn_tensor_count(&y);
    double *want_y = doubles_new(y_count), *masked = doubles_new(y_count);
    double *want_dx = doubles_new((size_t)k->n * in);
    double *want_dw = doubles_new((size_t)k->out * in);
    double *want_db = doubles_new((size_t)k->out);
    fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);
    fill_uniform(dy.data, y_count, -1.0f, 1.0f);
    ref_linear_forward(k->n, in, k->out, x.data, weight, bias, k->relu,
                       want_y);

    int ran = test_layer_prepare(&t, k->n) == 0 &&
              test_layer_forward(&t, &x, &y, 1) == 0;
    snprintf(what, sizeof what, "%s: forward", label);
    report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
               : check_not_run(what));
    if (k->relu)
        ref_relu_mask((int)y_count, y.data, dy.data, masked);
    else
        for (size_t i = 0; i < y_count; i++)
            masked[i] = dy.data[i];
    ref_linear_backward(k->n, in, k->out, x.data, weight, masked, want_dx,
                        want_dw, bias ? want_db : NULL);
    poison(t.gradients, t.parameter_count);
    poison(dx.data, cnn_tensor_count(&dx));
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "%s: input gradient", label);
    report(ran ? compare(dx.data, want_dx, (size_t)k->n * in, TOLERANCE, what)
               : check_not_run(what));
    snprintf(what, sizeof what, "%s: weight gradient", label);
    report(ran ? compare(t.layer.tensors[0].grad, want_dw,
                         (size_t)k->out * in, TOLERANCE, what)
               : check_not_run(what));
    if (bias) {
        snprintf(what, sizeof what, "%s: bias gradient", label);
        report(ran ? compare(t.layer.tensors[1].grad, want_db,
                             (size_t)k->out, TOLERANCE, what)
                   : check_not_run(what));
    }
    free(want_y);
    free(masked);
    free(want_dx);
    free(want_dw);
    free(want_db);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

static void check_linear(void)
{
    static const struct linear_case cases[] = {
        {1, 5, 1, 1, 3, 1, 0},  {4, 2, 3, 3, 7, 1, 1},
        {3, 16, 1, 1, 10, 0, 0}, {2, 3, 4, 5, 4, 0, 1},
        {5, 1, 7, 3, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_linear_case(&cases[i]);
}

struct pool_case {
    int n, c, h, w, kh, kw, sh, sw, ph, pw; /* stride 0: the kernel */
};

static void check_pool_case(const struct pool_case *k)
{
    char kernel[32], stride[32], padding[32], label[160], what[224];
    snprintf(kernel, sizeof kernel, "[%d, %d]", k->kh, k->kw);
    snprintf(stride, sizeof stride, "[%d, %d]", k->sh, k->sw);
    snprintf(padding, sizeof padding, "[%d, %d]", k->ph, k->pw);
    snprintf(label, sizeof label,
             "maxpool2d n=%d %dx%dx%d k=%dx%d s=%dx%d p=%dx%d", k->n, k->c,
             k->h, k->w, k->kh, k->kw, k->sh, k->sw, k->ph, k->pw);
    struct ref_pool p = {k->n, k->c, k->h, k->w, k->kh, k->kw,
                         k->sh ? k->sh : k->kh, k->sw ? k->sw : k->kw,
                         k->ph, k->pw, 0, 0};
    ref_pool_output(&p);
    struct cnn_shape input = {k->c, k->h, k->w};
    struct test_layer t;
    if (test_layer_make(&t, "maxpool2d", input, "kernel", kernel, "stride",
                        stride, "padding", padding, NULL) ||
        t.layer.output.h != p.oh || t.layer.output.w != p.ow) {
        ok(0, "%s: setup gives %dx%d", label, p.oh, p.ow);
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor x = tensor_new(k->n, input);
    struct cnn_tensor y = tensor_new(k->n, t.layer.output);
    struct cnn_tensor dy = tensor_new(k->n, t.layer.output);
    struct cnn_tensor dx = tensor_new(k->n, input);
    size_t x_count = cnn_tensor_count(&x), y_count = cnn_tensor_count(&y);
    double *want_y = doubles_new(y_count), *want_dy = doubles_new(y_count);
    double *want_dx = doubles_new(x_count);
    fill_uniform(x.data, x_count, -1.0f, 1.0f);
    fill_uniform(dy.data, y_count, -1.0f, 1.0f);
    for (size_t i = 0; i < y_count; i++)
        want_dy[i] = dy.data[i];
    ref_maxpool_forward(&p, x.data, want_y);
    ref_maxpool_backward(&p, x.data, want_dy, want_dx);

    int ran = test_layer_prepare(&t, k->n) == 0 &&
              test_layer_forward(&t, &x, &y, 0) == 0;
    snprintf(what, sizeof what, "%s: inference forward", label);
    report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
               : check_not_run(what));
    ran = ran && test_layer_forward(&t, &x, &y, 1) == 0;
    snprintf(what, sizeof what, "%s: training forward", label);
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

static void check_pool(void)
{
    static const struct pool_case cases[] = {
        /* n c  h  w kh kw sh sw ph pw */
        {1, 1, 4, 4, 2, 2, 0, 0, 0, 0}, {2, 3, 7, 7, 3, 3, 2, 2, 1, 1},
        {2, 2, 9, 8, 3, 2, 2, 1, 1, 1}, {3, 1, 5, 6, 2, 3, 1, 2, 0, 1},
        {1, 2, 6, 6, 3, 3, 3, 3, 0, 0}, {4, 3, 11, 9, 2, 2, 0, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_pool_case(&cases[i]);
}

/* Builds a layer from NULL-terminated name, value pairs, draws an input
 * (U(-1, 1), or distinct values `spacing` apart) and checks gradients. */
static void check_gradient(const char *what, const char *type, int n,
                           struct cnn_shape input, float spacing, int kinks,
                           const char *const *settings)
{
    struct test_layer t;
    if (test_layer_make_list(&t, type, input, settings) ||
        test_layer_prepare(&t, n)) {
        ok(0, "%s: setup and prepare", what);
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor x = tensor_new(n, input);
    if (spacing > 0.0f)
        fill_distinct(x.data, cnn_tensor_count(&x), spacing);
    else
        fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);
    report(gradient_check(&t, &x, GRADIENT_STEP, GRADIENT_THRESHOLD,
                          GRADIENT_LIMIT, kinks, what));
    tensor_free(&x);
    test_layer_free(&t);
}

static void check_gradients(void)
{
    /* Inputs spaced 0.05 apart: a step of 0.01 never reorders them. */
    const float spaced = 0.05f;
    check_gradient("conv2d gradients (stride, padding, bias, relu)",
                   "conv2d", 2, (struct cnn_shape){2, 7, 6}, 0.0f, 1,
                   (const char *const[]){"out", "3", "kernel", "[3, 2]",
                                         "stride", "[2, 1]", "padding",
                                         "[1, 1]", "activation", "relu",
                                         NULL});
    check_gradient("conv2d gradients (dilation, padding, no bias)", "conv2d",
                   1, (struct cnn_shape){3, 9, 9}, 0.0f, 0,
                   (const char *const[]){"out", "2", "kernel", "3",
                                         "dilation", "2", "padding", "1",
                                         "bias", "false", NULL});
    check_gradient("conv2d gradients (padding: same, even kernel)",
                   "conv2d", 2, (struct cnn_shape){2, 6, 5}, 0.0f, 0,
                   (const char *const[]){"out", "3", "kernel", "[4, 2]",
                                         "padding", "same", NULL});
    check_gradient("linear gradients (bias, relu)", "linear", 3,
                   (struct cnn_shape){4, 2, 2}, 0.0f, 1,
                   (const char *const[]){"out", "5", "activation", "relu",
                                         NULL});
    check_gradient("linear gradients (no bias)", "linear", 2,
                   (struct cnn_shape){6, 1, 1}, 0.0f, 0,
                   (const char *const[]){"out", "4", "bias", "false", NULL});
    check_gradient("maxpool2d gradients (overlapping, padded)", "maxpool2d",
                   2, (struct cnn_shape){2, 7, 7}, spaced, 0,
                   (const char *const[]){"kernel", "3", "stride", "2",
                                         "padding", "1", NULL});
    check_gradient("maxpool2d gradients (default stride)", "maxpool2d", 1,
                   (struct cnn_shape){3, 6, 5}, spaced, 0,
                   (const char *const[]){"kernel", "2", NULL});
    check_gradient("globalpool avg gradients", "globalpool", 2,
                   (struct cnn_shape){3, 5, 4}, 0.0f, 0,
                   (const char *const[]){"mode", "avg", NULL});
    check_gradient("globalpool max gradients", "globalpool", 2,
                   (struct cnn_shape){3, 5, 4}, spaced, 0,
                   (const char *const[]){"mode", "max", NULL});
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    check_conv();
    check_linear();
    check_pool();
    check_gradients();
    harness_finish();
    return done_testing();
}
