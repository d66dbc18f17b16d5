/* The numeric side of t/examples.sh: loads the leaky-relu example plugin,
 * built out of tree against an installed cnnlab (its path is argv[1]),
 * into the layer harness and checks its forward and backward against a
 * float64 reference and its gradients by central differences, plus its
 * repr and its errors. Not a test by itself: without an argument it
 * reports a skip.
 *
 * Tolerances: y and dx are one float multiply per value, so they match
 * the float64 reference within 1e-6 relative (float rounding of slope *
 * x). The central differences use a step of 1e-2 on inputs spread 0.05
 * apart and pass within 1e-2 relative, the layer tests' setting; inputs
 * whose step crosses 0 (the kink) are skipped. */
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
                      double slope, double *y, double *dx)
{
    for (size_t i = 0; i < count; i++) {
        y[i] = x[i] > 0 ? x[i] : slope * x[i];
        dx[i] = x[i] > 0 ? dy[i] : slope * dy[i];
    }
}

static void check_values(const char *slope_text, double slope)
{
    struct cnn_shape shape = {3, 5, 4};
    const int n = 2;
    struct test_layer t;
    int made = test_layer_make(&t, "leaky-relu", shape, "slope", slope_text,
                               NULL) == 0;
    if (!ok(made, "leaky-relu {slope: %s} sets up", slope_text)) {
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    struct cnn_shape out = t.layer.output;
    if (!ok(out.c == 3 && out.h == 5 && out.w == 4,
            "slope %s: the output shape is the input's", slope_text))
        diag("  got [%d, %d, %d]", out.c, out.h, out.w);
    struct cnn_tensor x = tensor_new(n, shape), y = tensor_new(n, shape);
    struct cnn_tensor dy = tensor_new(n, shape), dx = tensor_new(n, shape);
    size_t count = cnn_tensor_count(&x);
    double *want_y = doubles_new(count), *want_dx = doubles_new(count);
    fill_uniform(x.data, count, -2.0f, 2.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    poison(dx.data, count);
    reference(x.data, dy.data, count, slope, want_y, want_dx);
    int ran = test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y, 1) == 0;
    char what[96];
    snprintf(what, sizeof what, "slope %s: forward", slope_text);
    report(ran ? compare(y.data, want_y, count, TOLERANCE, what)
               : check_not_run(what));
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "slope %s: backward (dx)", slope_text);
    report(ran ? compare(dx.data, want_dx, count, TOLERANCE, what)
               : check_not_run(what));

    /* Inputs 0.05 apart: a step of 0.01 crosses 0 for at most one. */
    fill_distinct(x.data, count, 0.05f);
    snprintf(what, sizeof what, "slope %s: gradients", slope_text);
    report(gradient_check(&t, &x, 1e-2f, 1e-2, 60, 1, what));
    free(want_y);
    free(want_dx);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

static void check_describe_and_errors(void)
{
    struct cnn_shape shape = {2, 3, 3};
    struct test_layer t;
    char text[128] = "";
    if (test_layer_make(&t, "leaky-relu", shape, NULL) < 0) {
        ok(0, "leaky-relu sets up with its defaults");
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    t.layer.type->describe(&t.layer, text, sizeof text);
    is_str(text, "LeakyReLU(negative_slope=0.01)",
           "the default slope is PyTorch's, in PyTorch's repr");
    is_str(t.layer.type->summary_name, "LeakyReLU",
           "torchsummary lists it as LeakyReLU");

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

    status = test_layer_make(&t, "leaky-relu", shape, "slope", "1.5", NULL);
    ok(status < 0 && strstr(t.err.message, "slope"),
       "slope 1.5 is refused by its schema (range 0..1), naming slope");
    diag("  %s", t.err.message);
    test_layer_free(&t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("1..0 # SKIP usage: %s LEAKY-RELU.so (t/examples.sh runs "
               "it)\n", argv[0]);
        return 0;
    }
    struct cnn_error err = {0};
    if (harness_init(&err) < 0 ||
        cnn_registry_load_module(harness_registry, argv[1], &err) < 0) {
        printf("Bail out! %s\n", err.message);
        return 1;
    }
    ok(cnn_registry_layer(harness_registry, "leaky-relu") &&
           cnn_registry_layer_kernels(harness_registry, "leaky-relu",
                                      CNN_DEVICE_CPU),
       "%s registers leaky-relu with CPU kernels", argv[1]);
    check_values("0.1", 0.1);
    check_values("0", 0.0);
    check_values("1", 1.0);
    check_describe_and_errors();
    harness_finish();
    return done_testing();
}
