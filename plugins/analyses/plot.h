/* cnnlab — line charts for analyses, drawn with cairo: a title, a legend
 * under it, axes with round-number ticks and labels, a light grid, and one
 * line with markers per series, optionally over a band. The same drawing
 * goes to PNG (pixels) and SVG (points), rendered in memory. The cnnlab
 * command compiles this file too, for `cnnlab table`'s curves across
 * seeds (core/cli/cli_curves.c). */
#ifndef CNNLAB_PLOT_H
#define CNNLAB_PLOT_H

#include <stddef.h>

#include "cnnlab/error.h"

#define PLOT_SERIES_MAX 6

struct plot_series {
    const char *label;
    const double *x, *y;     /* count points; non-finite y breaks the line */
    int count;
    /* Optional (both or neither): a band from low to high at each x,
     * drawn in the series' colour, lighter, under the line (the spread
     * of repeated runs). */
    const double *low, *high;
};

struct plot {
    const char *title;
    const char *x_label, *y_label;
    int integer_x;           /* x ticks at whole numbers only (epochs) */
    int series_count;
    struct plot_series series[PLOT_SERIES_MAX];
};

enum plot_format { PLOT_PNG, PLOT_SVG };

/* The chart as PNG or SVG bytes (malloc'd; the caller frees them). */
int plot_render(const struct plot *plot, enum plot_format format, int width,
                int height, unsigned char **bytes, size_t *length,
                struct cnn_error *err);

/* Empties cairo's font and glyph caches, which otherwise outlive every
 * chart and show as leaks under valgrind. Call it with no chart being
 * drawn (analyses run one at a time). */
void plot_release_caches(void);

#endif
