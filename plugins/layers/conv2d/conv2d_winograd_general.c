/* cnnlab layers module — the transforms of Winograd F(2x2, 5x5) (the
 * F(2x2, 3x3) ones are in conv2d_winograd.c and conv2d_winograd_weights.c).
 *
 * A 2x2 block of outputs of a 5x5 filter g reads a 6x6 input patch d:
 *     Y = A^T [(G g G^T) . (B^T d B)] A,
 * with the interpolation points 0, 1, -1, 2, -2 and infinity (Toom-Cook:
 * A^T evaluates at the points, B^T is the inverse of the transposed
 * Vandermonde matrix, each of its rows scaled to integers and G's rows
 * scaled back; checked in exact rational arithmetic against the direct
 * sums, in 1D, and in float64 in 2D):
 * B^T = [4 0 -5 0 1 0; 0 4 4 -1 -1 0; 0 -4 4 1 -1 0; 0 -2 -1 2 1 0;
 *        0 2 -1 -2 1 0; 0 4 0 -5 0 1],
 * G = [1/4 0 0 0 0; 1/6 1/6 1/6 1/6 1/6; 1/6 -1/6 1/6 -1/6 1/6;
 *      1/24 1/12 1/6 1/3 2/3; 1/24 -1/12 1/6 -1/3 2/3; 0 0 0 0 1],
 * A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1].
 * 36 multiply-adds per 2x2 outputs and input channel instead of 100. The
 * weight gradient is its transposition, F(5x5, 2x2):
 *     dW = G^T [(A e A^T) . (B^T d B)] G.
 * Each matrix is written out below as sums that share their common
 * terms, applied to many tiles or filters at once (vectorised).
 *
 * The layers module is compiled with -ffp-contract=off, so the products
 * by the coefficients are never fused with the sums: every clone and
 * every CPU gives the same bits. */
#include <string.h>

#include "conv2d_winograd_tiles.h"

enum { ALPHA = 6, R = 5 };

/* G applied to (g0 .. g4): the six rows of G above, sharing sums. */
#define WINOGRAD5_G(g0, g1, g2, g3, g4, out0, out1, out2, out3, out4, out5) \
    do {                                                                   \
        float even = (g0) + (g2) + (g4), odd = (g1) + (g3);                \
        float even4 = (g0) + 4.0f * (g2) + 16.0f * (g4);                   \
        float odd4 = 2.0f * (g1) + 8.0f * (g3);                            \
        out0 = (g0) * (1.0f / 4);                                          \
        out1 = (even + odd) * (1.0f / 6);                                  \
        out2 = (even - odd) * (1.0f / 6);                                  \
        out3 = (even4 + odd4) * (1.0f / 24);                               \
        out4 = (even4 - odd4) * (1.0f / 24);                               \
        out5 = (g4);                                                       \
    } while (0)

/* G^T applied to (s0 .. s5): the five columns of G. */
#define WINOGRAD5_GT(s0, s1, s2, s3, s4, s5, out0, out1, out2, out3, out4) \
    do {                                                                   \
        float sum12 = (s1) + (s2), diff12 = (s1) - (s2);                   \
        float sum34 = (s3) + (s4), diff34 = (s3) - (s4);                   \
        out0 = (s0) * (1.0f / 4) + sum12 * (1.0f / 6) +                    \
               sum34 * (1.0f / 24);                                        \
        out1 = diff12 * (1.0f / 6) + diff34 * (1.0f / 12);                 \
        out2 = (sum12 + sum34) * (1.0f / 6);                               \
        out3 = diff12 * (1.0f / 6) + diff34 * (1.0f / 3);                  \
        out4 = sum12 * (1.0f / 6) + sum34 * (2.0f / 3) + (s5);             \
    } while (0)

/* The six combinations of B^T applied to d0..d5 (rows of B^T above),
 * sharing the sums the rows have in common. */
#define WINOGRAD5_BT(d0, d1, d2, d3, d4, d5, out0, out1, out2, out3, out4, \
                     out5)                                                 \
    do {                                                                   \
        float t1 = 4.0f * (d2) - (d4), t2 = 4.0f * (d1) - (d3);            \
        float t3 = (d4) - (d2), t4 = 2.0f * ((d3) - (d1));                 \
        out0 = 4.0f * (d0) - 5.0f * (d2) + (d4);                           \
        out1 = t1 + t2;                                                    \
        out2 = t1 - t2;                                                    \
        out3 = t3 + t4;                                                    \
        out4 = t3 - t4;                                                    \
        out5 = 4.0f * (d1) - 5.0f * (d3) + (d5);                           \
    } while (0)

