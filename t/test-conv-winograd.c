/* conv2d's Winograd kernels (plugins/layers/conv2d/conv2d_winograd.c: forward and
 * input gradient; conv2d_winograd_weights.c: weight gradient;
 * conv2d_winograd_general.c: the 5x5 transforms) against the direct
 * oneDNN ones and the float64 reference, on random data, 3x3 and 5x5: odd
 * and even sizes, padding 0 to kernel - 1, channel counts that are not
 * multiples of 8, batch 1 and 5, with and without bias and ReLU, tiles
 * cut at the output's edges and samples of several chunks.
 *
 * Tolerance: 1e-5 of the output's scale (its largest |value|, at least 1).
 * F(2x2, 3x3)'s coefficients are 1 and 1/2, and each stage adds at most
 * 4 terms, so its float32 error is of the order of a direct dot product's:
 * a few units of 2^-24 times the sum of |terms|, a sum that for these
 * U(-1, 1) values and at most 40 x 9 terms per output stays within 10x
 * the output scale; measured errors are near 1e-6 of the scale.
 * F(2x2, 5x5)'s coefficients reach 5 and 1/24 and its stages add 6 terms,
 * so its error is several times larger: measured up to 4e-6 of the scale
 * (40 x 25 terms). A wrong tile, channel or transform coefficient errs by
 * O(1).
 *
 * Gradients: 1e-4 of their scale. The weight gradient sums a product
 * over every output position of the batch (up to 5 x 34 x 35 here), so
 * its float32 error grows with that count while its scale grows with its
 * square root: measured errors stay below 1e-6 of the scale for 3x3 and
 * 1e-5 for 5x5, and a wrong transform coefficient or tile errs by O(1).
 *
 * Also: the weights are transformed again after any in-place change (a
 * training step, an ablated filter, a loaded checkpoint), a sample's
 * output does not depend on its batch or on the thread count, `auto`
 * picks the measured rule, the weights that backward uses are those of
 * the step (changed in place after a forward), padding kernel (3 or 5)
 * falls back to oneDNN's backward, and `algorithm: winograd` on a 7x7
 * kernel is refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "layer-reference.h"
#include "tap.h"

#define TOLERANCE 1e-5
/* Gradients come from oneDNN's backward (conv-paths' tolerance). */
#define GRADIENT_TOLERANCE 1e-4

struct conv_case {
    int n, in, h, w, out, p, bias, relu;
    int kernel; /* 3 or 5 */
};

/* The float64 reference's description of case k. */
static struct ref_conv reference_of(const struct conv_case *k)
{
    struct ref_conv c = {k->n, k->in, k->h, k->w, k->out, k->kernel,
                         k->kernel, 1, 1, k->p, k->p, 1, 1, 0, 0, 0, 0};
    ref_conv_output(&c);
    return c;
}

static const struct conv_case cases[] = {
    {1, 16, 9, 9, 12, 1, 1, 1, 3},   /* odd output, one tile cut */
    {5, 19, 10, 7, 10, 0, 0, 0, 3},  /* batch 5, even by odd */
    {5, 3, 8, 8, 5, 1, 1, 0, 3},     /* a first layer's 3 channels */
    {1, 21, 6, 11, 17, 2, 0, 1, 3},  /* padding 2 */
    {2, 9, 34, 35, 8, 1, 1, 1, 3},   /* several chunks per sample */
    {5, 8, 3, 3, 3, 0, 1, 0, 3},     /* a single 1x1 output */
    {2, 40, 13, 13, 33, 1, 1, 1, 3}, /* the best model's conv6 map size */
    /* 5x5: F(2x2, 5x5). */
    {1, 16, 11, 11, 12, 2, 1, 1, 5}, /* odd output, one tile cut */
    {5, 19, 10, 9, 10, 0, 0, 0, 5},  /* batch 5, even by odd */
    {5, 3, 8, 8, 5, 1, 1, 0, 5},     /* a first layer's 3 channels */
    {1, 21, 6, 11, 17, 4, 0, 1, 5},  /* padding 4 */
    {2, 9, 34, 35, 8, 3, 1, 1, 5},   /* several chunks per sample */
    {5, 8, 5, 5, 3, 0, 1, 0, 5},     /* a single 1x1 output */
    {2, 40, 18, 18, 33, 0, 1, 1, 5}, /* the baseline's conv3 map size */
};

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

/* A conv2d layer of case k with the given algorithm, prepared for
 * `batch`, with the parameter values of `like` when not NULL. */
