/* Helpers for the layer tests (see layer-harness.h). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer-harness.h"

struct cnn_registry *harness_registry;
/* Two threads: the machines that run the tests have at least two cores. */
struct cnn_context harness_context = {
    .device = CNN_DEVICE_CPU, .threads = 2, .seed = 20240611};
struct cnn_rng harness_rng;

int harness_init(struct cnn_error *err)
{
    const char *dir = getenv("CNNLAB_BUILD_PLUGIN_DIR");
    char path[4096];
    if (!dir)
        return cnn_error_set(err, "CNNLAB_BUILD_PLUGIN_DIR is not set (run "
                             "through make check)");
    snprintf(path, sizeof path, "%s/layers.so", dir);
    cnn_rng_seed(&harness_rng, 42);
    harness_registry = cnn_registry_new();
    if (!harness_registry)
        return cnn_error_set(err, "out of memory");
    return cnn_registry_load_module(harness_registry, path, err);
}

void harness_finish(void)
{
    cnn_registry_free(harness_registry);
    harness_registry = NULL;
}

int test_layer_make(struct test_layer *t, const char *type,
                    struct cnn_shape input, ...)
{
    const char *settings[33];
    int count = 0;
    va_list ap;
    va_start(ap, input);
    while (count < 32 && (settings[count] = va_arg(ap, const char *)))
        count++;
    va_end(ap);
    settings[count] = NULL;
    return test_layer_make_list(t, type, input, settings);
}

/* The buffers in one allocation of int64 slots (aligned for both
 * dtypes), each at its declared start: zeros or ones. */
static int make_buffers(struct test_layer *t)
{
    size_t slots = 0;
    for (int i = 0; i < t->layer.buffer_count; i++)
        slots += t->layer.buffers[i].count;
    if (slots == 0)
        return 0;
    int64_t *memory = calloc(slots, sizeof *memory);
    if (!memory)
        return cnn_error_set(&t->err, "out of memory");
    t->buffers = memory;
    for (int i = 0; i < t->layer.buffer_count; i++) {
        struct cnn_layer_buffer *b = &t->layer.buffers[i];
        int one = b->init == CNN_INIT_ONES;
        b->data = memory;
        for (size_t k = 0; k < b->count; k++) {
            if (b->dtype == CNN_BUFFER_I64)
                memory[k] = one;
            else
                ((float *)(void *)memory)[k] = one ? 1.0f : 0.0f;
        }
        memory += b->count;
    }
    return 0;
}

int test_layer_make_list(struct test_layer *t, const char *type,
                         struct cnn_shape input,
                         const char *const *settings)
{
    struct cnn_mark mark = {"test-layers", 1, 1};
    memset(t, 0, sizeof *t);
    const struct cnn_layer_type *lt = cnn_registry_layer(harness_registry,
                                                         type);
    if (!lt)
        return cnn_error_set(&t->err, "layer type %s is not registered",
                             type);
    t->kernels = cnn_registry_layer_kernels(harness_registry, type,
                                            CNN_DEVICE_CPU);
    if (!t->kernels)
        return cnn_error_set(&t->err, "no CPU kernels for %s", type);
    t->layer.type = lt;
    t->layer.index = 0;
    t->layer.mark = mark;
    snprintf(t->layer.name, sizeof t->layer.name, "%s1", lt->name_prefix);
    t->layer.input = input;
    if (cnn_params_init_defaults(&t->layer.params, lt->params,
                                 lt->param_count, type, &t->err))
        return -1;

    for (int i = 0; settings[i] && settings[i + 1]; i += 2)
        if (cnn_params_set_text(&t->layer.params, settings[i],
                                settings[i + 1], mark, type, &t->err))
            return -1;
    if (cnn_params_check_required(&t->layer.params, mark, type, &t->err) ||
        lt->setup(&t->layer, &t->err))
        return -1;

    for (int i = 0; i < t->layer.tensor_count; i++)
        t->parameter_count += t->layer.tensors[i].count;
    if (t->parameter_count) {
        t->values = calloc(t->parameter_count, sizeof(float));
        t->gradients = calloc(t->parameter_count, sizeof(float));
        if (!t->values || !t->gradients)
            return cnn_error_set(&t->err, "out of memory");
    }
    size_t offset = 0;
    for (int i = 0; i < t->layer.tensor_count; i++) {
        struct cnn_param_tensor *p = &t->layer.tensors[i];
        p->offset = offset;
        p->data = t->values + offset;
        p->grad = t->gradients + offset;
        offset += p->count;
    }
    fill_uniform(t->values, t->parameter_count, -1.0f, 1.0f);
    return make_buffers(t);
}

