/* cnnlab layers module — what the Winograd kernels share inside the
 * module: the state of one convolution (conv2d_winograd.c: forward and
 * input gradient; conv2d_winograd_weights.c: weight gradient;
 * conv2d_winograd_general.c: the 5x5 transforms), its tiling and
 * scratch, and the input transform all use. */
#ifndef CNNLAB_LAYERS_CONV2D_WINOGRAD_TILES_H
#define CNNLAB_LAYERS_CONV2D_WINOGRAD_TILES_H

#include <stddef.h>

#include "conv2d_winograd.h"

/* Tiles per chunk to aim for: at 64 input and output channels, V and M of
 * a chunk then take about 330 KB together, within a core's L2 cache, and
 * the products are wide enough for sgemm's kernels. */
enum { WINOGRAD_CHUNK_TILES = 80 };

/* 5x5 filters: 6x6 tiles. */
enum { WINOGRAD_MAX_ALPHA = 6, WINOGRAD_MAX_POSITIONS = 36 };

/* One thread's scratch. */
struct winograd_scratch {
    /* A chunk's positions cnn_winograd_position_floats apart: */
    float *input;   /* V: [positions][in][tiles] */
    float *product; /* M: [positions][out][tiles]; for the weight
                       gradient, the transformed output gradient instead */
    float *lines;   /* alpha + 1 lines, line_floats apart, of
                       2 tiles_w + alpha - 2: a row of zeros, then the
                       alpha rows of B^T d with their padding columns */
    float *outputs; /* 2 lines of 2 tiles_w: a tile row of outputs where
                       the output's last tile row or column is cut; then
                       (5x5) 2 alpha lines of tiles_w for the transforms */
    /* Only with shape.weight_gradient: this thread's share of the sums
     * over tiles, in the transformed domain ([positions][out][in]), and
     * of the bias gradient (out). */
    float *weight_sums;
    double *bias_sums;
};

struct cnn_winograd {
    struct cnn_winograd_shape shape;
    int alpha;              /* a tile's input side: kernel + 1 */
    int positions;          /* alpha * alpha */
    /* An input gradient's own U (5x5) is made from the forward's filters
     * turned by 180 degrees, kept in the forward's order ([positions][in]
     * [out]) and used transposed. */
    int turned_weights;
    int tiles_h, tiles_w;   /* ceil(out_h / 2), ceil(out_w / 2) */
    /* The 3x3 input transform's columns run on
     * cnn_winograd_transform_columns8 (at most WINOGRAD_NARROW_TILES tiles
     * wide, on a CPU with AVX2). */
    int narrow;
    size_t line_floats;     /* from one of scratch.lines to the next */
    int rows_per_chunk;     /* tile rows per chunk */
    int chunks_per_sample;
    int threads;            /* scratch sets allocated */
    size_t chunk_tiles;     /* rows_per_chunk * tiles_w */
    int transformed;        /* U holds the transform of seen_weights */
    float *seen_weights;    /* the weights U was made from */
    float *transformed_weights; /* U: [positions][out][in] */
    /* A forward's U again, packed for cnn_winograd_gemm (one run of
     * cnn_winograd_gemm_packed_floats(out, in) per position); NULL where
     * the products run on dnnl_sgemm. */
    float *packed_weights;
    size_t packed_floats;   /* per position */
    /* An input gradient's: the forward whose U it uses (then it has no
     * seen or transformed weights of its own). */
    struct cnn_winograd *weights_from;
    struct winograd_scratch *scratch;
};

/* Floats from one position's V or M (of `channels` rows of `tiles`) to
 * the next's: a cache line more than their floats. Without it, the
 * common chunks (64, 128 or 256 channels of 64 or 80 tiles) put the 16
 * positions a multiple of 4 KB apart, all in the same sets of the L1
 * cache, which the transforms, touching every position at once, ran out
 * of. */
enum { WINOGRAD_POSITION_PAD = 16 };
static inline size_t cnn_winograd_position_floats(int channels, size_t tiles)
{
    return (size_t)channels * tiles + WINOGRAD_POSITION_PAD;
}

/* The threads a call runs on: those allocated for, at most OpenMP's
 * current maximum. */
int cnn_winograd_threads(const struct cnn_winograd *winograd);

/* Chunk `chunk` (of batch * chunks_per_sample): its sample, first tile
 * row and number of tile rows. */
void cnn_winograd_chunk_rows(const struct cnn_winograd *winograd, int chunk,
                             int *sample, int *first_row, int *rows);

