/* The CUDA module's own layer kernels (plugins/cuda/kernels.cu: relu,
 * leaky-relu, flatten, max and global pooling, dropout;
 * avgpool2d_kernels.cu) against the CPU kernels of layers.so on the same
 * seeded inputs, forward and backward, with every device output poisoned
 * first. Skipped without a GPU (test-cuda-loss-sgd.c does the loss and
 * the optimizer).
 *
 * Tolerances (relative to max(1, the largest reference value), as
 * compare() in t/layer-harness.c):
 * - relu, flatten, max pooling (overlapping windows, padding, ties, NaN,
 *   infinities) and global max pooling only move values, and max
 *   pooling's gradient is summed in the CPU's order: exact (0).
 * - leaky-relu is one float multiply on both sides (slope 0 relu's own
 *   expressions): exact (0).
 * - average pooling takes the CPU's float operations in its order
 *   (sums, one division; the gradient's shares added in output order):
 *   exact (0).
 * - global average pooling sums in double on both sides, in different
 *   orders, then rounds to float: 1e-6.
 * - dropout cannot equal the CPU's mask (a counter-based hash on the
 *   device, a sequential stream on the CPU), so its statistics are
 *   checked: the kept fraction within 4 standard deviations of 1 - p, and
 *   two masks' disagreement within 4 of 2 p (1 - p); the kept values are
 *   x * (1 / (1 - p)) in float exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda-harness.h"
#include "test-util.h"

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

/* ---- layers ---- */

/* The same layer twice, one with the CPU kernels, one with CUDA's. */
static int make_pair(struct test_layer *cpu, struct test_layer *cuda,
                     const char *type, struct cnn_shape input,
                     const char *const *settings)
{
    if (test_layer_make_list(cpu, type, input, settings) ||
        test_layer_make_list(cuda, type, input, settings)) {
        diag("%s: %s%s", type, cpu->err.message, cuda->err.message);
        return -1;
    }
    cuda->kernels = cnn_registry_layer_kernels(harness_registry, type,
                                               CNN_DEVICE_CUDA);
    if (!cuda->kernels) {
        diag("no cuda kernels registered for %s", type);
        return -1;
    }
    return 0;
}

static int gpu_call(struct test_layer *t, int status, const char *call)
{
    if (status)
        diag("cuda %s of %s failed: %s", call, t->layer.name,
             t->err.message);
    return status;
}

/* Forward (training or inference) and backward on the device: y and dx
 * come back. */
static int gpu_run(struct test_layer *t, int n, int training,
                   const float *x_host, const float *dy_host, float *y_host,
                   float *dx_host)
{
    struct cnn_tensor x = gpu_tensor(n, t->layer.input, x_host);
    struct cnn_tensor y = gpu_tensor(n, t->layer.output, NULL);
    struct cnn_tensor dy = gpu_tensor(n, t->layer.output, dy_host);
    struct cnn_tensor dx = gpu_tensor(n, t->layer.input, NULL);
    const struct cnn_layer_kernels *k = t->kernels;
    int failed =
        (k->prepare &&
         gpu_call(t, k->prepare(&gpu_context, &t->layer, n, &t->err), "prepare")) ||
        gpu_call(t, k->forward(&gpu_context, &t->layer, &x, &y, training,
                               &t->err),
                 "forward") ||
        gpu_call(t, k->backward(&gpu_context, &t->layer, &x, &y, &dy, &dx, &t->err),
                 "backward");
    if (!failed) {
        gpu_download(y_host, y.data, cnn_tensor_count(&y) * sizeof(float));
        gpu_download(dx_host, dx.data, cnn_tensor_count(&dx) * sizeof(float));
    }
    gpu_tensor_free(&x);
    gpu_tensor_free(&y);
    gpu_tensor_free(&dy);
    gpu_tensor_free(&dx);
    return !failed;
}

enum fill {
    FILL_UNIFORM, /* U(-1, 1) */
    FILL_TIES,    /* four levels (ties everywhere), 1 in 8 NaN, x[0] NaN */
    FILL_INF,     /* -inf in half, some +inf and NaN */
};

static void fill_input(float *x, size_t count, enum fill mode)
{
    static const float levels[] = {-1.0f, 0.0f, 0.5f, 1.0f};
    if (mode == FILL_UNIFORM) {
        fill_uniform(x, count, -1.0f, 1.0f);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t draw = cnn_rng_below(&harness_rng, 64);
        x[i] = levels[cnn_rng_below(&harness_rng, 4)];
        if (mode == FILL_TIES && draw < 8)
            x[i] = NAN;
        if (mode == FILL_INF)
            x[i] = draw < 32 ? -INFINITY : draw < 38 ? INFINITY
                                         : draw < 41 ? NAN : x[i];
    }
    /* A NaN first in a plane: global max pooling's special case. */
    if (mode == FILL_TIES)
        x[0] = NAN;
}