static int layer_make(struct test_layer *t, const struct conv_case *k,
                      const char *algorithm, int batch,
                      const struct test_layer *like)
{
    char out[16], padding[16], kernel[16];
    snprintf(out, sizeof out, "%d", k->out);
    snprintf(padding, sizeof padding, "%d", k->p);
    snprintf(kernel, sizeof kernel, "%d", k->kernel);
    struct cnn_shape input = {k->in, k->h, k->w};
    if (test_layer_make(t, "conv2d", input, "out", out, "kernel", kernel,
                        "padding", padding, "bias",
                        k->bias ? "true" : "false", "activation",
                        k->relu ? "relu" : "none", "algorithm", algorithm,
                        NULL)) {
        diag("  setup: %s", t->err.message);
        return -1;
    }
    if (like)
        memcpy(t->values, like->values, t->parameter_count * sizeof(float));
    return test_layer_prepare(t, batch);
}

static struct check_result compare_reference(const struct test_layer *t,
                                             const struct conv_case *k,
                                             const struct cnn_tensor *x,
                                             const float *y,
                                             const char *what)
{
    struct ref_conv c = reference_of(k);
    size_t count = (size_t)k->n * k->out * c.oh * c.ow;
    double *want = doubles_new(count);
    ref_conv_forward(&c, x->data, t->layer.tensors[0].data,
                     k->bias ? t->layer.tensors[1].data : NULL, k->relu,
                     want);
    struct check_result r = compare(y, want, count, TOLERANCE, what);
    free(want);
    return r;
}

static struct check_result compare_floats(const float *got,
                                          const float *want, size_t count,
                                          const char *what)
{
    double *wide = doubles_new(count);
    for (size_t i = 0; i < count; i++)
        wide[i] = want[i];
    struct check_result r = compare(got, wide, count, TOLERANCE, what);
    free(wide);
    return r;
}

/* Winograd against direct and the reference; then again after changing
 * the weights in place (an ablated filter, then a rescaled tensor). */
static void check_case(const struct conv_case *k)
{
    char label[128], what[256];
    snprintf(label, sizeof label, "%dx%d kernel, n=%d %d->%d %dx%d p=%d%s%s",
             k->kernel, k->kernel, k->n, k->in, k->out, k->h, k->w,
             k->p, k->bias ? " bias" : "", k->relu ? " relu" : "");
    struct test_layer direct, winograd;
    memset(&winograd, 0, sizeof winograd);
    if (layer_make(&direct, k, "direct", k->n, NULL) ||
        layer_make(&winograd, k, "winograd", k->n, &direct)) {
        ok(0, "%s: layers made and prepared", label);
        test_layer_free(&direct);
        test_layer_free(&winograd);
        return;
    }
    struct cnn_shape input = {k->in, k->h, k->w};
    struct cnn_tensor x = tensor_new(k->n, input);
    struct cnn_tensor y_direct = tensor_new(k->n, direct.layer.output);
    struct cnn_tensor y = tensor_new(k->n, direct.layer.output);
    size_t y_count = cnn_tensor_count(&y);
    fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);

    for (int round = 0; round < 3; round++) {
        const char *when = round == 0   ? "first forward"
                           : round == 1 ? "after filter 0 zeroed"
                                        : "after weights scaled by -3";
        if (round == 1) {
            /* What an ablation does: one filter's weights set to 0. */
            memset(winograd.layer.tensors[0].data, 0,
                   (size_t)k->in * 9 * sizeof(float));
            memcpy(direct.values, winograd.values,
                   direct.parameter_count * sizeof(float));
        } else if (round == 2) {
            for (size_t i = 0; i < winograd.parameter_count; i++)
                winograd.values[i] *= -3.0f;
            memcpy(direct.values, winograd.values,
                   direct.parameter_count * sizeof(float));
        }
        int ran = !test_layer_forward(&direct, &x, &y_direct, 0) &&
                  !test_layer_forward(&winograd, &x, &y, 0);
        snprintf(what, sizeof what, "%s, %s: winograd ~ direct", label,
                 when);
        report(ran ? compare_floats(y.data, y_direct.data, y_count, what)
                   : check_not_run(what));
        snprintf(what, sizeof what, "%s, %s: winograd ~ reference", label,
                 when);
        report(ran ? compare_reference(&winograd, k, &x, y.data, what)
                   : check_not_run(what));
    }
    tensor_free(&x);
    tensor_free(&y_direct);
    tensor_free(&y);
    test_layer_free(&direct);
    test_layer_free(&winograd);
}

