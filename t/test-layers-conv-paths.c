/* conv2d's code paths from the blocked-layout work (plugins/layers/
 * conv2d.c, weighted.c): the reordered input and weights that a training
 * forward keeps for its backward, reused only while the pointers match,
 * and the layouts oneDNN picks for few or odd channel counts (plain input
 * and gemm backward weights for a first layer on 1 or 3 channels, channel
 * counts that are not a multiple of the block of 8).
 *
 * Every backward that departs from the usual training forward -> backward
 * (after an inference forward, on another x buffer, after an in-place
 * weight update) must give the same bits as that usual flow run on the
 * same values: the kernels are deterministic, so any difference means a
 * stale cached reorder. Each result is also compared with the float64
 * reference (layer-reference.c) within 1e-4 relative to the array's
 * largest reference value (at least 1), the tolerance of
 * test-layers-numeric.c: float32 dot products of a few hundred terms err
 * near 1e-6 of their terms' size, and a wrong index errs by O(1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "layer-reference.h"
#include "tap.h"

#define TOLERANCE 1e-4

/* A regression this guards: a backward on an x other than the training
 * forward's reorders it into the forward's kept input buffer; the layer
 * must then no longer treat that buffer as the forward's x. */

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

struct conv_case {
    int n, in, h, w, out, k, s, p, d, bias, relu;
};

/* A conv2d layer with its tensors: x and other_x (a second input of the
 * same shape, different values), y, dy, dx. */
struct conv_fixture {
    struct conv_case k;
    struct test_layer t;
    struct ref_conv c;
    struct cnn_tensor x, other_x, y, dy, dx;
    size_t x_count, y_count;
    char label[128];
};

static int fixture_make(struct conv_fixture *f, const struct conv_case *k)
{
    char out[16], kernel[16], stride[16], padding[16], dilation[16];
    memset(f, 0, sizeof *f);
    f->k = *k;
    snprintf(out, sizeof out, "%d", k->out);
    snprintf(kernel, sizeof kernel, "%d", k->k);
    snprintf(stride, sizeof stride, "%d", k->s);
    snprintf(padding, sizeof padding, "%d", k->p);
    snprintf(dilation, sizeof dilation, "%d", k->d);
    snprintf(f->label, sizeof f->label,
             "conv2d n=%d %d->%d %dx%d k=%d s=%d p=%d d=%d%s%s", k->n,
             k->in, k->out, k->h, k->w, k->k, k->s, k->p, k->d,
             k->bias ? " bias" : "", k->relu ? " relu" : "");
    f->c = (struct ref_conv){k->n, k->in, k->h, k->w, k->out, k->k, k->k,
                             k->s, k->s, k->p, k->p, k->d, k->d, 0, 0, 0, 0};
    struct cnn_shape input = {k->in, k->h, k->w};
    if (!ref_conv_output(&f->c) ||
        test_layer_make(&f->t, "conv2d", input, "out", out, "kernel",
                        kernel, "stride", stride, "padding", padding,
                        "dilation", dilation, "bias",
                        k->bias ? "true" : "false", "activation",
                        k->relu ? "relu" : "none", NULL) ||
        test_layer_prepare(&f->t, k->n)) {
        ok(0, "%s: setup and prepare", f->label);
        diag("  %s", f->t.err.message);
        test_layer_free(&f->t);
        return -1;
    }
    f->x = tensor_new(k->n, input);
    f->other_x = tensor_new(k->n, input);
    f->dx = tensor_new(k->n, input);
    f->y = tensor_new(k->n, f->t.layer.output);
    f->dy = tensor_new(k->n, f->t.layer.output);
    f->x_count = cnn_tensor_count(&f->x);
    f->y_count = cnn_tensor_count(&f->y);
    fill_uniform(f->x.data, f->x_count, -1.0f, 1.0f);
    fill_uniform(f->other_x.data, f->x_count, -1.0f, 1.0f);
    fill_uniform(f->dy.data, f->y_count, -1.0f, 1.0f);
    return 0;
}

static void fixture_free(struct conv_fixture *f)
{
    tensor_free(&f->x);
    tensor_free(&f->other_x);
    tensor_free(&f->y);
    tensor_free(&f->dy);
    tensor_free(&f->dx);
    test_layer_free(&f->t);
}

/* What a backward produced: dx (NULL when not asked for) and every
 * parameter gradient. */
struct outcome {
    float *dx, *gradients;
};

