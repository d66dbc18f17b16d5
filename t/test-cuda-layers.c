/* The CUDA module's layers with weights, conv2d (cuDNN; `padding: same`
 * too) and linear (cuBLAS), against the CPU kernels of layers.so on the
 * same seeded inputs and parameters: output, input gradient and every
 * parameter gradient, with each device output poisoned first (1e6) so an
 * element left unwritten, or a gradient added to instead of overwritten,
 * shows. Skipped without a GPU.
 *
 * Tolerance: 1e-4 relative to max(1, the largest reference value), as
 * compare() in t/layer-harness.c. Both sides sum at most a few thousand
 * float32 products of values in [-1, 1], in different orders (and
 * cuDNN's Winograd or FFT algorithms transform first): a few 1e-6 is
 * expected. TF32 (10-bit mantissa), which must stay off unless asked
 * for, would miss it by an order of magnitude.
 *
 * With a fused ReLU the CPU's backward is given the GPU's output, so both
 * mask the gradient alike even where an output is within rounding of 0.
 * Determinism: under `deterministic`, two backward passes give the same
 * bits. A captured and replayed forward + backward equals one launched
 * directly, on new input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda-harness.h"
#include "test-util.h"

#define TOLERANCE 1e-4

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

static void bail(const char *what)
{
    printf("Bail out! %s\n", what);
    exit(1);
}

static float *floats(size_t count)
{
    float *v = malloc(count * sizeof(float) + 1);
    if (!v)
        bail("out of memory");
    return v;
}

/* The layer on both devices, labelled with its type, input shape and
 * settings. */
static int pair_make(struct gpu_twin *p, const char *type, struct cnn_shape in,
                     const char *const *settings)
{
    char label[sizeof p->label];
    int used = snprintf(label, sizeof label, "%s [%d,%d,%d]", type, in.c,
                        in.h, in.w);
    for (int i = 0; settings[i] && settings[i + 1]; i += 2)
        used += snprintf(label + used, sizeof label - (size_t)used,
                         " %s=%s", settings[i], settings[i + 1]);
    return gpu_twin_make(p, type, in, settings, label);
}

static int gpu_prepare(struct gpu_twin *p, int n)
{
    int status = p->gpu.kernels->prepare(&gpu_context, &p->gpu.layer, n,
                                         &p->gpu.err);
    if (status)
        diag("cuda prepare of %s failed: %s", p->label,
             p->gpu.err.message);
    return status;
}

/* Device buffers of one batch: x and dy uploaded, the outputs poisoned. */
struct batch {
    int n;
    struct cnn_tensor x, y, dy, dx;
};

static struct batch batch_make(struct gpu_twin *p, int n, const float *x,
                               const float *dy)
{
    struct batch b = {n, gpu_tensor(n, p->gpu.layer.input, x),
                      gpu_tensor(n, p->gpu.layer.output, NULL),
                      gpu_tensor(n, p->gpu.layer.output, dy),
                      gpu_tensor(n, p->gpu.layer.input, NULL)};
    return b;
}

static void batch_free(struct batch *b)
{
    gpu_tensor_free(&b->x);
    gpu_tensor_free(&b->y);
    gpu_tensor_free(&b->dy);
    gpu_tensor_free(&b->dx);
}

static void poison_gradients(struct gpu_twin *p)
{
    size_t count = p->cpu.parameter_count;
    float *poisoned = floats(count);
    poison(poisoned, count);
    gpu_upload(p->gradients, poisoned, count * sizeof(float));
    free(poisoned);
}

/* Training forward and backward on the device (dx NULL: a first layer). */
static int gpu_step(struct gpu_twin *p, struct batch *b, int with_dx)
{
    const struct cnn_layer_kernels *k = p->gpu.kernels;
    struct cnn_error *err = &p->gpu.err;
    if (k->forward(&gpu_context, &p->gpu.layer, &b->x, &b->y, 1, err) ||
        k->backward(&gpu_context, &p->gpu.layer, &b->x, &b->y, &b->dy,
                    with_dx ? &b->dx : NULL, err)) {
        diag("cuda kernels of %s failed: %s", p->label, err->message);
        return -1;
    }
    return 0;
}

/* Compares the device's y, dx (unless NULL) and parameter gradients with
 * the CPU's from the same x and dy. */
