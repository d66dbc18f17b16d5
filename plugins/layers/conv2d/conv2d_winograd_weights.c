/* cnnlab layers module — the weight gradient of a Winograd convolution:
 * F(3x3, 2x2), and the same driver for F(5x5, 2x2), whose transforms are
 * in conv2d_winograd_general.c (written here for 3x3; 5x5 has 36
 * positions instead of 16).
 *
 * One tile's share of the weight gradient is the correlation of its 4x4
 * input patch d with its 2x2 output gradient e (a 3x3 result). The
 * forward's Y = A^T [(G g G^T) . (B^T d B)] A (conv2d_winograd.c) makes
 * sum(e . Y) = sum over k of (A e A^T)[k] (G g G^T)[k] (B^T d B)[k], whose
 * derivative in g is that correlation:
 *     dW = G^T [(A e A^T) . (B^T d B)] G,
 * with A = (A^T)^T = [1 0; 1 1; 1 -1; 0 -1]. The transforms are linear, so
 * the sum over all tiles of the batch moves inside the brackets: for each
 * of the 16 positions k one matrix product
 *     S[k] (out x in) = sum over tiles E[k] (out x tiles) V[k]^T,
 * with V the forward's input transform of the same tiles, run chunk by
 * chunk (sgemm accumulating into S), and G^T S G once per filter at the
 * end. Each thread sums a contiguous run of chunks into its own S; the
 * threads' sums are added in thread order. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "conv2d_winograd_tiles.h"

/* One tile row of the output gradient: E[k][t] = (A e A^T)[k / 4][k % 4]
 * for each tile t (2 columns of `top` and `bottom`), each k `stride`
 * floats apart. */
static inline __attribute__((always_inline)) void
transform_gradient_row(const float *restrict top,
                       const float *restrict bottom, int tiles_w,
                       float *e, size_t stride)
{
    float *restrict e0 = e, *restrict e1 = e + stride;
    float *restrict e2 = e + 2 * stride, *restrict e3 = e + 3 * stride;
    float *restrict e4 = e + 4 * stride, *restrict e5 = e + 5 * stride;
    float *restrict e6 = e + 6 * stride, *restrict e7 = e + 7 * stride;
    float *restrict e8 = e + 8 * stride, *restrict e9 = e + 9 * stride;
    float *restrict e10 = e + 10 * stride, *restrict e11 = e + 11 * stride;
    float *restrict e12 = e + 12 * stride, *restrict e13 = e + 13 * stride;
    float *restrict e14 = e + 14 * stride, *restrict e15 = e + 15 * stride;
    WINOGRAD_SIMD
    for (int tx = 0; tx < tiles_w; tx++) {
        float t0 = top[2 * tx], t1 = top[2 * tx + 1];
        float b0 = bottom[2 * tx], b1 = bottom[2 * tx + 1];
        float s0 = t0 + b0, s1 = t1 + b1, d0 = t0 - b0, d1 = t1 - b1;
        e0[tx] = t0;
        e1[tx] = t0 + t1;
        e2[tx] = t0 - t1;
        e3[tx] = -t1;
        e4[tx] = s0;
        e5[tx] = s0 + s1;
        e6[tx] = s0 - s1;
        e7[tx] = -s1;
        e8[tx] = d0;
        e9[tx] = d0 + d1;
        e10[tx] = d0 - d1;
        e11[tx] = -d1;
        e12[tx] = -b0;
        e13[tx] = -b0 - b1;
        e14[tx] = b1 - b0;
        e15[tx] = b1;
    }
}

/* The sum of `count` floats in an order that neither the compiler nor the
 * CPU changes (four running sums, added at the end). */
