/* cnnlab layers module — Winograd F(2x2, 3x3) convolution: conv2d's
 * forward, and its input gradient, which is the convolution of the output
 * gradient with the filters transposed (in <-> out) and turned by 180
 * degrees, padded by 2 minus the forward's padding.
 *
 * With d a 4x4 input patch, g a 3x3 filter and the 2x2 outputs Y they give
 * (cross-correlation, as PyTorch's conv2d):
 *     Y = A^T [(G g G^T) . (B^T d B)] A
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 * A^T = [1 1 1 0; 0 1 -1 -1].
 * Summed over input channels, the elementwise product becomes, for each of
 * the 16 positions k of the 4x4 transform, one matrix product
 *     M[k] (out x tiles) = U[k] (out x in) V[k] (in x tiles).
 *
 * The tiles of a sample are processed in chunks of whole tile rows, one
 * chunk per thread at a time, with that thread's own scratch: transform
 * the chunk's input (V), 16 matrix products (36 for 5x5, whose transforms
 * are in conv2d_winograd_general.c), transform back and add the bias and
 * ReLU. The forward's products run on cnn_winograd_gemm
 * (conv2d_winograd_gemm.c) where the CPU has AVX2 and FMA, elsewhere and
 * for the input gradient on dnnl_sgemm (on one thread: inside a parallel
 * region OpenMP gives a nested one a single thread). A chunk never spans
 * two samples (sgemm's last bits depend on the product's width), so a
 * sample's result does not depend on the batch it came in or on the
 * thread count. (Chunks of several small samples, which would fill
 * cnn_winograd_gemm's 16-tile blocks, were tried: occlusion ran no
 * faster, its larger V and M falling out of L2.) All
 * layouts keep the tiles innermost, contiguous along a tile row as NCHW
 * keeps the columns, so every transform is a loop over contiguous floats. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "conv2d_winograd_tiles.h"

static float *floats(size_t count)
{
    /* 64-byte alignment: whole cache lines, and aligned vector loads. */
    size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

void cnn_winograd_destroy(struct cnn_winograd *w)
{
    if (!w)
        return;
    if (w->scratch)
        for (int t = 0; t < w->threads; t++) {
            free(w->scratch[t].input);
            free(w->scratch[t].product);
            free(w->scratch[t].lines);
            free(w->scratch[t].outputs);
            free(w->scratch[t].weight_sums);
            free(w->scratch[t].bias_sums);
        }
    free(w->scratch);
    free(w->seen_weights);
    free(w->transformed_weights);
    free(w->packed_weights);
    free(w);
}

/* A convolution's state; `own_weights`: it transforms its own (else it
 * uses another one's, set by the caller); `packed`: a forward whose
 * products run on cnn_winograd_gemm. */
static int winograd_create(struct cnn_winograd **winograd,
                           const struct cnn_winograd_shape *shape,
                           int threads, int own_weights, int packed,
                           const struct cnn_layer *layer,
                           struct cnn_error *err)
{
    *winograd = NULL;
    struct cnn_winograd *w = calloc(1, sizeof *w);
    if (!w)
        goto out_of_memory;
    w->shape = *shape;
    w->alpha = shape->kernel + 1;
    w->positions = w->alpha * w->alpha;
    w->tiles_h = (shape->out_h + 1) / 2;
    w->tiles_w = (shape->out_w + 1) / 2;
    w->rows_per_chunk =
        (WINOGRAD_CHUNK_TILES + w->tiles_w - 1) / w->tiles_w;
    if (w->rows_per_chunk > w->tiles_h)
        w->rows_per_chunk = w->tiles_h;
    w->chunks_per_sample =
        (w->tiles_h + w->rows_per_chunk - 1) / w->rows_per_chunk;
    w->chunk_tiles = (size_t)w->rows_per_chunk * w->tiles_w;
    w->threads = threads < 1 ? 1 : threads;

