/* batchnorm2d and batchnorm1d (PyTorch's nn.BatchNorm2d/1d) on the CPU:
 * forward and backward in training and in evaluation against a float64
 * reference written from the definitions, the running statistics and
 * num_batches_tracked after several training forwards, gradients by
 * central differences (no PyTorch needed; t/parity-torch.sh compares with
 * PyTorch itself), the same bits whatever the thread count, the repr
 * PyTorch prints, and the refusals, naming the layer.
 *
 * Tolerances: y, dx and the parameter gradients within 1e-5 relative to
 * the largest reference value (float32 data, statistics summed in
 * double); running statistics within 1e-6. Central differences: step
 * 1e-2 on inputs in [-2, 2), Caffe's 1e-2 threshold. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"
#include "tap.h"

#define TOLERANCE 1e-5
#define RUNNING_TOLERANCE 1e-6

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

/* What the reference needs of a layer's settings. */
struct settings {
    double eps, momentum;
    int relu;
};

/* The float64 reference of one forward and backward of (n, c, plane)
 * data, from the definitions: training normalises with the batch's mean
 * and biased variance, evaluation with `running` (mean, var). */
struct reference {
    double *y, *dx, *dweight, *dbias;
    double *running_mean, *running_var; /* after the forward */
};

static void reference(const float *x, const float *dy, int n, int c,
                      size_t plane, const float *weight, const float *bias,
                      const float *mean_in, const float *var_in,
                      struct settings s, int training, struct reference *r)
{
    double m = (double)n * (double)plane;
    for (int ch = 0; ch < c; ch++) {
        double mean = 0, var = 0;
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < plane; e++)
                mean += x[((size_t)i * c + ch) * plane + e];
        mean /= m;
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < plane; e++) {
                double d = x[((size_t)i * c + ch) * plane + e] - mean;
                var += d * d;
            }
        var /= m;
        r->running_mean[ch] = training ? (1 - s.momentum) * mean_in[ch] +
                                             s.momentum * mean
                                       : mean_in[ch];
        r->running_var[ch] = training ? (1 - s.momentum) * var_in[ch] +
                                            s.momentum * var * m / (m - 1)
                                      : var_in[ch];
        if (!training) {
            mean = mean_in[ch];
            var = var_in[ch];
        }
        double invstd = 1 / sqrt(var + s.eps);
        double gamma = weight ? weight[ch] : 1, beta = bias ? bias[ch] : 0;
        double sum_g = 0, sum_g_xhat = 0;
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < plane; e++) {
                size_t at = ((size_t)i * c + ch) * plane + e;
                double xhat = (x[at] - mean) * invstd;
                double y = gamma * xhat + beta;
                r->y[at] = s.relu && y <= 0 ? 0 : y;
                double g = s.relu && y <= 0 ? 0 : dy[at];
                sum_g += g;
                sum_g_xhat += g * xhat;
            }
        r->dweight[ch] = sum_g_xhat;
        r->dbias[ch] = sum_g;
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < plane; e++) {
                size_t at = ((size_t)i * c + ch) * plane + e;
                double xhat = (x[at] - mean) * invstd;
                double g = s.relu && r->y[at] <= 0 ? 0 : dy[at];
                /* d/dx of gamma * (x - mean(x)) / sqrt(var(x) + eps). */
                r->dx[at] = training
                                ? gamma * invstd / m *
                                      (m * g - sum_g - xhat * sum_g_xhat)
                                : gamma * invstd * g;
            }
    }
}