void test_layer_free(struct test_layer *t)
{
    if (t->kernels && t->kernels->release)
        t->kernels->release(&t->layer);
    if (t->layer.type && t->layer.type->destroy && t->layer.state)
        t->layer.type->destroy(&t->layer);
    cnn_params_free(&t->layer.params);
    free(t->values);
    free(t->gradients);
    free(t->buffers);
    memset(t, 0, sizeof *t);
}

static int report(struct test_layer *t, int status, const char *call)
{
    if (status)
        printf("# %s of %s failed: %s\n", call, t->layer.name,
               t->err.message);
    return status;
}

int test_layer_prepare(struct test_layer *t, int batch)
{
    if (!t->kernels->prepare)
        return 0;
    return report(t, t->kernels->prepare(&harness_context, &t->layer, batch,
                                         &t->err),
                  "prepare");
}

int test_layer_forward(struct test_layer *t, const struct cnn_tensor *x,
                       struct cnn_tensor *y, int training)
{
    return report(t, t->kernels->forward(&harness_context, &t->layer, x, y,
                                         training, &t->err),
                  "forward");
}

int test_layer_backward(struct test_layer *t, const struct cnn_tensor *x,
                        const struct cnn_tensor *y,
                        const struct cnn_tensor *dy, struct cnn_tensor *dx)
{
    return report(t, t->kernels->backward(&harness_context, &t->layer, x, y,
                                          dy, dx, &t->err),
                  "backward");
}

struct cnn_tensor tensor_new(int n, struct cnn_shape shape)
{
    struct cnn_tensor t = {n, shape, CNN_DEVICE_CPU, NULL};
    t.data = malloc(cnn_tensor_count(&t) * sizeof(float) + 1);
    if (!t.data) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return t;
}

void tensor_free(struct cnn_tensor *t)
{
    free(t->data);
    t->data = NULL;
}

void fill_uniform(float *values, size_t count, float lo, float hi)
{
    for (size_t i = 0; i < count; i++)
        values[i] = lo + (hi - lo) * cnn_rng_float(&harness_rng);
}

void fill_distinct(float *values, size_t count, float spacing)
{
    int *order = malloc(count * sizeof *order);
    if (!order) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < count; i++)
        order[i] = (int)i;
    cnn_rng_shuffle(&harness_rng, order, count);
    for (size_t i = 0; i < count; i++)
        values[i] = ((float)order[i] - (float)count / 2) * spacing;
    free(order);
}

void fill_constant(float *values, size_t count, float value)
{
    for (size_t i = 0; i < count; i++)
        values[i] = value;
}

void poison(float *values, size_t count)
{
    fill_constant(values, count, 1e6f);
}

double *doubles_new(size_t count)
{
    double *v = calloc(count + 1, sizeof *v);
    if (!v) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return v;
}

struct check_result check_not_run(const char *what)
{
    struct check_result r = {0, "", "the kernel call failed"};
    snprintf(r.message, sizeof r.message, "%s (not run)", what);
    return r;
}

struct check_result compare(const float *got, const double *want,
                            size_t count, double tolerance,
                            const char *what)
{
    struct check_result r = {0, "", ""};
    double scale = 1.0, worst = 0.0;
    size_t worst_at = 0;
    /* An infinite reference value would make any difference pass. */
    for (size_t i = 0; i < count; i++)
        if (isfinite(want[i]) && fabs(want[i]) > scale)
            scale = fabs(want[i]);
    for (size_t i = 0; i < count; i++) {
        /* NaN where NaN is expected, or the same infinity, matches. */
        int both_nan = isnan(want[i]) && isnan(got[i]);
        double diff = both_nan || (double)got[i] == want[i]
                          ? 0.0
                          : fabs((double)got[i] - want[i]);
        if (!(diff <= worst)) { /* NaN counts as worst */
            worst = isnan(diff) ? INFINITY : diff;
            worst_at = i;
        }
    }
    r.passed = worst <= tolerance * scale;
    snprintf(r.message, sizeof r.message, "%s (max |diff| %.2g, allowed %.2g)",
             what, worst, tolerance * scale);
    if (count)
        snprintf(r.detail, sizeof r.detail, "at %zu: got %.9g, expected %.9g",
                 worst_at, (double)got[worst_at], want[worst_at]);
    return r;
}

/* L = sum(y .* r) after a training forward; `positive` gets y > 0. */
static double loss_at(struct test_layer *t, struct cnn_tensor *x,
                      struct cnn_tensor *y, const float *r,
                      unsigned char *positive, int *failed)
{
    if (test_layer_forward(t, x, y, 1)) {
        *failed = 1;
        return 0.0;
    }
    double loss = 0.0;
    size_t count = cnn_tensor_count(y);
    for (size_t i = 0; i < count; i++) {
        loss += (double)y->data[i] * r[i];
        positive[i] = y->data[i] > 0.0f;
    }
    return loss;
}