/* The two combinations of A^T: v0 + v1 + v2 + v3 + v4 and
 * v1 - v2 + 2 (v3 - v4) + v5. */
#define WINOGRAD5_AT(v0, v1, v2, v3, v4, v5, out0, out1)                   \
    do {                                                                   \
        out0 = (v0) + (v1) + (v2) + (v3) + (v4);                           \
        out1 = (v1) - (v2) + 2.0f * ((v3) - (v4)) + (v5);                  \
    } while (0)

/* The six combinations of A = (A^T)^T applied to (e0, e1): e0, e0 + e1,
 * e0 - e1, e0 + 2 e1, e0 - 2 e1, e1. */
#define WINOGRAD5_A(e0, e1, out0, out1, out2, out3, out4, out5)            \
    do {                                                                   \
        out0 = (e0);                                                       \
        out1 = (e0) + (e1);                                                \
        out2 = (e0) - (e1);                                                \
        out3 = (e0) + 2.0f * (e1);                                         \
        out4 = (e0) - 2.0f * (e1);                                         \
        out5 = (e1);                                                       \
    } while (0)

/* Filters per block of the weight transform: the block's weights are
 * gathered position by position, transformed with the filters innermost
 * (vectorised), and written as contiguous runs. */
enum { WEIGHT_BLOCK = 64 };

void cnn_winograd5_transform_weights(const struct cnn_winograd *w,
                                     const float *weight, float *u,
                                     size_t first, size_t count)
{
    size_t filters = (size_t)w->shape.out * w->shape.in;
    for (size_t done = 0; done < count; done += WEIGHT_BLOCK) {
        size_t block = count - done < WEIGHT_BLOCK ? count - done
                                                   : WEIGHT_BLOCK;
        float g[R * R][WEIGHT_BLOCK];
        for (size_t j = 0; j < block; j++) {
            const float *filter = weight + R * R * (first + done + j);
            /* An input gradient's filters turn by 180 degrees (its U stays
             * in the forward's order, used transposed). */
            for (int q = 0; q < R * R; q++)
                g[q][j] = filter[w->turned_weights ? R * R - 1 - q : q];
        }
        float t[ALPHA][R][WEIGHT_BLOCK]; /* G g */
        for (int l = 0; l < R; l++)
            for (size_t j = 0; j < block; j++)
                WINOGRAD5_G(g[l][j], g[R + l][j], g[2 * R + l][j],
                            g[3 * R + l][j], g[4 * R + l][j], t[0][l][j],
                            t[1][l][j], t[2][l][j], t[3][l][j], t[4][l][j],
                            t[5][l][j]);
        float r[ALPHA * ALPHA][WEIGHT_BLOCK]; /* (G g) G^T */
        for (int a = 0; a < ALPHA; a++) {
            float(*ra)[WEIGHT_BLOCK] = r + a * ALPHA;
            for (size_t j = 0; j < block; j++)
                WINOGRAD5_G(t[a][0][j], t[a][1][j], t[a][2][j], t[a][3][j],
                            t[a][4][j], ra[0][j], ra[1][j], ra[2][j],
                            ra[3][j], ra[4][j], ra[5][j]);
        }
        for (int k = 0; k < ALPHA * ALPHA; k++)
            memcpy(u + (size_t)k * filters + first + done, r[k],
                   block * sizeof(float));
    }
}

/* The rows of B^T d for one tile row (see the 3x3 transform_input_rows). */
static inline __attribute__((always_inline)) void
input_rows(const float *const d[ALPHA], int width, float *const e[ALPHA])
{
    const float *restrict d0 = d[0], *restrict d1 = d[1];
    const float *restrict d2 = d[2], *restrict d3 = d[3];
    const float *restrict d4 = d[4], *restrict d5 = d[5];
    float *restrict e0 = e[0], *restrict e1 = e[1], *restrict e2 = e[2];
    float *restrict e3 = e[3], *restrict e4 = e[4], *restrict e5 = e[5];
    WINOGRAD_SIMD
    for (int j = 0; j < width; j++)
        WINOGRAD5_BT(d0[j], d1[j], d2[j], d3[j], d4[j], d5[j], e0[j], e1[j],
                     e2[j], e3[j], e4[j], e5[j]);
}

