/* bench/winograd-gemm — the Winograd forward's product kernel
 * (plugins/layers/conv2d/conv2d_winograd_gemm.c, built in) against the
 * dnnl_sgemm calls it replaced, side by side on one thread: for each
 * shape, the 16 products of one chunk (U[k] out x in, V[k] in x tiles,
 * each position its own matrices, as the forward runs them), the two
 * alternating ROUNDS times; the best time of each, GFLOP/s and the ratio.
 * The shapes are those of the study's best model: occlusion crops (36,
 * 49, 25 and 64 tiles) and training chunks (80 to 95 tiles).
 *
 *   winograd-gemm [--rounds N]
 *
 * Exits 2 on a CPU without AVX2 and FMA, where the forward uses
 * dnnl_sgemm anyway. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../plugins/layers/conv2d/conv2d_winograd_tiles.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { POSITIONS = 16 };

struct chunk {
    int out, in, tiles;
    float *u, *packed, *v, *m;
    size_t packed_floats;
};

static int chunk_new(struct chunk *c, int out, int in, int tiles)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    c->in = in;
    c->tiles = tiles;
    c->packed_floats = cnn_winograd_gemm_packed_floats(out, in);
    c->u = malloc(sizeof(float) * POSITIONS * out * in);
    c->packed = malloc(sizeof(float) * POSITIONS * c->packed_floats);
    c->v = malloc(sizeof(float) * POSITIONS * in * tiles);
    c->m = malloc(sizeof(float) * POSITIONS * out * tiles);
    if (!c->u || !c->packed || !c->v || !c->m)
        return -1;
    unsigned state = 12345;
    for (size_t i = 0; i < (size_t)POSITIONS * out * in; i++) {
        state = state * 1664525u + 1013904223u;
        c->u[i] = (float)(state >> 8) / (float)(1u << 24) - 0.5f;
    }
    for (size_t i = 0; i < (size_t)POSITIONS * in * tiles; i++) {
        state = state * 1664525u + 1013904223u;
        c->v[i] = (float)(state >> 8) / (float)(1u << 24) - 0.5f;
    }
    for (int k = 0; k < POSITIONS; k++)
        cnn_winograd_gemm_pack(c->u + (size_t)k * out * in, (size_t)in, 1,
                               out, in, c->packed + k * c->packed_floats);
    return 0;
}

static void chunk_free(struct chunk *c)
{
    free(c->u);
    free(c->packed);
    free(c->v);
    free(c->m);
}

/* One chunk's 16 products, `repeats` times; seconds. */
static double run(const struct chunk *c, int use_sgemm, int repeats)
{
    size_t u_size = (size_t)c->out * c->in;
    size_t v_size = (size_t)c->in * c->tiles;
    size_t m_size = (size_t)c->out * c->tiles;
    double start = now_seconds();
    for (int r = 0; r < repeats; r++)
        for (int k = 0; k < POSITIONS; k++) {
            if (use_sgemm)
                dnnl_sgemm('N', 'N', c->out, c->tiles, c->in, 1.0f,
                           c->u + k * u_size, c->in, c->v + k * v_size,
                           c->tiles, 0.0f, c->m + k * m_size, c->tiles);
            else
                cnn_winograd_gemm(c->packed + k * c->packed_floats, c->out,
                                  c->in, c->v + k * v_size, (size_t)c->tiles,
                                  c->tiles, c->m + k * m_size,
                                  (size_t)c->tiles);
        }
    return now_seconds() - start;
}

int main(int argc, char **argv)
{
    int rounds = 7;
    if (argc == 3 && strcmp(argv[1], "--rounds") == 0)
        rounds = atoi(argv[2]);
    if (rounds < 1 || (argc != 1 && argc != 3)) {
        fprintf(stderr, "usage: winograd-gemm [--rounds N] (N >= 1)\n");
        return 2;
    }
    if (!cnn_winograd_gemm_supported()) {
        fprintf(stderr, "winograd-gemm: this CPU lacks AVX2 or FMA; the "
                        "Winograd forward uses dnnl_sgemm here\n");
        return 2;
    }
#ifdef _OPENMP
    omp_set_num_threads(1); /* sgemm's threads, as inside a chunk */
#endif
    static const int shapes[][3] = {
        {256, 256, 36}, {256, 128, 25}, {128, 128, 49}, {128, 64, 36},
        {64, 64, 64},   {64, 64, 80},   {128, 64, 95},  {128, 128, 90},
        {256, 128, 64}, {256, 256, 49},
    };
    printf("# one thread, %d positions per chunk, best of %d rounds\n",
           POSITIONS, rounds);
    printf("| out | in | tiles | sgemm GFLOP/s | cnnlab GFLOP/s | "
           "cnnlab / sgemm |\n|---:|---:|---:|---:|---:|---:|\n");
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        struct chunk c;
        if (chunk_new(&c, shapes[s][0], shapes[s][1], shapes[s][2])) {
            fprintf(stderr, "winograd-gemm: out of memory\n");
            chunk_free(&c);
            return 1;
        }
        double flops = 2.0 * POSITIONS * c.out * c.in * c.tiles;
        int repeats = (int)(2e8 / flops) + 1;
        double best[2] = {1e30, 1e30};
        for (int round = 0; round < rounds; round++)
            for (int which = 0; which < 2; which++) {
                double t = run(&c, which == 0, repeats);
                best[which] = t < best[which] ? t : best[which];
            }
        double sgemm = flops * repeats / best[0] / 1e9;
        double ours = flops * repeats / best[1] / 1e9;
        printf("| %d | %d | %d | %.1f | %.1f | %.2f |\n", c.out, c.in,
               c.tiles, sgemm, ours, ours / sgemm);
        chunk_free(&c);
    }
    return 0;
}