/* A sample's output is the same bits whether it runs alone or in a batch
 * of 18, on 2 threads or 1: for large samples (chunks of tile rows) and
 * small ones (one chunk each); sample 3 and the last one. */
static void check_independence(const struct conv_case *case_)
{
    enum { BATCH = 18 };
    const struct conv_case k = *case_;
    struct test_layer batch, alone;
    char what[160];
    memset(&alone, 0, sizeof alone);
    if (layer_make(&batch, &k, "winograd", BATCH, NULL) ||
        layer_make(&alone, &k, "winograd", 1, &batch)) {
        ok(0, "independence %dx%d: layers made and prepared", k.h, k.w);
        test_layer_free(&batch);
        test_layer_free(&alone);
        return;
    }
    struct cnn_shape input = {k.in, k.h, k.w};
    struct cnn_tensor x = tensor_new(BATCH, input);
    struct cnn_tensor y = tensor_new(BATCH, batch.layer.output);
    struct cnn_tensor y_one_thread = tensor_new(BATCH, batch.layer.output);
    struct cnn_tensor y_alone = tensor_new(1, batch.layer.output);
    fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);
    size_t x_sample = cnn_shape_size(input);
    size_t y_sample = cnn_shape_size(batch.layer.output);
    int ran = !test_layer_forward(&batch, &x, &y, 0);
    const int samples[] = {3, BATCH - 1};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        int n = samples[i];
        struct cnn_tensor xn = {.n = 1, .shape = input,
                                .device = CNN_DEVICE_CPU,
                                .data = x.data + n * x_sample};
        int ran_alone = ran && !test_layer_forward(&alone, &xn, &y_alone, 0);
        snprintf(what, sizeof what,
                 "%dx%d: sample %d alone == sample %d of a batch of %d", k.h,
                 k.w, n, n, BATCH);
        report(ran_alone ? compare_bits(y_alone.data, y.data + n * y_sample,
                                        y_sample, what)
                         : check_not_run(what));
    }
    harness_context.threads = 1;
    ran = ran && !test_layer_forward(&batch, &x, &y_one_thread, 0);
    harness_context.threads = 2;
    snprintf(what, sizeof what, "%dx%d: 1 thread == 2 threads", k.h, k.w);
    report(ran ? compare_bits(y_one_thread.data, y.data, BATCH * y_sample,
                              what)
               : check_not_run(what));
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&y_alone);
    tensor_free(&y_one_thread);
    test_layer_free(&batch);
    test_layer_free(&alone);
}

/* `auto`: the same bits as winograd from 32 input channels on for 3x3
 * and from 16 for 5x5 (stride 1; plugins/layers/conv2d/conv2d_cpu.c's
 * CONV2D_WINOGRAD_MIN_IN and CONV2D_WINOGRAD5_MIN_IN), as direct below
 * and for other geometries; for training forwards too. */
static void check_auto(void)
{
    static const struct {
        struct conv_case k;
        const char *same_as;
    } rules[] = {
        {{2, 32, 10, 10, 8, 1, 1, 1, 3}, "winograd"},
        {{2, 31, 10, 10, 8, 1, 1, 1, 3}, "direct"},
        {{2, 3, 10, 10, 8, 1, 1, 1, 3}, "direct"},
        {{2, 16, 10, 10, 8, 2, 1, 1, 5}, "winograd"},
        {{2, 15, 10, 10, 8, 2, 1, 1, 5}, "direct"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        const struct conv_case *k = &rules[i].k;
        struct test_layer automatic, other;
        memset(&other, 0, sizeof other);
        char what[128];
        snprintf(what, sizeof what, "auto, %dx%d, %d input channels: %s",
                 k->kernel, k->kernel, k->in, rules[i].same_as);
        if (layer_make(&automatic, k, "auto", k->n, NULL) ||
            layer_make(&other, k, rules[i].same_as, k->n, &automatic)) {
            ok(0, "%s", what);
            test_layer_free(&automatic);
            test_layer_free(&other);
            continue;
        }
        struct cnn_shape input = {k->in, k->h, k->w};
        struct cnn_tensor x = tensor_new(k->n, input);
        struct cnn_tensor y = tensor_new(k->n, automatic.layer.output);
        struct cnn_tensor y_other = tensor_new(k->n, automatic.layer.output);
        fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);
        for (int training = 0; training < 2; training++) {
            char label[160];
            snprintf(label, sizeof label, "%s (%s forward)", what,
                     training ? "training" : "inference");
            int ran = !test_layer_forward(&automatic, &x, &y, training) &&
                      !test_layer_forward(&other, &x, &y_other, training);
            report(ran ? compare_bits(y.data, y_other.data,
                                      cnn_tensor_count(&y), label)
                       : check_not_run(label));
        }
        tensor_free(&x);
        tensor_free(&y);
        tensor_free(&y_other);
        test_layer_free(&automatic);
        test_layer_free(&other);
    }
}