    size_t filters = (size_t)shape->out * shape->in;
    size_t positions = (size_t)w->positions;
    w->narrow = w->alpha == 4 && w->tiles_w <= WINOGRAD_NARROW_TILES &&
                cnn_winograd_gemm_supported();
    w->line_floats = 2 * (size_t)w->tiles_w + (size_t)w->alpha - 2;
    if (w->narrow && w->line_floats < WINOGRAD_NARROW_LINE)
        w->line_floats = WINOGRAD_NARROW_LINE;
    w->scratch = calloc((size_t)w->threads, sizeof *w->scratch);
    if (!w->scratch)
        goto out_of_memory;
    if (own_weights) {
        w->seen_weights =
            floats(filters * (size_t)shape->kernel * shape->kernel);
        w->transformed_weights = floats(filters * positions);
        if (!w->seen_weights || !w->transformed_weights)
            goto out_of_memory;
    }
    if (packed) {
        w->packed_floats =
            cnn_winograd_gemm_packed_floats(shape->out, shape->in);
        w->packed_weights = floats(w->packed_floats * positions);
        if (!w->packed_weights)
            goto out_of_memory;
    }
    for (int t = 0; t < w->threads; t++) {
        struct winograd_scratch *s = &w->scratch[t];
        s->input = floats(positions * cnn_winograd_position_floats(
                                          shape->in, w->chunk_tiles));
        s->product = floats(positions * cnn_winograd_position_floats(
                                            shape->out, w->chunk_tiles));
        s->lines = floats(((size_t)w->alpha + 1) * w->line_floats);
        s->outputs = floats((4 + 2 * (size_t)w->alpha) * w->tiles_w);
        if (!s->input || !s->product || !s->lines || !s->outputs)
            goto out_of_memory;
        if (shape->weight_gradient) {
            s->weight_sums = floats(filters * positions);
            s->bias_sums = calloc((size_t)shape->out, sizeof(double));
            if (!s->weight_sums || !s->bias_sums)
                goto out_of_memory;
        }
    }
    *winograd = w;
    return 0;
out_of_memory:
    cnn_winograd_destroy(w);
    return cnn_error_set(err, "layer %s (%s): out of memory for the Winograd "
                         "convolution's scratch (use algorithm: direct, or "
                         "fewer threads)", layer->name, layer->type->name);
}

int cnn_winograd_create(struct cnn_winograd **winograd,
                        const struct cnn_winograd_shape *shape, int threads,
                        const struct cnn_layer *layer,
                        struct cnn_error *err)
{
    return winograd_create(winograd, shape, threads, 1,
                           cnn_winograd_gemm_supported(), layer, err);
}

int cnn_winograd_create_input_gradient(struct cnn_winograd **winograd,
                                       struct cnn_winograd *forward,
                                       const struct cnn_layer *layer,
                                       struct cnn_error *err)
{
    const struct cnn_winograd_shape *f = &forward->shape;
    struct cnn_winograd_shape shape = {
        .kernel = f->kernel, .batch = f->batch, .in = f->out, .out = f->in,
        .in_h = f->out_h, .in_w = f->out_w,
        .out_h = f->in_h, .out_w = f->in_w,
        .pad_h = f->kernel - 1 - f->pad_h, .pad_w = f->kernel - 1 - f->pad_w,
    };
    /* 3x3: the turned filters' transforms are the forward's, permuted
     * (`turned` below); 5x5's points (0, +-1, +-2) have no such symmetry. */
    int shared = f->kernel == 3;
    if (winograd_create(winograd, &shape, forward->threads, !shared, 0,
                        layer, err))
        return -1;
    if (shared)
        (*winograd)->weights_from = forward;
    else
        (*winograd)->turned_weights = 1;
    return 0;
}

/* Filters per block of the weight transform: the block's 16 positions
 * (16 KB) are gathered in L1, then written as 16 contiguous runs (one
 * store stream at a time instead of 16 interleaved ones). */
enum { WEIGHT_BLOCK = 256 };

