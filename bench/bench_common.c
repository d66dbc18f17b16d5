/* cnnlab — the C benchmarks' clock, command line and model loading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "cnnlab/node.h"

static clockid_t bench_clock = CLOCK_MONOTONIC;

double bench_now_seconds(void)
{
    struct timespec t;
    clock_gettime(bench_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void bench_use_cpu_clock(void)
{
    bench_clock = CLOCK_PROCESS_CPUTIME_ID;
}

static const struct bench_option *find_option(
    const char *name, const struct bench_option *options, int count)
{
    for (int i = 0; i < count; i++)
        if (strcmp(name, options[i].name) == 0)
            return &options[i];
    return NULL;
}

/* Stores argv[i + 1] for option o; -1 when it is missing or bad. */
static int take_value(const struct bench_option *o, int argc, char **argv,
                      int i)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", argv[0], o->name);
        return -1;
    }
    const char *text = argv[i + 1];
    if (o->kind == BENCH_TEXT) {
        *(const char **)o->target = text;
        return 0;
    }
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || *end || value < o->min || value > 1000000) {
        fprintf(stderr, "%s: %s %s: expected an integer from %d to "
                "1000000\n", argv[0], o->name, text, o->min);
        return -1;
    }
    *(int *)o->target = (int)value;
    return 0;
}

int bench_parse_options(int argc, char **argv,
                        const struct bench_option *options, int count,
                        const char *usage)
{
    for (int i = 1; i < argc; i++) {
        const struct bench_option *o = find_option(argv[i], options, count);
        int status = 0;
        if (!o) {
            fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
            status = -1;
        } else if (o->kind == BENCH_FLAG) {
            *(int *)o->target = 1;
        } else {
            status = take_value(o, argc, argv, i++);
        }
        if (status < 0) {
            fprintf(stderr, "usage: %s\n", usage);
            return -1;
        }
    }
    return 0;
}

int bench_load_model(struct cnn_model *model,
                     const struct cnn_registry *registry, const char *path,
                     int threads, struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    if (cnn_node_load_file(path, &root, err) < 0)
        return -1;
    const struct cnn_node *node = cnn_node_get(root, "model");
    int status = node ? cnn_model_build(model, registry, node,
                                        CNN_DEVICE_CPU, err)
                      : cnn_error_set(err, "%s: no model: section", path);
    cnn_node_free(root);
    /* Before allocate, which may prepare kernels: oneDNN fixes a
     * primitive's thread count when it creates it. */
    model->context.threads = threads;
    if (status == 0)
        status = cnn_model_allocate(model, 1, err);
    return status;
}