/* Forward and backward of one layer on both devices, from the same x and
 * dy, compared within `tolerance`: the CPU's after a training forward,
 * the device's after a training forward or (gpu_training 0) an inference
 * one. */
static void check_layer_mode(const char *what, const char *type,
                             const char *const *settings, struct cnn_shape in,
                             int n, enum fill mode, double tolerance,
                             int gpu_training)
{
    struct test_layer cpu, cuda;
    char label[200];
    if (make_pair(&cpu, &cuda, type, in, settings)) {
        ok(0, "%s: the layer is made", what);
        test_layer_free(&cpu);
        test_layer_free(&cuda);
        return;
    }
    struct cnn_tensor x = tensor_new(n, in), y = tensor_new(n, cpu.layer.output);
    struct cnn_tensor dy = tensor_new(n, cpu.layer.output);
    struct cnn_tensor dx = tensor_new(n, in);
    size_t in_count = cnn_tensor_count(&x), out_count = cnn_tensor_count(&y);
    float *y_gpu = malloc(out_count * sizeof(float) + 1);
    float *dx_gpu = malloc(in_count * sizeof(float) + 1);
    if (!y_gpu || !dx_gpu) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    fill_input(x.data, in_count, mode);
    fill_uniform(dy.data, out_count, -1.0f, 1.0f);
    int ran = test_layer_prepare(&cpu, n) == 0 &&
              test_layer_forward(&cpu, &x, &y, 1) == 0 &&
              test_layer_backward(&cpu, &x, &y, &dy, &dx) == 0 &&
              gpu_run(&cuda, n, gpu_training, x.data, dy.data, y_gpu,
                      dx_gpu);
    snprintf(label, sizeof label, "%s: forward", what);
    report(ran ? compare_floats(y_gpu, y.data, out_count, tolerance, label)
               : check_not_run(label));
    snprintf(label, sizeof label, "%s: backward", what);
    report(ran ? compare_floats(dx_gpu, dx.data, in_count, tolerance, label)
               : check_not_run(label));
    free(y_gpu);
    free(dx_gpu);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    test_layer_free(&cpu);
    test_layer_free(&cuda);
}

static void check_layer(const char *what, const char *type,
                        const char *const *settings, struct cnn_shape in,
                        int n, enum fill mode, double tolerance)
{
    check_layer_mode(what, type, settings, in, n, mode, tolerance, 1);
}

