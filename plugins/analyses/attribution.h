/* cnnlab — the attribution analyses (issue 22): which pixels a class's
 * output depends on, by gradients through the model (analysis.h,
 * cnn_analysis_gradient):
 *
 *   saliency              |d y / d x| (its largest channel), and
 *                         gradient x input (summed over channels)
 *   gradcam               ReLU of a conv layer's channels weighted by
 *                         their mean gradient, on the input's grid
 *   integrated-gradients  (x - x') times the mean gradient along the
 *                         straight path from a baseline x' to x
 *
 * y is the logit (the default) or the softmax probability of the class
 * the model predicts for the image, x the normalised image. Each map has
 * the image's height × width. A map's method is a function of one image,
 * so `faithfulness` can rank the same pixels by every method.
 *
 * Each analysis shows the same default images as occlusion (one
 * correctly classified test image per class; test_images.h) and writes
 * <name>.csv (one row per image), <prefix>-<image>.{csv,npy} per map,
 * <name>-<image>.png (the image beside its maps) and <name>.png (all the
 * images and their first map). */
#ifndef CNNLAB_ATTRIBUTION_H
#define CNNLAB_ATTRIBUTION_H

#include "analyses.h"
#include "cnnlab/analysis.h"

/* The `output` parameter, shared by the three analyses. */
#define ATTRIBUTION_OUTPUT_PARAM                                           \
    {"output", CNN_PARAM_CHOICE, "logit", 0, 0, "logit|probability",       \
     "what is differentiated: the predicted class's logit, or its "        \
     "softmax probability"}

enum cnn_gradient_output attribution_output(const struct cnn_params *params);

/* One image being explained. */
struct attribution_image {
    int index;             /* in the test split */
    const uint8_t *pixels; /* CHW, the model's input shape */
    const float *x;        /* normalised */
    int label, predicted;  /* the model's class, which is explained */
    double confidence;     /* its softmax probability */
};

/* The images of an analysis's `images` parameter, normalised, and the
 * model's prediction for each. */
struct attribution_set {
    int count;
    struct attribution_image *images;
    float *inputs;   /* count × input size */
    int *indices;
};
int attribution_set_open(struct cnn_analysis *analysis, const char *name,
                         const struct cnn_params *params,
                         struct attribution_set *set, struct cnn_error *err);
void attribution_set_close(struct attribution_set *set);

/* The value of `output` for class k of `classes` logits (in double). */
double attribution_value(const float *logits, int classes, int k,
                         enum cnn_gradient_output output);

/* ---- The methods: one image's maps (height × width floats each). */

/* |d y / d x| largest over channels, and sum over channels of x dy/dx
 * (NULL leaves it out). */
int saliency_maps(struct cnn_analysis *analysis,
                  const struct attribution_image *image,
                  enum cnn_gradient_output output, float *saliency,
                  float *gradient_input, struct cnn_error *err);

struct gradcam_config {
    int layer;                       /* a layer with a spatial output */
    enum cnn_gradient_output output;
};
/* The layer `layer` names, or the last conv2d when it is empty; refuses
 * a layer whose output mixes every position (global pooling, flatten,
 * linear), naming the layers that would do. */
int gradcam_layer(const struct cnn_analysis *analysis, const char *layer,
                  int *index, struct cnn_error *err);
/* The map on the layer's grid (its output's h × w) into `cam`, and
 * upsampled to the input into `map`. */
int gradcam_map(struct cnn_analysis *analysis,
                const struct gradcam_config *config,
                const struct attribution_image *image, float *cam, float *map,
                struct cnn_error *err);
/* A layer's map (rows × columns) on the input's grid: each input pixel
 * interpolates bilinearly between the layer positions whose receptive
 * fields (the arithmetic of `cnnlab rf`, receptive_field.h) are centred
 * nearest to it; beyond the outermost centres it takes the edge value. */
void gradcam_upsample(const struct cnn_analysis *analysis, int layer,
                      const float *cam, float *map);

enum ig_baseline { IG_BLACK, IG_GRAY, IG_BLURRED };
struct ig_config {
    enum ig_baseline baseline;
    int steps;                       /* points on the path (midpoints) */
    int batch;                       /* of them per gradient call */
    double blur;                     /* the blurred baseline's sigma, px */
    enum cnn_gradient_output output;
};
/* What the completeness axiom checks: sum of the attributions against
 * f(x) - f(baseline). */
struct ig_outcome {
    double value, baseline_value;    /* f(x), f(x') */
    double sum;                      /* of the attributions */
};
/* The attributions summed over channels into `map`. */
int ig_map(struct cnn_analysis *analysis, const struct ig_config *config,
           const struct attribution_image *image, float *map,
           struct ig_outcome *outcome, struct cnn_error *err);
/* The baseline image of `image` in pixel space (the input's size). */
void ig_baseline_pixels(const struct cnn_analysis *analysis,
                        const struct ig_config *config,
                        const uint8_t *pixels, uint8_t *baseline);

/* ---- Files. */

/* <name>.csv's first columns for one image (image, label, label_name,
 * predicted, predicted_name, confidence), without the line's end. */
void attribution_csv_row(struct analysis_text *text,
                         struct cnn_analysis *analysis,
                         const struct attribution_image *image);
#define ATTRIBUTION_CSV_HEADER                                             \
    "image,label,label_name,predicted,predicted_name,confidence"

/* One panel of a figure: a map and its title; `absolute` shows |value|
 * (signed maps), each scaled to its largest. */
struct attribution_panel {
    const char *title;
    const float *map;
};
/* <name>-<index>.png: the image beside its panels, a colour bar, the
 * classes and confidence and `description` below. */
int attribution_figure(struct cnn_analysis *analysis, const char *name,
                       const struct attribution_image *image,
                       const struct attribution_panel *panels, int count,
                       const char *description, struct cnn_error *err);
/* <name>.png: every image beside its first map (maps[k], image k). */
int attribution_overview(struct cnn_analysis *analysis, const char *name,
                         const char *title,
                         const struct attribution_set *set,
                         float *const *maps, const char *description,
                         struct cnn_error *err);

#endif