/* Backward after a training forward under `winograd` and `auto` (with 17
 * channels `auto` runs direct, with 33 Winograd), and, after a training
 * forward then an inference forward on new values in the same buffer
 * (which must not leave the training forward's reordered input for a
 * direct backward to reuse), under all three. */
static void check_backward(int in)
{
    const struct conv_case k = {2, in, 9, 8, 11, 1, 1, 1, 3};
    struct ref_conv c = reference_of(&k);
    const char *algorithms[] = {"winograd", "auto", "direct"};
    for (int a = 0; a < 3; a++) {
        struct test_layer t;
        char what[160];
        if (layer_make(&t, &k, algorithms[a], k.n, NULL)) {
            ok(0, "%s: layer made and prepared", algorithms[a]);
            test_layer_free(&t);
            continue;
        }
        struct cnn_shape input = {k.in, k.h, k.w};
        struct cnn_tensor x = tensor_new(k.n, input);
        struct cnn_tensor dx = tensor_new(k.n, input);
        struct cnn_tensor y = tensor_new(k.n, t.layer.output);
        struct cnn_tensor dy = tensor_new(k.n, t.layer.output);
        size_t x_count = cnn_tensor_count(&x);
        size_t y_count = cnn_tensor_count(&y);
        fill_uniform(x.data, x_count, -1.0f, 1.0f);
        fill_uniform(dy.data, y_count, -1.0f, 1.0f);
        int ran = !test_layer_forward(&t, &x, &y, 1);
        if (a > 0) {
            fill_uniform(x.data, x_count, -1.0f, 1.0f);
            ran = ran && !test_layer_forward(&t, &x, &y, 0);
        }
        poison(t.gradients, t.parameter_count);
        ran = ran && !test_layer_backward(&t, &x, &y, &dy, &dx);

        const struct cnn_param_tensor *weight = &t.layer.tensors[0];
        const struct cnn_param_tensor *bias = &t.layer.tensors[1];
        double *want_y = doubles_new(y_count);
        double *masked = doubles_new(y_count);
        double *want_dx = doubles_new(x_count);
        double *want_dw = doubles_new(weight->count);
        double *want_db = doubles_new((size_t)k.out);
        ref_conv_forward(&c, x.data, weight->data, bias->data, 1, want_y);
        ref_relu_mask((int)y_count, y.data, dy.data, masked);
        ref_conv_backward(&c, x.data, weight->data, masked, want_dx, want_dw,
                          want_db);
        snprintf(what, sizeof what, "%s, %d channels: output ~ reference",
                 algorithms[a], in);
        report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
                   : check_not_run(what));
        snprintf(what, sizeof what,
                 "%s, %d channels: input gradient ~ reference", algorithms[a],
                 in);
        report(ran ? compare(dx.data, want_dx, x_count, GRADIENT_TOLERANCE,
                             what)
                   : check_not_run(what));
        snprintf(what, sizeof what,
                 "%s, %d channels: weight gradient ~ reference", algorithms[a],
                 in);
        report(ran ? compare(weight->grad, want_dw, weight->count,
                             GRADIENT_TOLERANCE, what)
                   : check_not_run(what));
        snprintf(what, sizeof what,
                 "%s, %d channels: bias gradient ~ reference", algorithms[a],
                 in);
        report(ran ? compare(bias->grad, want_db, (size_t)k.out,
                             GRADIENT_TOLERANCE, what)
                   : check_not_run(what));
        free(want_y);
        free(masked);
        free(want_dx);
        free(want_dw);
        free(want_db);
        tensor_free(&x);
        tensor_free(&dx);
        tensor_free(&y);
        tensor_free(&dy);
        test_layer_free(&t);
    }
}

/* Winograd's backward (case k, `winograd`) against the float64
 * reference and oneDNN's direct backward, after a training forward; with
 * `change_weights`, the weights are rescaled in place between forward and
 * backward (what no trainer does, but backward must then use them, not
 * the forward's transform). */