static void check_layers(void)
{
    const char *const none[] = {NULL};
    check_layer("relu (NaN, zeros, ties)", "relu", none,
                (struct cnn_shape){5, 8, 8}, 3, FILL_TIES, 0);
    check_layer("relu (uniform)", "relu", none,
                (struct cnn_shape){7, 1, 1}, 5, FILL_UNIFORM, 0);
    check_layer("flatten", "flatten", none, (struct cnn_shape){4, 5, 6}, 3,
                FILL_UNIFORM, 0);
    const char *const slope02[] = {"slope", "0.2", NULL};
    const char *const slope0[] = {"slope", "0", NULL};
    check_layer("leaky-relu 0.2 (uniform)", "leaky-relu", slope02,
                (struct cnn_shape){5, 8, 8}, 3, FILL_UNIFORM, 0);
    check_layer("leaky-relu 0.2 (infinities)", "leaky-relu", slope02,
                (struct cnn_shape){5, 8, 8}, 3, FILL_INF, 0);
    check_layer("leaky-relu 0 (NaN, zeros, ties)", "leaky-relu", slope0,
                (struct cnn_shape){5, 8, 8}, 3, FILL_TIES, 0);
    check_layer("leaky-relu 0 (infinities)", "leaky-relu", slope0,
                (struct cnn_shape){5, 8, 8}, 3, FILL_INF, 0);

    const char *const k3s2[] = {"kernel", "3", "stride", "2", NULL};
    const char *const k3s2p1[] = {"kernel", "3", "stride", "2", "padding",
                                  "1", NULL};
    const char *const k2[] = {"kernel", "2", NULL};
    const char *const k32s12[] = {"kernel", "[3, 2]", "stride", "[1, 2]",
                                  NULL};
    const struct cnn_shape planes13 = {3, 13, 13};
    check_layer("maxpool2d k3 s2, overlapping (uniform)", "maxpool2d", k3s2,
                planes13, 2, FILL_UNIFORM, 0);
    check_layer("maxpool2d k3 s2, overlapping (ties, NaN)", "maxpool2d",
                k3s2, planes13, 2, FILL_TIES, 0);
    check_layer("maxpool2d k3 s2, overlapping (infinities)", "maxpool2d",
                k3s2, planes13, 2, FILL_INF, 0);
    check_layer("maxpool2d k3 s2 p1 (ties, NaN)", "maxpool2d", k3s2p1,
                (struct cnn_shape){2, 12, 12}, 3, FILL_TIES, 0);
    check_layer("maxpool2d k2 (ties, NaN)", "maxpool2d", k2,
                (struct cnn_shape){4, 10, 11}, 2, FILL_TIES, 0);
    check_layer("maxpool2d k[3,2] s[1,2] (ties, NaN)", "maxpool2d", k32s12,
                (struct cnn_shape){2, 9, 8}, 2, FILL_TIES, 0);

    /* Average pooling: the CPU's float sums in its order, the same
     * division, the gradient gathered in the CPU's output order. */
    const char *const a3s2p1[] = {"kernel", "3", "stride", "2", "padding",
                                  "1", NULL};
    const char *const a3s2p1x[] = {"kernel", "3", "stride", "2", "padding",
                                   "1", "count_include_pad", "false", NULL};
    const char *const a32s1p1x[] = {"kernel", "[3, 2]", "stride", "1",
                                    "padding", "1", "count_include_pad",
                                    "false", NULL};
    check_layer("avgpool2d k3 s2 p1, overlapping", "avgpool2d", a3s2p1,
                planes13, 2, FILL_UNIFORM, 0);
    check_layer("avgpool2d k3 s2 p1 count_include_pad false", "avgpool2d",
                a3s2p1x, planes13, 2, FILL_UNIFORM, 0);
    check_layer("avgpool2d k[3,2] s1 p1 count_include_pad false",
                "avgpool2d", a32s1p1x, (struct cnn_shape){2, 9, 8}, 3,
                FILL_UNIFORM, 0);
    check_layer("avgpool2d k2 (ties, NaN)", "avgpool2d", k2,
                (struct cnn_shape){4, 10, 11}, 2, FILL_TIES, 0);

    const char *const avg[] = {"mode", "avg", NULL};
    const char *const max[] = {"mode", "max", NULL};
    check_layer("globalpool avg", "globalpool", avg,
                (struct cnn_shape){6, 7, 7}, 3, FILL_UNIFORM, 1e-6);
    check_layer("globalpool avg (large planes)", "globalpool", avg,
                (struct cnn_shape){2, 40, 40}, 2, FILL_UNIFORM, 1e-6);
    check_layer("globalpool max (uniform)", "globalpool", max,
                (struct cnn_shape){6, 7, 7}, 3, FILL_UNIFORM, 0);
    check_layer("globalpool max (ties, NaN)", "globalpool", max,
                (struct cnn_shape){6, 5, 5}, 3, FILL_TIES, 0);
    check_layer("globalpool max (infinities)", "globalpool", max,
                (struct cnn_shape){6, 3, 3}, 3, FILL_INF, 0);
}

/* Max pooling's backward after an inference forward finds the maxima
 * again in x (gradients of a model in evaluation mode, for the
 * attribution analyses): the same dx as the CPU's after a training
 * forward, ties and NaN included. */
static void check_maxpool_inference(void)
{
    const char *const k3s2p1[] = {"kernel", "3", "stride", "2", "padding",
                                  "1", NULL};
    const char *const k2[] = {"kernel", "2", NULL};
    check_layer_mode("maxpool2d k3 s2 p1 after an inference forward (ties, "
                     "NaN)", "maxpool2d", k3s2p1,
                     (struct cnn_shape){2, 12, 12}, 3, FILL_TIES, 0, 0);
    check_layer_mode("maxpool2d k2 after an inference forward (uniform)",
                     "maxpool2d", k2, (struct cnn_shape){4, 10, 11}, 2,
                     FILL_UNIFORM, 0, 0);
}

