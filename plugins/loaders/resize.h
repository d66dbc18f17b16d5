/* cnnlab — the loaders' one image resize, shared by imagefolder and idx so
 * that both give the same pixels for the same source.
 *
 * The filter is a separable triangle ("bilinear") filter on pixel centres
 * (align_corners = false) whose support widens with the shrink factor:
 * enlarging, it is plain bilinear interpolation (the edge pixels repeat);
 * shrinking by a factor s, each output pixel is the triangle-weighted mean
 * of the source pixels within s of its centre, so detail finer than the
 * output grid is averaged away rather than aliased. It is the filter of
 * Pillow's Image.resize(..., BILINEAR) and of torchvision's resize with
 * antialias=True; the horizontal pass is kept in float (Pillow rounds to
 * 8 bits between passes), so values may differ from Pillow's by 1. */
#ifndef CNNLAB_PLUGINS_LOADERS_RESIZE_H
#define CNNLAB_PLUGINS_LOADERS_RESIZE_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/error.h"

/* The largest side either image may have. */
#define LOADERS_RESIZE_MAX_SIDE 65536

/* One axis's weights: output pixel i reads `taps[i]` source pixels from
 * `first[i]` on, with weights[i * max_taps + k]. */
struct loaders_resize_axis {
    int source, target;
    int max_taps;
    int *first, *taps;   /* target values each */
    float *weights;      /* target * max_taps */
};

/* A resize from source_h x source_w to target_h x target_w, with its
 * weights and scratch; made once, used for any number of planes (not by
 * two threads at once: each thread makes its own). */
struct loaders_resizer {
    struct loaders_resize_axis rows, columns;
    float *scratch; /* source_h * target_w: the horizontal pass */
};

int loaders_resizer_init(struct loaders_resizer *resizer, int source_h,
                         int source_w, int target_h, int target_w,
                         struct cnn_error *err);
void loaders_resizer_free(struct loaders_resizer *resizer);

/* Resizes one plane. Source pixel (y, x) is source[y * row_stride + x *
 * pixel_stride] (so an interleaved RGB image is read one channel at a time
 * with pixel_stride 3); the target is a dense target_h x target_w plane. */
void loaders_resize_plane(struct loaders_resizer *resizer,
                          const uint8_t *source, size_t row_stride,
                          size_t pixel_stride, uint8_t *target);

/* A one-channel image (dense source_h x source_w) to `channels` planes of
 * target_h x target_w: resized once, then the plane repeated (gray to
 * RGB). */
void loaders_resize_gray(struct loaders_resizer *resizer,
                         const uint8_t *source, int channels,
                         uint8_t *target);

#endif