/* U[k][o][i] = (G g G^T)[k / 4][k % 4] for every filter g = weight[o][i]. */
static void transform_weights(struct cnn_winograd *w, const float *weight)
{
    size_t filters = (size_t)w->shape.out * w->shape.in;
    size_t blocks = (filters + WEIGHT_BLOCK - 1) / WEIGHT_BLOCK;
    float *u = w->transformed_weights;
    CNN_PARALLEL_FOR(filters * (size_t)w->positions)
    for (size_t block = 0; block < blocks; block++) {
        size_t first = block * WEIGHT_BLOCK;
        size_t count = filters - first < WEIGHT_BLOCK ? filters - first
                                                      : WEIGHT_BLOCK;
        if (w->alpha != 4) {
            cnn_winograd5_transform_weights(w, weight, u, first, count);
            continue;
        }
        float r[16][WEIGHT_BLOCK];
        for (size_t j = 0; j < count; j++) {
            const float *g = weight + 9 * (first + j);
            float t[4][3];
            for (int q = 0; q < 3; q++) {
                t[0][q] = g[q];
                t[1][q] = 0.5f * (g[q] + g[3 + q] + g[6 + q]);
                t[2][q] = 0.5f * (g[q] - g[3 + q] + g[6 + q]);
                t[3][q] = g[6 + q];
            }
            for (int a = 0; a < 4; a++) {
                r[4 * a][j] = t[a][0];
                r[4 * a + 1][j] = 0.5f * (t[a][0] + t[a][1] + t[a][2]);
                r[4 * a + 2][j] = 0.5f * (t[a][0] - t[a][1] + t[a][2]);
                r[4 * a + 3][j] = t[a][2];
            }
        }
        for (int k = 0; k < 16; k++)
            memcpy(u + (size_t)k * filters + first, r[k],
                   count * sizeof(float));
    }
    if (!w->packed_weights)
        return;
    CNN_PARALLEL_FOR(filters * (size_t)w->positions)
    for (int k = 0; k < w->positions; k++)
        cnn_winograd_gemm_pack(u + (size_t)k * filters, (size_t)w->shape.in,
                               1, w->shape.out, w->shape.in,
                               w->packed_weights + k * w->packed_floats);
}

/* The rows of B^T d for one tile row: rows[a][pad_w + j] for the input
 * columns j, from the 4 input rows d (a zero row where outside the
 * input); the line's padding columns stay 0. */
static inline __attribute__((always_inline)) void
transform_input_rows(const float *const d[4], int width, float *const rows[4])
{
    const float *restrict d0 = d[0], *restrict d1 = d[1];
    const float *restrict d2 = d[2], *restrict d3 = d[3];
    float *restrict e0 = rows[0], *restrict e1 = rows[1];
    float *restrict e2 = rows[2], *restrict e3 = rows[3];
    WINOGRAD_SIMD
    for (int j = 0; j < width; j++) {
        e0[j] = d0[j] - d2[j];
        e1[j] = d1[j] + d2[j];
        e2[j] = d2[j] - d1[j];
        e3[j] = d1[j] - d3[j];
    }
}

/* One row of B^T d times B: columns 2 tx .. 2 tx + 3 give tile tx's
 * values v0..v3 (each `stride` floats apart in V). */
static inline __attribute__((always_inline)) void
transform_input_columns(const float *restrict row, int tiles_w,
                        float *restrict v, size_t stride)
{
    float *restrict v0 = v, *restrict v1 = v + stride;
    float *restrict v2 = v + 2 * stride, *restrict v3 = v + 3 * stride;
    WINOGRAD_SIMD
    for (int tx = 0; tx < tiles_w; tx++) {
        float c0 = row[2 * tx], c1 = row[2 * tx + 1];
        float c2 = row[2 * tx + 2], c3 = row[2 * tx + 3];
        v0[tx] = c0 - c2;
        v1[tx] = c1 + c2;
        v2[tx] = c2 - c1;
        v3[tx] = c1 - c3;
    }
}

