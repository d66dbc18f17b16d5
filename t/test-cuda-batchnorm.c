/* The CUDA module's batchnorm2d and batchnorm1d against the CPU kernels of
 * layers.so on the same seeded inputs, parameters and running statistics:
 * three training steps (forward and backward: output, input gradient,
 * weight and bias gradients), the running statistics and
 * num_batches_tracked after them, then an evaluation forward and
 * backward; and two runs of the GPU kernels give the same bits. Skipped
 * without a GPU; without the module it is not built.
 *
 * Tolerance: 1e-5 relative to max(1, the largest reference value): both
 * sides sum each channel in double, in different orders, and round the
 * same float operations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda-harness.h"
#include "test-util.h"

#define TOLERANCE 1e-5

static void report(struct check_result r)
{
    if (!ok(r.passed, "%s", r.message))
        diag("  %s", r.detail);
}

static float *floats(size_t count)
{
    float *v = malloc(count * sizeof(float) + 1);
    if (!v) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    return v;
}

/* One forward and backward on each device, compared. */
static void step(struct gpu_twin *p, int n, int training, int number)
{
    struct cnn_shape in = p->cpu.layer.input;
    struct cnn_tensor x = tensor_new(n, in), dy = tensor_new(n, in);
    struct cnn_tensor y = tensor_new(n, in), dx = tensor_new(n, in);
    size_t count = cnn_tensor_count(&x), params = p->cpu.parameter_count;
    fill_uniform(x.data, count, -2.0f, 2.0f);
    fill_uniform(dy.data, count, -1.0f, 1.0f);
    struct cnn_tensor gx = gpu_tensor(n, in, x.data);
    struct cnn_tensor gdy = gpu_tensor(n, in, dy.data);
    struct cnn_tensor gy = gpu_tensor(n, in, NULL);
    struct cnn_tensor gdx = gpu_tensor(n, in, NULL);
    float *got_y = floats(count), *got_dx = floats(count);
    float *got_grads = floats(params);
    const struct cnn_layer_kernels *k = p->gpu.kernels;
    int ran = k->forward(&gpu_context, &p->gpu.layer, &gx, &gy, training,
                         &p->gpu.err) == 0 &&
              k->backward(&gpu_context, &p->gpu.layer, &gx, &gy, &gdy, &gdx,
                          &p->gpu.err) == 0;
    if (!ran)
        diag("cuda kernels of %s failed: %s", p->label, p->gpu.err.message);
    ran = ran && test_layer_forward(&p->cpu, &x, &y, training) == 0;
    if (ran) {
        gpu_download(got_y, gy.data, count * sizeof(float));
        gpu_download(got_dx, gdx.data, count * sizeof(float));
        if (params)
            gpu_download(got_grads, p->gradients, params * sizeof(float));
        /* The GPU's output masks the CPU's ReLU gradient too. */
        memcpy(y.data, got_y, count * sizeof(float));
        ran = test_layer_backward(&p->cpu, &x, &y, &dy, &dx) == 0;
    }
    char what[200];
    const char *mode = training ? "training" : "evaluation";
    snprintf(what, sizeof what, "%s, batch %d, %s step %d: forward",
             p->label, n, mode, number);
    report(ran ? compare_floats(got_y, y.data, count, TOLERANCE, what)
               : check_not_run(what));
    snprintf(what, sizeof what, "%s, batch %d, %s step %d: input gradient",
             p->label, n, mode, number);
    report(ran ? compare_floats(got_dx, dx.data, count, TOLERANCE, what)
               : check_not_run(what));
    for (int i = 0; i < p->cpu.layer.tensor_count; i++) {
        const struct cnn_param_tensor *t = &p->cpu.layer.tensors[i];
        snprintf(what, sizeof what, "%s, %s step %d: %s gradient", p->label,
                 mode, number, t->name);
        report(ran ? compare_floats(got_grads + t->offset,
                                    p->cpu.gradients + t->offset, t->count,
                                    TOLERANCE, what)
                   : check_not_run(what));
    }
    free(got_y);
    free(got_dx);
    free(got_grads);
    gpu_tensor_free(&gx);
    gpu_tensor_free(&gdy);
    gpu_tensor_free(&gy);
    gpu_tensor_free(&gdx);
    tensor_free(&x);
    tensor_free(&dy);
    tensor_free(&y);
    tensor_free(&dx);
}