static void compare_pair(struct gpu_twin *p, struct batch *b, const float *x,
                         const float *dy, int with_dx, const char *mode)
{
    int n = b->n;
    struct cnn_tensor cx = {n, p->cpu.layer.input, CNN_DEVICE_CPU,
                            (float *)x};
    struct cnn_tensor cdy = {n, p->cpu.layer.output, CNN_DEVICE_CPU,
                             (float *)dy};
    struct cnn_tensor cy = tensor_new(n, p->cpu.layer.output);
    struct cnn_tensor cdx = tensor_new(n, p->cpu.layer.input);
    size_t out_count = cnn_tensor_count(&cy), in_count = cnn_tensor_count(&cx);
    size_t params = p->cpu.parameter_count;
    float *y = floats(out_count), *dx = floats(in_count);
    float *grads = floats(params);
    char what[256];

    int ran = test_layer_prepare(&p->cpu, n) == 0 &&
              test_layer_forward(&p->cpu, &cx, &cy, 1) == 0;
    if (ran) {
        gpu_download(y, b->y.data, out_count * sizeof(float));
        gpu_download(grads, p->gradients, params * sizeof(float));
        if (with_dx)
            gpu_download(dx, b->dx.data, in_count * sizeof(float));
        snprintf(what, sizeof what, "%s, batch %d%s: forward", p->label, n,
                 mode);
        report(compare_floats(y, cy.data, out_count, TOLERANCE, what));
        /* The GPU's output masks the CPU's ReLU gradient too. */
        memcpy(cy.data, y, out_count * sizeof(float));
        ran = test_layer_backward(&p->cpu, &cx, &cy, &cdy,
                                  with_dx ? &cdx : NULL) == 0;
    }
    if (ran && with_dx) {
        snprintf(what, sizeof what, "%s, batch %d%s: input gradient",
                 p->label, n, mode);
        report(compare_floats(dx, cdx.data, in_count, TOLERANCE, what));
    }
    for (int i = 0; i < p->cpu.layer.tensor_count; i++) {
        const struct cnn_param_tensor *t = &p->cpu.layer.tensors[i];
        snprintf(what, sizeof what, "%s, batch %d%s: %s gradient%s",
                 p->label, n, mode, t->name, with_dx ? "" : " (no dx)");
        report(ran ? compare_floats(grads + t->offset,
                                    p->cpu.gradients + t->offset, t->count,
                                    TOLERANCE, what)
                   : check_not_run(what));
    }
    free(y);
    free(dx);
    free(grads);
    tensor_free(&cy);
    tensor_free(&cdx);
}

/* Runs of a case: batch 7 and 1, then batch 1 as a model's first layer
 * (no dx). Both sizes are prepared first, so each run finds its plan
 * among several. */
static void check_case(const char *type, struct cnn_shape in,
                       const char *const *settings, const char *mode)
{
    static const struct {
        int n, with_dx;
    } runs[] = {{7, 1}, {1, 1}, {1, 0}};
    struct gpu_twin p;
    int made = pair_make(&p, type, in, settings) == 0 &&
               gpu_prepare(&p, 7) == 0 && gpu_prepare(&p, 1) == 0;
    if (!made) {
        ok(0, "%s%s: the layer is made and prepared", p.label, mode);
        gpu_twin_free(&p);
        return;
    }
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        int n = runs[i].n;
        size_t in_count = (size_t)n * cnn_shape_size(p.cpu.layer.input);
        size_t out_count = (size_t)n * cnn_shape_size(p.cpu.layer.output);
        float *x = floats(in_count), *dy = floats(out_count);
        fill_uniform(x, in_count, -1.0f, 1.0f);
        fill_uniform(dy, out_count, -1.0f, 1.0f);
        struct batch b = batch_make(&p, n, x, dy);
        poison_gradients(&p);
        if (gpu_step(&p, &b, runs[i].with_dx) == 0)
            compare_pair(&p, &b, x, dy, runs[i].with_dx, mode);
        else
            ok(0, "%s, batch %d%s: the cuda kernels run", p.label, n, mode);
        batch_free(&b);
        free(x);
        free(dy);
    }
    gpu_twin_free(&p);
}

struct layer_case {
    const char *type;
    struct cnn_shape in;
    const char *settings[12];
};