WINOGRAD_CLONES
void cnn_winograd_transform_input(const struct cnn_winograd *w,
                                  const float *x, int ty0, int rows,
                                  size_t tiles, struct winograd_scratch *s)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    int tiles_w = w->tiles_w, alpha = w->alpha;
    int width = 2 * tiles_w + alpha - 2;
    size_t plane_size = (size_t)shape->in_h * shape->in_w;
    size_t k_stride = cnn_winograd_position_floats(shape->in, tiles);
    /* Columns of the input that the tiles read (the rest are padding). */
    int columns = shape->in_w;
    if (shape->pad_w + columns > width)
        columns = width - shape->pad_w;
    const float *zeros = s->lines;
    /* The padding columns, and the narrow columns' reads past them: 0. */
    memset(s->lines, 0, (size_t)(alpha + 1) * w->line_floats * sizeof(float));
    float *e[WINOGRAD_MAX_ALPHA];
    const float *line[WINOGRAD_MAX_ALPHA];
    for (int a = 0; a < alpha; a++) {
        line[a] = s->lines + (1 + a) * w->line_floats;
        e[a] = s->lines + (1 + a) * w->line_floats + shape->pad_w;
    }
    for (int c = 0; c < shape->in; c++) {
        const float *plane = x + c * plane_size;
        for (int r = 0; r < rows; r++) {
            int iy = 2 * (ty0 + r) - shape->pad_h;
            const float *d[WINOGRAD_MAX_ALPHA];
            for (int i = 0; i < alpha; i++)
                d[i] = iy + i < 0 || iy + i >= shape->in_h
                           ? zeros
                           : plane + (size_t)(iy + i) * shape->in_w;
            float *v = s->input + (size_t)c * tiles + (size_t)r * tiles_w;
            if (alpha != 4) {
                cnn_winograd5_transform_input_row(d, columns, e,
                                                  shape->pad_w, tiles_w, v,
                                                  k_stride);
                continue;
            }
            transform_input_rows(d, columns, e);
            if (w->narrow)
                cnn_winograd_transform_columns8(line, tiles_w, v, k_stride);
            else
                for (int a = 0; a < 4; a++)
                    transform_input_columns(line[a], tiles_w,
                                            v + 4 * a * k_stride, k_stride);
        }
    }
}

/* One output row pair from one tile row of M: A^T M A plus bias, then
 * ReLU, 2 columns per tile into `top` and `bottom`. */
static inline __attribute__((always_inline)) void
transform_output_row(const float *const m[16], int tiles_w, float bias,
                     int relu, float *restrict top, float *restrict bottom)
{
    const float *restrict m0 = m[0], *restrict m1 = m[1];
    const float *restrict m2 = m[2], *restrict m3 = m[3];
    const float *restrict m4 = m[4], *restrict m5 = m[5];
    const float *restrict m6 = m[6], *restrict m7 = m[7];
    const float *restrict m8 = m[8], *restrict m9 = m[9];
    const float *restrict m10 = m[10], *restrict m11 = m[11];
    const float *restrict m12 = m[12], *restrict m13 = m[13];
    const float *restrict m14 = m[14], *restrict m15 = m[15];
    WINOGRAD_SIMD
    for (int tx = 0; tx < tiles_w; tx++) {
        float a0 = m0[tx] + m4[tx] + m8[tx];
        float a1 = m1[tx] + m5[tx] + m9[tx];
        float a2 = m2[tx] + m6[tx] + m10[tx];
        float a3 = m3[tx] + m7[tx] + m11[tx];
        float b0 = m4[tx] - m8[tx] - m12[tx];
        float b1 = m5[tx] - m9[tx] - m13[tx];
        float b2 = m6[tx] - m10[tx] - m14[tx];
        float b3 = m7[tx] - m11[tx] - m15[tx];
        float y00 = a0 + a1 + a2 + bias, y01 = a1 - a2 - a3 + bias;
        float y10 = b0 + b1 + b2 + bias, y11 = b1 - b2 - b3 + bias;
        if (relu) {
            y00 = y00 > 0.0f ? y00 : 0.0f;
            y01 = y01 > 0.0f ? y01 : 0.0f;
            y10 = y10 > 0.0f ? y10 : 0.0f;
            y11 = y11 > 0.0f ? y11 : 0.0f;
        }
        top[2 * tx] = y00;
        top[2 * tx + 1] = y01;
        bottom[2 * tx] = y10;
        bottom[2 * tx + 1] = y11;
    }
}