static struct outcome outcome_take(const struct conv_fixture *f, int with_dx)
{
    struct outcome o = {NULL, NULL};
    size_t params = f->t.parameter_count;
    o.gradients = malloc(params * sizeof(float));
    o.dx = with_dx ? malloc(f->x_count * sizeof(float)) : NULL;
    if (!o.gradients || (with_dx && !o.dx)) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memcpy(o.gradients, f->t.gradients, params * sizeof(float));
    if (with_dx)
        memcpy(o.dx, f->dx.data, f->x_count * sizeof(float));
    return o;
}

static void outcome_free(struct outcome *o)
{
    free(o->dx);
    free(o->gradients);
}

/* Backward on x with the forward's output `y` (whose signs mask dy under
 * a fused ReLU), into freshly poisoned gradient buffers. */
static int run_backward(struct conv_fixture *f, const struct cnn_tensor *x,
                        const struct cnn_tensor *y, int with_dx)
{
    poison(f->t.gradients, f->t.parameter_count);
    poison(f->dx.data, f->x_count);
    return test_layer_backward(&f->t, x, y, &f->dy, with_dx ? &f->dx : NULL);
}

/* The usual step on input x: training forward into f->y, then backward. */
static int usual_flow(struct conv_fixture *f, const struct cnn_tensor *x,
                      int with_dx)
{
    return test_layer_forward(&f->t, x, &f->y, 1) ||
           run_backward(f, x, &f->y, with_dx);
}

/* Checks the forward output in f->y (when `forward`) and the gradients
 * (dx when with_dx) against the reference on input x with the layer's
 * current weights, dy masked by the signs of `mask_y`. */
static void check_reference(struct conv_fixture *f, const float *x,
                            const float *mask_y, int forward, int with_dx,
                            int ran, const char *flow)
{
    const struct cnn_param_tensor *weight = &f->t.layer.tensors[0];
    const struct cnn_param_tensor *bias =
        f->k.bias ? &f->t.layer.tensors[1] : NULL;
    double *want_y = doubles_new(f->y_count);
    double *masked = doubles_new(f->y_count);
    double *want_dx = doubles_new(f->x_count);
    double *want_dw = doubles_new(weight->count);
    double *want_db = doubles_new((size_t)f->k.out);
    char what[256];
    if (f->k.relu)
        ref_relu_mask((int)f->y_count, mask_y, f->dy.data, masked);
    else
        for (size_t i = 0; i < f->y_count; i++)
            masked[i] = f->dy.data[i];
    ref_conv_backward(&f->c, x, weight->data, masked, want_dx, want_dw,
                      bias ? want_db : NULL);
    if (forward) {
        ref_conv_forward(&f->c, x, weight->data, bias ? bias->data : NULL,
                         f->k.relu, want_y);
        snprintf(what, sizeof what, "%s, %s: output ~ reference", f->label,
                 flow);
        report(ran ? compare(f->y.data, want_y, f->y_count, TOLERANCE, what)
                   : check_not_run(what));
    }
    if (with_dx) {
        snprintf(what, sizeof what, "%s, %s: input gradient ~ reference",
                 f->label, flow);
        report(ran ? compare(f->dx.data, want_dx, f->x_count, TOLERANCE,
                             what)
                   : check_not_run(what));
    }
    snprintf(what, sizeof what, "%s, %s: weight gradient ~ reference",
             f->label, flow);
    report(ran ? compare(weight->grad, want_dw, weight->count, TOLERANCE,
                         what)
               : check_not_run(what));
    if (bias) {
        snprintf(what, sizeof what, "%s, %s: bias gradient ~ reference",
                 f->label, flow);
        report(ran ? compare(bias->grad, want_db, (size_t)f->k.out,
                             TOLERANCE, what)
                   : check_not_run(what));
    }
    free(want_y);
    free(masked);
    free(want_dx);
    free(want_dw);
    free(want_db);
}

/* The current gradients (and dx when with_dx) against an earlier run's. */
static void check_same_bits(const struct conv_fixture *f,
                            const struct outcome *usual, int with_dx,
                            int ran, const char *flow)
{
    char what[256];
    if (with_dx) {
        snprintf(what, sizeof what,
                 "%s, %s: input gradient is the usual flow's, bit for bit",
                 f->label, flow);
        report(ran ? compare_bits(f->dx.data, usual->dx, f->x_count, what)
                   : check_not_run(what));
    }
    snprintf(what, sizeof what,
             "%s, %s: parameter gradients are the usual flow's, bit for bit",
             f->label, flow);
    report(ran ? compare_bits(f->t.gradients, usual->gradients,
                              f->t.parameter_count, what)
               : check_not_run(what));
}

