/* The direct loops of the performance work (plugins/layers/maxpool2d.c,
 * relu.c, dropout.c, onednn.c's ReLU mask): maxpool2d's branch-free 2x2
 * stride-2 path and its general path on the same data (odd sizes, ties,
 * NaN, infinities), and every loop below, at and above the size from
 * which it is split among OpenMP threads (CNN_PARALLEL_MIN, 32768
 * elements), against float64 references and against itself on one
 * thread.
 *
 * Tolerances: max pooling and ReLU only move values, so their outputs must
 * equal the reference exactly (a NaN where a NaN is expected, the same
 * infinity); pooling's input gradient sums at most a few dy values per
 * element, compared within 1e-4 of the largest (as test-layers-numeric.c
 * does). Dropout's kept values are x * (1 / (1 - p)) in float, within
 * 1e-6 relative of the float64 quotient (two roundings of 6e-8 each). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "layer-reference.h"
#include "tap.h"

#define TOLERANCE 1e-4
#define PARALLEL_MIN 32768 /* CNN_PARALLEL_MIN in plugins/layers/onednn.h */

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

/* How pooling inputs are drawn. */
enum fill {
    FILL_UNIFORM, /* U(-1, 1): no ties */
    FILL_TIES,    /* four levels: most windows tie at their maximum */
    FILL_NAN,     /* ties plus 1 in 6 NaN: windows with 0, 1, 2+ NaNs */
    FILL_INF,     /* half -inf (whole windows of it), some +inf, NaN */
    FILL_ZEROS,   /* 0, -0 and -1: windows whose maximum is a tie of 0
                     and -0, which the first of them wins */
};

static const char *const fill_names[] = {"uniform", "ties", "NaN",
                                         "infinities", "signed zeros"};

static void fill_input(float *x, size_t count, enum fill mode)
{
    static const float levels[] = {-1.0f, 0.0f, 0.5f, 1.0f};
    if (mode == FILL_UNIFORM) {
        fill_uniform(x, count, -1.0f, 1.0f);
        return;
    }
    static const float zeros[] = {0.0f, -0.0f, -1.0f};
    for (size_t i = 0; i < count; i++) {
        if (mode == FILL_ZEROS) {
            x[i] = zeros[cnn_rng_below(&harness_rng, 3)];
            continue;
        }
        x[i] = levels[cnn_rng_below(&harness_rng, 4)];
        uint64_t draw = cnn_rng_below(&harness_rng, 60);
        if (mode == FILL_NAN && draw < 10)
            x[i] = NAN;
        if (mode == FILL_INF)
            x[i] = draw < 30   ? -INFINITY
                   : draw < 36 ? INFINITY
                   : draw < 39 ? NAN
                               : x[i];
    }
}

/* One pooling geometry: kernel, stride (0: the kernel), padding. */
struct pool_geometry {
    int k, s, p;
};

static void pool_label(char *buf, size_t size, int n, struct cnn_shape in,
                       struct pool_geometry g, enum fill mode)
{
    snprintf(buf, size, "maxpool2d n=%d %dx%dx%d k=%d s=%d p=%d (%s%s)", n,
             in.c, in.h, in.w, g.k, g.s ? g.s : g.k, g.p, fill_names[mode],
             (size_t)n * cnn_shape_size(in) >= PARALLEL_MIN ? ", parallel"
                                                           : "");
}

/* Forward (inference and training) and backward of one geometry on the
 * given x, against the reference; with `one_thread`, also against the
 * same layer run on a single thread. */