/* V[k][c][t] = (B^T d B)[k / alpha][k % alpha] for the tiles t of tile
 * rows first_row .. first_row + rows - 1 (`tiles` of them) of one sample x,
 * for every input channel c, into s->input. */
void cnn_winograd_transform_input(const struct cnn_winograd *winograd,
                                  const float *x, int first_row, int rows,
                                  size_t tiles, struct winograd_scratch *s);

/* F(2x2, 5x5)'s transforms (conv2d_winograd_general.c), the counterparts
 * of the 3x3 ones in conv2d_winograd.c and conv2d_winograd_weights.c: U
 * for filters first .. first + count - 1 into u ([36][filters]); one tile row of one channel of V (from the six
 * input rows d, columns of them read, through the six lines e of B^T d,
 * into v, positions `stride` floats apart); M as the forward's output
 * transform; E of one tile row of the output gradient
 * (t: scratch of 12 tiles_w floats); and the weight gradients G^T S G
 * of `count` filters from S's 36 positions, `stride` floats apart (filter
 * j's at sums[k * stride + j]). */
void cnn_winograd5_transform_weights(const struct cnn_winograd *winograd,
                                     const float *weight, float *u,
                                     size_t first, size_t count);
void cnn_winograd5_transform_input_row(const float *const d[6], int columns,
                                       float *const e[6], int pad_w,
                                       int tiles_w, float *v,
                                       size_t stride);
void cnn_winograd5_transform_output(const struct cnn_winograd *winograd,
                                    float *y, const float *bias,
                                    int first_row, int rows, size_t tiles,
                                    struct winograd_scratch *s);
void cnn_winograd5_transform_gradient_row(const float *top,
                                          const float *bottom, int tiles_w,
                                          float *t, float *e, size_t stride);
void cnn_winograd5_weight_gradients(const float *sums, size_t stride,
                                    size_t count, float *dweight);

/* The 3x3 input transform's columns for chunks at most
 * WINOGRAD_NARROW_TILES wide (conv2d_winograd_narrow.c), where
 * cnn_winograd_gemm_supported(): the 4 lines line[a] of B^T d (each read
 * at columns 0 to WINOGRAD_NARROW_LINE - 1) times B, tile tx's values of
 * line a at v[(4 a + j) stride + tx], j = 0..3. It writes 8 floats per
 * output: past tiles_w, into what the caller writes later or, after a
 * position's last tile row, into its padding. */
enum { WINOGRAD_NARROW_TILES = 8, WINOGRAD_NARROW_LINE = 18 };
_Static_assert(WINOGRAD_POSITION_PAD >= 8 - 1,
               "the narrow columns' stores past the last tile stay in V[k]");
void cnn_winograd_transform_columns8(const float *const line[4], int tiles_w,
                                     float *v, size_t stride);

/* The forward's products without dnnl_sgemm (conv2d_winograd_gemm.c),
 * where cnn_winograd_gemm_supported() (x86-64 with AVX2 and FMA):
 * c (rows x columns, rows ldc floats apart) = a (rows x depth) times
 * b (depth x columns, rows ldb floats apart), with a packed by
 * cnn_winograd_gemm_pack (element (r, k) read at a[r row_stride +
 * k depth_stride]) into cnn_winograd_gemm_packed_floats(rows, depth)
 * floats. */
enum { WINOGRAD_GEMM_ROWS = 6 };
int cnn_winograd_gemm_supported(void);
size_t cnn_winograd_gemm_packed_floats(int rows, int depth);
void cnn_winograd_gemm_pack(const float *a, size_t row_stride,
                            size_t depth_stride, int rows, int depth,
                            float *packed);
void cnn_winograd_gemm(const float *packed, int rows, int depth,
                       const float *b, size_t ldb, int columns, float *c,
                       size_t ldc);

/* The transforms are loops over contiguous tiles: `omp simd` lets -O2
 * vectorise them despite the pointers it cannot prove distinct, and an
 * AVX2 clone (chosen at load time where the CPU has it) doubles the
 * vector width. Both clones give the same bits: the layers module is
 * compiled with -ffp-contract=off, so no product is fused into a sum (the
 * 3x3 transforms only add and subtract anyway). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WINOGRAD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define WINOGRAD_CLONES
#endif
#ifdef _OPENMP
#define WINOGRAD_SIMD _Pragma("omp simd")
#else
#define WINOGRAD_SIMD
#endif

#endif