static const struct layer_case conv_cases[] = {
    {"conv2d", {3, 11, 13}, {"out", "5", "kernel", "3", NULL}},
    {"conv2d", {4, 12, 12},
     {"out", "6", "kernel", "3", "stride", "2", "padding", "1", NULL}},
    {"conv2d", {3, 14, 14},
     {"out", "4", "kernel", "3", "dilation", "2", "padding", "2", NULL}},
    {"conv2d", {3, 10, 10}, {"out", "5", "kernel", "5", "bias", "false",
                             NULL}},
    {"conv2d", {3, 12, 12},
     {"out", "8", "kernel", "3", "activation", "relu", NULL}},
    {"conv2d", {2, 9, 15},
     {"out", "3", "kernel", "[3, 5]", "stride", "[2, 1]", "padding",
      "[1, 2]", NULL}},
    {"conv2d", {8, 7, 7}, {"out", "4", "kernel", "1", NULL}},
    {"conv2d", {16, 20, 20},
     {"out", "32", "kernel", "5", "activation", "relu", NULL}},
    /* padding: same: cuDNN pads both sides alike, so an even span's extra
     * zero after goes through a padded copy of x (conv2d.h). */
    {"conv2d", {3, 9, 8},
     {"out", "4", "kernel", "4", "padding", "same", NULL}},
    {"conv2d", {2, 10, 7},
     {"out", "5", "kernel", "[3, 2]", "dilation", "[2, 1]", "padding",
      "same", "activation", "relu", NULL}},
    {"conv2d", {4, 6, 6},
     {"out", "3", "kernel", "3", "padding", "same", "bias", "false", NULL}},
};