static double sum_in_order(const float *values, int count)
{
    double sums[4] = {0.0, 0.0, 0.0, 0.0};
    int i = 0;
    for (; i + 4 <= count; i += 4)
        for (int lane = 0; lane < 4; lane++)
            sums[lane] += values[i + lane];
    for (; i < count; i++)
        sums[0] += values[i];
    return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

/* E for the chunk's tiles (tile rows ty0 .. ty0 + rows - 1 of one sample's
 * output gradient dy) into s->product, and each channel's sum of dy into
 * s->bias_sums. Where the output's last tile row or column is cut, the
 * missing gradient is 0. */
WINOGRAD_CLONES
static void transform_gradient(const struct cnn_winograd *w, const float *dy,
                               int ty0, int rows, size_t tiles,
                               struct winograd_scratch *s)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    int tiles_w = w->tiles_w;
    int out_w = shape->out_w;
    int odd = out_w % 2;
    size_t k_stride = cnn_winograd_position_floats(shape->out, tiles);
    size_t plane_size = (size_t)shape->out_h * out_w;
    float *top_line = s->outputs, *bottom_line = s->outputs + 2 * tiles_w;
    for (int o = 0; o < shape->out; o++) {
        double bias_sum = 0.0;
        for (int r = 0; r < rows; r++) {
            int oy = 2 * (ty0 + r);
            const float *top = dy + o * plane_size + (size_t)oy * out_w;
            const float *bottom = top + out_w;
            int has_bottom = oy + 1 < shape->out_h;
            if (odd) {
                memcpy(top_line, top, (size_t)out_w * sizeof *top);
                top_line[out_w] = 0.0f;
                top = top_line;
            }
            if (odd || !has_bottom) {
                memset(bottom_line, 0, 2 * (size_t)tiles_w * sizeof(float));
                if (has_bottom)
                    memcpy(bottom_line, bottom, (size_t)out_w * sizeof *top);
                bottom = bottom_line;
            }
            float *e = s->product + (size_t)o * tiles + (size_t)r * tiles_w;
            if (w->alpha == 4)
                transform_gradient_row(top, bottom, tiles_w, e, k_stride);
            else
                cnn_winograd5_transform_gradient_row(
                    top, bottom, tiles_w, s->outputs + 4 * tiles_w, e,
                    k_stride);
            /* E[1][1] (A's row for the point 1 is (1 1)) is e00 + e01 +
             * e10 + e11: each tile's sum. */
            bias_sum += sum_in_order(e + (w->alpha + 1) * k_stride, tiles_w);
        }
        s->bias_sums[o] += bias_sum;
    }
}

/* The chunks thread `thread` of a team of `team` sums: a contiguous run,
 * the first chunks % team threads one more; with fewer chunks than
 * threads, only the first `chunks` threads have one. */
static void thread_chunks(int chunks, int thread, int team, int *begin,
                          int *end)
{
    int share = chunks / team, extra = chunks % team;
    *begin = thread * share + (thread < extra ? thread : extra);
    *end = *begin + share + (thread < extra);
}

/* Filters per block of the final transform: the block's positions (16 KB
 * for 3x3, 36 KB for 5x5) stay in L1 or L2 while the threads' sums
 * stream in contiguously. */
enum { GRADIENT_BLOCK = 256 };

/* dW[o][i] = G^T S[.][o][i] G, S summed over the first `used` threads
 * (those that had chunks), in thread order. No target clones: it runs
 * once per filter and step, not per tile. */
static void transform_weight_gradient(const struct cnn_winograd *w,
                                      int used, float *dweight)
{
    size_t filters = (size_t)w->shape.out * w->shape.in;
    size_t blocks = (filters + GRADIENT_BLOCK - 1) / GRADIENT_BLOCK;
    CNN_PARALLEL_FOR(filters * (size_t)w->positions * (size_t)used)
    for (size_t block = 0; block < blocks; block++) {
        size_t first = block * GRADIENT_BLOCK;
        size_t count = filters - first < GRADIENT_BLOCK ? filters - first
                                                        : GRADIENT_BLOCK;
        float m[WINOGRAD_MAX_POSITIONS][GRADIENT_BLOCK];
        for (int k = 0; k < w->positions; k++) {
            const float *sums = w->scratch[0].weight_sums + k * filters;
            memcpy(m[k], sums + first, count * sizeof(float));
            for (int t = 1; t < used; t++) {
                sums = w->scratch[t].weight_sums + k * filters + first;
                for (size_t j = 0; j < count; j++)
                    m[k][j] += sums[j];
            }
        }
        if (w->alpha != 4) {
            cnn_winograd5_weight_gradients(&m[0][0], GRADIENT_BLOCK, count,
                                           dweight + 5 * 5 * first);
            continue;
        }
        for (size_t j = 0; j < count; j++) {
            float p[3][4];
            for (int b = 0; b < 4; b++) {
                float half = 0.5f * (m[4 + b][j] + m[8 + b][j]);
                p[0][b] = m[b][j] + half;
                p[1][b] = 0.5f * (m[4 + b][j] - m[8 + b][j]);
                p[2][b] = half + m[12 + b][j];
            }
            float *g = dweight + 9 * (first + j);
            for (int r = 0; r < 3; r++) {
                float half = 0.5f * (p[r][1] + p[r][2]);
                g[3 * r] = p[r][0] + half;
                g[3 * r + 1] = 0.5f * (p[r][1] - p[r][2]);
                g[3 * r + 2] = half + p[r][3];
            }
        }
    }
}