/* The kept reorders: backward after an inference forward, on another x
 * buffer, and after the weights changed in place. */
static void check_kept_reorders(const struct conv_case *k)
{
    struct conv_fixture f;
    if (fixture_make(&f, k))
        return;
    struct cnn_tensor usual_y = tensor_new(k->n, f.t.layer.output);
    struct cnn_tensor copy_x = tensor_new(k->n, f.t.layer.input);
    struct cnn_tensor scratch_y = tensor_new(k->n, f.t.layer.output);
    size_t y_bytes = f.y_count * sizeof(float);
    memcpy(copy_x.data, f.x.data, f.x_count * sizeof(float));

    /* The usual flow on x, and on other_x (masked by x's output, so that
     * the two differ only in x). */
    int ran = usual_flow(&f, &f.x, 1) == 0;
    check_reference(&f, f.x.data, f.y.data, 1, 1, ran, "usual flow");
    memcpy(usual_y.data, f.y.data, y_bytes);
    struct outcome usual = outcome_take(&f, 1);
    int other_ran = test_layer_forward(&f.t, &f.other_x, &scratch_y, 1) == 0 &&
                    run_backward(&f, &f.other_x, &usual_y, 1) == 0;
    struct outcome usual_other = outcome_take(&f, 1);

    /* An inference forward of x after a training forward of other_x:
     * what the training forward kept is other_x's. */
    ran = test_layer_forward(&f.t, &f.other_x, &scratch_y, 1) == 0 &&
          test_layer_forward(&f.t, &f.x, &f.y, 0) == 0 &&
          run_backward(&f, &f.x, &usual_y, 1) == 0;
    check_reference(&f, f.x.data, usual_y.data, 1, 1, ran,
                    "inference forward of x, backward");
    check_same_bits(&f, &usual, 1, ran, "inference forward of x, backward");

    /* A training forward of x, then an inference forward of other_x:
     * the buffers now hold other_x, and backward on x must see x. */
    ran = test_layer_forward(&f.t, &f.x, &f.y, 1) == 0 &&
          test_layer_forward(&f.t, &f.other_x, &scratch_y, 0) == 0 &&
          run_backward(&f, &f.x, &usual_y, 1) == 0;
    check_same_bits(&f, &usual, 1, ran,
                    "training forward of x, inference of other x, backward");

    /* Backward given a copy of x in another buffer: nothing kept serves,
     * the copy is reordered afresh. */
    ran = test_layer_forward(&f.t, &f.x, &f.y, 1) == 0 &&
          run_backward(&f, &copy_x, &usual_y, 1) == 0;
    check_same_bits(&f, &usual, 1, ran, "backward on a copy of x");
    ran = ran && run_backward(&f, &copy_x, &usual_y, 0) == 0;
    check_same_bits(&f, &usual, 0, ran, "backward on a copy of x, no dx");

    /* Backward given other_x after a forward of x: the gradient is
     * other_x's. */
    ran = other_ran && test_layer_forward(&f.t, &f.x, &f.y, 1) == 0 &&
          run_backward(&f, &f.other_x, &usual_y, 1) == 0;
    check_reference(&f, f.other_x.data, usual_y.data, 0, 1, ran,
                    "forward of x, backward on other x");
    check_same_bits(&f, &usual_other, 1, ran,
                    "forward of x, backward on other x");

    /* Then a backward on x, the forward's own input: the reorder that
     * backward on other_x made must not pass for x's. */
    ran = ran && run_backward(&f, &f.x, &usual_y, 1) == 0;
    check_same_bits(&f, &usual, 1, ran,
                    "forward of x, backward on other x, backward on x");

    /* An SGD step changes the weights in place (same pointers); the next
     * forward and backward must use the new values. */
    ran = usual_flow(&f, &f.x, 1) == 0;
    for (size_t i = 0; ran && i < f.t.parameter_count; i++)
        f.t.values[i] -= 0.5f * f.t.gradients[i];
    ran = ran && usual_flow(&f, &f.x, 1) == 0;
    check_reference(&f, f.x.data, f.y.data, 1, 1, ran,
                    "after an in-place weight update");
    struct outcome updated = outcome_take(&f, 1);
    memcpy(usual_y.data, f.y.data, y_bytes);
    /* The same values in a layer that never saw the old weights. */
    struct conv_fixture g;
    if (fixture_make(&g, k) == 0) {
        memcpy(g.t.values, f.t.values, f.t.parameter_count * sizeof(float));
        memcpy(g.dy.data, f.dy.data, y_bytes);
        ran = ran && usual_flow(&g, &f.x, 1) == 0;
        char what[256];
        snprintf(what, sizeof what, "%s, updated weights: output is a "
                 "fresh layer's, bit for bit", f.label);
        report(ran ? compare_bits(g.y.data, usual_y.data, f.y_count, what)
                   : check_not_run(what));
        check_same_bits(&g, &updated, 1, ran,
                        "updated weights vs a fresh layer");
        fixture_free(&g);
    }

    outcome_free(&usual);
    outcome_free(&usual_other);
    outcome_free(&updated);
    tensor_free(&usual_y);
    tensor_free(&copy_x);
    tensor_free(&scratch_y);
    fixture_free(&f);
}