static void check_case_backward(const struct conv_case *k, int change_weights)
{
    char label[160], what[256];
    snprintf(label, sizeof label,
             "backward %dx%d kernel, n=%d %d->%d %dx%d p=%d%s%s%s",
             k->kernel, k->kernel, k->n, k->in, k->out, k->h, k->w,
             k->p, k->bias ? " bias" : "", k->relu ? " relu" : "",
             change_weights ? ", weights changed after forward" : "");
    struct test_layer direct, winograd;
    memset(&winograd, 0, sizeof winograd);
    if (layer_make(&direct, k, "direct", k->n, NULL) ||
        layer_make(&winograd, k, "winograd", k->n, &direct)) {
        ok(0, "%s: layers made and prepared", label);
        test_layer_free(&direct);
        test_layer_free(&winograd);
        return;
    }
    struct ref_conv c = reference_of(k);
    struct cnn_shape input = {k->in, k->h, k->w};
    struct cnn_tensor x = tensor_new(k->n, input);
    struct cnn_tensor y = tensor_new(k->n, direct.layer.output);
    struct cnn_tensor dy = tensor_new(k->n, direct.layer.output);
    struct cnn_tensor dx = tensor_new(k->n, input);
    struct cnn_tensor dx_direct = tensor_new(k->n, input);
    size_t x_count = cnn_tensor_count(&x), y_count = cnn_tensor_count(&y);
    fill_uniform(x.data, x_count, -1.0f, 1.0f);
    fill_uniform(dy.data, y_count, -1.0f, 1.0f);

    int ran = !test_layer_forward(&winograd, &x, &y, 1) &&
              !test_layer_forward(&direct, &x, &y, 1);
    if (change_weights) {
        for (size_t i = 0; i < winograd.parameter_count; i++)
            winograd.values[i] *= -3.0f;
        memcpy(direct.values, winograd.values,
               direct.parameter_count * sizeof(float));
    }
    poison(winograd.gradients, winograd.parameter_count);
    ran = ran && !test_layer_backward(&winograd, &x, &y, &dy, &dx) &&
          !test_layer_backward(&direct, &x, &y, &dy, &dx_direct);

    const struct cnn_param_tensor *weight = &winograd.layer.tensors[0];
    double *masked = doubles_new(y_count);
    double *want_dx = doubles_new(x_count);
    double *want_dw = doubles_new(weight->count);
    double *want_db = doubles_new((size_t)k->out);
    if (k->relu) {
        ref_relu_mask((int)y_count, y.data, dy.data, masked);
    } else {
        for (size_t i = 0; i < y_count; i++)
            masked[i] = dy.data[i];
    }
    ref_conv_backward(&c, x.data, weight->data, masked, want_dx, want_dw,
                      want_db);
    snprintf(what, sizeof what, "%s: input gradient ~ reference", label);
    report(ran ? compare(dx.data, want_dx, x_count, GRADIENT_TOLERANCE, what)
               : check_not_run(what));
    snprintf(what, sizeof what, "%s: input gradient ~ direct", label);
    for (size_t i = 0; i < x_count; i++)
        want_dx[i] = dx_direct.data[i];
    report(ran ? compare(dx.data, want_dx, x_count, GRADIENT_TOLERANCE, what)
               : check_not_run(what));
    snprintf(what, sizeof what, "%s: weight gradient ~ reference", label);
    report(ran ? compare(weight->grad, want_dw, weight->count,
                         GRADIENT_TOLERANCE, what)
               : check_not_run(what));
    snprintf(what, sizeof what, "%s: weight gradient ~ direct", label);
    for (size_t i = 0; i < weight->count; i++)
        want_dw[i] = direct.layer.tensors[0].grad[i];
    report(ran ? compare(weight->grad, want_dw, weight->count,
                         GRADIENT_TOLERANCE, what)
               : check_not_run(what));
    if (k->bias) {
        snprintf(what, sizeof what, "%s: bias gradient ~ reference", label);
        report(ran ? compare(winograd.layer.tensors[1].grad, want_db,
                             (size_t)k->out, GRADIENT_TOLERANCE, what)
                   : check_not_run(what));
    }
    free(masked);
    free(want_dx);
    free(want_dw);
    free(want_db);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    tensor_free(&dx_direct);
    test_layer_free(&direct);
    test_layer_free(&winograd);
}

