/* The numeric side of t/examples.sh: loads the hardtanh example plugin,
 * built out of tree against an installed cnnlab (its path is argv[1]),
 * into the layer harness and checks its forward and backward against a
 * float64 reference and its gradients by central differences, plus its
 * repr (Python's float repr, as PyTorch prints) and its errors. Not a
 * test by itself: without an argument it reports a skip.
 *
 * Tolerances: y and dx only move values (x, a bound, dy or 0), so they
 * equal the reference exactly but for the bounds' float rounding: 1e-6
 * relative. The central differences use a step of 1e-2 on inputs spread
 * 0.05 apart, each 0.025 from every bound used here (so no step crosses
 * a kink), and pass within 1e-2 relative, the layer tests' setting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "tap.h"

#define TOLERANCE 1e-6

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

/* The layer in float64: y and, for dy, dx. */
static void reference(const float *x, const float *dy, size_t count,
                      double low, double high, double *y, double *dx)
{
    for (size_t i = 0; i < count; i++) {
        y[i] = x[i] < low ? low : x[i] > high ? high : x[i];
        dx[i] = x[i] > low && x[i] < high ? dy[i] : 0.0;
    }
}

static void check_values(const char *low_text, const char *high_text)
{
    struct cnn_shape shape = {3, 5, 4};
    const int n = 2;
    double low = strtod(low_text, NULL), high = strtod(high_text, NULL);
    struct test_layer t;
    int made = test_layer_make(&t, "hardtanh", shape, "min_val", low_text,
                               "max_val", high_text, NULL) == 0;
    if (!ok(made, "hardtanh [%s, %s] sets up", low_text, high_text)) {
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    struct cnn_shape out = t.layer.output;
    if (!ok(out.c == 3 && out.h == 5 && out.w == 4,
            "[%s, %s]: the output shape is the input's", low_text,
            high_text))
        diag("  got [%d, %d, %d]", out.c, out.h, out.w);
    struct cnn_tensor x = tensor_new(n, shape), y = tensor_new(n, shape);
    struct cnn_tensor dy = tensor_new(n, shape), dx = tensor_new(n, shape);
    size_t count = cnn_tensor_count(&x);
    double *want_y = doubles_new(count), *want_dx = doubles_new(count);
    fill_uniform(x.data, count, -3.0f, 3.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    poison(dx.data, count);
    reference(x.data, dy.data, count, low, high, want_y, want_dx);
    int ran = test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y, 1) == 0;
    char what[96];
    snprintf(what, sizeof what, "[%s, %s]: forward", low_text, high_text);
    report(ran ? compare(y.data, want_y, count, TOLERANCE, what)
               : check_not_run(what));
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "[%s, %s]: backward (dx)", low_text,
             high_text);
    report(ran ? compare(dx.data, want_dx, count, TOLERANCE, what)
               : check_not_run(what));

    /* 120 inputs 0.05 apart, moved off the multiples of 0.05 (every
     * bound here is one): ..., -0.025, 0.025, ..., 0.975, 1.025, ... */
    fill_distinct(x.data, count, 0.05f);
    for (size_t i = 0; i < count; i++)
        x.data[i] += 0.025f;
    snprintf(what, sizeof what, "[%s, %s]: gradients", low_text, high_text);
    report(gradient_check(&t, &x, 1e-2f, 1e-2, 60, 1, what));
    free(want_y);
    free(want_dx);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

/* PyTorch 1.13 prints nn.Hardtanh(), nn.Hardtanh(0., 6.),
 * nn.Hardtanh(0., 1e30), nn.Hardtanh(-0.25, 100.) so. */
static void check_describe(void)
{
    static const char *const cases[][3] = {
        {NULL, NULL, "Hardtanh(min_val=-1.0, max_val=1.0)"},
        {"0", "6", "Hardtanh(min_val=0.0, max_val=6.0)"},
        {"0", "1e30", "Hardtanh(min_val=0.0, max_val=1e+30)"},
        {"-0.25", "100", "Hardtanh(min_val=-0.25, max_val=100.0)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct test_layer t;
        struct cnn_shape shape = {2, 3, 3};
        char text[128] = "";
        int status = cases[i][0]
                         ? test_layer_make(&t, "hardtanh", shape, "min_val",
                                           cases[i][0], "max_val",
                                           cases[i][1], NULL)
                         : test_layer_make(&t, "hardtanh", shape, NULL);
        if (status == 0)
            t.layer.type->describe(&t.layer, text, sizeof text);
        else
            diag("  %s", t.err.message);
        is_str(text, cases[i][2], "repr %zu is PyTorch's", i + 1);
        test_layer_free(&t);
    }
    const struct cnn_layer_type *type =
        cnn_registry_layer(harness_registry, "hardtanh");
    ok(type && type->summary_name &&
           strcmp(type->summary_name, "Hardtanh") == 0,
       "torchsummary lists it as Hardtanh");
}

static void check_errors(void)
{
    struct cnn_shape shape = {2, 3, 3};
    struct test_layer t;
    if (test_layer_make(&t, "hardtanh", shape, NULL) < 0) {
        ok(0, "hardtanh sets up with its defaults");
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    /* A batch of another shape is an error naming the layer, not a read
     * past the buffers. */
    struct cnn_tensor x = tensor_new(1, (struct cnn_shape){2, 3, 4});
    struct cnn_tensor y = tensor_new(1, (struct cnn_shape){2, 3, 4});
    fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);
    int status = t.kernels->forward(&harness_context, &t.layer, &x, &y, 1,
                                    &t.err);
    ok(status < 0 && strstr(t.err.message, t.layer.name) &&
           strstr(t.err.message, "[2, 3, 3]"),
       "a wrong input shape is refused, naming the layer and its shape");
    diag("  %s", t.err.message);
    /* The first layer of a model gets no dx: nothing to write. */
    struct cnn_tensor right = tensor_new(1, shape), out = tensor_new(1, shape);
    fill_uniform(right.data, cnn_tensor_count(&right), -1.0f, 1.0f);
    status = t.kernels->backward(&harness_context, &t.layer, &right, &out,
                                 &right, NULL, &t.err);
    is_int(status, 0, "backward without dx (a first layer) succeeds");
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&right);
    tensor_free(&out);
    test_layer_free(&t);

    status = test_layer_make(&t, "hardtanh", shape, "min_val", "2",
                             "max_val", "1", NULL);
    ok(status < 0 && strstr(t.err.message, "hardtanh1 (hardtanh): min_val "
                                           "2 is not below max_val 1"),
       "min_val above max_val is refused by setup, naming the layer");
    diag("  %s", t.err.message);
    test_layer_free(&t);
    status = test_layer_make(&t, "hardtanh", shape, "min_val", "0.5",
                             "max_val", "0.5", NULL);
    ok(status < 0 && strstr(t.err.message, "lower min_val or raise "
                                           "max_val"),
       "min_val equal to max_val is refused, saying what to change");
    test_layer_free(&t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("1..0 # SKIP usage: %s HARDTANH.so (t/examples.sh runs "
               "it)\n", argv[0]);
        return 0;
    }
    struct cnn_error err = {0};
    if (harness_init(&err) < 0 ||
        cnn_registry_load_module(harness_registry, argv[1], &err) < 0) {
        printf("Bail out! %s\n", err.message);
        return 1;
    }
    ok(cnn_registry_layer(harness_registry, "hardtanh") &&
           cnn_registry_layer_kernels(harness_registry, "hardtanh",
                                      CNN_DEVICE_CPU),
       "%s registers hardtanh with CPU kernels", argv[1]);
    check_values("-1", "1");
    check_values("0", "1e30");
    check_values("-0.5", "2");
    check_describe();
    check_errors();
    harness_finish();
    return done_testing();
}
