/* cnnlab — occlusion sensitivity (analysis `occlusion`): a window of a
 * fill colour slides over an image; at each position the model runs on
 * the occluded image, and the map records the softmax probability of the
 * class predicted on the clean image, or 0 where the occluded image is
 * predicted as another class.
 *
 * Geometry. Map cell (i, j) occludes the window whose top-left pixel is
 * (top, left) = (i * stride_h - reach_h, j * stride_w - reach_w), of
 * window_h × window_w pixels, cut to the image. With border `clip`,
 * reach = (window - 1) / 2, so windows are centred on pixels 0, stride,
 * 2 stride, ... and the map has ceil(height / stride) rows (the image's
 * size at stride 1); with border `valid`, reach = 0 and only windows
 * wholly inside the image count: (height - window_h) / stride_h + 1 rows.
 * Either way cell (i, j) belongs to image pixel (top + (window_h - 1) / 2,
 * left + (window_w - 1) / 2), the window's centre.
 *
 * A map is computed by an engine behind one function type, so a faster
 * engine (reusing the clean activations outside the window's cone) can
 * replace the brute-force reference without touching the rest. */
#ifndef CNNLAB_OCCLUSION_H
#define CNNLAB_OCCLUSION_H

#include "analyses.h"
#include "picture.h"

struct occlusion_config {
    int window_h, window_w;
    int stride_h, stride_w;
    int valid;              /* 1: border `valid`; 0: `clip` */
    int batch;              /* occluded images per forward */
    int rows, columns;      /* of the map, for the model's input size */
};

/* Fills rows and columns for images of height × width; 0 rows or columns
 * when no window fits (border valid, window larger than the image). */
void occlusion_grid(struct occlusion_config *config, int height, int width);

/* The pixels cell (i, j) occludes: rows [top, bottom), columns
 * [left, right), cut to the image. */
void occlusion_window(const struct occlusion_config *config, int height,
                      int width, int i, int j, int *top, int *left,
                      int *bottom, int *right);

/* The image pixel that cell (i, j) belongs to: its window's centre
 * (before cutting; always inside the image). */
void occlusion_centre(const struct occlusion_config *config, int i, int j,
                      int *row, int *column);

/* The `fill` parameter (one gray value or one per channel, whole pixel
 * values) as `channels` bytes; errors name the analysis `name`. */
int occlusion_read_fill(const char *name, const struct cnn_params *params,
                        int channels, uint8_t *fill, struct cnn_error *err);

/* Softmax probability of class `k` of `classes` logits, in double. */
double occlusion_probability(const float *logits, int classes, int k);
/* The first largest logit (ties go to the lower class). */
int occlusion_arg_max(const float *logits, int classes);

/* Computes the map (config->rows × config->columns, row-major) of one
 * image. `image` is the clean image and `fill` an image of the fill
 * colour, both normalised (the model's input size each); `predicted` is
 * the clean image's class. */
typedef int (*occlusion_engine)(struct cnn_analysis *analysis,
                                const struct occlusion_config *config,
                                const float *image, const float *fill,
                                int predicted, float *map,
                                struct cnn_error *err);

/* The reference: every occluded image through the whole model, `batch`
 * at a time. */
int occlusion_map_brute_force(struct cnn_analysis *analysis,
                              const struct occlusion_config *config,
                              const float *image, const float *fill,
                              int predicted, float *map,
                              struct cnn_error *err);

/* One analysed image, for the figures. */
struct occlusion_image {
    int index;              /* in the test split */
    const uint8_t *pixels;  /* CHW, the model's input shape */
    int label, predicted;
    double confidence;      /* softmax probability of `predicted` */
    float *map;             /* rows × columns */
};

/* occlusion-<index>.png: the image beside its map (drawn at the window
 * centres, on the image's scale) and a colour bar; the caption names the
 * true and predicted classes and the confidence. */
int occlusion_figure(struct cnn_analysis *analysis,
                     const struct occlusion_config *config,
                     const struct occlusion_image *image,
                     const char *description, struct cnn_error *err);
/* occlusion.png: every image and its map, in a grid. */
int occlusion_overview(struct cnn_analysis *analysis,
                       const struct occlusion_config *config,
                       const struct occlusion_image *images, int count,
                       const char *description, struct cnn_error *err);

#endif