/* A batch other than the prepared one is refused. */
static void check_maxpool_refusal(void)
{
    struct test_layer cpu, cuda;
    const char *const k2[] = {"kernel", "2", NULL};
    struct cnn_shape in = {2, 4, 4};
    if (make_pair(&cpu, &cuda, "maxpool2d", in, k2)) {
        ok(0, "maxpool2d: the layer is made");
        test_layer_free(&cpu);
        test_layer_free(&cuda);
        return;
    }
    struct cnn_tensor x = gpu_tensor(2, in, NULL);
    struct cnn_tensor y = gpu_tensor(2, cuda.layer.output, NULL);
    struct cnn_tensor dx = gpu_tensor(2, in, NULL);
    const struct cnn_layer_kernels *k = cuda.kernels;
    int status = k->prepare(&gpu_context, &cuda.layer, 2, &cuda.err);
    ok(status == 0, "maxpool2d: prepare runs (%s)", cuda.err.message);
    struct cnn_tensor wrong = x;
    wrong.n = 3;
    status = k->forward(&gpu_context, &cuda.layer, &wrong, &y, 1, &cuda.err);
    ok(status == -1 && strstr(cuda.err.message, "prepared for batches of 2"),
       "maxpool2d: a batch other than the prepared one is refused (%s)",
       cuda.err.message);
    gpu_tensor_free(&x);
    gpu_tensor_free(&y);
    gpu_tensor_free(&dx);
    test_layer_free(&cpu);
    test_layer_free(&cuda);
}


/* ---- dropout ---- */

/* A training (or evaluation) forward on the device; y comes back. */
static int dropout_forward(struct test_layer *t, struct cnn_tensor *x,
                           struct cnn_tensor *y, int training, float *y_host)
{
    if (gpu_call(t, t->kernels->forward(&gpu_context, &t->layer, x, y,
                                        training, &t->err),
                 "forward"))
        return 0;
    gpu_download(y_host, y->data, cnn_tensor_count(y) * sizeof(float));
    return 1;
}

static size_t count_kept(const float *y, size_t count)
{
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        kept += y[i] != 0.0f;
    return kept;
}

/* Positions kept in one output and dropped in the other. */
static size_t count_disagreeing(const float *a, const float *b,
                                size_t count)
{
    size_t differ = 0;
    for (size_t i = 0; i < count; i++)
        differ += (a[i] != 0.0f) != (b[i] != 0.0f);
    return differ;
}

/* |observed - expected| fraction within 4 standard deviations of a
 * binomial with probability `expected` over `count` draws. */
static void check_fraction(size_t observed, size_t count, double expected,
                           const char *what)
{
    double fraction = (double)observed / (double)count;
    double allowed = 4.0 * sqrt(expected * (1.0 - expected) / count);
    ok(fabs(fraction - expected) <= allowed,
       "dropout: %s %.4f, expected %.4f within %.4f", what, fraction,
       expected, allowed);
}

static void check_dropout(void)
{
    enum { N = 16 };
    const struct cnn_shape in = {16, 16, 16};
    const char *const settings[] = {"p", "0.3", NULL};
    const float p = 0.3f, scale = 1.0f / (1.0f - p);
    struct test_layer t;
    if (test_layer_make_list(&t, "dropout", in, settings) ||
        !(t.kernels = cnn_registry_layer_kernels(harness_registry, "dropout",
                                                 CNN_DEVICE_CUDA))) {
        ok(0, "dropout: the layer is made (%s)", t.err.message);
        test_layer_free(&t);
        return;
    }
    size_t count = (size_t)N * cnn_shape_size(in);
    float *x = malloc(count * sizeof(float)), *dy = malloc(count * sizeof(float));
    float *y = malloc(count * sizeof(float)), *dx = malloc(count * sizeof(float));
    float *again = malloc(count * sizeof(float));
    if (!x || !dy || !y || !dx || !again) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    /* Never 0, so a kept value is never mistaken for a dropped one. */
    fill_uniform(x, count, 0.5f, 1.5f);
    fill_uniform(dy, count, -1.0f, 1.0f);
    struct cnn_tensor X = gpu_tensor(N, in, x), Y = gpu_tensor(N, in, NULL);
    struct cnn_tensor DY = gpu_tensor(N, in, dy), DX = gpu_tensor(N, in, NULL);

    gpu_reset_step();
    int ran = !gpu_call(&t, t.kernels->prepare(&gpu_context, &t.layer, N,
                                               &t.err),
                        "prepare") &&
              dropout_forward(&t, &X, &Y, 1, y) &&
              !gpu_call(&t, t.kernels->backward(&gpu_context, &t.layer, &X,
                                                &Y, &DY, &DX, &t.err),
                        "backward");
    ok(ran, "dropout: training forward and backward run");
    if (ran) {
        gpu_download(dx, DX.data, count * sizeof(float));
        check_fraction(count_kept(y, count), count, 1.0 - p,
                       "kept fraction");
        size_t wrong_y = 0, wrong_dx = 0;
        for (size_t i = 0; i < count; i++) {
            int kept = y[i] != 0.0f;
            wrong_y += kept && y[i] != x[i] * scale;
            wrong_dx += dx[i] != (kept ? dy[i] * scale : 0.0f);
        }
        is_int(wrong_y, 0, "dropout: kept values are x / (1 - p) in float");
        is_int(wrong_dx, 0, "dropout: backward is dy / (1 - p) where kept, "
               "0 elsewhere (the forward's mask)");

        gpu_step_done();
        ran = dropout_forward(&t, &X, &Y, 1, again);
        ok(ran, "dropout: a second step's forward runs");
        if (ran)
            check_fraction(count_disagreeing(y, again, count), count,
                           2.0 * p * (1.0 - p),
                           "masks of two steps disagree on");
        gpu_reset_step();
        ran = dropout_forward(&t, &X, &Y, 1, again);
        ok(ran && count_disagreeing(y, again, count) == 0 &&
               memcmp(y, again, count * sizeof(float)) == 0,
           "dropout: the same step gives the same mask");
        t.layer.index = 1;
        ran = dropout_forward(&t, &X, &Y, 1, again);
        t.layer.index = 0;
        if (ok(ran, "dropout: another layer's forward runs"))
            check_fraction(count_disagreeing(y, again, count), count,
                           2.0 * p * (1.0 - p),
                           "masks of two layers disagree on");

        ran = dropout_forward(&t, &X, &Y, 0, again) &&
              !gpu_call(&t, t.kernels->backward(&gpu_context, &t.layer, &X,
                                                &Y, &DY, &DX, &t.err),
                        "backward");
        if (ran)
            gpu_download(dx, DX.data, count * sizeof(float));
        ok(ran && memcmp(again, x, count * sizeof(float)) == 0,
           "dropout: evaluation forward is the identity");
        ok(ran && memcmp(dx, dy, count * sizeof(float)) == 0,
           "dropout: backward after evaluation is the identity");
    }
    gpu_tensor_free(&X);
    gpu_tensor_free(&Y);
    gpu_tensor_free(&DY);
    gpu_tensor_free(&DX);
    free(x);
    free(dy);
    free(y);
    free(dx);
    free(again);
    test_layer_free(&t);
}

