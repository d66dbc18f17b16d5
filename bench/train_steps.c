/* bench/train-steps — times cnnlab training steps on synthetic data, the
 * way cnn_train runs them (forward, cross-entropy, backward, SGD with
 * momentum), without a data loader, so the number is the model's speed.
 *
 *   train-steps [--batch N] [--steps N] [--warmup N] [--threads N]
 *               [--manifest FILE] [--layers] [--cpu-clock] [--infer]
 *
 * The model is the quickstart's (experiments/quickstart.yaml) unless
 * --manifest names another manifest, whose `model:` node is used. Prints
 * one line "cnnlab batch B steps S threads T: X images/s (Y ms/step)", the
 * model's multiply-adds per image in a forward ("forward MACs per image:
 * N": conv and linear layers, weight count times output positions) and a
 * hash of the parameters after training (equal across runs with the same
 * options: the kernels are deterministic); --layers adds the forward and
 * backward milliseconds of each layer (per step). --infer times
 * evaluation-mode forwards instead of training steps (no loss, backward or
 * update). Plugins come from $CNNLAB_BUILD_PLUGIN_DIR or the build tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "cnnlab/cnnlab.h"
#include "cnnlab/node.h"
#include "cnnlab/registry.h"
#include "model/model.h"

static const char quickstart_model[] =
    "input: [1, 28, 28]\n"
    "layers:\n"
    "  - conv2d: {out: 32, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - conv2d: {out: 64, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - flatten\n"
    "  - linear: {out: 128, activation: relu}\n"
    "  - linear: {out: 10}\n";

struct options {
    int batch, steps, warmup, threads, layers, infer;
    const char *manifest;
};

/* Per-layer seconds summed over the timed steps, and the loss's and the
 * optimizer's. */
struct layer_times {
    double *forward;
    double *backward;
    double loss, optimizer;
};

/* cnn_model_forward, with each layer timed (the model was prepared for
 * this batch by an untimed cnn_model_forward). */
static int timed_forward(struct cnn_model *model, int n, int training,
                         double *seconds, struct cnn_error *err)
{
    for (int i = 0; i < model->layer_count; i++) {
        double started = bench_now_seconds();
        if (cnn_model_forward_layer(model, i, n, training, err) < 0)
            return -1;
        seconds[i] += bench_now_seconds() - started;
    }
    model->batch = n;
    return 0;
}

static int timed_backward(struct cnn_model *model, double *seconds,
                          struct cnn_error *err)
{
    for (int i = model->layer_count - 1; i >= 0; i--) {
        double started = bench_now_seconds();
        if (cnn_model_backward_layer(model, i, model->batch, err) < 0)
            return -1;
        seconds[i] += bench_now_seconds() - started;
    }
    return 0;
}

struct trainer {
    struct cnn_model model;
    const struct cnn_loss_kernels *loss;
    const struct cnn_optimizer_type *optimizer;
    const struct cnn_optimizer_kernels *optimizer_kernels;
    struct cnn_cross_entropy_settings loss_settings;
    struct cnn_sgd_settings optimizer_settings;
    float *optimizer_state;
    int32_t *labels;
    uint64_t step;
};

/* One evaluation-mode forward (what --infer times). */
static int infer_step(struct trainer *t, int n, struct layer_times *times,
                      struct cnn_error *err)
{
    return times ? timed_forward(&t->model, n, 0, times->forward, err)
                 : cnn_model_forward(&t->model, n, 0, err);
}