static void compare_buffers(struct gpu_twin *p)
{
    unsigned char *got = malloc(p->buffer_bytes + 1);
    if (!got)
        return;
    gpu_download(got, p->buffers, p->buffer_bytes);
    const struct cnn_layer *cpu = &p->cpu.layer;
    char what[200];
    for (int i = 0; i < cpu->buffer_count; i++) {
        const struct cnn_layer_buffer *b = &cpu->buffers[i];
        size_t offset = (size_t)((char *)b->data - (char *)p->cpu.buffers);
        if (b->dtype == CNN_BUFFER_I64) {
            int64_t value;
            memcpy(&value, got + offset, sizeof value);
            is_int(value, *(const int64_t *)b->data, "%s: %s", p->label,
                   b->name);
            continue;
        }
        snprintf(what, sizeof what, "%s: %s after the steps", p->label,
                 b->name);
        report(compare_floats((const float *)(void *)(got + offset),
                              b->data, b->count, TOLERANCE, what));
    }
    free(got);
}

static void check_case(const char *type, struct cnn_shape in,
                       const char *const *settings, const char *label)
{
    struct gpu_twin p;
    const int n = 5;
    if (gpu_twin_make(&p, type, in, settings, label) ||
        p.gpu.kernels->prepare(&gpu_context, &p.gpu.layer, n, &p.gpu.err) ||
        test_layer_prepare(&p.cpu, n)) {
        ok(0, "%s: the layer is made and prepared (%s)", label,
           p.gpu.err.message);
        gpu_twin_free(&p);
        return;
    }
    for (int i = 0; i < 3; i++)
        step(&p, n, 1, i);
    compare_buffers(&p);
    step(&p, n, 0, 3);
    gpu_twin_free(&p);
}

/* Two GPU runs from the same start: the same bits. */
static void check_repeatable(void)
{
    struct cnn_shape in = {6, 20, 20};
    static const char *const relu[] = {"activation", "relu", NULL};
    float *y[2] = {NULL, NULL};
    const int n = 4;
    size_t count = (size_t)n * cnn_shape_size(in);
    float *x = floats(count);
    fill_uniform(x, count, -2.0f, 2.0f);
    for (int run = 0; run < 2; run++) {
        struct gpu_twin p;
        y[run] = floats(count);
        if (gpu_twin_make(&p, "batchnorm2d", in, relu, "repeat") ||
            p.gpu.kernels->prepare(&gpu_context, &p.gpu.layer, n,
                                   &p.gpu.err)) {
            gpu_twin_free(&p);
            break;
        }
        struct cnn_tensor gx = gpu_tensor(n, in, x);
        struct cnn_tensor gy = gpu_tensor(n, in, NULL);
        if (p.gpu.kernels->forward(&gpu_context, &p.gpu.layer, &gx, &gy, 1,
                                   &p.gpu.err) == 0)
            gpu_download(y[run], gy.data, count * sizeof(float));
        gpu_tensor_free(&gx);
        gpu_tensor_free(&gy);
        gpu_twin_free(&p);
    }
    report(y[0] && y[1] ? compare_bits(y[1], y[0], count,
                                       "two GPU training forwards give the "
                                       "same bits")
                        : check_not_run("GPU repeatability"));
    free(y[0]);
    free(y[1]);
    free(x);
}

int main(void)
{
    struct cnn_error err = {0};
    if (harness_init(&err)) {
        printf("Bail out! cannot load layers.so: %s\n", err.message);
        return 1;
    }
    if (test_load_plugin(harness_registry, "cuda.so") == 1) {
        ok(cnn_registry_layer_kernels(harness_registry, "batchnorm2d",
                                      CNN_DEVICE_CUDA) &&
               cnn_registry_layer_kernels(harness_registry, "batchnorm1d",
                                          CNN_DEVICE_CUDA),
           "cuda.so registers cuda kernels for batchnorm2d and batchnorm1d");
        int opened = gpu_open(harness_registry, &err);
        if (opened == 0)
            skip(err.message, "batch norm on the GPU against the CPU's");
        else
            ok(opened == 1, "the cuda device opens (%s)", err.message);
        if (opened == 1) {
            static const char *const plain[] = {NULL};
            static const char *const relu[] = {"activation", "relu", NULL};
            static const char *const other[] = {"affine", "false", "eps",
                                                "0.01", "momentum", "0.3",
                                                NULL};
            check_case("batchnorm2d", (struct cnn_shape){4, 9, 7}, plain,
                       "batchnorm2d");
            check_case("batchnorm2d", (struct cnn_shape){3, 33, 31}, relu,
                       "batchnorm2d {activation: relu}");
            check_case("batchnorm2d", (struct cnn_shape){5, 4, 4}, other,
                       "batchnorm2d {affine: false}");
            check_case("batchnorm1d", (struct cnn_shape){300, 1, 1}, relu,
                       "batchnorm1d {activation: relu}");
            check_repeatable();
            gpu_close();
        }
    }
    harness_finish();
    return done_testing();
}
