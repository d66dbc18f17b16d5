/* Learning-rate schedules: each kind's factor per epoch against its closed
 * form and against PyTorch's schedulers stepped once per epoch (when
 * /usr/bin/python3 imports torch), and the errors of bad `train.schedule:`
 * entries, each placed at file:line:column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/node.h"
#include "config/schedule.h"
#include "tap.h"
#include "torch-run.h"

/* Parses `text`, a YAML document whose `schedule` key is the entry. */
static int parse(const char *text, struct cnn_schedule *schedule,
                 struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    memset(err, 0, sizeof *err);
    if (cnn_node_load_string(text, "m.yaml", &root, err) < 0)
        return -2;
    struct cnn_mark where = {"m.yaml", 1, 1};
    int status = cnn_schedule_parse(schedule, cnn_node_get(root, "schedule"),
                                    where, err);
    cnn_node_free(root);
    return status;
}

static struct cnn_schedule parse_ok(const char *text)
{
    struct cnn_schedule schedule;
    struct cnn_error err;
    int status = parse(text, &schedule, &err);
    ok(status == 0, "parses: %s (%s)", text, err.message);
    return schedule;
}

/* Factors within 1e-15 (they are a few double operations each). */
static void check_factors(const struct cnn_schedule *schedule, int epochs,
                          const double *expected, const char *what)
{
    int bad = 0;
    for (int e = 1; e <= epochs; e++) {
        double got = cnn_schedule_factor(schedule, e, epochs);
        if (fabs(got - expected[e - 1]) > 1e-15) {
            if (!bad)
                diag("  %s: epoch %d: got %.17g, expected %.17g", what, e,
                     got, expected[e - 1]);
            bad++;
        }
    }
    ok(bad == 0, "%s: factors of all %d epochs", what, epochs);
}

static void check_closed_forms(void)
{
    struct cnn_schedule none = parse_ok("schedule: none");
    is_int(none.kind, CNN_SCHEDULE_NONE, "none is no schedule");
    const double ones[3] = {1, 1, 1};
    check_factors(&none, 3, ones, "none");
    struct cnn_schedule absent = parse_ok("other: 1");
    is_int(absent.kind, CNN_SCHEDULE_NONE, "no schedule key: none");

    /* StepLR(step_size 3, gamma 0.5): epochs 1-3 at 1, 4-6 at 0.5, ... */
    struct cnn_schedule step =
        parse_ok("schedule: {step: {every: 3, gamma: 0.5}}");
    const double stepped[10] = {1,    1,    1,    0.5,  0.5,
                                0.5,  0.25, 0.25, 0.25, 0.125};
    check_factors(&step, 10, stepped, "step every 3, gamma 0.5");
    struct cnn_schedule step_default = parse_ok("schedule: {step: {every: 1}}");
    const double tenths[3] = {1, 0.1, 0.1 * 0.1};
    check_factors(&step_default, 3, tenths, "step every 1, default gamma 0.1");

    /* MultiStepLR(milestones [2, 5, 6]): milestone m first lowers epoch
     * m + 1. */
    struct cnn_schedule multi =
        parse_ok("schedule:\n  multistep:\n    milestones: [2, 5, 6]\n");
    const double multiple[8] = {1,   1,   0.1, 0.1,
                                0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1,
                                0.1 * 0.1 * 0.1};
    check_factors(&multi, 8, multiple, "multistep [2, 5, 6]");

    /* CosineAnnealingLR(T_max = 4): (1 + cos(pi t / 4)) / 2. */
    struct cnn_schedule cosine = parse_ok("schedule: cosine");
    const double pi = 3.14159265358979323846;
    const double annealed[4] = {1, (1 + cos(pi / 4)) / 2, 0.5,
                                (1 + cos(3 * pi / 4)) / 2};
    check_factors(&cosine, 4, annealed, "cosine over 4 epochs");
    const double single[1] = {1};
    check_factors(&cosine, 1, single, "cosine over 1 epoch stays at 1");

    /* Warmup 2 of 5, min 0.2: 1/3, 2/3, then cosine over T = 3. */
    struct cnn_schedule warm =
        parse_ok("schedule: {cosine: {min: 0.2, warmup: 2}}");
    const double warmed[5] = {1.0 / 3, 2.0 / 3, 1,
                              0.2 + 0.8 * (1 + cos(pi / 3)) / 2,
                              0.2 + 0.8 * (1 + cos(2 * pi / 3)) / 2};
    check_factors(&warm, 5, warmed, "cosine min 0.2, warmup 2 of 5");
    const double all_warmup[2] = {1.0 / 3, 2.0 / 3};
    check_factors(&warm, 2, all_warmup,
                  "warmup as long as the run: every epoch warms up");
    is_near(cnn_schedule_factor(&warm, 9, 5), warmed[4], 1e-15,
            "an epoch past the run gets the last epoch's factor");

    struct cnn_schedule empty = parse_ok("schedule: {cosine: }");
    is_int(empty.kind, CNN_SCHEDULE_COSINE, "`cosine:` with nothing: cosine");
    ok(empty.min == 0 && empty.warmup == 0, "cosine defaults: min 0, warmup 0");
}

