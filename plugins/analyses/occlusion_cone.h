/* cnnlab — the cone of an occluding window (occlusion_cone.c): for each
 * layer before the first one that mixes all positions, which outputs each
 * map cell's window can change, and the crop of the layer's input that
 * recomputes them; what the incremental engine (occlusion_incremental.c)
 * runs. Rows and columns are independent, so each is planned on its own
 * axis, with one entry per map row (or column). */
#ifndef CNNLAB_OCCLUSION_CONE_H
#define CNNLAB_OCCLUSION_CONE_H

#include "occlusion.h"

struct occlusion_axis {
    int kernel, stride, pad;   /* window span (dilated), step, padding */
    int in, out;               /* the layer's input and output sizes */
    int span;                  /* outputs recomputed per cell */
    int *low, *high;           /* outputs the window can change: [low, high) */
    int *start;                /* first recomputed output */
    int *crop_low, *crop_high; /* input positions the crop holds */
    int *offset;               /* the crop's output that is output `start` */
};

struct occlusion_cone_layer {
    struct occlusion_axis rows, columns;
    int channels_in, channels_out;
};

/* The number of layers from the first on that keep positions or slide a
 * window (layer.h's geometry): the ones a cone runs through. */
int occlusion_cone_depth(struct cnn_analysis *analysis);

/* Plans layers[0..depth) for the cells of `config` (its rows and
 * columns). The axes' arrays live in *block (malloc'd; the caller frees
 * it after the layers). */
int occlusion_cone_plan(struct cnn_analysis *analysis,
                        const struct occlusion_config *config, int depth,
                        struct occlusion_cone_layer *layers, int **block,
                        struct cnn_error *err);

#endif
