/* cnnlab — analysis `faithfulness` (issue 22): which explanation to
 * trust, by the deletion and insertion test (Petsiuk et al.'s RISE
 * paper). Each method's map ranks the pixels of an image; deletion
 * replaces them, most important first, with the fill colour (in pixel
 * space, as occlusion fills its window), insertion starts from an image
 * of the fill colour and puts them back, and each curve follows the
 * softmax probability of the class the model predicts on the clean
 * image. A faithful map makes the deletion curve fall fast (small area
 * under it) and the insertion curve rise fast (large area).
 *
 * Pixel order: by the map's value, highest first (ties: the lower pixel
 * index first), except occlusion, whose map is the probability left when
 * the window covers the pixel, so its lowest cells come first. Maps of
 * gradient x input and integrated gradients are signed: positive
 * evidence first. `random` ranks the pixels in a seeded random order, the
 * control every method should beat.
 *
 * Steps: with P pixels and S steps, point t (0..S) has the first
 * floor(t P / S) pixels of the order removed (or revealed), every
 * channel of each. AUC: the trapezoid rule over the fraction t / S, so a
 * curve constant at p has area p. */
#ifndef CNNLAB_FAITHFULNESS_H
#define CNNLAB_FAITHFULNESS_H

#include "attribution.h"
#include "occlusion.h"

enum faithfulness_method {
    METHOD_SALIENCY,
    METHOD_GRADIENT_INPUT,
    METHOD_GRADCAM,
    METHOD_INTEGRATED_GRADIENTS,
    METHOD_OCCLUSION,
    METHOD_RANDOM,
    METHOD_COUNT
};
extern const char *const faithfulness_method_names[METHOD_COUNT];

struct faithfulness_config {
    int methods[METHOD_COUNT];   /* chosen, in this order */
    int method_count;
    int steps;
    int batch;                   /* images per forward pass */
    uint8_t fill[64];            /* per channel, pixel space */
    enum cnn_gradient_output output;
    struct gradcam_config gradcam;
    struct ig_config ig;
    struct occlusion_config occlusion;
};

/* One image's curves for one method: steps + 1 probabilities each. */
struct faithfulness_curves {
    double *deletion, *insertion;
    double deletion_auc, insertion_auc;
};

/* The map of `method` for the image into `map` (height × width), as a
 * score: higher is more important. */
int faithfulness_scores(struct cnn_analysis *analysis,
                        const struct faithfulness_config *config,
                        enum faithfulness_method method,
                        const struct attribution_image *image,
                        const float *fill_image, float *map,
                        struct cnn_error *err);

/* The pixel order of a score map: indices, most important first. */
void faithfulness_order(const float *scores, int count, int *order);

/* Both curves of one image for a pixel order, and their areas. */
int faithfulness_curves(struct cnn_analysis *analysis,
                        const struct faithfulness_config *config,
                        const struct attribution_image *image,
                        const int *order, struct faithfulness_curves *out,
                        struct cnn_error *err);

/* The area under steps + 1 points equally spaced over [0, 1]. */
double faithfulness_auc(const double *curve, int steps);

/* Files: faithfulness.csv (per method and image), faithfulness-curves.csv
 * (every point), faithfulness.md, .tex and faithfulness-summary.csv
 * (method × mean AUC ± sample standard deviation over the images), and
 * faithfulness-deletion.{png,svg}, faithfulness-insertion.{png,svg} (each
 * method's mean curve). curves[m * images + k]: method m, image k. */
int faithfulness_report(struct cnn_analysis *analysis,
                        const struct faithfulness_config *config,
                        const struct attribution_set *set,
                        const struct faithfulness_curves *curves,
                        struct cnn_error *err);

#endif