/* The plain flow on a channel count of interest: inference and training
 * forward, backward with and without dx (a first layer gets none). */
static void check_channels(const struct conv_case *k)
{
    struct conv_fixture f;
    if (fixture_make(&f, k))
        return;
    int ran = test_layer_forward(&f.t, &f.x, &f.y, 0) == 0;
    char what[256];
    snprintf(what, sizeof what, "%s: inference forward", f.label);
    {
        double *want_y = doubles_new(f.y_count);
        const struct cnn_param_tensor *bias =
            k->bias ? &f.t.layer.tensors[1] : NULL;
        ref_conv_forward(&f.c, f.x.data, f.t.layer.tensors[0].data,
                         bias ? bias->data : NULL, k->relu, want_y);
        report(ran ? compare(f.y.data, want_y, f.y_count, TOLERANCE, what)
                   : check_not_run(what));
        free(want_y);
    }
    ran = usual_flow(&f, &f.x, 1) == 0;
    check_reference(&f, f.x.data, f.y.data, 1, 1, ran, "training");
    struct outcome with_dx = outcome_take(&f, 1);
    ran = ran && run_backward(&f, &f.x, &f.y, 0) == 0;
    check_same_bits(&f, &with_dx, 0, ran, "backward without dx");
    /* A first layer after an evaluation pass: no dx, no kept input. */
    ran = ran && test_layer_forward(&f.t, &f.x, &f.y, 0) == 0 &&
          run_backward(&f, &f.x, &f.y, 0) == 0;
    check_same_bits(&f, &with_dx, 0, ran,
                    "inference forward, backward without dx");
    outcome_free(&with_dx);
    fixture_free(&f);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    /* Kept reorders: blocked input (8 and 16 channels), the plain-input
     * first-layer path (1 and 3 channels), odd channel counts; with and
     * without bias and fused ReLU. */
    static const struct conv_case kept[] = {
        /* n in h  w out k s p d bias relu */
        {2, 8, 9, 9, 16, 3, 1, 1, 1, 1, 1},
        {3, 16, 7, 6, 8, 3, 2, 1, 1, 0, 0},
        {3, 3, 10, 10, 8, 3, 2, 1, 1, 1, 0},
        {2, 1, 12, 11, 6, 5, 1, 2, 1, 1, 1},
        {1, 5, 9, 9, 13, 3, 1, 1, 2, 1, 0},
    };
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        check_kept_reorders(&kept[i]);

    /* One input channel (plain input, gemm backward weights) and channel
     * counts that are not multiples of 8, at batch 1 and 3, with stride
     * 2, padding and dilation. */
    static const struct conv_case channels[] = {
        /* n in h  w out k s p d bias relu */
        {1, 1, 12, 12, 8, 3, 1, 1, 1, 1, 0},
        {3, 1, 15, 13, 6, 5, 2, 2, 1, 1, 1},
        {3, 1, 11, 11, 4, 3, 2, 1, 2, 0, 0},
        {1, 3, 10, 10, 5, 3, 2, 1, 1, 1, 0},
        {3, 3, 9, 11, 5, 3, 1, 2, 2, 0, 1},
        {3, 3, 16, 16, 5, 5, 2, 2, 1, 1, 0},
        {1, 5, 8, 8, 13, 3, 1, 1, 1, 1, 1},
        {3, 5, 11, 9, 13, 3, 2, 1, 2, 1, 0},
        {3, 13, 7, 7, 5, 3, 2, 1, 1, 0, 0},
        {1, 12, 6, 6, 20, 3, 1, 1, 1, 1, 1},
        {3, 24, 8, 8, 3, 3, 2, 0, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof channels / sizeof *channels; i++)
        check_channels(&channels[i]);
    harness_finish();
    return done_testing();
}
