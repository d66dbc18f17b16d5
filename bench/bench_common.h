/* cnnlab — what the C benchmarks under bench/ share: their clock, their
 * command line, and a model built from a manifest's `model:` node. */
#ifndef CNNLAB_BENCH_COMMON_H
#define CNNLAB_BENCH_COMMON_H

#include "cnnlab/error.h"
#include "cnnlab/registry.h"
#include "model/model.h"

/* Seconds on the wall clock, or after bench_use_cpu_clock() on the
 * process's CPU clock: on a machine shared with other work, the CPU time
 * of a 1-thread run still compares kernels fairly. */
double bench_now_seconds(void);
void bench_use_cpu_clock(void);

/* One option of a benchmark's command line. */
enum bench_option_kind {
    BENCH_FLAG,    /* "--brute": *(int *)target = 1 */
    BENCH_INTEGER, /* "--batch 64": *(int *)target, min to 1,000,000 */
    BENCH_TEXT,    /* "--manifest FILE": *(const char **)target */
};

struct bench_option {
    const char *name;
    enum bench_option_kind kind;
    void *target;
    int min; /* BENCH_INTEGER's smallest value */
};

/* Parses argv[1..] against `count` options; on an unknown option, a
 * missing value or a value out of range, prints what was wrong and
 * `usage` to stderr and returns -1. */
int bench_parse_options(int argc, char **argv,
                        const struct bench_option *options, int count,
                        const char *usage);

/* Builds the `model:` node of the manifest at `path` on the CPU,
 * allocated for batch 1, running on `threads` threads. */
int bench_load_model(struct cnn_model *model,
                     const struct cnn_registry *registry, const char *path,
                     int threads, struct cnn_error *err);

#endif