/* The input gradient is computed per sample, so it is the same bits on 1
 * thread as on 2; the weight gradient's sums are split among the threads,
 * so it agrees within the tolerance; a backward without an input gradient
 * (a first layer) gives the same weight gradient. */
static void check_backward_threads(void)
{
    const struct conv_case k = {5, 19, 12, 31, 9, 1, 1, 1, 3};
    struct test_layer t;
    char what[160];
    if (layer_make(&t, &k, "winograd", k.n, NULL)) {
        ok(0, "backward threads: layer made and prepared");
        test_layer_free(&t);
        return;
    }
    struct cnn_shape input = {k.in, k.h, k.w};
    struct cnn_tensor x = tensor_new(k.n, input);
    struct cnn_tensor y = tensor_new(k.n, t.layer.output);
    struct cnn_tensor dy = tensor_new(k.n, t.layer.output);
    struct cnn_tensor dx = tensor_new(k.n, input);
    struct cnn_tensor dx_one = tensor_new(k.n, input);
    size_t x_count = cnn_tensor_count(&x);
    size_t weight_count = t.layer.tensors[0].count;
    float *dw = malloc(weight_count * sizeof *dw);
    double *dw_one = doubles_new(weight_count);
    fill_uniform(x.data, x_count, -1.0f, 1.0f);
    fill_uniform(dy.data, cnn_tensor_count(&dy), -1.0f, 1.0f);
    int ran = dw && !test_layer_forward(&t, &x, &y, 1) &&
              !test_layer_backward(&t, &x, &y, &dy, &dx);
    if (ran)
        memcpy(dw, t.layer.tensors[0].grad, weight_count * sizeof *dw);
    harness_context.threads = 1;
    ran = ran && !test_layer_backward(&t, &x, &y, &dy, &dx_one);
    harness_context.threads = 2;
    for (size_t i = 0; ran && i < weight_count; i++)
        dw_one[i] = t.layer.tensors[0].grad[i];
    snprintf(what, sizeof what, "backward: input gradient, 1 thread == 2");
    report(ran ? compare_bits(dx_one.data, dx.data, x_count, what)
               : check_not_run(what));
    snprintf(what, sizeof what, "backward: weight gradient, 1 thread ~ 2");
    report(ran ? compare(dw, dw_one, weight_count, GRADIENT_TOLERANCE, what)
               : check_not_run(what));
    poison(t.gradients, t.parameter_count);
    ran = ran && !test_layer_backward(&t, &x, &y, &dy, NULL);
    snprintf(what, sizeof what,
             "backward without input gradient: same weight gradient");
    report(ran ? compare_bits(t.layer.tensors[0].grad, dw, weight_count,
                              what)
               : check_not_run(what));
    free(dw);
    free(dw_one);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    tensor_free(&dx_one);
    test_layer_free(&t);
}

static void check_refused(void)
{
    struct test_layer t;
    struct cnn_shape input = {4, 9, 9};
    int status = test_layer_make(&t, "conv2d", input, "out", "2", "kernel",
                                 "7", "algorithm", "winograd", NULL);
    ok(status != 0 &&
           strstr(t.err.message, "winograd needs kernel 3 or 5, stride 1"),
       "algorithm: winograd with kernel 7 is refused, naming what it needs");
    diag("  %s", t.err.message);
    test_layer_free(&t);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i]);
    const struct conv_case large = {5, 19, 12, 31, 9, 1, 1, 1, 3};
    const struct conv_case small = {5, 19, 7, 6, 9, 1, 1, 1, 3};
    const struct conv_case one_tile = {5, 19, 4, 4, 9, 0, 1, 1, 3};
    const struct conv_case small5 = {5, 19, 7, 6, 9, 2, 1, 1, 5};
    check_independence(&large);
    check_independence(&small);
    check_independence(&one_tile);
    check_independence(&small5);
    check_auto();
    check_backward(17);
    check_backward(33);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case_backward(&cases[i], 0);
    check_case_backward(&cases[0], 1);
    check_case_backward(&cases[7], 1);
    /* Padding 3 for 3x3 (or 5 for 5x5): the input gradient would need
     * padding -1; oneDNN's backward runs instead. */
    const struct conv_case wide = {2, 33, 7, 8, 6, 3, 1, 1, 3};
    check_case_backward(&wide, 0);
    const struct conv_case wide5 = {2, 33, 7, 8, 6, 5, 1, 1, 5};
    check_case_backward(&wide5, 0);
    check_backward_threads();
    check_refused();
    harness_finish();
    return done_testing();
}