static const struct layer_case linear_cases[] = {
    {"linear", {8, 3, 3}, {"out", "10", NULL}},
    {"linear", {50, 1, 1}, {"out", "20", "activation", "relu", NULL}},
    {"linear", {30, 1, 1}, {"out", "7", "bias", "false", NULL}},
    {"linear", {300, 1, 1}, {"out", "129", "activation", "relu", NULL}},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Downloads y, dx and the gradients of one run into one host array. */
static float *results(struct gpu_twin *p, struct batch *b)
{
    size_t out_count = cnn_tensor_count(&b->y);
    size_t in_count = cnn_tensor_count(&b->dx);
    float *all = floats(out_count + in_count + p->cpu.parameter_count);
    gpu_download(all, b->y.data, out_count * sizeof(float));
    gpu_download(all + out_count, b->dx.data, in_count * sizeof(float));
    gpu_download(all + out_count + in_count, p->gradients,
                 p->cpu.parameter_count * sizeof(float));
    return all;
}

static size_t results_count(struct gpu_twin *p, struct batch *b)
{
    return cnn_tensor_count(&b->y) + cnn_tensor_count(&b->dx) +
           p->cpu.parameter_count;
}

/* Under `deterministic`, the same step twice gives the same bits; and a
 * step captured as a graph, replayed on new input (outputs poisoned
 * first), gives what launching it directly gives. */
static void check_repeat_and_capture(const struct layer_case *c)
{
    struct gpu_twin p;
    const int n = 4;
    if (pair_make(&p, c->type, c->in, c->settings) || gpu_prepare(&p, n)) {
        ok(0, "%s: the layer is made and prepared", p.label);
        gpu_twin_free(&p);
        return;
    }
    size_t in_count = (size_t)n * cnn_shape_size(p.cpu.layer.input);
    size_t out_count = (size_t)n * cnn_shape_size(p.cpu.layer.output);
    float *x = floats(in_count), *dy = floats(out_count);
    float *poisoned = floats(out_count);
    fill_uniform(x, in_count, -1.0f, 1.0f);
    fill_uniform(dy, out_count, -1.0f, 1.0f);
    poison(poisoned, out_count);
    struct batch b = batch_make(&p, n, x, dy);
    char what[256];

    int ran = gpu_step(&p, &b, 1) == 0;
    float *first = ran ? results(&p, &b) : NULL;
    ran = ran && gpu_step(&p, &b, 1) == 0;
    float *second = ran ? results(&p, &b) : NULL;
    snprintf(what, sizeof what, "%s: two deterministic steps, same bits",
             p.label);
    report(ran ? compare_bits(second, first, results_count(&p, &b), what)
               : check_not_run(what));

    /* New input, then capture, poison and replay. */
    fill_uniform(x, in_count, -1.0f, 1.0f);
    gpu_upload(b.x.data, x, in_count * sizeof(float));
    void *graph = NULL;
    struct cnn_error err = {0};
    int captured = gpu_device->capture_begin(&gpu_context, &err) == 0;
    if (captured) {
        int stepped = gpu_step(&p, &b, 1) == 0;
        captured = gpu_device->capture_end(&gpu_context, &graph, &err) == 0 &&
                   stepped;
    }
    ok(captured, "%s: forward and backward are captured as a graph%s%s",
       p.label, err.failed ? ": " : "", err.message);
    float *replayed = NULL, *direct = NULL;
    if (captured) {
        gpu_upload(b.y.data, poisoned, out_count * sizeof(float));
        poison_gradients(&p);
        if (gpu_device->replay(&gpu_context, graph, &err) == 0)
            replayed = results(&p, &b);
        else
            diag("replay failed: %s", err.message);
        if (gpu_step(&p, &b, 1) == 0)
            direct = results(&p, &b);
    }
    snprintf(what, sizeof what, "%s: the replayed step equals a launched "
             "one", p.label);
    report(replayed && direct ? compare_bits(replayed, direct,
                                             results_count(&p, &b), what)
                              : check_not_run(what));
    if (graph)
        gpu_device->graph_free(&gpu_context, graph);
    free(first);
    free(second);
    free(replayed);
    free(direct);
    free(x);
    free(dy);
    free(poisoned);
    batch_free(&b);
    gpu_twin_free(&p);
}

/* A batch size that was never prepared is refused, naming prepare. */
static void check_unprepared(const struct layer_case *c)
{
    struct gpu_twin p;
    if (pair_make(&p, c->type, c->in, c->settings) || gpu_prepare(&p, 2)) {
        ok(0, "%s: the layer is made and prepared", p.label);
        gpu_twin_free(&p);
        return;
    }
    struct batch b = batch_make(&p, 3, NULL, NULL);
    int status = p.gpu.kernels->forward(&gpu_context, &p.gpu.layer, &b.x,
                                        &b.y, 1, &p.gpu.err);
    ok(status == -1 && strstr(p.gpu.err.message, "prepare") &&
           strstr(p.gpu.err.message, p.gpu.layer.name),
       "%s: a batch of 3 when prepared for 2 is refused (%s)", p.label,
       p.gpu.err.message);
    batch_free(&b);
    gpu_twin_free(&p);
}

static int reopen(int deterministic)
{
    struct cnn_error err = {0};
    const struct cnn_device_options options = {
        .ordinal = 0, .deterministic = deterministic, .allow_tf32 = 0,
        .graphs = 1};
    gpu_close();
    if (gpu_device->open(&gpu_context, &options, &err)) {
        ok(0, "the cuda device opens again (%s)", err.message);
        return -1;
    }
    return 0;
}

static void check_layers(void)
{
    /* gpu_open's context: deterministic, so cuDNN's heuristics pick. */
    for (size_t i = 0; i < COUNT(conv_cases); i++)
        check_case(conv_cases[i].type, conv_cases[i].in,
                   conv_cases[i].settings, "");
    for (size_t i = 0; i < COUNT(linear_cases); i++)
        check_case(linear_cases[i].type, linear_cases[i].in,
                   linear_cases[i].settings, "");
    check_repeat_and_capture(&conv_cases[4]);
    check_repeat_and_capture(&conv_cases[7]);
    check_repeat_and_capture(&conv_cases[9]);
    check_repeat_and_capture(&linear_cases[3]);
    check_unprepared(&conv_cases[0]);
    check_unprepared(&linear_cases[0]);
    /* Measured algorithms (cudnnFind), the default for training. */
    if (reopen(0))
        return;
    for (size_t i = 0; i < COUNT(conv_cases); i++)
        check_case(conv_cases[i].type, conv_cases[i].in,
                   conv_cases[i].settings, " (measured)");
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    if (test_load_plugin(harness_registry, "cuda.so") == 1) {
        ok(cnn_registry_layer_kernels(harness_registry, "conv2d",
                                      CNN_DEVICE_CUDA) != NULL,
           "cuda.so registers cuda kernels for conv2d");
        ok(cnn_registry_layer_kernels(harness_registry, "linear",
                                      CNN_DEVICE_CUDA) != NULL,
           "cuda.so registers cuda kernels for linear");
        int opened = gpu_open(harness_registry, &err);
        if (opened == 0)
            skip(err.message, "conv2d and linear on the GPU against the "
                              "CPU's");
        else
            ok(opened == 1, "the cuda device opens (%s)", err.message);
        if (opened == 1) {
            check_layers();
            gpu_close();
        }
    }
    harness_finish();
    return done_testing();
}
