/* The built-in layers' public settings (<cnnlab/builtin_layers.h>): after
 * setup from manifest values, each layer's struct holds them parsed (and
 * the defaults where the manifest is silent), and each accessor refuses a
 * layer of another type, one without a type and one not set up, with an
 * error naming the layer. Device kernels (the CUDA module's included)
 * read nothing else, so a field parsed wrong here is a wrong kernel. */
#include <stdio.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "layer-harness.h"
#include "tap.h"

#define SETTINGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_SETTINGS ((const char *const[]){NULL})

static const struct cnn_shape rgb = {3, 32, 32};

/* Builds a layer; on failure says why (the checks that follow fail). */
static int make(struct test_layer *t, const char *type,
                const char *const *settings)
{
    if (test_layer_make_list(t, type, rgb, settings) == 0)
        return 0;
    diag("  %s setup failed: %s", type, t->err.message);
    return -1;
}

static void check_conv2d(void)
{
    struct test_layer t;
    struct cnn_error err = {0};
    const struct cnn_conv2d_settings *s = NULL;
    if (make(&t, "conv2d",
             SETTINGS("out", "8", "kernel", "5", "stride", "1", "padding",
                      "2", "bias", "false", "activation", "relu")) == 0)
        s = cnn_conv2d_settings_of(&t.layer, &err);
    ok(s != NULL, "conv2d: the accessor gives the settings");
    if (s) {
        is_int(s->out, 8, "conv2d: out");
        ok(s->kernel_h == 5 && s->kernel_w == 5, "conv2d: kernel (5, 5)");
        ok(s->stride_h == 1 && s->stride_w == 1, "conv2d: stride (1, 1)");
        ok(s->pad_h == 2 && s->pad_w == 2, "conv2d: padding (2, 2)");
        ok(s->dilation_h == 1 && s->dilation_w == 1,
           "conv2d: dilation defaults to (1, 1)");
        is_int(s->bias, 0, "conv2d: bias false");
        is_int(s->relu, 1, "conv2d: activation relu");
        is_int(s->algorithm, CNN_CONV2D_AUTO,
               "conv2d: algorithm defaults to auto");
    }
    test_layer_free(&t);

    s = NULL;
    if (make(&t, "conv2d",
             SETTINGS("out", "4", "kernel", "[3, 1]", "stride", "[2, 1]",
                      "padding", "[1, 0]", "dilation", "[2, 1]",
                      "algorithm", "direct")) == 0)
        s = cnn_conv2d_settings_of(&t.layer, &err);
    ok(s && s->kernel_h == 3 && s->kernel_w == 1 && s->stride_h == 2 &&
           s->stride_w == 1 && s->pad_h == 1 && s->pad_w == 0 &&
           s->dilation_h == 2 && s->dilation_w == 1,
       "conv2d: pairs keep height and width apart");
    ok(s && s->bias == 1 && s->relu == 0 &&
           s->algorithm == CNN_CONV2D_DIRECT,
       "conv2d: bias defaults to true, activation to none; algorithm "
       "direct");
    ok(s && s->pad_bottom == 1 && s->pad_right == 0 && s->same == 0,
       "conv2d: numeric padding pads after as before, and is not same");
    test_layer_free(&t);

    /* padding: same splits the dilated span less one as PyTorch: half
     * (rounded down) before, the rest after. */
    s = NULL;
    if (make(&t, "conv2d",
             SETTINGS("out", "4", "kernel", "[4, 3]", "dilation", "[1, 3]",
                      "padding", "same")) == 0)
        s = cnn_conv2d_settings_of(&t.layer, &err);
    ok(s && s->same == 1, "conv2d: padding: same is recorded");
    ok(s && s->pad_h == 1 && s->pad_bottom == 2,
       "conv2d: same, kernel 4: 1 zero before, 2 after");
    ok(s && s->pad_w == 3 && s->pad_right == 3,
       "conv2d: same, kernel 3 dilation 3: 3 zeros each side");
    ok(t.layer.output.h == 32 && t.layer.output.w == 32,
       "conv2d: same keeps the input's 32x32");
    test_layer_free(&t);
}

