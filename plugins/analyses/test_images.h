/* cnnlab — which test images an image analysis shows (occlusion and the
 * attribution analyses), from its `images` parameter: the listed
 * test-split indices, or [-1] (the default) for one image per class, the
 * first test image of that class the model classifies correctly. */
#ifndef CNNLAB_TEST_IMAGES_H
#define CNNLAB_TEST_IMAGES_H

#include "cnnlab/analysis.h"

/* The `images` parameter's spec, for an analysis's schema. */
#define TEST_IMAGES_PARAM                                                  \
    {"images", CNN_PARAM_FLOAT_LIST, "[-1]", -1, 1e9, NULL,                \
     "test-split indices of the images (at most 64); -1: the first "       \
     "correctly classified test image of each class"}

/* *indices (malloc'd, *count of them) from `images`; `analysis` names
 * the analysis in the errors (an index out of the split, one listed
 * twice, no correctly classified image to default to). */
int test_images_choose(struct cnn_analysis *analysis, const char *name,
                       const struct cnn_params *params, int **indices,
                       int *count, struct cnn_error *err);

#endif
