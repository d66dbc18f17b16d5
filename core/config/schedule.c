/* cnnlab — learning-rate schedules: `train.schedule:` checked against
 * one parameter schema per kind, and each epoch's factor (the formulas and
 * which epoch gets which factor are in schedule.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/params_node.h"
#include "config/schedule.h"

static const struct cnn_param_spec step_specs[] = {
    {"every", CNN_PARAM_INT, NULL, 1, 1e6, NULL,
     "epochs between decays (PyTorch's step_size)"},
    {"gamma", CNN_PARAM_FLOAT, "0.1", 1e-12, 1000, NULL,
     "the rate is multiplied by this at each decay"},
};

static const struct cnn_param_spec multistep_specs[] = {
    {"milestones", CNN_PARAM_FLOAT_LIST, NULL, 1, 1e6, NULL,
     "increasing epoch counts: after each, the rate decays"},
    {"gamma", CNN_PARAM_FLOAT, "0.1", 1e-12, 1000, NULL,
     "the rate is multiplied by this at each milestone"},
};

static const struct cnn_param_spec cosine_specs[] = {
    {"min", CNN_PARAM_FLOAT, "0", 0, 1, NULL,
     "the rate anneals towards min * lr (PyTorch's eta_min / lr)"},
    {"warmup", CNN_PARAM_INT, "0", 0, 1e6, NULL,
     "epochs of linear warmup before the annealing"},
};

struct schedule_kind {
    enum cnn_schedule_kind kind;
    const char *name;
    const char *component; /* for parameter errors */
    const struct cnn_param_spec *specs;
    int count;
};

#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct schedule_kind kinds[] = {
    {CNN_SCHEDULE_NONE, "none", "schedule none", NULL, 0},
    {CNN_SCHEDULE_STEP, "step", "schedule step", step_specs,
     COUNT(step_specs)},
    {CNN_SCHEDULE_MULTISTEP, "multistep", "schedule multistep",
     multistep_specs, COUNT(multistep_specs)},
    {CNN_SCHEDULE_COSINE, "cosine", "schedule cosine", cosine_specs,
     COUNT(cosine_specs)},
};

const char *cnn_schedule_kind_name(enum cnn_schedule_kind kind)
{
    for (int i = 0; i < COUNT(kinds); i++)
        if (kinds[i].kind == kind)
            return kinds[i].name;
    return "unknown";
}