static void check_pool(const struct cnn_tensor *x, struct pool_geometry g,
                       enum fill mode, int one_thread)
{
    char label[160], what[256], kernel[16], stride[16], padding[16];
    struct cnn_shape in = x->shape;
    int n = x->n;
    pool_label(label, sizeof label, n, in, g, mode);
    snprintf(kernel, sizeof kernel, "%d", g.k);
    snprintf(stride, sizeof stride, "%d", g.s);
    snprintf(padding, sizeof padding, "%d", g.p);
    struct ref_pool p = {n, in.c, in.h, in.w, g.k, g.k, g.s ? g.s : g.k,
                         g.s ? g.s : g.k, g.p, g.p, 0, 0};
    struct test_layer t;
    if (!ref_pool_output(&p) ||
        test_layer_make(&t, "maxpool2d", in, "kernel", kernel, "stride",
                        stride, "padding", padding, NULL) ||
        t.layer.output.h != p.oh || t.layer.output.w != p.ow ||
        test_layer_prepare(&t, n)) {
        ok(0, "%s: setup gives %dx%d, prepare", label, p.oh, p.ow);
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor y = tensor_new(n, t.layer.output);
    struct cnn_tensor dy = tensor_new(n, t.layer.output);
    struct cnn_tensor dx = tensor_new(n, in);
    size_t x_count = cnn_tensor_count(x), y_count = cnn_tensor_count(&y);
    double *want_y = doubles_new(y_count), *want_dy = doubles_new(y_count);
    double *want_dx = doubles_new(x_count);
    fill_uniform(dy.data, y_count, -1.0f, 1.0f);
    for (size_t i = 0; i < y_count; i++)
        want_dy[i] = dy.data[i];
    ref_maxpool_forward(&p, x->data, want_y);
    ref_maxpool_backward(&p, x->data, want_dy, want_dx);

    struct cnn_tensor y_inference = tensor_new(n, t.layer.output);
    fill_constant(y_inference.data, y_count, 7.0f);
    int ran_inference = test_layer_forward(&t, x, &y_inference, 0) == 0;
    snprintf(what, sizeof what, "%s: inference forward", label);
    report(ran_inference
               ? compare(y_inference.data, want_y, y_count, 0.0, what)
               : check_not_run(what));
    fill_constant(y.data, y_count, 7.0f);
    int ran = test_layer_forward(&t, x, &y, 1) == 0;
    snprintf(what, sizeof what, "%s: training forward", label);
    report(ran ? compare(y.data, want_y, y_count, 0.0, what)
               : check_not_run(what));
    /* Inference takes its own path (maxima without positions): the same
     * bits, the sign of a zero and a NaN's payload included. */
    snprintf(what, sizeof what, "%s: inference forward == training "
             "forward, bit for bit", label);
    report(ran && ran_inference
               ? compare_bits(y_inference.data, y.data, y_count, what)
               : check_not_run(what));
    tensor_free(&y_inference);
    poison(dx.data, x_count);
    ran = ran && test_layer_backward(&t, x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "%s: input gradient", label);
    report(ran ? compare(dx.data, want_dx, x_count, TOLERANCE, what)
               : check_not_run(what));

    if (one_thread) {
        struct cnn_tensor y1 = tensor_new(n, t.layer.output);
        struct cnn_tensor dx1 = tensor_new(n, in);
        int threads = harness_context.threads;
        harness_context.threads = 1;
        int ran1 = ran && test_layer_forward(&t, x, &y1, 1) == 0 &&
                   test_layer_backward(&t, x, &y1, &dy, &dx1) == 0;
        harness_context.threads = threads;
        snprintf(what, sizeof what, "%s: one thread gives the same output "
                 "and gradient", label);
        struct check_result r =
            ran1 ? compare_bits(y1.data, y.data, y_count, what)
                 : check_not_run(what);
        if (r.passed)
            r = compare_bits(dx1.data, dx.data, x_count, what);
        report(r);
        tensor_free(&y1);
        tensor_free(&dx1);
    }
    free(want_y);
    free(want_dy);
    free(want_dx);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

/* The fast 2x2 stride-2 path (kernel 2 with the default stride, and with
 * stride 2 given) and the general path (padding, overlap, kernel 3) on
 * the same input. */
static void check_pool_input(int n, struct cnn_shape in, enum fill mode,
                             int one_thread)
{
    static const struct pool_geometry geometries[] = {
        {2, 0, 0}, {2, 2, 0}, {2, 2, 1}, {2, 1, 0}, {3, 2, 1}, {3, 2, 0},
    };
    struct cnn_tensor x = tensor_new(n, in);
    fill_input(x.data, cnn_tensor_count(&x), mode);
    for (size_t i = 0; i < sizeof geometries / sizeof *geometries; i++) {
        struct pool_geometry g = geometries[i];
        /* The explicit stride 2 only repeats the default on small data. */
        if (g.s == 2 && g.p == 0 && one_thread)
            continue;
        if (in.h + 2 * g.p < g.k || in.w + 2 * g.p < g.k)
            continue;
        check_pool(&x, g, mode, one_thread);
    }
    tensor_free(&x);
}

static void check_pools(void)
{
    /* Odd and small sizes: the output floors (7x9 -> 3x4, 5x5 -> 2x2,
     * 2x3 -> 1x1); 1x3 fits only the padded kernels. */
    static const struct {
        int n;
        struct cnn_shape in;
    } small[] = {
        {2, {3, 7, 9}}, {1, {2, 5, 5}}, {3, {1, 2, 3}}, {2, {2, 3, 2}},
        {1, {4, 1, 3}}, {2, {3, 8, 8}}, {1, {1, 2, 2}},
        /* Wider than an inference forward's row of maxima
         * (MAXPOOL_COLUMNS_MAX, 4096): the general path instead. */
        {1, {1, 3, 4101}},
    };
    for (size_t i = 0; i < sizeof small / sizeof *small; i++)
        for (int mode = FILL_UNIFORM; mode <= FILL_ZEROS; mode++)
            check_pool_input(small[i].n, small[i].in, (enum fill)mode, 0);

    /* A kernel 2 on 1 row has no room: a setup error, not an empty
     * output. */
    struct test_layer t;
    int status = test_layer_make(&t, "maxpool2d", (struct cnn_shape){4, 1, 3},
                                 "kernel", "2", NULL);
    ok(status != 0, "maxpool2d k=2 on 4x1x3 is refused at setup");
    like(t.err.message, "larger than", "the error says the kernel is "
         "larger than the input");
    test_layer_free(&t);

    /* Batch x channels large enough for the OpenMP split: just below,
     * at and above CNN_PARALLEL_MIN input elements. */
    static const struct {
        int n;
        struct cnn_shape in;
    } large[] = {
        {1, {7, 31, 151}},  /* 32767 */
        {2, {16, 32, 32}},  /* 32768 */
        {4, {40, 15, 15}},  /* 36000 */
    };
    static const enum fill large_fills[] = {FILL_UNIFORM, FILL_NAN,
                                            FILL_INF, FILL_ZEROS};
    for (size_t i = 0; i < sizeof large / sizeof *large; i++)
        for (size_t f = 0; f < sizeof large_fills / sizeof *large_fills; f++)
            check_pool_input(large[i].n, large[i].in, large_fills[f], 1);
}

/* Sizes around CNN_PARALLEL_MIN for the elementwise layers. */
static const struct {
    int n;
    struct cnn_shape in;
} elementwise_sizes[] = {
    {1, {10, 10, 10}},  /* 1000 */
    {1, {7, 31, 151}},  /* 32767 */
    {2, {16, 32, 32}},  /* 32768 */
    {4, {40, 15, 15}},  /* 36000 */
};
#define ELEMENTWISE_SIZES                                                   \
    (sizeof elementwise_sizes / sizeof *elementwise_sizes)

/* relu forward and backward (onednn.c's mask) against max(x, 0) and
 * dy where y > 0, on x with exact zeros and infinities; then on one
 * thread. */
static void check_relu_size(int n, struct cnn_shape in)
{
    struct test_layer t;
    struct cnn_tensor x = tensor_new(n, in), y = tensor_new(n, in);
    struct cnn_tensor dy = tensor_new(n, in), dx = tensor_new(n, in);
    struct cnn_tensor y1 = tensor_new(n, in), dx1 = tensor_new(n, in);
    size_t count = cnn_tensor_count(&x);
    double *want_y = doubles_new(count), *want_dx = doubles_new(count);
    char label[64], what[128];
    snprintf(label, sizeof label, "relu on %zu elements%s", count,
             count >= PARALLEL_MIN ? " (parallel)" : "");
    fill_uniform(x.data, count, -1.0f, 1.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    for (size_t i = 0; i < count; i += 97)
        x.data[i] = 0.0f;
    x.data[1] = INFINITY;
    x.data[2] = -INFINITY;
    for (size_t i = 0; i < count; i++)
        want_y[i] = x.data[i] > 0.0f ? x.data[i] : 0.0;
    ref_relu_mask((int)count, x.data, dy.data, want_dx);

    int ran = test_layer_make(&t, "relu", in, NULL) == 0 &&
              test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y, 1) == 0;
    snprintf(what, sizeof what, "%s: forward", label);
    report(ran ? compare(y.data, want_y, count, 0.0, what)
               : check_not_run(what));
    poison(dx.data, count);
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "%s: backward", label);
    report(ran ? compare(dx.data, want_dx, count, 0.0, what)
               : check_not_run(what));

    harness_context.threads = 1;
    ran = ran && test_layer_forward(&t, &x, &y1, 1) == 0 &&
          test_layer_backward(&t, &x, &y1, &dy, &dx1) == 0;
    harness_context.threads = 2;
    snprintf(what, sizeof what, "%s: one thread gives the same bits",
             label);
    struct check_result r = ran ? compare_bits(y1.data, y.data, count, what)
                                : check_not_run(what);
    if (r.passed)
        r = compare_bits(dx1.data, dx.data, count, what);
    report(r);

    test_layer_free(&t);
    free(want_y);
    free(want_dx);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    tensor_free(&y1);
    tensor_free(&dx1);
}

/* A training forward of a dropout layer (p 0.3, index 2, step 5) on the
 * first n * |in| values of x into y; backward of dy into dx. */
static int dropout_run(int n, struct cnn_shape in, const float *x_values,
                       const float *dy_values, float *y_values,
                       float *dx_values)
{
    struct test_layer t;
    struct cnn_tensor x = {n, in, CNN_DEVICE_CPU, (float *)x_values};
    struct cnn_tensor y = {n, in, CNN_DEVICE_CPU, y_values};
    struct cnn_tensor dy = {n, in, CNN_DEVICE_CPU, (float *)dy_values};
    struct cnn_tensor dx = {n, in, CNN_DEVICE_CPU, dx_values};
    int made = test_layer_make(&t, "dropout", in, "p", "0.3", NULL) == 0;
    t.layer.index = 2;
    harness_context.step = 5;
    int ran = made && test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y, 1) == 0 &&
              test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    if (!made)
        diag("  dropout setup: %s", t.err.message);
    test_layer_free(&t);
    return ran ? 0 : -1;
}