static void check_linear(void)
{
    struct test_layer t;
    struct cnn_error err = {0};
    const struct cnn_linear_settings *s = NULL;
    if (make(&t, "linear", SETTINGS("out", "10", "activation", "relu")) == 0)
        s = cnn_linear_settings_of(&t.layer, &err);
    ok(s && s->out == 10 && s->bias == 1 && s->relu == 1,
       "linear: out 10, bias (default) true, activation relu");
    test_layer_free(&t);

    s = NULL;
    if (make(&t, "linear", SETTINGS("out", "3", "bias", "false")) == 0)
        s = cnn_linear_settings_of(&t.layer, &err);
    ok(s && s->out == 3 && s->bias == 0 && s->relu == 0,
       "linear: out 3, bias false, activation (default) none");
    test_layer_free(&t);
}

static void check_maxpool2d(void)
{
    struct test_layer t;
    struct cnn_error err = {0};
    const struct cnn_maxpool2d_settings *s = NULL;
    if (make(&t, "maxpool2d", SETTINGS("kernel", "[3, 2]")) == 0)
        s = cnn_maxpool2d_settings_of(&t.layer, &err);
    ok(s && s->kernel_h == 3 && s->kernel_w == 2,
       "maxpool2d: kernel (3, 2)");
    ok(s && s->stride_h == 3 && s->stride_w == 2,
       "maxpool2d: the default stride 0 is stored resolved, as the kernel");
    ok(s && s->pad_h == 0 && s->pad_w == 0,
       "maxpool2d: padding defaults to 0");
    test_layer_free(&t);

    s = NULL;
    if (make(&t, "maxpool2d",
             SETTINGS("kernel", "3", "stride", "2", "padding", "1")) == 0)
        s = cnn_maxpool2d_settings_of(&t.layer, &err);
    ok(s && s->kernel_h == 3 && s->kernel_w == 3 && s->stride_h == 2 &&
           s->stride_w == 2 && s->pad_h == 1 && s->pad_w == 1,
       "maxpool2d: kernel 3, stride 2, padding 1");
    test_layer_free(&t);
}

static void check_avgpool2d(void)
{
    struct test_layer t;
    struct cnn_error err = {0};
    const struct cnn_avgpool2d_settings *s = NULL;
    if (make(&t, "avgpool2d", SETTINGS("kernel", "[3, 2]")) == 0)
        s = cnn_avgpool2d_settings_of(&t.layer, &err);
    ok(s && s->kernel_h == 3 && s->kernel_w == 2,
       "avgpool2d: kernel (3, 2)");
    ok(s && s->stride_h == 3 && s->stride_w == 2,
       "avgpool2d: the default stride 0 is stored resolved, as the kernel");
    ok(s && s->pad_h == 0 && s->pad_w == 0 && s->count_include_pad == 1,
       "avgpool2d: padding defaults to 0, count_include_pad to true");
    test_layer_free(&t);

    s = NULL;
    if (make(&t, "avgpool2d",
             SETTINGS("kernel", "3", "stride", "[2, 1]", "padding", "[1, 0]",
                      "count_include_pad", "false")) == 0)
        s = cnn_avgpool2d_settings_of(&t.layer, &err);
    ok(s && s->kernel_h == 3 && s->kernel_w == 3 && s->stride_h == 2 &&
           s->stride_w == 1 && s->pad_h == 1 && s->pad_w == 0 &&
           s->count_include_pad == 0,
       "avgpool2d: kernel 3, stride [2, 1], padding [1, 0], "
       "count_include_pad false");
    test_layer_free(&t);
}

static void check_globalpool(void)
{
    struct test_layer t;
    struct cnn_error err = {0};
    const struct cnn_globalpool_settings *s = NULL;
    if (make(&t, "globalpool", NO_SETTINGS) == 0)
        s = cnn_globalpool_settings_of(&t.layer, &err);
    ok(s && s->mode == CNN_GLOBALPOOL_AVG, "globalpool: mode defaults to "
       "avg");
    test_layer_free(&t);

    s = NULL;
    if (make(&t, "globalpool", SETTINGS("mode", "max")) == 0)
        s = cnn_globalpool_settings_of(&t.layer, &err);
    ok(s && s->mode == CNN_GLOBALPOOL_MAX, "globalpool: mode max");
    test_layer_free(&t);
}