/* One row of B^T d times B: columns 2 tx .. 2 tx + 5 give tile tx's six
 * values (each `stride` floats apart in V). */
static inline __attribute__((always_inline)) void
input_columns(const float *restrict row, int tiles_w, float *restrict v,
              size_t stride)
{
    float *restrict v0 = v, *restrict v1 = v + stride;
    float *restrict v2 = v + 2 * stride, *restrict v3 = v + 3 * stride;
    float *restrict v4 = v + 4 * stride, *restrict v5 = v + 5 * stride;
    WINOGRAD_SIMD
    for (int tx = 0; tx < tiles_w; tx++) {
        const float *c = row + 2 * tx;
        WINOGRAD5_BT(c[0], c[1], c[2], c[3], c[4], c[5], v0[tx], v1[tx],
                     v2[tx], v3[tx], v4[tx], v5[tx]);
    }
}

WINOGRAD_CLONES
void cnn_winograd5_transform_input_row(const float *const d[6], int columns,
                                       float *const e[6], int pad_w,
                                       int tiles_w, float *v,
                                       size_t stride)
{
    input_rows(d, columns, e);
    for (int a = 0; a < ALPHA; a++)
        input_columns(e[a] - pad_w, tiles_w, v + ALPHA * a * stride, stride);
}

/* One tile row of M into the 2x2 outputs A^T M A + bias (then ReLU), 2
 * columns per tile into top and bottom: first t = A^T M (2 x 6 lines of
 * tiles_w), then t A. */
static inline __attribute__((always_inline)) void
output_row(const float *const m[ALPHA * ALPHA], int tiles_w, float bias,
           int relu, float *t, float *restrict top, float *restrict bottom)
{
    for (int b = 0; b < ALPHA; b++) {
        const float *restrict m0 = m[b], *restrict m1 = m[ALPHA + b];
        const float *restrict m2 = m[2 * ALPHA + b];
        const float *restrict m3 = m[3 * ALPHA + b];
        const float *restrict m4 = m[4 * ALPHA + b];
        const float *restrict m5 = m[5 * ALPHA + b];
        float *restrict t0 = t + (size_t)b * tiles_w;
        float *restrict t1 = t + (size_t)(ALPHA + b) * tiles_w;
        WINOGRAD_SIMD
        for (int tx = 0; tx < tiles_w; tx++)
            WINOGRAD5_AT(m0[tx], m1[tx], m2[tx], m3[tx], m4[tx], m5[tx],
                         t0[tx], t1[tx]);
    }
    for (int i = 0; i < 2; i++) {
        const float *restrict ti = t + (size_t)i * ALPHA * tiles_w;
        float *restrict out = i == 0 ? top : bottom;
        WINOGRAD_SIMD
        for (int tx = 0; tx < tiles_w; tx++) {
            float y0, y1;
            WINOGRAD5_AT(ti[tx], ti[tiles_w + tx], ti[2 * tiles_w + tx],
                         ti[3 * tiles_w + tx], ti[4 * tiles_w + tx],
                         ti[5 * tiles_w + tx], y0, y1);
            y0 += bias;
            y1 += bias;
            if (relu) {
                y0 = y0 > 0.0f ? y0 : 0.0f;
                y1 = y1 > 0.0f ? y1 : 0.0f;
            }
            out[2 * tx] = y0;
            out[2 * tx + 1] = y1;
        }
    }
}