/* One chunk's tiles into this thread's sums (`first`: the thread's first
 * chunk, which overwrites them). */
static dnnl_status_t gradient_chunk(const struct cnn_winograd *w,
                                    const float *x, const float *dy,
                                    int ty0, int rows, int first,
                                    struct winograd_scratch *s)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    size_t tiles = (size_t)rows * w->tiles_w;
    size_t filters = (size_t)shape->out * shape->in;
    cnn_winograd_transform_input(w, x, ty0, rows, tiles, s);
    transform_gradient(w, dy, ty0, rows, tiles, s);
    for (int k = 0; k < w->positions; k++) {
        dnnl_status_t status = dnnl_sgemm(
            'N', 'T', shape->out, shape->in, (dnnl_dim_t)tiles, 1.0f,
            s->product + k * cnn_winograd_position_floats(shape->out, tiles),
            (dnnl_dim_t)tiles,
            s->input + k * cnn_winograd_position_floats(shape->in, tiles),
            (dnnl_dim_t)tiles,
            first ? 0.0f : 1.0f, s->weight_sums + k * filters, shape->in);
        if (status != dnnl_success)
            return status;
    }
    return dnnl_success;
}

int cnn_winograd_weight_gradient(struct cnn_winograd *w, const float *x,
                                 const float *dy, float *dweight,
                                 float *dbias, const struct cnn_layer *layer,
                                 struct cnn_error *err)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    if (!shape->weight_gradient)
        return cnn_error_set(err, "layer %s (%s): the Winograd weight "
                             "gradient was not prepared for (a bug in the "
                             "conv2d kernels)", layer->name,
                             layer->type->name);
    size_t x_sample = (size_t)shape->in * shape->in_h * shape->in_w;
    size_t dy_sample = (size_t)shape->out * shape->out_h * shape->out_w;
    int chunks = shape->batch * w->chunks_per_sample;
    int threads = cnn_winograd_threads(w);
    int team = 1;
    dnnl_status_t failed = dnnl_success;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        int thread = 0, size = 1;
#ifdef _OPENMP
        thread = omp_get_thread_num();
        size = omp_get_num_threads();
#endif
        if (thread == 0)
            team = size;
        struct winograd_scratch *s = &w->scratch[thread];
        memset(s->bias_sums, 0, (size_t)shape->out * sizeof(double));
        int begin, end;
        thread_chunks(chunks, thread, size, &begin, &end);
        for (int chunk = begin; chunk < end; chunk++) {
            int n, ty0, rows;
            cnn_winograd_chunk_rows(w, chunk, &n, &ty0, &rows);
            dnnl_status_t status =
                gradient_chunk(w, x + n * x_sample, dy + n * dy_sample, ty0,
                               rows, chunk == begin, s);
            if (status != dnnl_success) {
#ifdef _OPENMP
#pragma omp critical(cnn_winograd_status)
#endif
                failed = status;
                break;
            }
        }
    }
    (void)threads; /* without OpenMP */
    if (failed != dnnl_success)
        return cnn_onednn_check(failed, "dnnl_sgemm", layer, err);
    int used = team < chunks ? team : chunks;
    transform_weight_gradient(w, used, dweight);
    if (dbias)
        for (int o = 0; o < shape->out; o++) {
            double sum = 0.0;
            for (int t = 0; t < used; t++)
                sum += w->scratch[t].bias_sums[o];
            dbias[o] = (float)sum;
        }
    return 0;
}
