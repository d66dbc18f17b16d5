/* cnnlab layers module — the Winograd forward's products
 * M[k] (out x tiles) = U[k] (out x in) V[k] (in x tiles) on x86-64 CPUs
 * with AVX2 and FMA, in place of dnnl_sgemm.
 *
 * Why: a chunk's products are narrow (36 to 95 tiles; an occlusion crop
 * of the best model's last convolution has 36), and sgemm packs U[k], up
 * to 256 KB, on every call, then runs it against a few tiles
 * (bench/winograd-gemm compares the two; bench/RESULTS.md has the
 * numbers). Here U[k] is packed once, when
 * the weights change, into panels of WINOGRAD_GEMM_ROWS output channels
 * ([in][6] each, zero rows past the last channel), and V[k] is read where
 * the input transform wrote it.
 *
 * Every value of M is one chain of fused multiply-adds over the input
 * channels in order, starting from 0, whichever block of the kernel
 * computes it (16 tiles wide, masked to fewer, or the last few tiles with
 * the output channels in the vector lanes): a tile's result does
 * not depend on how many tiles share the product, on the thread, or on
 * the CPU. */
#include <math.h>

#include "conv2d_winograd_tiles.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define WINOGRAD_GEMM_X86 1
#include <immintrin.h>
#endif

size_t cnn_winograd_gemm_packed_floats(int rows, int depth)
{
    size_t panels = ((size_t)rows + WINOGRAD_GEMM_ROWS - 1) /
                    WINOGRAD_GEMM_ROWS;
    return panels * WINOGRAD_GEMM_ROWS * (size_t)depth;
}

void cnn_winograd_gemm_pack(const float *a, size_t row_stride,
                            size_t depth_stride, int rows, int depth,
                            float *packed)
{
    for (int first = 0; first < rows; first += WINOGRAD_GEMM_ROWS) {
        for (int k = 0; k < depth; k++)
            for (int r = 0; r < WINOGRAD_GEMM_ROWS; r++)
                *packed++ = first + r < rows
                                ? a[(size_t)(first + r) * row_stride +
                                    (size_t)k * depth_stride]
                                : 0.0f;
    }
}

#ifdef WINOGRAD_GEMM_X86

int cnn_winograd_gemm_supported(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define GEMM_TARGET __attribute__((target("avx2,fma")))

/* Rows [0, rows) of a panel times `columns` (9 to 16) columns of b into
 * c; lanes past `columns` are neither read nor written. Inlined twice:
 * for 16 columns with plain loads and stores, and masked. */
GEMM_TARGET static inline __attribute__((always_inline)) void
block16(const float *restrict a, int depth, const float *restrict b,
        size_t ldb, float *restrict c, size_t ldc, int rows, int columns)
{
    __m256i lanes = _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15);
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(columns), lanes);
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
    __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    __m256 c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k = 0; k < depth; k++) {
        __m256 b0 = _mm256_loadu_ps(b);
        __m256 b1 = columns == 16 ? _mm256_loadu_ps(b + 8)
                                  : _mm256_maskload_ps(b + 8, mask);
        __m256 x = _mm256_broadcast_ss(a);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(x, b0, c40);
        c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(x, b0, c50);
        c51 = _mm256_fmadd_ps(x, b1, c51);
        a += WINOGRAD_GEMM_ROWS;
        b += ldb;
    }
    __m256 rows_out[WINOGRAD_GEMM_ROWS][2] = {
        {c00, c01}, {c10, c11}, {c20, c21},
        {c30, c31}, {c40, c41}, {c50, c51}};
    for (int r = 0; r < rows; r++) {
        float *line = c + (size_t)r * ldc;
        _mm256_storeu_ps(line, rows_out[r][0]);
        if (columns == 16)
            _mm256_storeu_ps(line + 8, rows_out[r][1]);
        else
            _mm256_maskstore_ps(line + 8, mask, rows_out[r][1]);
    }
}

GEMM_TARGET static void block16_full(const float *a, int depth,
                                     const float *b, size_t ldb, float *c,
                                     size_t ldc, int rows)
{
    block16(a, depth, b, ldb, c, ldc, rows, 16);
}

GEMM_TARGET static void block16_masked(const float *a, int depth,
                                       const float *b, size_t ldb, float *c,
                                       size_t ldc, int rows, int columns)
{
    block16(a, depth, b, ldb, c, ldc, rows, columns);
}

/* Rows [0, rows) of a panel times `columns` (1 to 8) columns of b into c;
 * lanes past `columns` are neither read nor written. */
