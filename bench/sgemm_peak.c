/* bench/sgemm-peak — the CPU's practical float32 ceiling as oneDNN reaches
 * it: the best of several dnnl_sgemm calls C = A B on large square
 * matrices (the kernels cnnlab's layers and PyTorch's both end in), with
 * a given number of OpenMP threads.
 *
 *   sgemm-peak [--threads N] [--size N] [--repeats N]
 *
 * Prints "sgemm N threads T: X GFLOP/s (best of R, Y ms)", counting
 * 2 N^3 floating-point operations per call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int parse(int argc, char **argv, int *threads, int *size,
                 int *repeats)
{
    for (int i = 1; i < argc; i++) {
        int *target = NULL;
        if (strcmp(argv[i], "--threads") == 0)
            target = threads;
        else if (strcmp(argv[i], "--size") == 0)
            target = size;
        else if (strcmp(argv[i], "--repeats") == 0)
            target = repeats;
        char *end = NULL;
        long value = target && i + 1 < argc ? strtol(argv[++i], &end, 10)
                                            : 0;
        if (!target || !end || *end || value < 1 || value > 65536) {
            fprintf(stderr, "usage: sgemm-peak [--threads N] [--size N] "
                            "[--repeats N] (positive integers)\n");
            return -1;
        }
        *target = (int)value;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 2, size = 2048, repeats = 5;
    if (parse(argc, argv, &threads, &size, &repeats) < 0)
        return 2;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    size_t count = (size_t)size * size;
    float *a = malloc(count * sizeof *a);
    float *b = malloc(count * sizeof *b);
    float *c = malloc(count * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "sgemm-peak: out of memory for %dx%d matrices\n",
                size, size);
        return 1;
    }
    for (size_t i = 0; i < count; i++) {
        a[i] = (float)(i % 7) * 0.25f - 0.75f;
        b[i] = (float)(i % 5) * 0.5f - 1.0f;
        c[i] = 0.0f;
    }
    double best = 1e30;
    /* The first call warms up (page faults, oneDNN's kernel generation). */
    for (int r = 0; r <= repeats; r++) {
        double started = now_seconds();
        dnnl_status_t status = dnnl_sgemm('N', 'N', size, size, size, 1.0f,
                                          a, size, b, size, 0.0f, c, size);
        double seconds = now_seconds() - started;
        if (status != dnnl_success) {
            fprintf(stderr, "sgemm-peak: dnnl_sgemm failed (status %d)\n",
                    (int)status);
            return 1;
        }
        if (r > 0 && seconds < best)
            best = seconds;
    }
    printf("sgemm %d threads %d: %.1f GFLOP/s (best of %d, %.3f ms)\n",
           size, threads, 2.0 * size * size * (double)size / best / 1e9,
           repeats, 1e3 * best);
    free(a);
    free(b);
    free(c);
    return 0;
}
