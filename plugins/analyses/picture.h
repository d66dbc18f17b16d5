/* cnnlab — pictures of images for the Part B analyses (occlusion, filters,
 * ablation), drawn with cairo: 8-bit images scaled up without smoothing
 * (every pixel a sharp square), heat maps with a colour scale, outlines
 * and captions, written into the run directory as PNG. Coordinates are
 * pixels of the picture. */
#ifndef CNNLAB_PICTURE_H
#define CNNLAB_PICTURE_H

#include <stdint.h>

#include "cnnlab/analysis.h"

struct picture {
    void *surface, *cr;      /* cairo's, kept opaque for the callers */
    int width, height;
    int failed;              /* a part could not be drawn (memory) */
};

/* A white picture of width × height pixels. */
int picture_begin(struct picture *picture, int width, int height,
                  struct cnn_error *err);
/* Writes it as PNG file `name` of the run directory and frees it (also
 * when writing fails, or when a part of it could not be drawn). */
int picture_write(struct picture *picture, struct cnn_analysis *analysis,
                  const char *name, struct cnn_error *err);
/* Frees it without writing (after another error). */
void picture_abandon(struct picture *picture);

/* Rows [top, bottom) and columns [left, right) of an image (CHW, `shape`;
 * 3 channels are RGB, any other count shows channel 0 as gray), each
 * pixel a scale × scale square with its top-left corner at (x, y). */
void picture_image(struct picture *picture, const uint8_t *pixels,
                   struct cnn_shape shape, int top, int left, int bottom,
                   int right, double x, double y, double scale);

/* values (rows × columns, row-major) in [0, 1] through a perceptual
 * colour scale (matplotlib's viridis: 0 dark purple, 1 yellow), each a
 * scale × scale square; NaN shows light gray ("no value here"). */
void picture_heat_map(struct picture *picture, const float *values, int rows,
                      int columns, double x, double y, double scale);
/* A vertical bar of the same colour scale, 1 at the top, labelled. */
void picture_colour_bar(struct picture *picture, double x, double y,
                        double width, double height, const char *high,
                        const char *low);

/* An outline of the rectangle (pixel edges at x, y, x + width, ...). */
void picture_outline(struct picture *picture, double x, double y,
                     double width, double height, double line_width,
                     double red, double green, double blue);

/* One line of text: `align` 0 puts its left edge at x, 0.5 its centre, 1
 * its right edge; y is its top. Text wider than max_width (when > 0) is
 * set smaller to fit. Returns the line's height. */
double picture_text(struct picture *picture, const char *text, double x,
                    double y, double size, double align, int bold,
                    double max_width);
/* What picture_text would take, horizontally. */
double picture_text_width(struct picture *picture, const char *text,
                          double size, int bold);

/* A whole-number scale that shows an image of height × width at about
 * `target` pixels on its longer side (at least 1). */
int picture_scale_for(int height, int width, int target);

/* Empties cairo's caches once the pictures are done (see plot.h). */
void picture_release_caches(void);

#endif