GEMM_TARGET static void block8(const float *restrict a, int depth,
                               const float *restrict b, size_t ldb,
                               float *restrict c, size_t ldc, int rows,
                               int columns)
{
    __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(columns), lanes);
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0;
    __m256 c5 = c0;
    for (int k = 0; k < depth; k++) {
        __m256 b0 = _mm256_maskload_ps(b, mask);
        c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a), b0, c0);
        c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 1), b0, c1);
        c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 2), b0, c2);
        c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 3), b0, c3);
        c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 4), b0, c4);
        c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 5), b0, c5);
        a += WINOGRAD_GEMM_ROWS;
        b += ldb;
    }
    __m256 rows_out[WINOGRAD_GEMM_ROWS] = {c0, c1, c2, c3, c4, c5};
    for (int r = 0; r < rows; r++)
        _mm256_maskstore_ps(c + (size_t)r * ldc, mask, rows_out[r]);
}

/* The last few columns, rows in lanes: a block of 8 columns (block8)
 * would run them at its full cost, six chains of fused multiply-adds for
 * as few as one useful column; here each vector holds one panel's 6 rows
 * of one column (lanes 6 and 7 unused), and a group of panels runs
 * together so that panels x width chains keep the FMA units busy.
 * Registers: panels x width sums, the panels' rows, one broadcast column
 * value and the load mask, at most the 16 there are (one more, and a sum
 * lived on the stack: 60 % of the kernel's samples on that one FMA). */
enum { LANES_WIDTH_MAX = 6, LANES_GROUP_MAX = 4, LANES_TAIL_MAX = 10 };

/* Panels per group for the last `width` columns, 0 where a block runs
 * them instead: 1 to 5 in one pass; 6 as twice 3 (2 x 6 sums would not
 * fit); 9 and 10 as 5 and 4 or 5. Counting cycles per panel and input
 * channel (two FMAs a cycle, four cycles' latency), 9 and 10 take 4.5 and
 * 5 here against the masked 16-column block's 6 (the best model's
 * 25-tile crops, 16 + 9, ran faster: bench/RESULTS.md), and 7 and 8 take 4
 * either way, so they stay with block8. */
static const int lanes_group[LANES_TAIL_MAX + 1] = {1, 4, 4, 3, 2, 2,
                                                    3, 0, 0, 2, 2};

/* Unrolled, so that the sums live in registers. */
#define LANES_UNROLLED _Pragma("GCC unroll 6")

/* Rows [0, rows) (at most `group` panels from `a`, `panel` floats apart)
 * times `width` columns of b into c. Where the rows end before the group
 * does, the missing panels repeat the last one and store nothing. Inlined
 * with group and width constants by lanes_columns. */
GEMM_TARGET static inline __attribute__((always_inline)) void
lanes_block(const float *restrict a, size_t panel, int rows, int depth,
            const float *restrict b, size_t ldb, float *restrict c,
            size_t ldc, const int group, const int width)
{
    int panels = (rows + WINOGRAD_GEMM_ROWS - 1) / WINOGRAD_GEMM_ROWS;
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(WINOGRAD_GEMM_ROWS),
                                      _mm256_setr_epi32(0, 1, 2, 3, 4, 5,
                                                        6, 7));
    const float *from[LANES_GROUP_MAX];
    LANES_UNROLLED
    for (int p = 0; p < group; p++)
        from[p] = a + (size_t)(p < panels ? p : panels - 1) * panel;
    __m256 sums[LANES_GROUP_MAX][LANES_WIDTH_MAX];
    LANES_UNROLLED
    for (int p = 0; p < group; p++)
        LANES_UNROLLED
        for (int t = 0; t < width; t++)
            sums[p][t] = _mm256_setzero_ps();
    for (int k = 0; k < depth; k++) {
        __m256 x[LANES_GROUP_MAX];
        LANES_UNROLLED
        for (int p = 0; p < group; p++)
            x[p] = _mm256_maskload_ps(from[p] + (size_t)k * WINOGRAD_GEMM_ROWS,
                                      mask);
        LANES_UNROLLED
        for (int t = 0; t < width; t++) {
            __m256 column = _mm256_broadcast_ss(b + (size_t)k * ldb + t);
            LANES_UNROLLED
            for (int p = 0; p < group; p++)
                sums[p][t] = _mm256_fmadd_ps(x[p], column, sums[p][t]);
        }
    }
    LANES_UNROLLED
    for (int p = 0; p < group; p++) {
        int row = p * WINOGRAD_GEMM_ROWS;
        int count = rows - row < WINOGRAD_GEMM_ROWS ? rows - row
                                                     : WINOGRAD_GEMM_ROWS;
        LANES_UNROLLED
        for (int t = 0; t < width; t++) {
            float lane[8];
            _mm256_storeu_ps(lane, sums[p][t]);
            for (int r = 0; r < count; r++)
                c[(size_t)(row + r) * ldc + t] = lane[r];
        }
    }
}