static void check_dropout(void)
{
    struct test_layer t;
    struct cnn_error err = {0};
    const struct cnn_dropout_settings *s = NULL;
    if (make(&t, "dropout", NO_SETTINGS) == 0)
        s = cnn_dropout_settings_of(&t.layer, &err);
    ok(s && s->p == 0.5, "dropout: p defaults to 0.5");
    test_layer_free(&t);

    s = NULL;
    if (make(&t, "dropout", SETTINGS("p", "0.1")) == 0)
        s = cnn_dropout_settings_of(&t.layer, &err);
    /* The double the manifest's text reads as, not a float's rounding. */
    ok(s && s->p == 0.1, "dropout: p 0.1, kept as the double 0.1");
    test_layer_free(&t);
}

static void check_leaky_relu(void)
{
    struct test_layer t;
    struct cnn_error err = {0};
    const struct cnn_leaky_relu_settings *s = NULL;
    if (make(&t, "leaky-relu", NO_SETTINGS) == 0)
        s = cnn_leaky_relu_settings_of(&t.layer, &err);
    ok(s && s->slope == 0.01, "leaky-relu: slope defaults to 0.01");
    test_layer_free(&t);

    s = NULL;
    if (make(&t, "leaky-relu", SETTINGS("slope", "0.3")) == 0)
        s = cnn_leaky_relu_settings_of(&t.layer, &err);
    ok(s && s->slope == 0.3, "leaky-relu: slope 0.3, kept as the double");
    test_layer_free(&t);
}

/* relu and flatten have no settings. */
static void check_no_settings(void)
{
    const char *types[] = {"relu", "flatten"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        struct test_layer t;
        int made = make(&t, types[i], NO_SETTINGS);
        ok(made == 0 && t.layer.state == NULL, "%s: no settings (state "
           "NULL)", types[i]);
        test_layer_free(&t);
    }
}

/* Every accessor refuses every other layer type, naming the layer. */
static void check_refusals(void)
{
    struct test_layer linear, conv;
    struct cnn_error err = {0};
    int made = make(&linear, "linear", SETTINGS("out", "8")) == 0;
    made = make(&conv, "conv2d", SETTINGS("out", "8", "kernel", "3")) == 0 &&
           made;
    ok(made, "a linear and a conv2d layer to misread");

    ok(!cnn_conv2d_settings_of(&linear.layer, &err) && err.failed,
       "conv2d's accessor refuses a linear layer");
    like(err.message, "layer fc1 (linear): its settings were read as a "
         "conv2d layer's", "the refusal names the layer and both types");

    cnn_error_clear(&err);
    ok(!cnn_linear_settings_of(&conv.layer, &err) && err.failed,
       "linear's accessor refuses a conv2d layer");
    like(err.message, "layer conv1 (conv2d)", "naming it");
    ok(!cnn_maxpool2d_settings_of(&conv.layer, NULL) &&
           !cnn_avgpool2d_settings_of(&conv.layer, NULL) &&
           !cnn_leaky_relu_settings_of(&conv.layer, NULL) &&
           !cnn_globalpool_settings_of(&conv.layer, NULL) &&
           !cnn_dropout_settings_of(&linear.layer, NULL),
       "maxpool2d's, avgpool2d's, leaky-relu's, globalpool's and "
       "dropout's refuse them too (no error to fill is fine)");
    ok(cnn_linear_settings_of(&linear.layer, NULL) == linear.layer.state &&
           cnn_conv2d_settings_of(&conv.layer, NULL) == conv.layer.state,
       "each accessor gives its own layer's state");

    /* A conv2d layer whose setup has not run, and one with no type. */
    struct cnn_layer bare = conv.layer;
    bare.state = NULL;
    cnn_error_clear(&err);
    ok(!cnn_conv2d_settings_of(&bare, &err), "a layer not set up is "
       "refused");
    like(err.message, "layer conv1 (conv2d): no settings", "saying so");
    bare.type = NULL;
    bare.state = conv.layer.state;
    cnn_error_clear(&err);
    ok(!cnn_conv2d_settings_of(&bare, &err) && err.failed,
       "a layer without a type is refused");
    like(err.message, "layer conv1 (no type)", "saying so");
    cnn_error_clear(&err);
    ok(!cnn_conv2d_settings_of(NULL, &err) && err.failed,
       "no layer at all is refused");

    test_layer_free(&conv);
    test_layer_free(&linear);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    check_conv2d();
    check_linear();
    check_maxpool2d();
    check_avgpool2d();
    check_globalpool();
    check_dropout();
    check_leaky_relu();
    check_no_settings();
    check_refusals();
    harness_finish();
    return done_testing();
}