static const struct schedule_kind *find_kind(const char *name)
{
    for (int i = 0; i < COUNT(kinds); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

static int unknown_kind(const char *name, struct cnn_mark mark,
                        struct cnn_error *err)
{
    const char *names[COUNT(kinds)];
    for (int i = 0; i < COUNT(kinds); i++)
        names[i] = kinds[i].name;
    const char *guess = cnn_did_you_mean(name, names, COUNT(kinds));
    return cnn_error_at(err, mark,
                        "unknown schedule '%s' in train.schedule%s%s%s "
                        "(known: none, step, multistep, cosine)",
                        name, guess ? "; did you mean '" : "",
                        guess ? guess : "", guess ? "'?" : "");
}

/* Milestones must be whole, strictly increasing epoch counts; each error
 * points at the element. */
static int read_milestones(struct cnn_schedule *schedule,
                           const struct cnn_params *params,
                           const struct cnn_node *parameters,
                           struct cnn_mark where, struct cnn_error *err)
{
    const double *values;
    int count = cnn_param_floats(params, "milestones", &values);
    const struct cnn_node *list = cnn_node_get(parameters, "milestones");
    for (int i = 0; i < count; i++) {
        struct cnn_mark mark = where;
        if (list && list->kind == CNN_NODE_SEQUENCE && i < list->count)
            mark = list->items[i]->mark;
        else if (list)
            mark = list->mark;
        if (values[i] != floor(values[i]))
            return cnn_error_at(err, mark,
                                "schedule multistep: milestone %g is not a "
                                "whole number of epochs",
                                values[i]);
        if (i > 0 && values[i] <= values[i - 1])
            return cnn_error_at(err, mark,
                                "schedule multistep: milestones must "
                                "increase, but %g follows %g (list each "
                                "epoch once, in order, e.g. [30, 60])",
                                values[i], values[i - 1]);
        schedule->milestones[i] = (long)values[i];
    }
    schedule->milestone_count = count;
    return 0;
}

int cnn_schedule_parse(struct cnn_schedule *schedule,
                       const struct cnn_node *node, struct cnn_mark where,
                       struct cnn_error *err)
{
    memset(schedule, 0, sizeof *schedule);
    if (!node)
        return 0;
    const char *name;
    const struct cnn_node *parameters = NULL;
    struct cnn_mark name_mark = node->mark;
    if (node->kind == CNN_NODE_SCALAR && !node->quoted && !node->text[0])
        return 0; /* "schedule:" with nothing after it */
    if (node->kind == CNN_NODE_SCALAR) {
        name = node->text;
    } else if (node->kind == CNN_NODE_MAP && node->count == 1) {
        name = node->keys[0];
        name_mark = node->key_marks[0];
        parameters = node->items[0];
    } else {
        return cnn_error_at(err, node->mark,
                            "train.schedule is a kind (none, step, "
                            "multistep, cosine) or a mapping of one kind "
                            "to its parameters, e.g. {step: {every: 30, "
                            "gamma: 0.1}}; got %s%s",
                            node->kind == CNN_NODE_MAP
                                ? "a mapping of several keys"
                                : cnn_node_kind_name(node->kind),
                            node->kind == CNN_NODE_MAP
                                ? " (give only one kind)"
                                : "");
    }
    const struct schedule_kind *kind = find_kind(name);
    if (!kind)
        return unknown_kind(name, name_mark, err);

    struct cnn_params params = {0};
    if (cnn_params_from_node(&params, kind->specs, kind->count, parameters,
                             name_mark, kind->component, err) < 0)
        return -1;
    schedule->kind = kind->kind;
    int status = 0;
    switch (kind->kind) {
    case CNN_SCHEDULE_NONE:
        break;
    case CNN_SCHEDULE_STEP:
        schedule->every = cnn_param_int(&params, "every");
        schedule->gamma = cnn_param_float(&params, "gamma");
        break;
    case CNN_SCHEDULE_MULTISTEP:
        schedule->gamma = cnn_param_float(&params, "gamma");
        status = read_milestones(schedule, &params, parameters, name_mark,
                                 err);
        break;
    case CNN_SCHEDULE_COSINE:
        schedule->min = cnn_param_float(&params, "min");
        schedule->warmup = cnn_param_int(&params, "warmup");
        break;
    }
    cnn_params_free(&params);
    if (status < 0)
        memset(schedule, 0, sizeof *schedule);
    return status;
}

double cnn_schedule_factor(const struct cnn_schedule *schedule, int epoch,
                           int epochs)
{
    /* PyTorch's last_epoch while this epoch trains; epochs outside the
     * run count as its first or last. */
    long t = epoch < epochs ? epoch - 1 : epochs - 1;
    if (t < 0)
        t = 0;
    switch (schedule->kind) {
    case CNN_SCHEDULE_NONE:
        return 1;
    case CNN_SCHEDULE_STEP:
        return pow(schedule->gamma,
                   (double)(t / (schedule->every > 0 ? schedule->every : 1)));
    case CNN_SCHEDULE_MULTISTEP: {
        int passed = 0;
        for (int i = 0; i < schedule->milestone_count; i++)
            passed += schedule->milestones[i] <= t;
        return pow(schedule->gamma, passed);
    }
    case CNN_SCHEDULE_COSINE: {
        long warmup = schedule->warmup;
        if (t < warmup)
            return (double)(t + 1) / (double)(warmup + 1);
        double span = (double)epochs - (double)warmup;
        double min = schedule->min;
        return min + (1 - min) * (1 + cos(M_PI * (double)(t - warmup) /
                                          span)) / 2;
    }
    }
    return 1;
}