/* y (one sample) = A^T M A for the chunk's tiles, plus bias, then ReLU;
 * the last tile row and column are cut to the output size. */
WINOGRAD_CLONES
static void transform_output(const struct cnn_winograd *w, float *y,
                             const float *bias, int ty0, int rows,
                             size_t tiles, struct winograd_scratch *s)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    int tiles_w = w->tiles_w;
    int out_w = shape->out_w;
    int odd = out_w % 2;
    size_t k_stride = cnn_winograd_position_floats(shape->out, tiles);
    size_t plane_size = (size_t)shape->out_h * out_w;
    float *top_line = s->outputs, *bottom_line = s->outputs + 2 * tiles_w;
    for (int o = 0; o < shape->out; o++) {
        float b = bias ? bias[o] : 0.0f;
        for (int r = 0; r < rows; r++) {
            const float *m[16];
            for (int k = 0; k < 16; k++)
                m[k] = s->product + k * k_stride + (size_t)o * tiles +
                       (size_t)r * tiles_w;
            int oy = 2 * (ty0 + r);
            float *out = y + o * plane_size + (size_t)oy * out_w;
            int has_bottom = oy + 1 < shape->out_h;
            /* Whole rows go straight to y unless a tile sticks out (odd
             * width: one column too many; odd height: no bottom row). */
            float *top = odd ? top_line : out;
            float *bottom = odd || !has_bottom ? bottom_line : out + out_w;
            transform_output_row(m, tiles_w, b, shape->relu, top, bottom);
            if (odd) {
                memcpy(out, top_line, (size_t)out_w * sizeof *out);
                if (has_bottom)
                    memcpy(out + out_w, bottom_line,
                           (size_t)out_w * sizeof *out);
            }
        }
    }
}

/* The input gradient convolves with each filter turned by 180 degrees,
 * J g J (J reverses the 3 rows or columns). G J is G with its rows 0 and 3
 * swapped (P G), so G (J g J) G^T = P (G g G^T) P^T: the turned filter's
 * transform is the filter's with positions 0 and 3 swapped along both
 * axes, k = 4 a + b -> 4 p(a) + p(b), p = (3 1 2 0). */
static const int turned[16] = {15, 13, 14, 12, 7, 5, 6, 4,
                               11, 9, 10, 8, 3, 1, 2, 0};

/* One chunk: tile rows ty0 .. ty0 + rows - 1 of sample x into sample y. */
static dnnl_status_t winograd_chunk(const struct cnn_winograd *w,
                                    const float *x, float *y,
                                    const float *bias, int ty0, int rows,
                                    struct winograd_scratch *s)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    size_t tiles = (size_t)rows * w->tiles_w;
    size_t filters = (size_t)shape->out * shape->in;
    cnn_winograd_transform_input(w, x, ty0, rows, tiles, s);
    for (int k = 0; k < w->positions; k++) {
        const float *v =
            s->input + k * cnn_winograd_position_floats(shape->in, tiles);
        float *m =
            s->product + k * cnn_winograd_position_floats(shape->out, tiles);
        if (w->packed_weights) {
            cnn_winograd_gemm(w->packed_weights + k * w->packed_floats,
                              shape->out, shape->in, v, tiles, (int)tiles, m,
                              tiles);
            continue;
        }
        /* An input gradient's U[k] is stored transposed (in x out, in
         * the forward's order): for 3x3 the forward's U[turned[k]], for
         * 5x5 its own, made from the turned filters. */
        int transposed = w->weights_from || w->turned_weights;
        const float *u = w->weights_from
                             ? w->weights_from->transformed_weights +
                                   turned[k] * filters
                             : w->transformed_weights + k * filters;
        dnnl_status_t status = dnnl_sgemm(
            transposed ? 'T' : 'N', 'N', shape->out, (dnnl_dim_t)tiles,
            shape->in, 1.0f, u, transposed ? shape->out : shape->in, v,
            (dnnl_dim_t)tiles, 0.0f, m, (dnnl_dim_t)tiles);
        if (status != dnnl_success)
            return status;
    }
    if (w->alpha == 4)
        transform_output(w, y, bias, ty0, rows, tiles, s);
    else
        cnn_winograd5_transform_output(w, y, bias, ty0, rows, tiles, s);
    return dnnl_success;
}

