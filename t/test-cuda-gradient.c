/* The analysis API's gradients (cnn_analysis_gradient) on CUDA against
 * the CPU: the same model and seeded weights on both devices, a batch of
 * 3 seeded inputs, the gradient of each class's logit and probability with
 * respect to the input and to every layer's output (max pooling's backward
 * after an inference forward, dropout off), within 1e-4 of the largest
 * CPU value (cuDNN and oneDNN sum in different orders); the parameter
 * gradients on the device are put back bit for bit. The attribution maps
 * are functions of these gradients, so they agree as these do. Skips
 * without a GPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "cnnlab/rng.h"
#include "model/device.h"
#include "model/model.h"
#include "test-util.h"
#include "train/train.h"

static const char model_text[] =
    "input: [3, 16, 16]\n"
    "layers:\n"
    "  - conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2, padding: 1}\n"
    "  - dropout: {p: 0.5}\n"
    "  - conv2d: {out: 12, kernel: 3}\n"
    "  - relu\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - flatten\n"
    "  - linear: {out: 5}\n";
enum { N = 3, INPUT = 3 * 16 * 16, LARGEST = 8 * 16 * 16 };

static struct cnn_registry *registry;
static struct cnn_train_config train = {
    .normalization = {1, {0.5}, {0.5}}, .seed = 7};

struct side {
    struct cnn_model model;
    struct cnn_analysis *analysis;
};

static int make_side(struct side *s, enum cnn_device device,
                     struct cnn_error *err)
{
    memset(s, 0, sizeof *s);
    struct cnn_node *node = NULL;
    if (cnn_node_load_string(model_text, "model", &node, err) < 0)
        return -1;
    int status = cnn_model_build(&s->model, registry, node, device, err);
    cnn_node_free(node);
    s->model.context.threads = 2;
    struct cnn_device_options options = {0};
    if (status == 0 && device == CNN_DEVICE_CUDA)
        status = cnn_model_use_device(
            &s->model, cnn_registry_device(registry, CNN_DEVICE_CUDA),
            &options, err);
    if (status == 0)
        status = cnn_model_allocate(&s->model, 7, err);
    struct cnn_analysis_setup setup = {.directory = "/nonexistent",
                                       .variant = "cuda",
                                       .model = &s->model,
                                       .train = &train,
                                       .threads = 2};
    if (status == 0)
        status = cnn_analysis_new(&s->analysis, &setup, err);
    return status;
}

static void free_side(struct side *s)
{
    cnn_analysis_free(s->analysis);
    cnn_model_free(&s->model);
}

static double compare_place(struct side *cpu, struct side *gpu,
                            const float *x, const int32_t *classes,
                            enum cnn_gradient_output kind, int layer,
                            struct cnn_error *err)
{
    static float a[N * LARGEST], b[N * LARGEST];
    struct cnn_gradient_request request = {kind, classes, layer};
    struct cnn_gradient_result ra = {a, NULL, NULL}, rb = {b, NULL, NULL};
    if (cnn_analysis_gradient(cpu->analysis, x, N, &request, &ra, err) < 0 ||
        cnn_analysis_gradient(gpu->analysis, x, N, &request, &rb, err) < 0)
        return INFINITY;
    size_t size = N * (layer < 0 ? INPUT
                                 : cnn_shape_size(
                                       cpu->model.layers[layer].output));
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < size; i++) {
        worst = fmax(worst, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs(a[i]));
    }
    return isnan(worst) ? INFINITY : worst / scale;
}

static void compare(struct side *cpu, struct side *gpu)
{
    float x[N * INPUT];
    int32_t classes[N] = {0, 4, 2};
    struct cnn_rng rng;
    cnn_rng_seed(&rng, 11);
    for (int i = 0; i < N * INPUT; i++)
        x[i] = 4.0f * cnn_rng_float(&rng) - 2.0f;
    for (int kind = 0; kind < 2; kind++)
        for (int layer = -1; layer < cpu->model.layer_count; layer++) {
            struct cnn_error err = {0};
            double error = compare_place(cpu, gpu, x, classes,
                                         (enum cnn_gradient_output)kind,
                                         layer, &err);
            ok(error <= 1e-4, "d %s / d %s: CUDA within %.2g of the CPU "
               "(<= 1e-4)%s%s", kind ? "probability" : "logit",
               layer < 0 ? "input" : cpu->model.layers[layer].name, error,
               err.message[0] ? ": " : "", err.message);
        }
}

/* The device's parameter gradients keep their bits across a gradient. */
static void check_restored(struct side *gpu)
{
    struct cnn_model *m = &gpu->model;
    size_t bytes = m->parameter_count * sizeof(float);
    float *before = malloc(bytes), *after = malloc(bytes);
    float x[INPUT] = {0};
    int32_t k = 1;
    struct cnn_error err = {0};
    struct cnn_gradient_request request = {CNN_GRADIENT_LOGIT, &k, -1};
    float g[INPUT];
    struct cnn_gradient_result result = {g, NULL, NULL};
    int ran = before && after &&
              cnn_device_download(m->device_type, &m->context, before,
                                  m->gradients, bytes, &err) == 0 &&
              cnn_analysis_gradient(gpu->analysis, x, 1, &request, &result,
                                    &err) == 0 &&
              cnn_device_download(m->device_type, &m->context, after,
                                  m->gradients, bytes, &err) == 0;
    ok(ran && memcmp(before, after, bytes) == 0,
       "the device's parameter gradients keep their bits (%s)", err.message);
    free(before);
    free(after);
}

int main(void)
{
    registry = cnn_registry_new();
    struct cnn_error err = {0};
    const char *directory = getenv("CNNLAB_BUILD_PLUGIN_DIR");
    if (!directory || cnn_registry_load_directory(registry, directory,
                                                  &err) < 0) {
        printf("1..0 # SKIP plugins not loadable (%s)\n",
               directory ? err.message : "run through make check");
        cnn_registry_free(registry);
        return 0;
    }
    const struct cnn_device_type *cuda =
        cnn_registry_device(registry, CNN_DEVICE_CUDA);
    if (!cuda || !cuda->available(&err)) {
        printf("1..0 # SKIP no usable GPU (%s)\n",
               cuda ? err.message : "no CUDA module");
        cnn_registry_free(registry);
        return 0;
    }
    struct side cpu, gpu;
    int made = make_side(&cpu, CNN_DEVICE_CPU, &err) == 0 &&
               make_side(&gpu, CNN_DEVICE_CUDA, &err) == 0;
    ok(made, "the model on both devices (%s)", err.message);
    if (made) {
        compare(&cpu, &gpu);
        check_restored(&gpu);
    }
    free_side(&cpu);
    free_side(&gpu);
    cnn_registry_free(registry);
    return done_testing();
}
