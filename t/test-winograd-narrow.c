/* tests: the 3x3 input transform's columns for narrow chunks
 * (plugins/layers/conv2d/conv2d_winograd_narrow.c, compiled into this program):
 * the same bits as the general loop's formula for every width from 1 to
 * 8 tiles, and no more than the 8 floats per output it promises. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../plugins/layers/conv2d/conv2d_winograd_tiles.h"

enum { STRIDE = 40 };
static const float GUARD = -12345.0f;

static float uniform(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

/* Four lines of WINOGRAD_NARROW_LINE floats, the columns past a line of
 * tiles_w tiles (2 tiles_w + 2 columns) zero, as the caller keeps them. */
static void fill_lines(float lines[4][WINOGRAD_NARROW_LINE], int tiles_w,
                       unsigned seed)
{
    for (int a = 0; a < 4; a++)
        for (int j = 0; j < WINOGRAD_NARROW_LINE; j++)
            lines[a][j] = j < 2 * tiles_w + 2 ? uniform(&seed) : 0.0f;
}

/* The general loop's formula (transform_input_columns), one tile at a
 * time. */
static void expected_columns(float lines[4][WINOGRAD_NARROW_LINE],
                             int tiles_w, float *v)
{
    for (int a = 0; a < 4; a++)
        for (int tx = 0; tx < tiles_w; tx++) {
            const float *c = lines[a] + 2 * tx;
            v[(4 * a + 0) * STRIDE + tx] = c[0] - c[2];
            v[(4 * a + 1) * STRIDE + tx] = c[1] + c[2];
            v[(4 * a + 2) * STRIDE + tx] = c[2] - c[1];
            v[(4 * a + 3) * STRIDE + tx] = c[1] - c[3];
        }
}

static void check_width(int tiles_w)
{
    float lines[4][WINOGRAD_NARROW_LINE];
    fill_lines(lines, tiles_w, 11u * tiles_w);
    const float *line[4] = {lines[0], lines[1], lines[2], lines[3]};
    float got[16 * STRIDE], want[16 * STRIDE];
    for (int i = 0; i < 16 * STRIDE; i++)
        got[i] = want[i] = GUARD;
    expected_columns(lines, tiles_w, want);
    cnn_winograd_transform_columns8(line, tiles_w, got, STRIDE);
    int differ = 0, past = 0;
    for (int k = 0; k < 16; k++)
        for (int tx = 0; tx < STRIDE; tx++) {
            float g = got[k * STRIDE + tx];
            if (tx < tiles_w)
                differ += memcmp(&g, &want[k * STRIDE + tx], sizeof g) != 0;
            else if (tx >= 8)
                past += g != GUARD;
        }
    ok(differ == 0 && past == 0,
       "%d tiles: the general loop's bits (%d of %d differ), at most 8 "
       "floats written per output (%d past them)",
       tiles_w, differ, 16 * tiles_w, past);
}

int main(void)
{
    if (!cnn_winograd_gemm_supported()) {
        skip("this CPU lacks AVX2 or FMA (or is not x86-64): the general "
             "loop runs there", "the narrow input transform");
        return done_testing();
    }
    for (int tiles_w = 1; tiles_w <= WINOGRAD_NARROW_TILES; tiles_w++)
        check_width(tiles_w);
    return done_testing();
}