int cnn_winograd_threads(const struct cnn_winograd *w)
{
    int threads = w->threads;
#ifdef _OPENMP
    if (omp_get_max_threads() < threads)
        threads = omp_get_max_threads();
#endif
    return threads;
}

void cnn_winograd_chunk_rows(const struct cnn_winograd *w, int chunk,
                             int *sample, int *first_row, int *rows)
{
    *sample = chunk / w->chunks_per_sample;
    *first_row = chunk % w->chunks_per_sample * w->rows_per_chunk;
    *rows = w->tiles_h - *first_row < w->rows_per_chunk
                ? w->tiles_h - *first_row
                : w->rows_per_chunk;
}

/* Transforms the weights again when they differ from the ones U was made
 * from. */
static void winograd_update_weights(struct cnn_winograd *w,
                                    const float *weight)
{
    size_t weight_bytes = (size_t)w->shape.out * w->shape.in *
                          w->shape.kernel * w->shape.kernel * sizeof *weight;
    if (w->transformed && !memcmp(w->seen_weights, weight, weight_bytes))
        return;
    transform_weights(w, weight);
    memcpy(w->seen_weights, weight, weight_bytes);
    w->transformed = 1;
}

/* y = the convolution of x with the U in place. */
static int winograd_run(struct cnn_winograd *w, const float *x, float *y,
                        const float *bias, const struct cnn_layer *layer,
                        struct cnn_error *err)
{
    const struct cnn_winograd_shape *shape = &w->shape;
    size_t x_sample = (size_t)shape->in * shape->in_h * shape->in_w;
    size_t y_sample = (size_t)shape->out * shape->out_h * shape->out_w;
    int chunks = shape->batch * w->chunks_per_sample;
    int threads = cnn_winograd_threads(w);
    dnnl_status_t failed = dnnl_success;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        int thread = 0;
#ifdef _OPENMP
        thread = omp_get_thread_num();
#pragma omp for schedule(dynamic)
#endif
        for (int chunk = 0; chunk < chunks; chunk++) {
            int n, ty0, rows;
            cnn_winograd_chunk_rows(w, chunk, &n, &ty0, &rows);
            dnnl_status_t status =
                winograd_chunk(w, x + n * x_sample, y + n * y_sample, bias,
                               ty0, rows, &w->scratch[thread]);
            if (status != dnnl_success) {
#ifdef _OPENMP
#pragma omp critical(cnn_winograd_status)
#endif
                failed = status;
            }
        }
    }
    (void)threads; /* without OpenMP */
    return failed == dnnl_success
               ? 0
               : cnn_onednn_check(failed, "dnnl_sgemm", layer, err);
}

int cnn_winograd_forward(struct cnn_winograd *w, const float *x, float *y,
                         const float *weight, const float *bias,
                         const struct cnn_layer *layer,
                         struct cnn_error *err)
{
    winograd_update_weights(w, weight);
    return winograd_run(w, x, y, bias, layer, err);
}

int cnn_winograd_input_gradient(struct cnn_winograd *w, const float *dy,
                                float *dx, const float *weight,
                                const struct cnn_layer *layer,
                                struct cnn_error *err)
{
    winograd_update_weights(w->weights_from ? w->weights_from : w, weight);
    return winograd_run(w, dy, dx, NULL, layer, err);
}