static int train_step(struct trainer *t, int n, struct layer_times *times,
                      struct cnn_error *err)
{
    struct cnn_model *model = &t->model;
    int status = times ? timed_forward(model, n, 1, times->forward, err)
                       : cnn_model_forward(model, n, 1, err);
    if (status < 0)
        return -1;
    struct cnn_tensor logits = cnn_model_output(model);
    struct cnn_tensor dlogits = cnn_model_output_gradient(model);
    double started = bench_now_seconds();
    struct cnn_loss_totals totals = {.first_bad_batch = -1};
    const struct cnn_loss_batch batch = {&logits, t->labels, &dlogits,
                                         &totals, NULL};
    if (t->loss->compute(&model->context, &t->loss_settings, &batch,
                         err) < 0)
        return -1;
    if (times)
        times->loss += bench_now_seconds() - started;
    status = times ? timed_backward(model, times->backward, err)
                   : cnn_model_backward(model, err);
    if (status < 0)
        return -1;
    model->context.step = ++t->step;
    started = bench_now_seconds();
    const struct cnn_optimizer_step update = {
        model->parameters, model->gradients, t->optimizer_state,
        model->parameter_count, t->step, 1.0};
    status = t->optimizer_kernels->step(&model->context,
                                        &t->optimizer_settings, &update, err);
    if (times)
        times->optimizer += bench_now_seconds() - started;
    return status;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){64, 50, 5, 2, 0, 0, NULL};
    int cpu_clock = 0;
    const struct bench_option options[] = {
        {"--batch", BENCH_INTEGER, &o->batch, 1},
        {"--steps", BENCH_INTEGER, &o->steps, 1},
        {"--warmup", BENCH_INTEGER, &o->warmup, 0},
        {"--threads", BENCH_INTEGER, &o->threads, 1},
        {"--manifest", BENCH_TEXT, &o->manifest, 0},
        {"--layers", BENCH_FLAG, &o->layers, 0},
        {"--infer", BENCH_FLAG, &o->infer, 0},
        {"--cpu-clock", BENCH_FLAG, &cpu_clock, 0},
    };
    if (bench_parse_options(argc, argv, options,
                            (int)(sizeof options / sizeof *options),
                            "train-steps [--batch N] [--steps N] "
                            "[--warmup N] [--threads N] [--manifest FILE] "
                            "[--layers] [--cpu-clock] [--infer]") < 0)
        return -1;
    if (cpu_clock)
        bench_use_cpu_clock();
    return 0;
}

static int build_model(struct trainer *t, const struct cnn_registry *registry,
                       const struct options *o, struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    int status = o->manifest
                     ? cnn_node_load_file(o->manifest, &root, err)
                     : cnn_node_load_string(quickstart_model, "quickstart",
                                            &root, err);
    if (status < 0)
        return -1;
    const struct cnn_node *model_node =
        o->manifest ? cnn_node_get(root, "model") : root;
    if (!model_node)
        status = cnn_error_set(err, "%s: no model: section", o->manifest);
    if (status == 0)
        status = cnn_model_build(&t->model, registry, model_node,
                                 CNN_DEVICE_CPU, err);
    cnn_node_free(root);
    /* Before reserve, which prepares the kernels: oneDNN fixes a
     * primitive's thread count when it creates it. */
    t->model.context.threads = o->threads;
    if (status == 0)
        status = cnn_model_allocate(&t->model, 1, err);
    if (status == 0)
        status = cnn_model_reserve(&t->model, o->batch, err);
    return status;
}

static int set_up(struct trainer *t, const struct cnn_registry *registry,
                  const struct options *o, struct cnn_error *err)
{
    t->loss = cnn_registry_loss_kernels(registry, "cross-entropy",
                                        CNN_DEVICE_CPU);
    t->optimizer = cnn_registry_optimizer(registry, "sgd");
    t->optimizer_kernels =
        cnn_registry_optimizer_kernels(registry, "sgd", CNN_DEVICE_CPU);
    if (!t->loss || !t->optimizer || !t->optimizer_kernels)
        return cnn_error_set(err, "the cross-entropy loss or the sgd "
                             "optimizer is not loaded (set "
                             "CNNLAB_BUILD_PLUGIN_DIR to the build's "
                             "plugins/.libs)");
    /* The built-in components' settings are public: the benchmark's
     * training is SGD at lr 0.05 with momentum 0.9, plain cross-entropy. */
    t->loss_settings = (struct cnn_cross_entropy_settings){0};
    t->optimizer_settings =
        (struct cnn_sgd_settings){.lr = 0.05f, .momentum = 0.9f};
    if (build_model(t, registry, o, err) < 0)
        return -1;

    size_t state_floats = t->model.parameter_count *
                          (size_t)t->optimizer->state_per_param(
                              &t->optimizer_settings);
    t->optimizer_state = calloc(state_floats + 1, sizeof(float));
    t->labels = malloc((size_t)o->batch * sizeof *t->labels);
    if (!t->optimizer_state || !t->labels)
        return cnn_error_set(err, "out of memory");

    /* Synthetic data: inputs uniform in [-1, 1), labels uniform, so the
     * loss stays finite and every kernel runs on realistic values. */
    struct cnn_rng rng;
    cnn_rng_seed(&rng, 42);
    size_t inputs = (size_t)o->batch * cnn_shape_size(t->model.input);
    float *input = cnn_model_input(&t->model);
    for (size_t i = 0; i < inputs; i++)
        input[i] = 2.0f * cnn_rng_float(&rng) - 1.0f;
    int classes = (int)cnn_shape_size(cnn_model_output_shape(&t->model));
    for (int i = 0; i < o->batch; i++)
        t->labels[i] = (int32_t)cnn_rng_below(&rng, (uint64_t)classes);
    return 0;
}