static void expect_error(const char *text, const char *where,
                         const char *needle, const char *what)
{
    struct cnn_schedule schedule;
    struct cnn_error err;
    int status = parse(text, &schedule, &err);
    char formatted[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
    cnn_error_format(&err, formatted, sizeof formatted);
    if (!ok(status == -1, "%s: refused", what))
        diag("  status %d for %s", status, text);
    like(formatted, where, "%s: placed at %s", what, where);
    like(formatted, needle, "%s: says '%s'", what, needle);
    is_int(schedule.kind, CNN_SCHEDULE_NONE, "%s: leaves no schedule", what);
}

static void check_errors(void)
{
    expect_error("schedule: cosin", "m.yaml:1:11:",
                 "unknown schedule 'cosin' in train.schedule; did you mean "
                 "'cosine'?",
                 "a misspelt kind");
    expect_error("schedule: {exponential: {gamma: 0.9}}", "m.yaml:1:12:",
                 "(known: none, step, multistep, cosine)", "an unknown kind");
    expect_error("schedule: {step: {evry: 3}}", "m.yaml:1:19:",
                 "unknown parameter 'evry' for schedule step; did you mean "
                 "'every'?",
                 "a misspelt parameter");
    expect_error("schedule: {step: {gamma: 0.5}}", "m.yaml:1:",
                 "every", "step without every");
    expect_error("schedule: {step: {every: 0}}", "m.yaml:1:26:", "every",
                 "every 0");
    expect_error("schedule: {step: {every: 2.5}}", "m.yaml:1:26:", "2.5",
                 "every 2.5");
    expect_error("schedule: {multistep: {gamma: 0.5}}", "m.yaml:1:",
                 "milestones", "multistep without milestones");
    expect_error("schedule:\n  multistep: {milestones: [10, 20.5]}\n",
                 "m.yaml:2:32:", "milestone 20.5 is not a whole number",
                 "a fractional milestone");
    expect_error("schedule:\n  multistep: {milestones: [30, 30]}\n",
                 "m.yaml:2:32:", "milestones must increase",
                 "a repeated milestone");
    expect_error("schedule:\n  multistep: {milestones: [0, 3]}\n",
                 "m.yaml:2:", "milestones", "milestone 0");
    expect_error("schedule: {cosine: {min: 1.5}}", "m.yaml:1:26:", "min",
                 "min above 1");
    expect_error("schedule: {cosine: {warmup: -1}}", "m.yaml:1:29:",
                 "warmup", "negative warmup");
    expect_error("schedule: {cosine: {min: 0}, step: {every: 2}}",
                 "m.yaml:1:11:", "give only one kind", "two kinds");
    expect_error("schedule: [cosine]", "m.yaml:1:11:",
                 "train.schedule is a kind", "a list");
    expect_error("schedule: {none: {gamma: 1}}", "m.yaml:1:19:",
                 "unknown parameter 'gamma' for schedule none",
                 "none takes no parameters");
}

/* The torch script prints one line of factors per case; each case is
 * "kind parameters epochs" in C and a scheduler in Python. */
struct torch_case {
    const char *yaml;
    int epochs;
    const char *python; /* a scheduler of optimizer `o` */
};

static const struct torch_case torch_cases[] = {
    {"schedule: {step: {every: 3, gamma: 0.5}}", 11,
     "L.StepLR(o, step_size=3, gamma=0.5)"},
    {"schedule: {multistep: {milestones: [2, 5, 6], gamma: 0.3}}", 9,
     "L.MultiStepLR(o, milestones=[2, 5, 6], gamma=0.3)"},
    {"schedule: cosine", 12, "L.CosineAnnealingLR(o, T_max=12)"},
    {"schedule: {cosine: {min: 0.05}}", 100,
     "L.CosineAnnealingLR(o, T_max=100, eta_min=0.05 * LR)"},
    {"schedule: {cosine: {min: 0.1, warmup: 3}}", 10,
     "L.SequentialLR(o, [L.LinearLR(o, start_factor=1 / 4, total_iters=3), "
     "L.CosineAnnealingLR(o, T_max=7, eta_min=0.1 * LR)], milestones=[3])"},
    {"schedule: {cosine: {warmup: 5}}", 4,
     "L.LinearLR(o, start_factor=1 / 6, total_iters=5)"},
};

#define TORCH_CASES (int)(sizeof torch_cases / sizeof torch_cases[0])

static void check_against_torch(void)
{
    char script[8192];
    int used = snprintf(script, sizeof script,
                        "from torch.optim import lr_scheduler as L\n"
                        "LR = 0.1\n"
                        "def factors(make, epochs):\n"
                        "    p = torch.nn.Parameter(torch.zeros(1))\n"
                        "    o = torch.optim.SGD([p], lr=LR)\n"
                        "    s = make(o)\n"
                        "    out = []\n"
                        "    for e in range(epochs):\n"
                        "        out.append(o.param_groups[0]['lr'] / LR)\n"
                        "        o.step()\n"
                        "        s.step()\n"
                        "    print(' '.join(repr(f) for f in out))\n");
    for (int i = 0; i < TORCH_CASES; i++)
        used += snprintf(script + used, sizeof script - (size_t)used,
                         "factors(lambda o: %s, %d)\n", torch_cases[i].python,
                         torch_cases[i].epochs);
    char *output = NULL, why[256];
    int status = torch_run(script, &output, why, sizeof why);
    if (status == TORCH_RUN_NO_TORCH) {
        skip(why, "factors against PyTorch's schedulers");
        return;
    }
    if (!ok(status == TORCH_RUN_OK, "the PyTorch script runs (%s)", why))
        return;
    char *line = output;
    for (int i = 0; i < TORCH_CASES; i++) {
        const struct torch_case *c = &torch_cases[i];
        struct cnn_schedule schedule;
        struct cnn_error err;
        parse(c->yaml, &schedule, &err);
        char *next = line ? strchr(line, '\n') : NULL;
        if (next)
            *next++ = '\0';
        int compared = 0, bad = 0;
        double worst = 0;
        for (char *field = line; field && *field && compared < c->epochs;
             compared++) {
            char *end;
            double torch = strtod(field, &end);
            if (end == field)
                break;
            field = end;
            double got = cnn_schedule_factor(&schedule, compared + 1,
                                             c->epochs);
            /* PyTorch's cosine is a recurrence, each epoch's rate from the
             * last: its rounding grows by ~1e-16 an epoch, so 1e-12
             * relative holds over a few hundred epochs. */
            double error = fabs(got - torch) / fmax(fabs(torch), 1e-300);
            worst = fmax(worst, error);
            bad += !(error <= 1e-12);
        }
        if (!ok(compared == c->epochs && bad == 0,
                "%s over %d epochs equals PyTorch's %.40s...", c->yaml,
                c->epochs, c->python))
            diag("  compared %d epochs, %d differ, worst relative %g",
                 compared, bad, worst);
        line = next;
    }
    free(output);
}

int main(void)
{
    check_closed_forms();
    check_errors();
    check_against_torch();
    is_str(cnn_schedule_kind_name(CNN_SCHEDULE_MULTISTEP), "multistep",
           "kind names");
    return done_testing();
}