/* p = 0 keeps everything unchanged; p = 1 drops everything (no 1 / 0). */
static void check_dropout_extremes(void)
{
    static const char *const ps[] = {"0", "1"};
    const struct cnn_shape in = {3, 4, 5};
    enum { N = 2, COUNT = N * 3 * 4 * 5 };
    for (int e = 0; e < 2; e++) {
        const char *const settings[] = {"p", ps[e], NULL};
        struct test_layer t;
        float x[COUNT], y[COUNT];
        fill_uniform(x, COUNT, 0.5f, 1.5f);
        int ran = test_layer_make_list(&t, "dropout", in, settings) == 0 &&
                  (t.kernels = cnn_registry_layer_kernels(
                       harness_registry, "dropout", CNN_DEVICE_CUDA)) &&
                  !gpu_call(&t, t.kernels->prepare(&gpu_context, &t.layer,
                                                   N, &t.err),
                            "prepare");
        struct cnn_tensor X = gpu_tensor(N, in, x), Y = gpu_tensor(N, in, NULL);
        ran = ran && dropout_forward(&t, &X, &Y, 1, y);
        int right = ran;
        for (int i = 0; i < COUNT && ran; i++)
            right &= e == 0 ? y[i] == x[i] : y[i] == 0.0f;
        ok(right, "dropout p=%s: %s", ps[e],
           e == 0 ? "the identity" : "all zeros");
        gpu_tensor_free(&X);
        gpu_tensor_free(&Y);
        test_layer_free(&t);
    }
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    if (test_load_plugin(harness_registry, "cuda.so") == 1) {
        static const char *const layers[] = {
            "relu",      "leaky-relu", "flatten", "maxpool2d",
            "avgpool2d", "globalpool", "dropout"};
        for (size_t i = 0; i < sizeof layers / sizeof *layers; i++)
            ok(cnn_registry_layer_kernels(harness_registry, layers[i],
                                          CNN_DEVICE_CUDA) != NULL,
               "cuda.so registers cuda kernels for %s", layers[i]);
        int opened = gpu_open(harness_registry, &err);
        if (opened == 0)
            skip(err.message, "the CUDA layer kernels against the CPU's");
        else
            ok(opened == 1, "the cuda device opens (%s)", err.message);
        if (opened == 1) {
            check_layers();
            check_maxpool_inference();
            check_maxpool_refusal();
            check_dropout();
            check_dropout_extremes();
            gpu_close();
        }
    }
    harness_finish();
    return done_testing();
}