WINOGRAD_CLONES
void cnn_winograd5_transform_output(const struct cnn_winograd *w, float *y,
                                    const float *bias, int ty0, int rows,
                                    size_t tiles, struct winograd_scratch *s)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    int tiles_w = w->tiles_w;
    int out_w = shape->out_w;
    size_t k_stride = cnn_winograd_position_floats(shape->out, tiles);
    size_t plane_size = (size_t)shape->out_h * out_w;
    float *top_line = s->outputs, *bottom_line = s->outputs + 2 * tiles_w;
    for (int o = 0; o < shape->out; o++) {
        float b = bias ? bias[o] : 0.0f;
        for (int r = 0; r < rows; r++) {
            const float *m[ALPHA * ALPHA];
            for (int k = 0; k < ALPHA * ALPHA; k++)
                m[k] = s->product + k * k_stride + (size_t)o * tiles +
                       (size_t)r * tiles_w;
            int oy = 2 * (ty0 + r);
            float *out = y + o * plane_size + (size_t)oy * out_w;
            output_row(m, tiles_w, b, shape->relu, s->outputs + 4 * tiles_w,
                       top_line, bottom_line);
            memcpy(out, top_line, (size_t)out_w * sizeof *out);
            if (oy + 1 < shape->out_h)
                memcpy(out + out_w, bottom_line, (size_t)out_w * sizeof *out);
        }
    }
}

WINOGRAD_CLONES
void cnn_winograd5_transform_gradient_row(const float *top,
                                          const float *bottom, int tiles_w,
                                          float *t, float *e, size_t stride)
{
    /* t = A e: lines t[2 a + j] (a: 6 rows, j: even and odd columns). */
    for (int j = 0; j < 2; j++) {
        float *restrict t0 = t + (size_t)j * tiles_w;
        float *restrict t1 = t0 + 2 * (size_t)tiles_w;
        float *restrict t2 = t0 + 4 * (size_t)tiles_w;
        float *restrict t3 = t0 + 6 * (size_t)tiles_w;
        float *restrict t4 = t0 + 8 * (size_t)tiles_w;
        float *restrict t5 = t0 + 10 * (size_t)tiles_w;
        WINOGRAD_SIMD
        for (int tx = 0; tx < tiles_w; tx++)
            WINOGRAD5_A(top[2 * tx + j], bottom[2 * tx + j], t0[tx], t1[tx],
                        t2[tx], t3[tx], t4[tx], t5[tx]);
    }
    /* E = t A^T, row by row. */
    for (int a = 0; a < ALPHA; a++) {
        const float *restrict even = t + (size_t)(2 * a) * tiles_w;
        const float *restrict odd = even + tiles_w;
        float *restrict e0 = e + a * ALPHA * stride;
        float *restrict e1 = e0 + stride, *restrict e2 = e0 + 2 * stride;
        float *restrict e3 = e0 + 3 * stride, *restrict e4 = e0 + 4 * stride;
        float *restrict e5 = e0 + 5 * stride;
        WINOGRAD_SIMD
        for (int tx = 0; tx < tiles_w; tx++)
            WINOGRAD5_A(even[tx], odd[tx], e0[tx], e1[tx], e2[tx], e3[tx],
                        e4[tx], e5[tx]);
    }
}

void cnn_winograd5_weight_gradients(const float *sums, size_t stride,
                                    size_t count, float *dweight)
{
    /* p[a][q] = (S G)[a][q], then dW = G^T p, the filters innermost. */
    for (size_t done = 0; done < count; done += WEIGHT_BLOCK) {
        size_t block = count - done < WEIGHT_BLOCK ? count - done
                                                   : WEIGHT_BLOCK;
        const float *m = sums + done;
        float p[ALPHA][R][WEIGHT_BLOCK];
        for (int a = 0; a < ALPHA; a++) {
            const float *ma = m + (size_t)a * ALPHA * stride;
            for (size_t j = 0; j < block; j++)
                WINOGRAD5_GT(ma[j], ma[stride + j], ma[2 * stride + j],
                             ma[3 * stride + j], ma[4 * stride + j],
                             ma[5 * stride + j], p[a][0][j], p[a][1][j],
                             p[a][2][j], p[a][3][j], p[a][4][j]);
        }
        float d[R][R][WEIGHT_BLOCK];
        for (int q = 0; q < R; q++)
            for (size_t j = 0; j < block; j++)
                WINOGRAD5_GT(p[0][q][j], p[1][q][j], p[2][q][j], p[3][q][j],
                             p[4][q][j], p[5][q][j], d[0][q][j], d[1][q][j],
                             d[2][q][j], d[3][q][j], d[4][q][j]);
        for (size_t j = 0; j < block; j++)
            for (int k = 0; k < R * R; k++)
                dweight[(done + j) * R * R + k] = d[k / R][k % R][j];
    }
}
