/* Adam against closed forms (the first step and a constant gradient move
 * each weight by lr per step), a float reference in the documented order,
 * decoupled and coupled weight decay, AMSGrad, the learning-rate factor,
 * the refusals, and torch.optim.Adam / AdamW themselves when
 * /usr/bin/python3 imports torch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "torch-run.h"

static const struct cnn_optimizer_type *adam;
static const struct cnn_optimizer_kernels *adam_cpu;

/* The definition's parse of params: 0 when it accepts them. */
static int parse(const struct cnn_params *params, struct cnn_error *err)
{
    void *settings = cnn_optimizer_parse_settings(adam, params, err);
    free(settings);
    return settings ? 0 : -1;
}

/* Floats of state per parameter with the settings parsed from params. */
static int state_per_param(const struct cnn_params *params)
{
    struct cnn_error err = {0};
    void *settings = cnn_optimizer_parse_settings(adam, params, &err);
    int floats = settings ? adam->state_per_param(settings) : -1;
    free(settings);
    return floats;
}

/* settings: "name=value" pairs, NULL-terminated. */
static struct cnn_params make_params(const char *const *settings)
{
    return test_params(adam->params, adam->param_count, adam->name, settings);
}

static int step(const struct cnn_params *params, float *w, const float *g,
                float *state, size_t count, uint64_t number, double scale,
                struct cnn_error *err)
{
    const struct cnn_optimizer_step update = {w, g, state, count, number,
                                              scale};
    /* As a run: the settings parsed once, the CPU kernel reads them. */
    void *settings = cnn_optimizer_parse_settings(adam, params, err);
    if (!settings)
        return -1;
    int status = adam_cpu->step(NULL, settings, &update, err);
    free(settings);
    return status;
}

/* The update as adam.c documents it, one element at a time, in the same
 * float operations and order; scalars in double, rounded once. */
struct reference {
    double lr, beta1, beta2, eps, weight_decay;
    int decoupled, amsgrad;
};

static void reference_step(const struct reference *r, float *w,
                           const float *g, float *m, float *v, float *v_max,
                           size_t count, uint64_t t, double scale)
{
    double lr = r->lr * scale;
    float beta1 = (float)r->beta1, beta2 = (float)r->beta2;
    float keep1 = (float)(1 - r->beta1), keep2 = (float)(1 - r->beta2);
    float c2 = (float)sqrt(1 - pow(r->beta2, (double)t));
    float size = (float)-(lr / (1 - pow(r->beta1, (double)t)));
    for (size_t i = 0; i < count; i++) {
        float grad = g[i];
        if (r->decoupled && r->weight_decay != 0)
            w[i] = w[i] * (float)(1 - lr * r->weight_decay);
        else if (r->weight_decay != 0)
            grad = grad + (float)r->weight_decay * w[i];
        m[i] = m[i] * beta1 + keep1 * grad;
        v[i] = v[i] * beta2 + keep2 * grad * grad;
        float second = v[i];
        if (r->amsgrad) {
            v_max[i] = v[i] > v_max[i] ? v[i] : v_max[i];
            second = v_max[i];
        }
        float denominator = sqrtf(second) / c2 + (float)r->eps;
        w[i] = w[i] + size * m[i] / denominator;
    }
}

/* Deterministic test data: weights of either sign away from 0, gradients
 * of mixed sizes that change sign from step to step. */
static float weight_at(size_t i)
{
    double magnitude = 0.5 + fmod(0.618 * (double)i, 1.5);
    return (float)(i % 3 == 1 ? -magnitude : magnitude);
}

static float gradient_at(size_t i, int k)
{
    return (float)(sin(0.37 * (double)i + 1.1 * k) * (1 + (double)(i % 5)) *
                   (i % 7 == 3 ? 1e-3 : 1));
}

static void check_defaults(void)
{
    struct cnn_params params = make_params(NULL);
    is_int(state_per_param(&params), 2, "adam keeps m and v: 2 floats");
    const double *betas;
    int count = cnn_param_floats(&params, "betas", &betas);
    ok(count == 2 && betas[0] == 0.9 && betas[1] == 0.999,
       "default betas [0.9, 0.999]");
    ok(cnn_param_float(&params, "lr") == 0.001 &&
           cnn_param_float(&params, "eps") == 1e-8 &&
           cnn_param_float(&params, "weight_decay") == 0 &&
           !cnn_param_bool(&params, "decoupled") &&
           !cnn_param_bool(&params, "amsgrad"),
       "PyTorch's defaults: lr 0.001, eps 1e-8, no decay, no amsgrad");
    cnn_params_free(&params);
    const char *ams[] = {"amsgrad=true", NULL};
    params = make_params(ams);
    is_int(state_per_param(&params), 3, "amsgrad adds v_max: 3 floats");
    cnn_params_free(&params);
}

