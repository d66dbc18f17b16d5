/* SGD against closed forms: plain steps, momentum and dampening under a
 * constant gradient, weight decay on a quadratic, Nesterov by hand, and the
 * refusals (Nesterov without momentum or with dampening, missing state). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

static const struct cnn_optimizer_type *sgd;
static const struct cnn_optimizer_kernels *sgd_cpu;

/* settings: "name=value" pairs, NULL-terminated. */
static struct cnn_params make_params(const char *const *settings)
{
    return test_params(sgd->params, sgd->param_count, sgd->name, settings);
}

/* One update as a run makes it: the definition parses the settings from
 * params (refusing bad combinations), the CPU kernel reads them. */
static int scaled_step(const struct cnn_params *params,
                       const struct cnn_optimizer_step *update,
                       struct cnn_error *err)
{
    void *settings = cnn_optimizer_parse_settings(sgd, params, err);
    if (!settings)
        return -1;
    int status = sgd_cpu->step(NULL, settings, update, err);
    free(settings);
    return status;
}

static int step(const struct cnn_params *params, float *w, const float *g,
                float *state, size_t count, uint64_t number,
                struct cnn_error *err)
{
    const struct cnn_optimizer_step update = {w, g, state, count, number,
                                              1.0};
    return scaled_step(params, &update, err);
}

/* Floats of state per parameter with the settings parsed from params. */
static int state_per_param(const struct cnn_params *params)
{
    struct cnn_error err = {0};
    void *settings = cnn_optimizer_parse_settings(sgd, params, &err);
    int floats = settings ? sgd->state_per_param(settings) : -1;
    free(settings);
    return floats;
}

static void check_plain(void)
{
    struct cnn_params params = make_params(NULL);
    struct cnn_error err = {0};
    is_int(state_per_param(&params), 0, "default sgd needs no state");
    float w[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.5f, 0.25f, -4.0f};
    ok(step(&params, w, g, NULL, 3, 1, &err) == 0,
       "a step without momentum takes no state buffer (%s)", err.message);
    /* w - lr * g, in float as PyTorch computes it. */
    ok(w[0] == 1.0f - 0.01f * 0.5f && w[1] == -2.0f - 0.01f * 0.25f
           && w[2] == 0.5f + 0.01f * 4.0f,
       "default step is w - 0.01 g exactly in float (got %.9g %.9g %.9g)",
       w[0], w[1], w[2]);
    cnn_params_free(&params);
}

