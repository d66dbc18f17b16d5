/* Training on CUDA against the CPU: the same model, initial weights and
 * batches, 20 SGD steps through the core's step (upload, captured graph,
 * replay); the losses and the final weights must agree within float
 * tolerances, evaluation must agree, and a replayed graph must give
 * bit-identical results to launching every kernel (deterministic
 * algorithms). Skips without a GPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/builtin_training.h"
#include "cnnlab/rng.h"
#include "model/model.h"
#include "test-util.h"
#include "train/train.h"

#define STEPS 20
#define BATCH 6
#define IMAGES (STEPS * BATCH)

/* Overlapping pooling windows, a strided conv, a separate relu layer, global
 * pooling and a flatten: every built-in layer but dropout (whose masks come
 * from different generators on each device). */
static const char model_text[] =
    "input: [3, 20, 20]\n"
    "layers:\n"
    "  - conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2}\n"
    "  - conv2d: {out: 16, kernel: 3, stride: 2}\n"
    "  - relu\n"
    "  - conv2d: {out: 12, kernel: 1, bias: false}\n"
    "  - flatten\n"
    "  - linear: {out: 32, activation: relu}\n"
    "  - linear: {out: 10}\n";

static const char pooled_text[] =
    "input: [3, 20, 20]\n"
    "layers:\n"
    "  - conv2d: {out: 8, kernel: 5, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - globalpool: {mode: max}\n"
    "  - linear: {out: 10}\n";

struct side {
    struct cnn_model model;
    struct cnn_params optimizer_params; /* for the lr column */
    struct cnn_cross_entropy_settings loss_settings;
    struct cnn_sgd_settings optimizer_settings;
    struct cnn_train_config config;
    double losses[STEPS];
};

static struct cnn_registry *registry;
static struct cnn_dataset images;

static int make_side(struct side *s, const char *text, enum cnn_device device,
                     const struct cnn_device_options *options,
                     struct cnn_error *err)
{
    memset(s, 0, sizeof *s);
    struct cnn_node *node = NULL;
    if (cnn_node_load_string(text, "model", &node, err) < 0)
        return -1;
    int status = cnn_model_build(&s->model, registry, node, device, err);
    cnn_node_free(node);
    if (status < 0)
        return -1;
    s->model.context.threads = 2;
    if (device == CNN_DEVICE_CUDA &&
        cnn_model_use_device(&s->model,
                             cnn_registry_device(registry, CNN_DEVICE_CUDA),
                             options, err) < 0)
        return -1;
    if (cnn_model_allocate(&s->model, 7, err) < 0)
        return -1;
    const struct cnn_loss_type *loss =
        cnn_registry_loss(registry, "cross-entropy");
    const struct cnn_optimizer_type *sgd =
        cnn_registry_optimizer(registry, "sgd");
    const struct cnn_loss_kernels *loss_kernels =
        cnn_registry_loss_kernels(registry, "cross-entropy", device);
    const struct cnn_optimizer_kernels *sgd_kernels =
        cnn_registry_optimizer_kernels(registry, "sgd", device);
    if (!loss || !sgd || !loss_kernels || !sgd_kernels)
        return cnn_error_set(err, "no %s loss or sgd registered",
                             cnn_device_name(device));
    const char *settings[] = {"lr=0.05", "momentum=0.9", "weight_decay=1e-3",
                              NULL};
    s->optimizer_params = test_params(sgd->params, sgd->param_count,
                                      sgd->name, settings);
    /* The same values as typed settings, as sgd's parse makes them. */
    s->loss_settings = (struct cnn_cross_entropy_settings){0};
    s->optimizer_settings = (struct cnn_sgd_settings){
        .lr = 0.05f, .momentum = 0.9f, .weight_decay = 1e-3f};
    s->config = (struct cnn_train_config){
        .epochs = 1, .batch = BATCH, .eval_batch = BATCH,
        .normalization = {1, {0.5}, {0.25}},
        .loss = loss, .loss_settings = &s->loss_settings,
        .loss_kernels = loss_kernels,
        .optimizer = sgd, .optimizer_settings = &s->optimizer_settings,
        .optimizer_kernels = sgd_kernels,
        .optimizer_params = &s->optimizer_params,
    };
    if (cnn_model_reserve(&s->model, BATCH, err) < 0)
        return -1;
    if (!cnn_model_optimizer_state(&s->model, s->model.parameter_count, err))
        return -1;
    return 0;
}

static void free_side(struct side *s)
{
    cnn_model_free(&s->model);
    cnn_params_free(&s->optimizer_params);
}

/* STEPS training steps over the images in order; batch sizes alternate
 * between BATCH and BATCH - 1 so that two captured graphs interleave. */
static int train(struct side *s, struct cnn_error *err)
{
    int indices[BATCH];
    int next = 0;
    for (int step = 0; step < STEPS; step++) {
        int n = step % 2 ? BATCH - 1 : BATCH;
        for (int i = 0; i < n; i++)
            indices[i] = next++ % IMAGES;
        struct cnn_loss_totals totals;
        if (cnn_model_totals_reset(&s->model, err) < 0)
            return -1;
        cnn_fill_batch(&s->model, &images, indices, n,
                       &s->config.normalization);
        if (cnn_train_step(&s->model, &s->config, n, 1, err) < 0 ||
            cnn_model_totals_read(&s->model, &totals, err) < 0)
            return -1;
        s->losses[step] = totals.loss_sum / n;
    }
    return cnn_model_parameters_to_host(&s->model, err);
}

