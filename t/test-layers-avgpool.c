/* avgpool2d (PyTorch's nn.AvgPool2d) on the CPU: forward and backward
 * against the float64 reference written from PyTorch's definition
 * (layer-reference.c: a window's divisor is its extent clipped to the
 * padded input, or with count_include_pad false the input elements it
 * covers) on square and rectangular windows, default and explicit
 * strides, overlapping windows, padding, batch 1 and more; gradients by
 * central differences; the module repr PyTorch 1.13 prints; and the
 * refusals (padding over half the kernel, a kernel larger than the input,
 * tensors of the wrong shape), each naming the layer.
 *
 * Tolerance: a window sums at most 25 floats in [-1, 1] and divides once,
 * so y and dx are within a few float roundings of the reference: 1e-6
 * relative to max(1, the largest reference value). Average pooling is
 * linear, so the central differences (step 1e-2) are exact up to float
 * rounding: Caffe's 1e-2 threshold passes with room and no kinks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "layer-reference.h"
#include "tap.h"

#define TOLERANCE 1e-6

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

struct avgpool_case {
    int n, c, h, w, kh, kw, sh, sw, ph, pw; /* stride 0: the kernel */
    int include_pad;
};

static void check_case(const struct avgpool_case *k)
{
    char kernel[32], stride[32], padding[32], label[160], what[224];
    snprintf(kernel, sizeof kernel, "[%d, %d]", k->kh, k->kw);
    snprintf(stride, sizeof stride, "[%d, %d]", k->sh, k->sw);
    snprintf(padding, sizeof padding, "[%d, %d]", k->ph, k->pw);
    snprintf(label, sizeof label,
             "avgpool2d n=%d %dx%dx%d k=%dx%d s=%dx%d p=%dx%d%s", k->n, k->c,
             k->h, k->w, k->kh, k->kw, k->sh, k->sw, k->ph, k->pw,
             k->include_pad ? "" : " count_include_pad=false");
    struct ref_pool p = {k->n, k->c, k->h, k->w, k->kh, k->kw,
                         k->sh ? k->sh : k->kh, k->sw ? k->sw : k->kw,
                         k->ph, k->pw, 0, 0};
    ref_pool_output(&p);
    struct cnn_shape input = {k->c, k->h, k->w};
    struct test_layer t;
    if (test_layer_make(&t, "avgpool2d", input, "kernel", kernel, "stride",
                        stride, "padding", padding, "count_include_pad",
                        k->include_pad ? "true" : "false", NULL) ||
        t.layer.output.c != k->c || t.layer.output.h != p.oh ||
        t.layer.output.w != p.ow) {
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
    ref_avgpool_forward(&p, k->include_pad, x.data, want_y);
    ref_avgpool_backward(&p, k->include_pad, want_dy, want_dx);

    poison(y.data, y_count);
    int ran = test_layer_prepare(&t, k->n) == 0 &&
              test_layer_forward(&t, &x, &y, 0) == 0;
    snprintf(what, sizeof what, "%s: inference forward", label);
    report(ran ? compare(y.data, want_y, y_count, TOLERANCE, what)
               : check_not_run(what));
    poison(y.data, y_count);
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

static void check_values(void)
{
    static const struct avgpool_case cases[] = {
        /* n c  h  w kh kw sh sw ph pw include_pad */
        {1, 1, 4, 4, 2, 2, 0, 0, 0, 0, 1},
        {2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1},
        {2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 0},
        {2, 2, 9, 8, 3, 2, 2, 1, 1, 1, 1},
        {2, 2, 9, 8, 3, 2, 2, 1, 1, 1, 0},
        {3, 1, 5, 6, 2, 3, 1, 2, 0, 1, 0},
        {1, 2, 6, 6, 3, 3, 3, 3, 0, 0, 1},
        {4, 3, 11, 9, 2, 2, 0, 0, 1, 1, 0},
        {1, 2, 10, 10, 5, 5, 1, 1, 2, 2, 0},
        {2, 1, 5, 5, 5, 5, 0, 0, 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i]);
}

static void check_gradients(void)
{
    static const char *const settings[][9] = {
        {"kernel", "3", "stride", "2", "padding", "1", NULL},
        {"kernel", "[2, 3]", "padding", "[1, 1]", "count_include_pad",
         "false", NULL},
    };
    static const char *const what[] = {
        "avgpool2d gradients (overlapping, padded)",
        "avgpool2d gradients (rectangular, count_include_pad false)",
    };
    for (int i = 0; i < 2; i++) {
        struct test_layer t;
        struct cnn_shape input = {2, 7, 6};
        if (test_layer_make_list(&t, "avgpool2d", input, settings[i]) ||
            test_layer_prepare(&t, 2)) {
            ok(0, "%s: setup and prepare", what[i]);
            diag("  %s", t.err.message);
            test_layer_free(&t);
            continue;
        }
        struct cnn_tensor x = tensor_new(2, input);
        fill_uniform(x.data, cnn_tensor_count(&x), -1.0f, 1.0f);
        report(gradient_check(&t, &x, 1e-2f, 1e-2, 80, 0, what[i]));
        tensor_free(&x);
        test_layer_free(&t);
    }
}

/* The repr PyTorch 1.13 prints for the same module (nn.AvgPool2d(3),
 * nn.AvgPool2d((3, 2), stride=1, padding=1, count_include_pad=False),
 * nn.AvgPool2d(2, padding=(1, 0))): count_include_pad is not shown. */
static void check_describe(void)
{
    static const struct {
        const char *settings[9];
        const char *repr;
    } cases[] = {
        {{"kernel", "3", NULL},
         "AvgPool2d(kernel_size=3, stride=3, padding=0)"},
        {{"kernel", "[3, 2]", "stride", "1", "padding", "1",
          "count_include_pad", "false", NULL},
         "AvgPool2d(kernel_size=(3, 2), stride=1, padding=1)"},
        {{"kernel", "2", "padding", "[1, 0]", NULL},
         "AvgPool2d(kernel_size=2, stride=2, padding=(1, 0))"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct test_layer t;
        char text[128] = "";
        if (test_layer_make_list(&t, "avgpool2d", (struct cnn_shape){2, 8, 8},
                                 cases[i].settings) == 0)
            t.layer.type->describe(&t.layer, text, sizeof text);
        else
            diag("  %s", t.err.message);
        is_str(text, cases[i].repr, "repr %zu is PyTorch's", i + 1);
        test_layer_free(&t);
    }
    const struct cnn_layer_type *type =
        cnn_registry_layer(harness_registry, "avgpool2d");
    ok(type && strcmp(type->summary_name, "AvgPool2d") == 0 &&
           strcmp(type->name_prefix, "avgpool") == 0,
       "torchsummary lists it as AvgPool2d; its modules are avgpool, "
       "avgpool2, ...");
}

static void check_refusals(void)
{
    struct test_layer t;
    struct cnn_shape input = {2, 6, 6};
    int status = test_layer_make(&t, "avgpool2d", input, "kernel", "3",
                                 "padding", "2", NULL);
    ok(status < 0 && strstr(t.err.message, "avgpool1 (avgpool2d)") &&
           strstr(t.err.message, "padding (2, 2) is more than half the "
                                 "kernel (3, 3); use padding at most (1, 1)"),
       "padding over half the kernel is refused, naming the layer and the "
       "fix");
    diag("  %s", t.err.message);
    test_layer_free(&t);

    status = test_layer_make(&t, "avgpool2d", input, "kernel", "7", NULL);
    ok(status < 0 && strstr(t.err.message, "largest kernel that fits is "
                                           "(6, 6)"),
       "a kernel larger than the input is refused with the largest that "
       "fits");
    diag("  %s", t.err.message);
    test_layer_free(&t);

    if (test_layer_make(&t, "avgpool2d", input, "kernel", "2", NULL)) {
        ok(0, "avgpool2d {kernel: 2} sets up");
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor x = tensor_new(1, (struct cnn_shape){2, 6, 5});
    struct cnn_tensor y = tensor_new(1, t.layer.output);
    status = t.kernels->forward(&harness_context, &t.layer, &x, &y, 1,
                                &t.err);
    ok(status < 0 && strstr(t.err.message, t.layer.name) &&
           strstr(t.err.message, "[2, 6, 6]"),
       "an input of another shape is refused, naming the layer and its "
       "shape");
    diag("  %s", t.err.message);
    struct cnn_tensor dy = tensor_new(1, t.layer.output);
    status = t.kernels->backward(&harness_context, &t.layer, &x, &y, &dy,
                                 NULL, &t.err);
    is_int(status, 0, "backward without dx (a first layer) succeeds");
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    test_layer_free(&t);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    check_values();
    check_gradients();
    check_describe();
    check_refusals();
    harness_finish();
    return done_testing();
}