static void check_momentum(void)
{
    const char *settings[] = {"lr=0.1", "momentum=0.9", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_error err = {0};
    is_int(state_per_param(&params), 1, "momentum needs one state float");
    enum { K = 20 };
    const double lr = 0.1, m = 0.9, gradient = 1.0, w0 = 3.0;
    float w[2] = {(float)w0, (float)w0}, g[2] = {1.0f, 1.0f};
    float state[2] = {123.0f, -7.0f}; /* step 1 must ignore what is there */
    int failures = 0;
    for (int k = 1; k <= K; k++)
        failures += step(&params, w, g, state, 2, (uint64_t)k, &err) != 0;
    is_int(failures, 0, "20 momentum steps succeed");
    /* buf_k = g (1 - m^k) / (1 - m); w_K = w0 - lr sum_k buf_k
     *       = w0 - lr g (K - m (1 - m^K) / (1 - m)) / (1 - m).
     * Twenty float steps of size ~1 accumulate < 1e-5 of rounding. */
    double buffer = gradient * (1 - pow(m, K)) / (1 - m);
    double weight =
        w0 - lr * gradient * (K - m * (1 - pow(m, K)) / (1 - m)) / (1 - m);
    is_near(state[0], buffer, 1e-5, "momentum buffer after 20 steps");
    is_near(w[0], weight, 1e-4, "weight after 20 momentum steps");
    ok(state[1] == state[0] && w[1] == w[0],
       "stale state before step 1 is ignored");
    cnn_params_free(&params);

    /* Dampening d: buf_1 = g, then buf_k = m buf + (1 - d) g, so
     * buf_K = m^(K-1) g + (1 - d) g (1 - m^(K-1)) / (1 - m). */
    const char *damped[] = {"lr=0.1", "momentum=0.9", "dampening=0.5", NULL};
    params = make_params(damped);
    float dw = 0, dg = 2.0f, dstate = 0;
    for (int k = 1; k <= 10; k++)
        step(&params, &dw, &dg, &dstate, 1, (uint64_t)k, &err);
    double expected = pow(m, 9) * 2.0 + 0.5 * 2.0 * (1 - pow(m, 9)) / (1 - m);
    is_near(dstate, expected, 1e-5, "dampened momentum buffer after 10 steps");
    cnn_params_free(&params);
}

static void check_weight_decay(void)
{
    /* f(w) = a w^2 / 2, grad a w; with decay l each step multiplies w by
     * (1 - lr (a + l)), so w_k = w_0 (1 - lr (a + l))^k. */
    const char *settings[] = {"lr=0.05", "weight_decay=0.3", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_error err = {0};
    const double curvature[3] = {0.0, 1.0, 4.0}, lr = 0.05, decay = 0.3;
    float w[3] = {2.0f, -1.0f, 0.5f}, g[3];
    const float w0[3] = {2.0f, -1.0f, 0.5f};
    for (int k = 1; k <= 30; k++) {
        for (int i = 0; i < 3; i++)
            g[i] = (float)(curvature[i] * w[i]);
        step(&params, w, g, NULL, 3, (uint64_t)k, &err);
    }
    for (int i = 0; i < 3; i++) {
        double expected = w0[i] * pow(1 - lr * (curvature[i] + decay), 30);
        /* relative 1e-5: thirty float multiplications */
        is_near(w[i], expected, 1e-5 * fabs(w0[i]),
                "weight decay on a quadratic of curvature %g, 30 steps",
                curvature[i]);
    }
    cnn_params_free(&params);
}

static void check_nesterov(void)
{
    /* By hand, constant gradient g, momentum m, no decay:
     * step 1: buf = g,           update g + m g
     * step 2: buf = m g + g,     update g + m (1 + m) g
     * step 3: buf = m(1+m)g + g, update g + m (1 + m + m^2) g */
    const char *settings[] = {"lr=0.1", "momentum=0.9", "nesterov=true", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_error err = {0};
    const double lr = 0.1, m = 0.9, g = 0.5;
    float w = 1.0f, grad = 0.5f, state = 0;
    double expected = 1.0;
    double updates[3] = {g + m * g, g + m * (1 + m) * g,
                         g + m * (1 + m + m * m) * g};
    for (int k = 0; k < 3; k++) {
        ok(step(&params, &w, &grad, &state, 1, (uint64_t)k + 1, &err) == 0,
           "nesterov step %d (%s)", k + 1, err.message);
        expected -= lr * updates[k];
        is_near(w, expected, 1e-6, "nesterov weight after step %d", k + 1);
    }
    is_near(state, g * (1 + m + m * m), 1e-6, "nesterov buffer after 3 steps");
    cnn_params_free(&params);

    /* With decay the gradient is g + l w before the momentum. */
    const char *decayed[] = {"lr=0.1", "momentum=0.5", "nesterov=true",
                             "weight_decay=0.2", NULL};
    params = make_params(decayed);
    float dw = 2.0f, dgrad = 1.0f, dstate = 0;
    double ew = 2.0, d1 = 1.0 + 0.2 * ew, buf = d1;
    ew -= 0.1 * (d1 + 0.5 * buf);
    double d2 = 1.0 + 0.2 * ew;
    buf = 0.5 * buf + d2;
    ew -= 0.1 * (d2 + 0.5 * buf);
    step(&params, &dw, &dgrad, &dstate, 1, 1, &err);
    step(&params, &dw, &dgrad, &dstate, 1, 2, &err);
    is_near(dw, ew, 1e-6, "nesterov with weight decay, two steps by hand");
    cnn_params_free(&params);
}

static void check_lr_scale(void)
{
    /* A schedule's factor scales the rate: lr 0.1 at factor 0.25 steps by
     * 0.025 g, exactly as (float)(0.1f * 0.25) in float. */
    const char *settings[] = {"lr=0.1", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_error err = {0};
    float w[2] = {1.0f, -1.0f}, g[2] = {2.0f, 4.0f};
    const struct cnn_optimizer_step update = {w, g, NULL, 2, 1, 0.25};
    ok(scaled_step(&params, &update, &err) == 0, "scaled step (%s)",
       err.message);
    float lr = (float)(0.1f * 0.25);
    ok(w[0] == 1.0f - lr * 2.0f && w[1] == -1.0f - lr * 4.0f,
       "lr_scale multiplies the rate (got %.9g %.9g)", w[0], w[1]);
    cnn_params_free(&params);
}

static void check_refusals(void)
{
    struct cnn_error err = {0};
    const char *no_momentum[] = {"nesterov=true", NULL};
    struct cnn_params params = make_params(no_momentum);
    float w = 1.0f, g = 1.0f, state = 0;
    ok(step(&params, &w, &g, &state, 1, 1, &err) != 0,
       "nesterov without momentum is refused");
    like(err.message, "nesterov", "message names nesterov");
    like(err.message, "momentum > 0", "message says momentum must be > 0");
    ok(w == 1.0f, "a refused step leaves the weights alone");
    cnn_params_free(&params);

    const char *dampened[] = {"nesterov=true", "momentum=0.9", "dampening=0.1",
                              NULL};
    params = make_params(dampened);
    struct cnn_error err2 = {0};
    ok(step(&params, &w, &g, &state, 1, 1, &err2) != 0,
       "nesterov with dampening is refused");
    like(err2.message, "dampening 0", "message says dampening must be 0");
    cnn_params_free(&params);

    const char *momentum[] = {"momentum=0.9", NULL};
    params = make_params(momentum);
    struct cnn_error err3 = {0};
    ok(step(&params, &w, &g, NULL, 1, 1, &err3) != 0,
       "momentum without a state buffer is refused");
    like(err3.message, "state", "message names the state");
    struct cnn_error err4 = {0};
    ok(step(&params, &w, &g, &state, 1, 0, &err4) != 0, "step 0 is refused");
    cnn_params_free(&params);

    struct cnn_params schema = make_params(NULL);
    struct cnn_mark mark = {"m.yaml", 2, 3};
    struct cnn_error err5 = {0};
    ok(cnn_params_set_text(&schema, "lr", "0", mark, "sgd", &err5) != 0,
       "lr 0 is refused by the schema");
    struct cnn_error err6 = {0};
    ok(cnn_params_set_text(&schema, "momentum", "1.5", mark, "sgd", &err6)
           != 0,
       "momentum 1.5 is refused by the schema");
    cnn_params_free(&schema);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "optim.so") == 1) {
        sgd = cnn_registry_optimizer(registry, "sgd");
        sgd_cpu = cnn_registry_optimizer_kernels(registry, "sgd",
                                                 CNN_DEVICE_CPU);
        if (ok(sgd != NULL && sgd_cpu != NULL,
               "sgd and its CPU kernel are registered")) {
            check_plain();
            check_momentum();
            check_weight_decay();
            check_nesterov();
            check_refusals();
            check_lr_scale();
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