static void check_values(const char *type, struct cnn_shape shape, int n,
                         const char *const *settings, struct settings s,
                         const char *label)
{
    struct test_layer t;
    if (test_layer_make_list(&t, type, shape, settings)) {
        ok(0, "%s sets up", label);
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    int c = shape.c;
    size_t plane = (size_t)shape.h * shape.w;
    const float *weight = t.layer.tensor_count ? t.layer.tensors[0].data
                                               : NULL;
    const float *bias = t.layer.tensor_count ? t.layer.tensors[1].data
                                             : NULL;
    float *running_mean = t.layer.buffers[0].data;
    float *running_var = t.layer.buffers[1].data;
    int64_t *tracked = t.layer.buffers[2].data;
    struct cnn_tensor x = tensor_new(n, shape), y = tensor_new(n, shape);
    struct cnn_tensor dy = tensor_new(n, shape), dx = tensor_new(n, shape);
    size_t count = cnn_tensor_count(&x);
    struct reference r = {doubles_new(count), doubles_new(count),
                          doubles_new(c), doubles_new(c), doubles_new(c),
                          doubles_new(c)};
    float *mean_before = malloc(c * sizeof(float));
    float *var_before = malloc(c * sizeof(float));
    char what[160];
    int ran = test_layer_prepare(&t, n) == 0;
    /* Three training forwards, each checked; the statistics then move
     * away from their start (0 and 1), and evaluation uses them. */
    for (int step = 0; step < 4 && ran; step++) {
        int training = step < 3;
        fill_uniform(x.data, count, -2.0f, 2.0f);
        for (size_t i = 0; i < count; i++)
            x.data[i] += 0.5f * (float)(i % (size_t)c); /* channel offsets */
        fill_uniform(dy.data, count, -1.0f, 1.0f);
        memcpy(mean_before, running_mean, c * sizeof(float));
        memcpy(var_before, running_var, c * sizeof(float));
        reference(x.data, dy.data, n, c, plane, weight, bias, mean_before,
                  var_before, s, training, &r);
        poison(y.data, count);
        poison(dx.data, count);
        poison(t.gradients, t.parameter_count);
        ran = test_layer_forward(&t, &x, &y, training) == 0 &&
              test_layer_backward(&t, &x, &y, &dy, &dx) == 0;
        const char *mode = training ? "training" : "evaluation";
        snprintf(what, sizeof what, "%s: %s forward %d", label, mode, step);
        report(ran ? compare(y.data, r.y, count, TOLERANCE, what)
                   : check_not_run(what));
        snprintf(what, sizeof what, "%s: %s backward %d (dx)", label, mode,
                 step);
        report(ran ? compare(dx.data, r.dx, count, TOLERANCE, what)
                   : check_not_run(what));
        if (t.layer.tensor_count) {
            snprintf(what, sizeof what, "%s: %s backward %d (dweight)",
                     label, mode, step);
            report(ran ? compare(t.layer.tensors[0].grad, r.dweight, c,
                                 TOLERANCE, what)
                       : check_not_run(what));
            snprintf(what, sizeof what, "%s: %s backward %d (dbias)", label,
                     mode, step);
            report(ran ? compare(t.layer.tensors[1].grad, r.dbias, c,
                                 TOLERANCE, what)
                       : check_not_run(what));
        }
        snprintf(what, sizeof what, "%s: running_mean after %s forward %d",
                 label, mode, step);
        report(ran ? compare(running_mean, r.running_mean, c,
                             RUNNING_TOLERANCE, what)
                   : check_not_run(what));
        snprintf(what, sizeof what, "%s: running_var (unbiased) after %s "
                 "forward %d", label, mode, step);
        report(ran ? compare(running_var, r.running_var, c,
                             RUNNING_TOLERANCE, what)
                   : check_not_run(what));
    }
    is_int(ran ? (long)*tracked : -1, 3,
           "%s: num_batches_tracked counts the 3 training forwards, not the "
           "evaluation", label);
    free(mean_before);
    free(var_before);
    free(r.y);
    free(r.dx);
    free(r.dweight);
    free(r.dbias);
    free(r.running_mean);
    free(r.running_var);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&t);
}

static void check_gradients(const char *type, struct cnn_shape shape, int n,
                            const char *const *settings, int kinks,
                            const char *label)
{
    struct test_layer t;
    if (test_layer_make_list(&t, type, shape, settings) ||
        test_layer_prepare(&t, n)) {
        ok(0, "%s sets up", label);
        diag("  %s", t.err.message);
        test_layer_free(&t);
        return;
    }
    struct cnn_tensor x = tensor_new(n, shape);
    fill_uniform(x.data, cnn_tensor_count(&x), -2.0f, 2.0f);
    char what[128];
    snprintf(what, sizeof what, "%s: gradients (training mode)", label);
    report(gradient_check(&t, &x, 1e-2f, 1e-2, 60, kinks, what));
    tensor_free(&x);
    test_layer_free(&t);
}