struct checked_values {
    const char *name;
    float *values;         /* perturbed in place */
    const float *analytic; /* the kernels' gradient */
    size_t count;
};

struct check_result gradient_check(struct test_layer *t,
                                   struct cnn_tensor *x, float step,
                                   double threshold, int limit, int kinks,
                                   const char *what)
{
    struct check_result r = {0, "", ""};
    struct cnn_tensor y = tensor_new(x->n, t->layer.output);
    struct cnn_tensor dy = tensor_new(x->n, t->layer.output);
    struct cnn_tensor dx = tensor_new(x->n, t->layer.input);
    size_t out_count = cnn_tensor_count(&y);
    unsigned char *base = malloc(out_count + 1);
    unsigned char *pattern = malloc(out_count + 1);
    float *analytic = malloc((t->parameter_count + 1) * sizeof(float));
    int failed = 0, checked = 0, skipped = 0, bad = 0;
    double worst = 0.0, worst_analytic = 0.0, worst_numeric = 0.0;
    const char *worst_name = "";
    size_t worst_index = 0;

    if (!base || !pattern || !analytic) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    fill_uniform(dy.data, out_count, -1.0f, 1.0f);
    loss_at(t, x, &y, dy.data, base, &failed);
    if (!failed && test_layer_backward(t, x, &y, &dy, &dx))
        failed = 1;
    if (t->parameter_count)
        memcpy(analytic, t->gradients, t->parameter_count * sizeof(float));

    struct checked_values groups[1 + CNN_LAYER_TENSORS_MAX];
    int group_count = 0;
    groups[group_count++] = (struct checked_values){
        "input", x->data, dx.data, cnn_tensor_count(x)};
    for (int i = 0; i < t->layer.tensor_count; i++) {
        struct cnn_param_tensor *p = &t->layer.tensors[i];
        groups[group_count++] = (struct checked_values){
            p->name, p->data, analytic + p->offset, p->count};
    }

    for (int g = 0; g < group_count && !failed; g++) {
        size_t stride = groups[g].count / (size_t)limit + 1;
        for (size_t i = 0; i < groups[g].count && !failed; i += stride) {
            float *v = &groups[g].values[i];
            float saved = *v, plus = saved + step, minus = saved - step;
            *v = plus;
            double loss_plus = loss_at(t, x, &y, dy.data, pattern, &failed);
            int kinked = memcmp(pattern, base, out_count) != 0;
            *v = minus;
            double loss_minus = loss_at(t, x, &y, dy.data, pattern, &failed);
            kinked = kinked || memcmp(pattern, base, out_count) != 0;
            *v = saved;
            if (kinks && kinked) {
                skipped++;
                continue;
            }
            /* The float step actually taken, not the nominal one. */
            double numeric = (loss_plus - loss_minus) /
                             ((double)plus - (double)minus);
            double got = groups[g].analytic[i];
            double scale = fmax(fmax(fabs(got), fabs(numeric)), 1.0);
            double error = fabs(got - numeric) / scale;
            checked++;
            if (error > threshold)
                bad++;
            if (error > worst) {
                worst = error;
                worst_name = groups[g].name;
                worst_index = i;
                worst_analytic = got;
                worst_numeric = numeric;
            }
        }
    }
    r.passed = !failed && bad == 0 && checked > 0;
    snprintf(r.message, sizeof r.message,
             "%s: %d gradients match central differences within %.0e "
             "(worst %.2g; %d skipped at kinks)",
             what, checked, threshold, worst, skipped);
    snprintf(r.detail, sizeof r.detail,
             "%d bad%s; worst: %s[%zu] analytic %.9g numeric %.9g", bad,
             failed ? " (a kernel call failed)" : "", worst_name, worst_index,
             worst_analytic, worst_numeric);
    free(base);
    free(pattern);
    free(analytic);
    tensor_free(&y);
    tensor_free(&dy);
    tensor_free(&dx);
    return r;
}

struct check_result compare_bits(const float *got, const float *want,
                                 size_t count, const char *what)
{
    struct check_result r = {0, "", ""};
    size_t differ = 0, first = 0;
    for (size_t i = 0; i < count; i++)
        if (memcmp(&got[i], &want[i], sizeof(float)) != 0 && differ++ == 0)
            first = i;
    r.passed = differ == 0;
    snprintf(r.message, sizeof r.message, "%s (%zu of %zu values differ)",
             what, differ, count);
    if (differ)
        snprintf(r.detail, sizeof r.detail, "first at %zu: got %.9g, "
                 "expected %.9g", first, (double)got[first],
                 (double)want[first]);
    return r;
}
