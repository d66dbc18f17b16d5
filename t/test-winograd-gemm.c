/* tests: the Winograd forward's own matrix product
 * (plugins/layers/conv2d/conv2d_winograd_gemm.c, compiled into this program):
 * against a float64 reference for shapes that leave partial panels,
 * partial 16-column blocks and the few columns past them that run rows
 * in lanes, and the property that makes its bits the same
 * on every CPU it runs on and for every chunk a tile lands in: a column's
 * bits do not depend on how many columns share the product or where it
 * stands among them (each value is one chain of fused multiply-adds). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../plugins/layers/conv2d/conv2d_winograd_tiles.h"

static float uniform(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

struct product {
    int rows, depth, columns;
    float *a, *packed, *b, *c;
};

static int product_new(struct product *p, int rows, int depth, int columns,
                       unsigned seed)
{
    p->rows = rows;
    p->depth = depth;
    p->columns = columns;
    p->a = malloc((size_t)rows * depth * sizeof *p->a);
    p->packed = malloc(cnn_winograd_gemm_packed_floats(rows, depth) *
                       sizeof *p->packed);
    p->b = malloc((size_t)depth * columns * sizeof *p->b);
    p->c = malloc((size_t)rows * columns * sizeof *p->c);
    if (!p->a || !p->packed || !p->b || !p->c)
        return -1;
    for (size_t i = 0; i < (size_t)rows * depth; i++)
        p->a[i] = uniform(&seed);
    for (size_t i = 0; i < (size_t)depth * columns; i++)
        p->b[i] = uniform(&seed);
    /* Guard values: the product must overwrite every one. */
    for (size_t i = 0; i < (size_t)rows * columns; i++)
        p->c[i] = NAN;
    cnn_winograd_gemm_pack(p->a, (size_t)depth, 1, rows, depth, p->packed);
    return 0;
}

static void product_free(struct product *p)
{
    free(p->a);
    free(p->packed);
    free(p->b);
    free(p->c);
}

/* The largest difference from the float64 product, and whether every
 * value was written (no guard NaN left). */
static void check_reference(int rows, int depth, int columns)
{
    struct product p;
    if (product_new(&p, rows, depth, columns, 7u + rows + depth + columns)) {
        ok(0, "%dx%dx%d: memory for the product", rows, depth, columns);
        product_free(&p);
        return;
    }
    cnn_winograd_gemm(p.packed, rows, depth, p.b, (size_t)columns, columns,
                      p.c, (size_t)columns);
    double worst = 0.0, scale = 0.0;
    int unwritten = 0;
    for (int r = 0; r < rows; r++)
        for (int t = 0; t < columns; t++) {
            double sum = 0.0, magnitude = 0.0;
            for (int k = 0; k < depth; k++) {
                double term = (double)p.a[(size_t)r * depth + k] *
                              p.b[(size_t)k * columns + t];
                sum += term;
                magnitude += fabs(term);
            }
            float got = p.c[(size_t)r * columns + t];
            if (isnan(got)) {
                unwritten++;
                continue;
            }
            double diff = fabs(got - sum);
            worst = diff > worst ? diff : worst;
            scale = magnitude > scale ? magnitude : scale;
        }
    /* depth roundings of at most 2^-24 of the running magnitude each. */
    double allowed = depth * scale * 0x1p-24;
    ok(unwritten == 0 && worst <= allowed,
       "%d rows x %d deep x %d columns: ~ float64 (max |diff| %.2g, "
       "allowed %.2g; %d values unwritten)",
       rows, depth, columns, worst, allowed, unwritten);
    product_free(&p);
}

/* Columns [offset, offset + width) of a product `columns` wide against
 * the same columns computed alone: the same bits. */
static void check_columns_alone(int rows, int depth, int columns, int offset,
                                int width)
{
    struct product wide, alone;
    memset(&alone, 0, sizeof alone);
    if (product_new(&wide, rows, depth, columns, 99u) ||
        product_new(&alone, rows, depth, width, 5u)) {
        ok(0, "columns alone: memory");
        product_free(&wide);
        product_free(&alone);
        return;
    }
    memcpy(alone.packed, wide.packed,
           cnn_winograd_gemm_packed_floats(rows, depth) * sizeof(float));
    for (int k = 0; k < depth; k++)
        memcpy(alone.b + (size_t)k * width,
               wide.b + (size_t)k * columns + offset, width * sizeof(float));
    cnn_winograd_gemm(wide.packed, rows, depth, wide.b, (size_t)columns,
                      columns, wide.c, (size_t)columns);
    cnn_winograd_gemm(alone.packed, rows, depth, alone.b, (size_t)width,
                      width, alone.c, (size_t)width);
    int differ = 0;
    for (int r = 0; r < rows; r++)
        differ += memcmp(alone.c + (size_t)r * width,
                         wide.c + (size_t)r * columns + offset,
                         width * sizeof(float)) != 0;
    ok(differ == 0,
       "%d rows x %d deep: columns %d..%d of %d == the same %d alone "
       "(%d rows differ)",
       rows, depth, offset, offset + width - 1, columns, width, differ);
    product_free(&wide);
    product_free(&alone);
}

int main(void)
{
    if (!cnn_winograd_gemm_supported()) {
        skip("this CPU lacks AVX2 or FMA (or is not x86-64): the forward "
             "uses dnnl_sgemm there", "the Winograd product kernel");
        return done_testing();
    }
    /* Panels: 6 rows, so 1, 5, 6, 7 and 64 rows; groups of 2 to 4 panels
     * for the last few columns, so 13, 19 and 25 rows. Blocks: 16
     * columns, so 7, 8, 11, 15, 16 and 17 columns; rows in lanes for 1 to
     * 6, 9 and 10 columns past the last 16, so 1 to 6, 9, 10, 20, 22, 25,
     * 26, 36, 49 and 54. */
    const int rows[] = {1, 5, 6, 7, 13, 19, 25, 64};
    const int columns[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                           15, 16, 17, 20, 22, 25, 26, 36, 49, 54};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        for (size_t j = 0; j < sizeof columns / sizeof *columns; j++)
            check_reference(rows[i], 19, columns[j]);
    check_reference(256, 256, 36);
    check_reference(13, 1, 20);
    /* 36 columns alone and as the second, third or fourth 36 of 144; 12
     * columns at an offset inside a block; one column. */
    check_columns_alone(13, 64, 144, 36, 36);
    check_columns_alone(13, 64, 144, 72, 36);
    check_columns_alone(13, 64, 144, 108, 36);
    check_columns_alone(7, 33, 48, 12, 12);
    check_columns_alone(7, 33, 49, 48, 1);
    /* Columns that a 16-column block computes alone, computed partly by
     * the rows-in-lanes kernel in the wider product: 4, 1, 6 (twice 3), 9
     * (5 and 4) and 10 (twice 5) of them. */
    check_columns_alone(25, 64, 36, 20, 16);
    check_columns_alone(13, 64, 49, 33, 16);
    check_columns_alone(19, 33, 54, 38, 16);
    check_columns_alone(13, 64, 25, 9, 16);
    check_columns_alone(13, 64, 26, 10, 16);
    /* And the other way: 4 columns alone in lanes, in a 16-block wide. */
    check_columns_alone(25, 64, 36, 8, 4);
    return done_testing();
}
