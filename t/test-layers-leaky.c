/* leaky-relu (PyTorch's nn.LeakyReLU) on the CPU: forward and backward
 * against a float64 reference for several slopes; gradients by central
 * differences; with slope 0, the very bits of the relu layer, forward
 * and backward, on inputs with zeros of both signs, NaN and infinities
 * (what makes slope 0 train exactly as relu); the repr PyTorch prints;
 * and the refusals, naming the layer.
 *
 * Tolerance: y and dx are one float multiply per value, so they match
 * the float64 reference within 1e-6 relative. The central differences
 * (step 1e-2) use inputs 0.05 apart moved 0.025 off the kink at 0, so no
 * step crosses it, and pass within Caffe's 1e-2. */
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

static void check_values(const char *slope_text)
{
    struct cnn_shape shape = {3, 5, 4};
    const int n = 2;
    double slope = strtod(slope_text, NULL);
    struct test_layer t;
    if (test_layer_make(&t, "leaky-relu", shape, "slope", slope_text,
                        NULL)) {
        ok(0, "leaky-relu {slope: %s} sets up", slope_text);
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor x = tensor_new(n, shape), y = tensor_new(n, shape);
    struct cnn_tensor dy = tensor_new(n, shape), dx = tensor_new(n, shape);
    size_t count = cnn_tensor_count(&x);
    double *want_y = doubles_new(count), *want_dx = doubles_new(count);
    fill_uniform(x.data, count, -2.0f, 2.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    for (size_t i = 0; i < count; i++) {
        want_y[i] = x.data[i] > 0 ? x.data[i] : slope * x.data[i];
        want_dx[i] = x.data[i] > 0 ? dy.data[i] : slope * dy.data[i];
    }
    poison(y.data, count);
    poison(dx.data, count);
    char what[96];
    int ran = test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y, 1) == 0;
    snprintf(what, sizeof what, "slope %s: forward", slope_text);
    report(ran ? compare(y.data, want_y, count, TOLERANCE, what)
               : check_not_run(what));
    ran = ran && test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
    snprintf(what, sizeof what, "slope %s: backward (dx)", slope_text);
    report(ran ? compare(dx.data, want_dx, count, TOLERANCE, what)
               : check_not_run(what));

    fill_distinct(x.data, count, 0.05f);
    for (size_t i = 0; i < count; i++)
        x.data[i] += 0.025f;
    snprintf(what, sizeof what, "slope %s: gradients", slope_text);
    report(gradient_check(&t, &x, 1e-2f, 1e-2, 60, 0, what));
    free(want_y);
    free(want_dx);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

/* Slope 0 against the relu layer itself, bit for bit. */
static void check_slope0_is_relu(void)
{
    struct cnn_shape shape = {4, 6, 5};
    const int n = 3;
    struct test_layer leaky, relu;
    int made = test_layer_make(&leaky, "leaky-relu", shape, "slope", "0",
                               NULL) == 0 &&
               test_layer_make(&relu, "relu", shape, NULL) == 0;
    if (!ok(made, "leaky-relu {slope: 0} and relu set up")) {
        diag("  %s%s", leaky.err.message, relu.err.message);
        test_layer_free(&leaky);
        test_layer_free(&relu);
        return;
    }
    struct cnn_tensor x = tensor_new(n, shape), dy = tensor_new(n, shape);
    struct cnn_tensor y1 = tensor_new(n, shape), y2 = tensor_new(n, shape);
    struct cnn_tensor dx1 = tensor_new(n, shape), dx2 = tensor_new(n, shape);
    size_t count = cnn_tensor_count(&x);
    fill_uniform(x.data, count, -1.0f, 1.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    /* The values where a sign of zero or a NaN could tell them apart. */
    static const float special[] = {0.0f, -0.0f, NAN, -INFINITY, INFINITY,
                                    -1e-45f, 1e-45f};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        x.data[3 * i] = special[i];
    int ran = test_layer_prepare(&leaky, n) == 0 &&
              test_layer_prepare(&relu, n) == 0 &&
              test_layer_forward(&leaky, &x, &y1, 1) == 0 &&
              test_layer_forward(&relu, &x, &y2, 1) == 0 &&
              test_layer_backward(&leaky, &x, &y1, &dy, &dx1) == 0 &&
              test_layer_backward(&relu, &x, &y2, &dy, &dx2) == 0;
    report(ran ? compare_bits(y1.data, y2.data, count,
                              "slope 0: forward is relu's, bit for bit "
                              "(zeros of both signs, NaN, infinities)")
               : check_not_run("slope 0: forward"));
    report(ran ? compare_bits(dx1.data, dx2.data, count,
                              "slope 0: backward is relu's, bit for bit")
               : check_not_run("slope 0: backward"));
    tensor_free(&x);
    tensor_free(&dy);
    tensor_free(&y1);
    tensor_free(&y2);
    tensor_free(&dx1);
    tensor_free(&dx2);
    test_layer_free(&leaky);
    test_layer_free(&relu);
}

/* What PyTorch 1.13 prints for nn.LeakyReLU(), nn.LeakyReLU(0.2),
 * nn.LeakyReLU(0.0), nn.LeakyReLU(1.0) and nn.LeakyReLU(1e-05). */
static void check_describe(void)
{
    static const char *const cases[][2] = {
        {NULL, "LeakyReLU(negative_slope=0.01)"},
        {"0.2", "LeakyReLU(negative_slope=0.2)"},
        {"0", "LeakyReLU(negative_slope=0.0)"},
        {"1", "LeakyReLU(negative_slope=1.0)"},
        {"1e-5", "LeakyReLU(negative_slope=1e-05)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct test_layer t;
        struct cnn_shape shape = {2, 3, 3};
        char text[128] = "";
        int status = cases[i][0]
                         ? test_layer_make(&t, "leaky-relu", shape, "slope",
                                           cases[i][0], NULL)
                         : test_layer_make(&t, "leaky-relu", shape, NULL);
        if (status == 0)
            t.layer.type->describe(&t.layer, text, sizeof text);
        else
            diag("  %s", t.err.message);
        is_str(text, cases[i][1], "repr %zu is PyTorch's", i + 1);
        test_layer_free(&t);
    }
    const struct cnn_layer_type *type =
        cnn_registry_layer(harness_registry, "leaky-relu");
    ok(type && strcmp(type->summary_name, "LeakyReLU") == 0 &&
           strcmp(type->name_prefix, "leaky") == 0,
       "torchsummary lists it as LeakyReLU; its modules are leaky, leaky2");
}

static void check_refusals(void)
{
    struct cnn_shape shape = {2, 3, 3};
    struct test_layer t;
    int status = test_layer_make(&t, "leaky-relu", shape, "slope", "1.5",
                                 NULL);
    ok(status < 0 && strstr(t.err.message, "'slope' must be between 0 and "
                                           "1, got 1.5"),
       "slope 1.5 is refused by its schema");
    diag("  %s", t.err.message);
    test_layer_free(&t);

    if (test_layer_make(&t, "leaky-relu", shape, NULL)) {
        ok(0, "leaky-relu sets up with its defaults");
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor x = tensor_new(1, (struct cnn_shape){2, 3, 4});
    struct cnn_tensor y = tensor_new(1, (struct cnn_shape){2, 3, 4});
    status = t.kernels->forward(&harness_context, &t.layer, &x, &y, 1,
                                &t.err);
    ok(status < 0 && strstr(t.err.message, "leaky1 (leaky-relu)") &&
           strstr(t.err.message, "[2, 3, 3]"),
       "a wrong input shape is refused, naming the layer and its shape");
    diag("  %s", t.err.message);
    struct cnn_tensor right = tensor_new(1, shape);
    status = t.kernels->backward(&harness_context, &t.layer, &right, &right,
                                 &right, NULL, &t.err);
    is_int(status, 0, "backward without dx (a first layer) succeeds");
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&right);
    test_layer_free(&t);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    check_values("0.01");
    check_values("0.2");
    check_values("0");
    check_values("1");
    check_slope0_is_relu();
    check_describe();
    check_refusals();
    harness_finish();
    return done_testing();
}