/* Dropout at each size: y is 0 or x / (1 - p), about p of it zero, dx is
 * dy through the same mask; each size's mask is the largest one's prefix
 * (the mask is one sequential random stream, whatever the split of the
 * product), and one thread gives the same bits. */
static void check_dropout(void)
{
    const double p = 0.3;
    size_t largest = 0;
    for (size_t s = 0; s < ELEMENTWISE_SIZES; s++) {
        size_t count = (size_t)elementwise_sizes[s].n *
                       cnn_shape_size(elementwise_sizes[s].in);
        largest = count > largest ? count : largest;
    }
    float *x = malloc(largest * sizeof *x), *dy = malloc(largest * sizeof *dy);
    float *y = malloc(largest * sizeof *y), *dx = malloc(largest * sizeof *dx);
    float *big_y = malloc(largest * sizeof *big_y);
    float *big_dx = malloc(largest * sizeof *big_dx);
    double *want_y = doubles_new(largest), *want_dx = doubles_new(largest);
    if (!x || !dy || !y || !dx || !big_y || !big_dx) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    /* Inputs away from 0: a zero in y can only come from the mask. */
    fill_uniform(x, largest, 0.5f, 1.5f);
    fill_uniform(dy, largest, -1.0f, 1.0f);
    /* The largest size first: the others compare with its prefix. */
    size_t order[ELEMENTWISE_SIZES];
    order[0] = ELEMENTWISE_SIZES - 1;
    for (size_t s = 0; s + 1 < ELEMENTWISE_SIZES; s++)
        order[s + 1] = s;
    int big_ran = 0;
    for (size_t o = 0; o < ELEMENTWISE_SIZES; o++) {
        int n = elementwise_sizes[order[o]].n;
        struct cnn_shape in = elementwise_sizes[order[o]].in;
        size_t count = (size_t)n * cnn_shape_size(in), zeros = 0;
        char label[64], what[160];
        snprintf(label, sizeof label, "dropout on %zu elements%s", count,
                 count >= PARALLEL_MIN ? " (parallel)" : "");
        poison(y, count);
        poison(dx, count);
        int ran = dropout_run(n, in, x, dy, y, dx) == 0;
        for (size_t i = 0; i < count; i++) {
            int kept = y[i] != 0.0f;
            zeros += !kept;
            want_y[i] = kept ? x[i] / (1.0 - p) : 0.0;
            want_dx[i] = kept ? dy[i] / (1.0 - p) : 0.0;
        }
        snprintf(what, sizeof what, "%s: output is 0 or x / (1 - p)", label);
        report(ran ? compare(y, want_y, count, 1e-6, what)
                   : check_not_run(what));
        snprintf(what, sizeof what, "%s: gradient goes through the mask",
                 label);
        report(ran ? compare(dx, want_dx, count, 1e-6, what)
                   : check_not_run(what));
        /* The zero fraction's standard deviation is sqrt(p (1 - p) /
         * count), at most 0.015 here: six of them. */
        double fraction = (double)zeros / (double)count;
        double allowed = 6.0 * sqrt(p * (1.0 - p) / (double)count);
        ok(ran && fabs(fraction - p) <= allowed,
           "%s: zeroes %.4f of the values (p = %.1f, allowed +-%.4f)", label,
           fraction, p, allowed);
        if (o == 0) {
            big_ran = ran;
            memcpy(big_y, y, count * sizeof *y);
            memcpy(big_dx, dx, count * sizeof *dx);
            harness_context.threads = 1;
            ran = ran && dropout_run(n, in, x, dy, y, dx) == 0;
            harness_context.threads = 2;
            snprintf(what, sizeof what, "%s: one thread gives the same bits",
                     label);
        } else {
            ran = ran && big_ran;
            snprintf(what, sizeof what, "%s: mask is the %zu-element one's "
                     "prefix", label, largest);
        }
        struct check_result r = ran ? compare_bits(y, big_y, count, what)
                                    : check_not_run(what);
        if (r.passed)
            r = compare_bits(dx, big_dx, count, what);
        report(r);
    }
    free(x);
    free(dy);
    free(y);
    free(dx);
    free(big_y);
    free(big_dx);
    free(want_y);
    free(want_dx);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    harness_context.threads = 2;
    check_pools();
    for (size_t s = 0; s < ELEMENTWISE_SIZES; s++)
        check_relu_size(elementwise_sizes[s].n, elementwise_sizes[s].in);
    check_dropout();
    harness_finish();
    return done_testing();
}