/* max |a - b| / max(max |b|, 1e-3) over the parameters. */
static double parameter_difference(const struct side *a, const struct side *b)
{
    double worst = 0, scale = 1e-3;
    for (size_t i = 0; i < b->model.parameter_count; i++) {
        double d = fabs((double)a->model.host_parameters[i] -
                        (double)b->model.host_parameters[i]);
        if (isnan(d))
            return INFINITY;
        worst = d > worst ? d : worst;
        double m = fabs((double)b->model.host_parameters[i]);
        scale = m > scale ? m : scale;
    }
    return worst / scale;
}

static void compare_with_cpu(const char *name, const char *text)
{
    struct cnn_error err = {0};
    struct side cpu, gpu;
    const struct cnn_device_options options = {.graphs = 1,
                                               .deterministic = 1};
    int built = make_side(&cpu, text, CNN_DEVICE_CPU, NULL, &err) == 0;
    built = built && make_side(&gpu, text, CNN_DEVICE_CUDA, &options,
                               &err) == 0;
    if (!ok(built, "%s: both models built (%s)", name, err.message)) {
        free_side(&cpu);
        free_side(&gpu);
        return;
    }
    is_near(parameter_difference(&gpu, &cpu), 0, 0,
            "%s: the same initial weights on both devices", name);
    ok(train(&cpu, &err) == 0, "%s: 20 CPU steps (%s)", name, err.message);
    ok(train(&gpu, &err) == 0, "%s: 20 CUDA steps (%s)", name, err.message);
    /* Float sums in another order (cuDNN, cuBLAS, atomics) differ by ~1e-6
     * per step; 20 steps of SGD with momentum amplify that a little. */
    double worst = 0;
    for (int i = 0; i < STEPS; i++) {
        double d = fabs(gpu.losses[i] - cpu.losses[i]) /
                   fmax(fabs(cpu.losses[i]), 1.0);
        worst = isnan(d) ? INFINITY : fmax(worst, d);
    }
    ok(worst <= 1e-4, "%s: the 20 losses agree within 1e-4 relative (worst "
       "%.3g; first %.6f vs %.6f, last %.6f vs %.6f)",
       name, worst, cpu.losses[0], gpu.losses[0], cpu.losses[STEPS - 1],
       gpu.losses[STEPS - 1]);
    double weights = parameter_difference(&gpu, &cpu);
    ok(weights <= 1e-3, "%s: final weights agree within 1e-3 of the largest "
       "(%.3g)", name, weights);

    double cpu_loss, cpu_accuracy, gpu_loss, gpu_accuracy;
    int32_t cpu_predictions[IMAGES], gpu_predictions[IMAGES];
    int evaluated =
        cnn_evaluate(&cpu.model, &images, &cpu.config, &cpu_loss,
                     &cpu_accuracy, cpu_predictions, &err) == 0 &&
        cnn_evaluate(&gpu.model, &images, &gpu.config, &gpu_loss,
                     &gpu_accuracy, gpu_predictions, &err) == 0;
    if (ok(evaluated, "%s: evaluation on both (%s)", name, err.message)) {
        is_near(gpu_loss, cpu_loss, 1e-3 * fmax(fabs(cpu_loss), 1),
                "%s: evaluation loss agrees", name);
        int same = 0;
        for (int i = 0; i < IMAGES; i++)
            same += cpu_predictions[i] == gpu_predictions[i];
        /* A near-tie may flip; more than 2 of 120 would be a bug. */
        ok(same >= IMAGES - 2, "%s: %d of %d predictions agree", name, same,
           IMAGES);
    }
    free_side(&cpu);
    free_side(&gpu);
}

static void compare_graphs_with_launches(void)
{
    struct cnn_error err = {0};
    struct side replayed, launched;
    const struct cnn_device_options with = {.graphs = 1, .deterministic = 1};
    const struct cnn_device_options without = {.graphs = 0,
                                               .deterministic = 1};
    int built = make_side(&replayed, model_text, CNN_DEVICE_CUDA, &with,
                          &err) == 0 &&
                make_side(&launched, model_text, CNN_DEVICE_CUDA, &without,
                          &err) == 0;
    if (ok(built, "graphs on and off: built (%s)", err.message) &&
        ok(train(&replayed, &err) == 0 && train(&launched, &err) == 0,
           "graphs on and off: trained (%s)", err.message)) {
        is_near(parameter_difference(&replayed, &launched), 0, 0,
                "replayed graphs give bit-identical weights to launching "
                "each kernel");
        ok(memcmp(replayed.losses, launched.losses, sizeof replayed.losses)
               == 0,
           "and bit-identical losses");
    }
    free_side(&replayed);
    free_side(&launched);
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
    struct cnn_rng rng;
    cnn_rng_seed(&rng, 3);
    if (cnn_dataset_alloc(&images, IMAGES, (struct cnn_shape){3, 20, 20},
                          &err) < 0) {
        printf("Bail out! %s\n", err.message);
        return 1;
    }
    for (size_t i = 0; i < (size_t)IMAGES * 3 * 20 * 20; i++)
        images.pixels[i] = (uint8_t)cnn_rng_below(&rng, 256);
    for (int i = 0; i < IMAGES; i++)
        images.labels[i] = (int32_t)cnn_rng_below(&rng, 10);

    compare_with_cpu("conv/pool/relu/flatten/linear", model_text);
    compare_with_cpu("global max pooling", pooled_text);
    compare_graphs_with_launches();

    cnn_dataset_free(&images);
    cnn_registry_free(registry);
    return done_testing();
}
