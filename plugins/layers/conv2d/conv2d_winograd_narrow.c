/* cnnlab layers module — the second half of the 3x3 input transform
 * (each line of B^T d times B, across its columns) for chunks at most 8
 * tiles wide, on x86-64 CPUs with AVX2.
 *
 * Why: occlusion's crops are 5 to 8 tiles wide. The general loop
 * (transform_input_columns in conv2d_winograd.c) runs across the tiles
 * of one line, which is too short for its 8-wide vector loop, so it ran
 * mostly one tile at a time. Here a whole line is a few vectors: its even
 * and odd columns are separated with two shuffles each, and every output
 * is one vector of 8 tiles. Measured on occlusion's one-thread profile:
 * the input transform took 8.7-9.6 % with the general loop, 6.2-6.8 %
 * with this (bench/RESULTS.md, "Narrow products and transforms").
 *
 * Each output is the same single subtraction or addition of the same two
 * inputs as in the general loop, so both give the same bits. */
#include "conv2d_winograd_tiles.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define NARROW_TARGET __attribute__((target("avx2")))

/* Columns 0, 2, ..., 14 (even) or 1, 3, ..., 15 (odd) of the 16 in lo
 * and hi. */
NARROW_TARGET static inline __m256 even_columns(__m256 lo, __m256 hi)
{
    __m256 mixed = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
}

NARROW_TARGET static inline __m256 odd_columns(__m256 lo, __m256 hi)
{
    __m256 mixed = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
}

NARROW_TARGET void cnn_winograd_transform_columns8(const float *const line[4],
                                                   int tiles_w, float *v,
                                                   size_t stride)
{
    (void)tiles_w; /* 8 tiles' values are written in any case */
    for (int a = 0; a < 4; a++) {
        const float *row = line[a];
        __m256 lo = _mm256_loadu_ps(row), hi = _mm256_loadu_ps(row + 8);
        __m256 lo2 = _mm256_loadu_ps(row + 2);
        __m256 hi2 = _mm256_loadu_ps(row + 10);
        /* Tile tx's columns 2 tx .. 2 tx + 3, in lane tx. */
        __m256 c0 = even_columns(lo, hi), c1 = odd_columns(lo, hi);
        __m256 c2 = even_columns(lo2, hi2), c3 = odd_columns(lo2, hi2);
        float *to = v + (size_t)4 * a * stride;
        _mm256_storeu_ps(to, _mm256_sub_ps(c0, c2));
        _mm256_storeu_ps(to + stride, _mm256_add_ps(c1, c2));
        _mm256_storeu_ps(to + 2 * stride, _mm256_sub_ps(c2, c1));
        _mm256_storeu_ps(to + 3 * stride, _mm256_sub_ps(c1, c3));
    }
}

#else /* not x86-64 with GCC's builtins: the callers use the general loop */

void cnn_winograd_transform_columns8(const float *const line[4], int tiles_w,
                                     float *v, size_t stride)
{
    for (int a = 0; a < 4; a++)
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *c = line[a] + 2 * tx;
            float *to = v + (size_t)4 * a * stride + tx;
            to[0] = c[0] - c[2];
            to[stride] = c[1] + c[2];
            to[2 * stride] = c[2] - c[1];
            to[3 * stride] = c[1] - c[3];
        }
}

#endif