/* FNV-1a over the parameters' bytes: two runs with the same settings
 * must print the same value (the kernels are deterministic). */
static uint64_t parameters_hash(const struct cnn_model *model)
{
    const unsigned char *bytes = (const unsigned char *)model->parameters;
    uint64_t hash = 14695981039346656037ULL;
    for (size_t i = 0; i < model->parameter_count * sizeof(float); i++)
        hash = (hash ^ bytes[i]) * 1099511628211ULL;
    return hash;
}

/* Multiply-adds of one image's forward: each weight of a layer is used
 * once per output position (conv2d: out_h * out_w of them; linear: one).
 * Biases, activations and pooling are not counted. */
static double forward_macs(struct cnn_model *model)
{
    double macs = 0;
    for (int i = 0; i < model->layer_count; i++) {
        struct cnn_layer *layer = &model->layers[i];
        const struct cnn_param_tensor *weight =
            cnn_layer_tensor(layer, "weight");
        if (weight)
            macs += (double)weight->count * layer->output.h *
                    layer->output.w;
    }
    return macs;
}

static void print_layers(const struct trainer *t, const struct layer_times *lt,
                         int steps)
{
    double forward_total = 0, backward_total = 0;
    printf("%-8s %-10s %10s %10s\n", "layer", "type", "fwd ms", "bwd ms");
    for (int i = 0; i < t->model.layer_count; i++) {
        const struct cnn_layer *layer = &t->model.layers[i];
        printf("%-8s %-10s %10.3f %10.3f\n", layer->name, layer->type->name,
               1e3 * lt->forward[i] / steps, 1e3 * lt->backward[i] / steps);
        forward_total += lt->forward[i];
        backward_total += lt->backward[i];
    }
    printf("%-8s %-10s %10.3f %10.3f\n", "total", "", 1e3 * forward_total /
           steps, 1e3 * backward_total / steps);
    printf("%-8s %-10s %10.3f\n", "loss", "cross-entropy",
           1e3 * lt->loss / steps);
    printf("%-8s %-10s %10.3f\n", "update", "sgd", 1e3 * lt->optimizer / steps);
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    struct cnn_error err = {0};
    struct cnn_registry *registry = cnn_registry_new();
    struct trainer t;
    memset(&t, 0, sizeof t);
    struct layer_times times = {0};
    int status = registry ? 0 : cnn_error_set(&err, "out of memory");
    if (status == 0)
        status = cnn_registry_load_default(registry, &err);
    if (status == 0)
        status = set_up(&t, registry, &o, &err);
    int (*step)(struct trainer *, int, struct layer_times *,
                struct cnn_error *) = o.infer ? infer_step : train_step;
    for (int i = 0; status == 0 && i < o.warmup; i++)
        status = step(&t, o.batch, NULL, &err);
    double seconds = 0;
    if (status == 0) {
        double started = bench_now_seconds();
        for (int i = 0; status == 0 && i < o.steps; i++)
            status = step(&t, o.batch, NULL, &err);
        seconds = bench_now_seconds() - started;
    }
    if (status == 0) {
        printf("cnnlab %s batch %d steps %d threads %d: %.1f images/s "
               "(%.3f ms/step)\n", o.infer ? "inference" : "training",
               o.batch, o.steps, o.threads,
               (double)o.batch * o.steps / seconds, 1e3 * seconds / o.steps);
        printf("forward MACs per image: %.0f\n", forward_macs(&t.model));
        printf("parameters after %d steps: fnv1a %016llx\n",
               o.warmup + o.steps,
               (unsigned long long)parameters_hash(&t.model));
    }
    if (status == 0 && o.layers) {
        times.forward = calloc((size_t)t.model.layer_count, sizeof(double));
        times.backward = calloc((size_t)t.model.layer_count, sizeof(double));
        if (!times.forward || !times.backward)
            status = cnn_error_set(&err, "out of memory");
        double started = bench_now_seconds();
        for (int i = 0; status == 0 && i < o.steps; i++)
            status = step(&t, o.batch, &times, &err);
        seconds = bench_now_seconds() - started;
        if (status == 0) {
            print_layers(&t, &times, o.steps);
            printf("%-8s %-10s %10.3f (whole step, while timing layers)\n",
                   "step", "", 1e3 * seconds / o.steps);
        }
    }
    if (status < 0)
        fprintf(stderr, "train-steps: %s\n", err.message);
    free(times.forward);
    free(times.backward);
    free(t.optimizer_state);
    free(t.labels);
    cnn_model_free(&t.model);
    if (registry)
        cnn_registry_free(registry);
    return status < 0 ? 1 : 0;
}
