/* cnnlab — learning-rate schedules: a manifest's `train.schedule:` and
 * the factor that multiplies the optimizer's learning rate in each epoch.
 *
 * The factors are those of PyTorch's schedulers stepped once after every
 * epoch: during epoch e (1-based) of E the scheduler's last_epoch is
 * t = e - 1, and
 *
 *   none                 1
 *   step (N, gamma)      gamma^floor(t / N)                      StepLR
 *   multistep (M, gamma) gamma^(number of milestones m <= t)     MultiStepLR
 *   cosine (min, W)      t < W:  (t + 1) / (W + 1)
 *                        t >= W: min + (1 - min) (1 + cos(pi (t - W) / T)) / 2,
 *                                T = E - W
 *
 * So step decays first in epoch N + 1; a milestone m first lowers epoch
 * m + 1; cosine starts epoch W + 1 at the full rate and reaches its last
 * epoch at min + (1 - min) (1 + cos(pi (T - 1) / T)) / 2, just above min
 * (PyTorch reaches eta_min = min * lr one step after the last epoch).
 * Without warmup cosine is CosineAnnealingLR(T_max = E, eta_min =
 * min * lr); with it, SequentialLR of LinearLR(start_factor = 1 / (W + 1),
 * total_iters = W) and CosineAnnealingLR(T_max = E - W) at milestone W.
 * When W >= E every epoch is a warmup epoch. */
#ifndef CNNLAB_SCHEDULE_H
#define CNNLAB_SCHEDULE_H

#include "cnnlab/node.h"
#include "cnnlab/params.h"

enum cnn_schedule_kind {
    CNN_SCHEDULE_NONE = 0, /* a zeroed struct cnn_schedule is no schedule */
    CNN_SCHEDULE_STEP,
    CNN_SCHEDULE_MULTISTEP,
    CNN_SCHEDULE_COSINE,
};

#define CNN_SCHEDULE_MILESTONES_MAX CNN_PARAM_LIST_MAX

struct cnn_schedule {
    enum cnn_schedule_kind kind;
    long every;                /* step: epochs between decays (>= 1) */
    double gamma;              /* step, multistep: the decay factor */
    int milestone_count;       /* multistep */
    long milestones[CNN_SCHEDULE_MILESTONES_MAX]; /* increasing, >= 1 */
    double min;                /* cosine: eta_min / lr, in [0, 1] */
    long warmup;               /* cosine: linear warmup epochs (>= 0) */
};

/* Reads `train.schedule:`: absent (node NULL) or `none` gives no schedule;
 * otherwise a kind (`cosine`) or a mapping of one kind to its parameters
 * (`{step: {every: 30, gamma: 0.1}}`). Errors carry file:line:column: an
 * unknown kind (with did-you-mean and the known kinds), unknown or
 * mistyped parameters, values out of range, milestones that are not
 * increasing whole numbers. `where` places errors when node is NULL. */
int cnn_schedule_parse(struct cnn_schedule *schedule,
                       const struct cnn_node *node, struct cnn_mark where,
                       struct cnn_error *err);

/* The factor of epoch `epoch` (1-based) of a run of `epochs` epochs; an
 * epoch outside 1..epochs gets the factor of the nearer end. */
double cnn_schedule_factor(const struct cnn_schedule *schedule, int epoch,
                           int epochs);

/* "none", "step", "multistep", "cosine". */
const char *cnn_schedule_kind_name(enum cnn_schedule_kind kind);

#endif