/* Forward and backward with 1 and with 2 threads: the same bits (each
 * channel is summed by one thread in one order). */
static void check_threads(void)
{
    struct cnn_shape shape = {8, 64, 64}; /* above the parallel minimum */
    const int n = 3;
    struct cnn_tensor x = tensor_new(n, shape), dy = tensor_new(n, shape);
    struct cnn_tensor y[2] = {tensor_new(n, shape), tensor_new(n, shape)};
    struct cnn_tensor dx[2] = {tensor_new(n, shape), tensor_new(n, shape)};
    size_t count = cnn_tensor_count(&x);
    fill_uniform(x.data, count, -2.0f, 2.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    float running[2][8], values[16];
    int ran = 1;
    for (int k = 0; k < 2 && ran; k++) {
        struct test_layer t;
        harness_context.threads = k + 1;
        static const char *const relu[] = {"activation", "relu", NULL};
        ran = test_layer_make_list(&t, "batchnorm2d", shape, relu) == 0;
        /* The same weight and bias for both (make draws new ones). */
        if (ran && k == 0)
            memcpy(values, t.values, sizeof values);
        if (ran)
            memcpy(t.values, values, sizeof values);
        ran = ran && test_layer_prepare(&t, n) == 0 &&
              test_layer_forward(&t, &x, &y[k], 1) == 0 &&
              test_layer_backward(&t, &x, &y[k], &dy, &dx[k]) == 0;
        if (ran)
            memcpy(running[k], t.layer.buffers[1].data, sizeof running[k]);
        test_layer_free(&t);
    }
    harness_context.threads = 2;
    report(ran ? compare_bits(y[1].data, y[0].data, count,
                              "2 threads forward as 1, bit for bit")
               : check_not_run("threads: forward"));
    report(ran ? compare_bits(dx[1].data, dx[0].data, count,
                              "2 threads backward as 1, bit for bit")
               : check_not_run("threads: backward"));
    report(ran ? compare_bits(running[1], running[0], 8,
                              "2 threads update running_var as 1")
               : check_not_run("threads: running statistics"));
    tensor_free(&x);
    tensor_free(&dy);
    for (int k = 0; k < 2; k++) {
        tensor_free(&y[k]);
        tensor_free(&dx[k]);
    }
}

static void check_describe_and_declarations(void)
{
    struct test_layer t;
    char text[256];
    static const char *const none[] = {NULL};
    struct cnn_shape image = {64, 80, 80}, features = {128, 1, 1};
    if (test_layer_make_list(&t, "batchnorm2d", image, none) == 0) {
        t.layer.type->describe(&t.layer, text, sizeof text);
        is_str(text, "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, "
               "track_running_stats=True)", "batchnorm2d's repr is "
               "PyTorch's");
        is_int(t.layer.tensor_count, 2, "weight and bias are parameters");
        is_int(t.layer.buffer_count, 3, "three buffers");
        ok(t.layer.buffer_count == 3 &&
               strcmp(t.layer.buffers[0].name, "running_mean") == 0 &&
               strcmp(t.layer.buffers[1].name, "running_var") == 0 &&
               strcmp(t.layer.buffers[2].name, "num_batches_tracked") == 0 &&
               t.layer.buffers[2].dtype == CNN_BUFFER_I64 &&
               t.layer.buffers[2].ndim == 0,
           "buffers as PyTorch's state_dict has them: running_mean, "
           "running_var, num_batches_tracked (an int64 scalar)");
    } else {
        ok(0, "batchnorm2d sets up: %s", t.err.message);
    }
    test_layer_free(&t);
    static const char *const plain[] = {"affine", "false", "eps", "0.001",
                                        "momentum", "0.01", NULL};
    if (test_layer_make_list(&t, "batchnorm1d", features, plain) == 0) {
        t.layer.type->describe(&t.layer, text, sizeof text);
        is_str(text, "BatchNorm1d(128, eps=0.001, momentum=0.01, "
               "affine=False, track_running_stats=True)",
               "batchnorm1d's repr is PyTorch's");
        is_int(t.layer.tensor_count, 0, "affine: false has no parameters");
    } else {
        ok(0, "batchnorm1d sets up: %s", t.err.message);
    }
    test_layer_free(&t);
}

static void check_refusals(void)
{
    struct test_layer t;
    static const char *const none[] = {NULL};
    struct cnn_shape image = {4, 3, 3};
    ok(test_layer_make_list(&t, "batchnorm1d", image, none) < 0,
       "batchnorm1d refuses [4, 3, 3]");
    like(t.err.message, "layer bn1 (batchnorm1d) cannot take input "
         "[4, 3, 3]: batchnorm1d normalises features", "  naming the layer "
         "and the shape");
    like(t.err.message, "use batchnorm2d", "  and saying what fits");
    test_layer_free(&t);
    static const char *const zero[] = {"eps", "0", NULL};
    ok(test_layer_make_list(&t, "batchnorm2d", image, zero) < 0,
       "eps 0 is refused");
    like(t.err.message, "eps must be above 0", "  saying why");
    test_layer_free(&t);

    /* One value per channel has no variance: refused in training, as
     * PyTorch refuses it; evaluation takes it. */
    struct cnn_shape features = {5, 1, 1};
    struct cnn_tensor x = tensor_new(1, features), y = tensor_new(1, features);
    fill_uniform(x.data, 5, -1.0f, 1.0f);
    if (test_layer_make_list(&t, "batchnorm1d", features, none) == 0 &&
        test_layer_prepare(&t, 1) == 0) {
        ok(t.kernels->forward(&harness_context, &t.layer, &x, &y, 1,
                              &t.err) < 0,
           "a training batch of 1 sample is refused");
        like(t.err.message, "needs at least 2 (as PyTorch)", "  saying why");
        ok(t.kernels->forward(&harness_context, &t.layer, &x, &y, 0,
                              &t.err) == 0,
           "an evaluation batch of 1 sample is fine");
    } else {
        ok(0, "batchnorm1d sets up: %s", t.err.message);
    }
    test_layer_free(&t);
    tensor_free(&x);
    tensor_free(&y);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! %s\n", err.message);
        return 1;
    }
    static const char *const plain[] = {NULL};
    static const char *const relu[] = {"activation", "relu", NULL};
    static const char *const custom[] = {"affine", "false", "eps", "0.01",
                                         "momentum", "0.25", NULL};
    struct settings defaults = {1e-5, 0.1, 0};
    struct settings with_relu = {1e-5, 0.1, 1};
    struct settings other = {0.01, 0.25, 0};
    struct cnn_shape image = {3, 5, 4}, features = {6, 1, 1};
    check_values("batchnorm2d", image, 4, plain, defaults, "batchnorm2d");
    check_values("batchnorm2d", image, 2, relu, with_relu,
                 "batchnorm2d {activation: relu}");
    check_values("batchnorm2d", image, 3, custom, other,
                 "batchnorm2d {affine: false, eps: 0.01, momentum: 0.25}");
    check_values("batchnorm1d", features, 5, plain, defaults,
                 "batchnorm1d");
    check_values("batchnorm1d", features, 7, relu, with_relu,
                 "batchnorm1d {activation: relu}");
    check_gradients("batchnorm2d", image, 3, plain, 0, "batchnorm2d");
    check_gradients("batchnorm2d", image, 3, relu, 1,
                    "batchnorm2d {activation: relu}");
    check_gradients("batchnorm2d", image, 2, custom, 0,
                    "batchnorm2d {affine: false}");
    check_gradients("batchnorm1d", features, 6, plain, 0, "batchnorm1d");
    check_threads();
    check_describe_and_declarations();
    check_refusals();
    harness_finish();
    return done_testing();
}