/* One group of lanes_group[width] panels: rows [0, rows) from `a`. */
GEMM_TARGET static void lanes_columns(const float *a, size_t panel, int rows,
                                      int depth, const float *b, size_t ldb,
                                      int width, float *c, size_t ldc)
{
    switch (width) {
    case 1:
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 4, 1);
        break;
    case 2:
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 4, 2);
        break;
    case 3:
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 3, 3);
        break;
    case 4:
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 2, 4);
        break;
    case 5:
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 2, 5);
        break;
    case 6:
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 3, 3);
        lanes_block(a, panel, rows, depth, b + 3, ldb, c + 3, ldc, 3, 3);
        break;
    case 9:
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 2, 5);
        lanes_block(a, panel, rows, depth, b + 5, ldb, c + 5, ldc, 2, 4);
        break;
    default: /* 10 */
        lanes_block(a, panel, rows, depth, b, ldb, c, ldc, 2, 5);
        lanes_block(a, panel, rows, depth, b + 5, ldb, c + 5, ldc, 2, 5);
        break;
    }
}

/* A group of panels at a time (one panel where the columns are a multiple
 * of 16), column blocks inside: a panel of a (6 KB at 256 input channels)
 * stays in L1 while b, a chunk's V[k], streams past it from L2 (at most
 * 80-odd tiles: 90 KB at 256 channels). The columns past the last 16
 * that lanes_group lists run rows in lanes on the group's panels, while
 * they are still in L1 (a pass of its own over all of a would read a from
 * L2 or L3 again). */
GEMM_TARGET void cnn_winograd_gemm(const float *packed, int rows, int depth,
                                   const float *b, size_t ldb, int columns,
                                   float *c, size_t ldc)
{
    size_t panel = (size_t)WINOGRAD_GEMM_ROWS * depth;
    int rest = columns % 16;
    int tail = rest <= LANES_TAIL_MAX && lanes_group[rest] ? rest : 0;
    int blocked = columns - tail;
    int group_rows = lanes_group[tail] * WINOGRAD_GEMM_ROWS;
    for (int group = 0; group < rows; group += group_rows) {
        int group_end = rows - group < group_rows ? rows : group + group_rows;
        for (int first = group; first < group_end;
             first += WINOGRAD_GEMM_ROWS) {
            const float *a =
                packed + (size_t)(first / WINOGRAD_GEMM_ROWS) * panel;
            int count = group_end - first < WINOGRAD_GEMM_ROWS
                            ? group_end - first
                            : WINOGRAD_GEMM_ROWS;
            float *out = c + (size_t)first * ldc;
            for (int j = 0; j < blocked; j += 16) {
                int width = blocked - j < 16 ? blocked - j : 16;
                if (width == 16)
                    block16_full(a, depth, b + j, ldb, out + j, ldc, count);
                else if (width > 8)
                    block16_masked(a, depth, b + j, ldb, out + j, ldc,
                                   count, width);
                else
                    block8(a, depth, b + j, ldb, out + j, ldc, count, width);
            }
        }
        if (tail)
            lanes_columns(packed + (size_t)(group / WINOGRAD_GEMM_ROWS) * panel,
                          panel, group_end - group, depth, b + blocked, ldb,
                          tail, c + (size_t)group * ldc + blocked, ldc);
    }
}

#else /* not x86-64 with GCC's builtins: the callers use dnnl_sgemm */

int cnn_winograd_gemm_supported(void)
{
    return 0;
}

/* The same chains in plain C (for a caller that calls it anyway). */
void cnn_winograd_gemm(const float *packed, int rows, int depth,
                       const float *b, size_t ldb, int columns, float *c,
                       size_t ldc)
{
    for (int o = 0; o < rows; o++) {
        const float *a = packed +
                         (size_t)(o / WINOGRAD_GEMM_ROWS) *
                             WINOGRAD_GEMM_ROWS * depth +
                         o % WINOGRAD_GEMM_ROWS;
        for (int t = 0; t < columns; t++) {
            float sum = 0.0f;
            for (int k = 0; k < depth; k++)
                sum = fmaf(a[(size_t)k * WINOGRAD_GEMM_ROWS],
                           b[(size_t)k * ldb + t], sum);
            c[(size_t)o * ldc + t] = sum;
        }
    }
}

#endif