static void check_first_step(void)
{
    /* Step 1: m/(1 - beta1) = g and sqrt(v/(1 - beta2)) = |g|, so each
     * weight moves by lr g / (|g| + eps): lr against the gradient's sign,
     * whatever its size. */
    const char *settings[] = {"lr=0.1", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_error err = {0};
    enum { N = 4 };
    float w[N] = {1.0f, -2.0f, 0.5f, 3.0f};
    const float g[N] = {0.5f, -0.25f, 1e-3f, 4.0f}, w0[N] = {1, -2, 0.5f, 3};
    float state[2 * N];
    for (int i = 0; i < 2 * N; i++)
        state[i] = 99.0f; /* step 1 must ignore what is there */
    ok(step(&params, w, g, state, N, 1, 1.0, &err) == 0, "first step (%s)",
       err.message);
    for (int i = 0; i < N; i++)
        /* a few float roundings of values near 3: 1e-6 */
        is_near(w[i], w0[i] - 0.1 * g[i] / (fabs(g[i]) + 1e-8), 1e-6,
                "first step moves weight %d by lr against its gradient %g",
                i, g[i]);
    is_near(state[0], 0.1 * 0.5, 1e-9, "m after step 1 is (1 - beta1) g");
    is_near(state[N + 3], 0.001 * 16, 1e-9,
            "v after step 1 is (1 - beta2) g^2");
    cnn_params_free(&params);
}

static void check_constant_gradient(void)
{
    /* A constant g keeps m/(1 - beta1^t) = g and v/(1 - beta2^t) = g^2:
     * every step moves by lr g / (|g| + eps). */
    const char *settings[] = {"lr=0.01", "betas=[0.8, 0.95]", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_error err = {0};
    enum { K = 50 };
    float w[2] = {1.0f, 1.0f}, g[2] = {2.0f, -0.01f}, state[4] = {0};
    int failures = 0;
    for (int k = 1; k <= K; k++)
        failures += step(&params, w, g, state, 2, (uint64_t)k, 1.0, &err);
    is_int(failures, 0, "50 steps succeed");
    /* fifty steps, each a few float roundings of size ~1e-7: 1e-5 */
    for (int i = 0; i < 2; i++)
        is_near(w[i], 1.0 - K * 0.01 * g[i] / (fabs(g[i]) + 1e-8), 1e-5,
                "constant gradient %g: w moves lr per step for 50 steps",
                g[i]);
    is_near(state[0], 2.0 * (1 - pow(0.8, K)), 1e-6,
            "m = g (1 - beta1^t) after 50 steps");
    is_near(state[2], 4.0 * (1 - pow(0.95, K)), 1e-5,
            "v = g^2 (1 - beta2^t) after 50 steps");
    cnn_params_free(&params);
}

/* Every combination of decay mode and amsgrad, 12 steps of 37 weights
 * (not a multiple of any vector width), against the float reference. */
static void check_reference(void)
{
    enum { N = 37, STEPS = 12 };
    const char *decays[3] = {"weight_decay=0", "weight_decay=0.05",
                             "decoupled=true"};
    for (int d = 0; d < 3; d++)
        for (int amsgrad = 0; amsgrad < 2; amsgrad++) {
            const char *settings[] = {"lr=0.03", "betas=[0.85, 0.98]",
                                      "eps=1e-6",
                                      decays[d],
                                      d == 2 ? "weight_decay=0.1" : "lr=0.03",
                                      amsgrad ? "amsgrad=true"
                                              : "amsgrad=false",
                                      NULL};
            struct cnn_params params = make_params(settings);
            struct reference r = {0.03, 0.85, 0.98, 1e-6,
                                  d == 0 ? 0 : d == 1 ? 0.05 : 0.1, d == 2,
                                  amsgrad};
            float w[N], rw[N], g[N], state[3 * N] = {0}, rs[3 * N] = {0};
            for (size_t i = 0; i < N; i++)
                w[i] = rw[i] = weight_at(i);
            struct cnn_error err = {0};
            int failures = 0;
            for (int k = 1; k <= STEPS; k++) {
                for (size_t i = 0; i < N; i++)
                    g[i] = gradient_at(i, k);
                double scale = k % 4 == 0 ? 0.5 : 1.0;
                failures += step(&params, w, g, state, N, (uint64_t)k, scale,
                                 &err) != 0;
                reference_step(&r, rw, g, rs, rs + N, rs + 2 * N, N,
                               (uint64_t)k, scale);
            }
            int differ = 0;
            double worst = 0;
            for (size_t i = 0; i < N; i++) {
                double error = fabs((double)w[i] - rw[i]) / fabs(rw[i]);
                worst = fmax(worst, error);
#ifdef __FP_FAST_FMAF
                /* The compiler may fuse multiply-adds differently in the
                 * two loops: a few float roundings apart at most. */
                differ += error > 1e-6;
#else
                differ += w[i] != rw[i];
#endif
            }
            if (!ok(failures == 0 && differ == 0,
                    "decay mode %d, amsgrad %d: 12 steps equal the "
                    "documented float order",
                    d, amsgrad))
                diag("  %d failures (%s), %d of %d weights differ, worst "
                     "relative %g",
                     failures, err.message, differ, N, worst);
            cnn_params_free(&params);
        }
}

static void check_weight_decay(void)
{
    /* With g = 0 the moments stay 0 and the Adam part moves nothing:
     * decoupled decay alone multiplies w by 1 - lr wd, exactly in float. */
    const char *decoupled[] = {"lr=0.1", "weight_decay=0.5", "decoupled=true",
                               NULL};
    struct cnn_params params = make_params(decoupled);
    struct cnn_error err = {0};
    float w[2] = {2.0f, -3.0f}, g[2] = {0, 0}, state[4] = {0};
    step(&params, w, g, state, 2, 1, 1.0, &err);
    float shrink = (float)(1 - 0.1 * 0.5);
    ok(w[0] == 2.0f * shrink && w[1] == -3.0f * shrink,
       "decoupled decay shrinks w by 1 - lr wd first (got %.9g %.9g)", w[0],
       w[1]);
    ok(state[0] == 0 && state[2] == 0, "decoupled decay leaves m, v at 0");
    /* The factor follows the scheduled rate: lr 0.1 at 0.5 is 0.05. */
    step(&params, w, g, state, 2, 2, 0.5, &err);
    ok(w[0] == 2.0f * shrink * (float)(1 - 0.05 * 0.5),
       "decoupled decay uses lr * lr_scale");
    cnn_params_free(&params);

    /* Coupled (L2) decay: g = 0 + wd w, so step 1 moves lr sign(w). */
    const char *coupled[] = {"lr=0.1", "weight_decay=0.5", NULL};
    params = make_params(coupled);
    float cw[2] = {2.0f, -3.0f}, cstate[4] = {0};
    step(&params, cw, g, cstate, 2, 1, 1.0, &err);
    is_near(cw[0], 1.9, 1e-6, "L2 decay enters the gradient: 2 -> 1.9");
    is_near(cw[1], -2.9, 1e-6, "L2 decay enters the gradient: -3 -> -2.9");
    is_near(cstate[0], 0.1 * 0.5 * 2.0, 1e-7, "m holds (1 - beta1) wd w");
    cnn_params_free(&params);
}

static void check_amsgrad(void)
{
    /* A large gradient then small ones: v decays, v_max keeps the first
     * v, so AMSGrad's later steps are smaller than Adam's. */
    const char *settings[] = {"lr=0.1", "amsgrad=true", NULL};
    const char *plain_settings[] = {"lr=0.1", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_params plain = make_params(plain_settings);
    struct cnn_error err = {0};
    float w = 1.0f, pw = 1.0f, state[3] = {0}, pstate[2] = {0};
    float big = 10.0f, small = 0.1f;
    step(&params, &w, &big, state, 1, 1, 1.0, &err);
    step(&plain, &pw, &big, pstate, 1, 1, 1.0, &err);
    float first_v = state[1];
    for (int k = 2; k <= 4; k++) {
        step(&params, &w, &small, state, 1, (uint64_t)k, 1.0, &err);
        step(&plain, &pw, &small, pstate, 1, (uint64_t)k, 1.0, &err);
    }
    ok(state[2] == first_v && state[1] < first_v,
       "v_max keeps the largest v (%g), v decays (%g)", state[2], state[1]);
    ok(w > pw, "amsgrad steps less than adam after the gradient shrinks "
               "(%.9g vs %.9g)", w, pw);
    /* By hand in double: m, v, and the update with v_max. */
    double m = 0, v = 0, v_max = 0, x = 1;
    for (int k = 1; k <= 4; k++) {
        double gk = k == 1 ? 10 : 0.1;
        m = 0.9 * m + 0.1 * gk;
        v = 0.999 * v + 0.001 * gk * gk;
        v_max = fmax(v_max, v);
        x -= 0.1 / (1 - pow(0.9, k)) * m /
             (sqrt(v_max) / sqrt(1 - pow(0.999, k)) + 1e-8);
    }
    is_near(w, x, 1e-6, "amsgrad weight after 4 steps, by hand");
    cnn_params_free(&params);
    cnn_params_free(&plain);
}

static void check_lr_scale(void)
{
    const char *settings[] = {"lr=0.1", NULL};
    struct cnn_params params = make_params(settings);
    struct cnn_error err = {0};
    float w = 1.0f, g = 3.0f, state[2] = {0};
    ok(step(&params, &w, &g, state, 1, 1, 0.25, &err) == 0,
       "scaled step (%s)", err.message);
    is_near(w, 1.0 - 0.025, 1e-7, "lr_scale 0.25 moves lr/4 on step 1");
    cnn_params_free(&params);
}

static void expect_refused(const char *const *settings, const char *needle,
                           const char *what)
{
    struct cnn_params params = make_params(settings);
    struct cnn_error check_err = {0}, step_err = {0};
    float w = 1.0f, g = 1.0f, state[3] = {0};
    ok(parse(&params, &check_err) != 0, "%s: parsing refuses", what);
    like(check_err.message, needle, "%s: message says '%s'", what, needle);
    ok(step(&params, &w, &g, state, 1, 1, 1.0, &step_err) != 0 && w == 1.0f,
       "%s: step refuses and leaves w", what);
    cnn_params_free(&params);
}

static void check_refusals(void)
{
    const char *one_beta[] = {"betas=[0.9]", NULL};
    expect_refused(one_beta, "two values", "one beta");
    const char *three[] = {"betas=[0.9, 0.99, 0.999]", NULL};
    expect_refused(three, "got 3", "three betas");
    const char *beta_one[] = {"betas=[0.9, 1]", NULL};
    expect_refused(beta_one, "beta2 must be below 1", "beta2 = 1");
    const char *no_eps[] = {"eps=0", NULL};
    expect_refused(no_eps, "eps must be above 0", "eps 0");
    const char *flip[] = {"lr=2", "weight_decay=0.5", "decoupled=true", NULL};
    expect_refused(flip, "lr * weight_decay", "decoupled lr * wd = 1");

    struct cnn_params params = make_params(NULL);
    struct cnn_error err = {0};
    ok(parse(&params, &err) == 0, "the defaults parse");
    float w = 1.0f, g = 1.0f, state[2] = {0};
    ok(step(&params, &w, &g, NULL, 1, 1, 1.0, &err) != 0,
       "no state buffer is refused");
    like(err.message, "state", "message names the state");
    struct cnn_error err2 = {0};
    ok(step(&params, &w, &g, state, 1, 0, 1.0, &err2) != 0,
       "step 0 is refused");
    struct cnn_mark mark = {"m.yaml", 2, 3};
    struct cnn_error err3 = {0}, err4 = {0};
    ok(cnn_params_set_text(&params, "lr", "0", mark, "adam", &err3) != 0,
       "lr 0 is refused by the schema");
    ok(cnn_params_set_text(&params, "betas", "[0.9, 1.5]", mark, "adam",
                           &err4) != 0,
       "beta 1.5 is refused by the schema");
    cnn_params_free(&params);
}

/* The same runs as PyTorch: 23 weights, 10 steps, per case. */
enum { TORCH_N = 23, TORCH_STEPS = 10 };

struct torch_case {
    const char *settings[6];
    const char *python; /* the optimizer of [w] */
    int amsgrad;
    double scales[TORCH_STEPS];
};

static const struct torch_case torch_cases[] = {
    {{NULL}, "torch.optim.Adam([w], foreach=False)", 0,
     {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
    {{"lr=0.05", "betas=[0.8, 0.99]", "eps=1e-6", "weight_decay=0.1", NULL},
     "torch.optim.Adam([w], lr=0.05, betas=(0.8, 0.99), eps=1e-6, "
     "weight_decay=0.1, foreach=False)",
     0, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
    {{"lr=0.05", "weight_decay=0.2", "decoupled=true", NULL},
     "torch.optim.AdamW([w], lr=0.05, weight_decay=0.2, foreach=False)", 0,
     {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
    {{"lr=0.02", "amsgrad=true", "weight_decay=0.01", NULL},
     "torch.optim.Adam([w], lr=0.02, amsgrad=True, weight_decay=0.01, "
     "foreach=False)",
     1, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
    {{"lr=0.1", "amsgrad=true", "decoupled=true", "weight_decay=0.05", NULL},
     "torch.optim.AdamW([w], lr=0.1, amsgrad=True, weight_decay=0.05, "
     "foreach=False)",
     1, {1, 0.9, 0.75, 0.5, 0.5, 0.3, 0.2, 0.1, 0.05, 0.01}},
};

#define TORCH_CASES (int)(sizeof torch_cases / sizeof torch_cases[0])

static float torch_gradient(size_t i, int k)
{
    /* Shrinking over the steps, so that v_max matters for amsgrad. */
    return gradient_at(i, k) * (float)(k < 3 ? 4 : 1);
}

static int append(char *script, size_t size, size_t *used, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
static int append(char *script, size_t size, size_t *used, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(script + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *used)
        return -1;
    *used += (size_t)n;
    return 0;
}

/* The script: weights and gradients as exact hex floats; for each case
 * it prints the weights, m, v and v_max (or an empty line) as hex. */
static char *torch_script(void)
{
    size_t size = 1 << 17, used = 0;
    char *script = malloc(size);
    int bad = !script;
    bad = bad || append(script, size, &used, "W0 = [") < 0;
    for (size_t i = 0; !bad && i < TORCH_N; i++)
        bad = append(script, size, &used, "float.fromhex('%a'),",
                     (double)weight_at(i)) < 0;
    bad = bad || append(script, size, &used, "]\nG = [") < 0;
    for (int k = 1; !bad && k <= TORCH_STEPS; k++) {
        bad = append(script, size, &used, "[") < 0;
        for (size_t i = 0; !bad && i < TORCH_N; i++)
            bad = append(script, size, &used, "float.fromhex('%a'),",
                         (double)torch_gradient(i, k)) < 0;
        bad = bad || append(script, size, &used, "],") < 0;
    }
    bad = bad ||
          append(script, size, &used,
                 "]\n"
                 "def show(t):\n"
                 "    print(' '.join(float(x).hex() for x in t.flatten()))\n"
                 "def run(make, scales):\n"
                 "    w = torch.tensor(W0, dtype=torch.float32, "
                 "requires_grad=True)\n"
                 "    o = make(w)\n"
                 "    base = o.param_groups[0]['lr']\n"
                 "    for k, scale in enumerate(scales):\n"
                 "        o.param_groups[0]['lr'] = base * scale\n"
                 "        w.grad = torch.tensor(G[k], dtype=torch.float32)\n"
                 "        o.step()\n"
                 "    s = o.state[w]\n"
                 "    show(w.detach())\n"
                 "    show(s['exp_avg'])\n"
                 "    show(s['exp_avg_sq'])\n"
                 "    if 'max_exp_avg_sq' in s and "
                 "s['max_exp_avg_sq'].numel():\n"
                 "        show(s['max_exp_avg_sq'])\n"
                 "    else:\n"
                 "        print()\n") < 0;
    for (int c = 0; !bad && c < TORCH_CASES; c++) {
        bad = append(script, size, &used, "run(lambda w: %s, [",
                     torch_cases[c].python) < 0;
        for (int k = 0; !bad && k < TORCH_STEPS; k++)
            bad = append(script, size, &used, "%.17g,",
                         torch_cases[c].scales[k]) < 0;
        bad = bad || append(script, size, &used, "])\n") < 0;
    }
    if (bad) {
        free(script);
        return NULL;
    }
    return script;
}

/* Reads `count` hex floats from the line at *cursor; moves to the next. */
static int read_line(char **cursor, float *values, int count)
{
    char *line = *cursor;
    if (!line)
        return -1;
    char *next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    *cursor = next;
    int got = 0;
    for (char *field = line; got < count; got++) {
        char *end;
        double value = strtod(field, &end);
        if (end == field)
            break;
        values[got] = (float)value;
        field = end;
    }
    return got == count ? 0 : -1;
}

/* Largest |a - b| relative to the largest |b| of the array: a state that
 * passes through 0 is compared at its own scale. */
static double array_error(const float *a, const float *b, int count,
                          int *exact)
{
    double scale = 0, worst = 0;
    for (int i = 0; i < count; i++)
        scale = fmax(scale, fabs(b[i]));
    *exact = 0;
    for (int i = 0; i < count; i++) {
        worst = fmax(worst, fabs((double)a[i] - b[i]));
        *exact += a[i] == b[i];
    }
    return scale > 0 ? worst / scale : worst;
}

static void check_against_torch(void)
{
    char *script = torch_script();
    if (!ok(script != NULL, "the PyTorch script fits its buffer"))
        return;
    char *output = NULL, why[256];
    int status = torch_run(script, &output, why, sizeof why);
    free(script);
    if (status == TORCH_RUN_NO_TORCH) {
        skip(why, "10 steps against torch.optim.Adam and AdamW");
        return;
    }
    if (!ok(status == TORCH_RUN_OK, "the PyTorch script runs (%s)", why))
        return;
    char *cursor = output;
    for (int c = 0; c < TORCH_CASES; c++) {
        const struct torch_case *tc = &torch_cases[c];
        float torch[4][TORCH_N];
        int lines = 1;
        for (int a = 0; a < 3; a++)
            lines &= read_line(&cursor, torch[a], TORCH_N) == 0;
        lines &= read_line(&cursor, torch[3], tc->amsgrad ? TORCH_N : 0) == 0;
        if (!ok(lines, "%s: PyTorch's output reads", tc->python))
            break;

        struct cnn_params params = make_params(tc->settings);
        float w[TORCH_N], g[TORCH_N], state[3 * TORCH_N] = {0};
        for (size_t i = 0; i < TORCH_N; i++)
            w[i] = weight_at(i);
        struct cnn_error err = {0};
        int failures = 0;
        for (int k = 1; k <= TORCH_STEPS; k++) {
            for (size_t i = 0; i < TORCH_N; i++)
                g[i] = torch_gradient(i, k);
            failures += step(&params, w, g, state, TORCH_N, (uint64_t)k,
                             tc->scales[k - 1], &err) != 0;
        }
        /* Weights within 1e-6 relative each (they stay away from 0);
         * states within 1e-6 of their largest element: PyTorch's AVX
         * kernels fuse some multiply-adds, so the last bits may differ. */
        int weights_close = failures == 0, exact_weights = 0;
        double worst_weight = 0;
        for (int i = 0; i < TORCH_N; i++) {
            double error = fabs((double)w[i] - torch[0][i]) /
                           fabs(torch[0][i]);
            worst_weight = fmax(worst_weight, error);
            weights_close &= error <= 1e-6;
            exact_weights += w[i] == torch[0][i];
        }
        if (!ok(weights_close, "%.60s: weights after 10 steps within 1e-6",
                tc->python))
            diag("  %d failures (%s), worst relative %g", failures,
                 err.message, worst_weight);
        int exact_states = 0, exact;
        double worst_state = 0;
        for (int a = 1; a < (tc->amsgrad ? 4 : 3); a++) {
            worst_state = fmax(worst_state,
                               array_error(state + (a - 1) * TORCH_N,
                                           torch[a], TORCH_N, &exact));
            exact_states += exact;
        }
        if (!ok(worst_state <= 1e-6, "%.60s: m, v%s within 1e-6",
                tc->python, tc->amsgrad ? ", v_max" : ""))
            diag("  worst relative %g", worst_state);
        diag("  bit-identical to PyTorch: %d of %d weights, %d of %d state "
             "values (worst weight error %.3g)",
             exact_weights, TORCH_N, exact_states,
             (tc->amsgrad ? 3 : 2) * TORCH_N, worst_weight);
        cnn_params_free(&params);
    }
    free(output);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "optim.so") == 1) {
        adam = cnn_registry_optimizer(registry, "adam");
        adam_cpu = cnn_registry_optimizer_kernels(registry, "adam",
                                                  CNN_DEVICE_CPU);
        if (ok(adam != NULL && adam_cpu != NULL,
               "adam and its CPU kernel are registered")) {
            check_defaults();
            check_first_step();
            check_constant_gradient();
            check_reference();
            check_weight_decay();
            check_amsgrad();
            check_lr_scale();
            check_refusals();
            check_against_torch();
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
