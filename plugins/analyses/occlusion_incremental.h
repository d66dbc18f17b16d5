/* cnnlab — the incremental occlusion engine (occlusion_incremental.c): the
 * same maps as occlusion_map_brute_force (occlusion.h), recomputing in
 * each layer only the positions the window can change, from the clean
 * image's activations elsewhere. Models whose first layer mixes all
 * positions get the brute-force engine. */
#ifndef CNNLAB_OCCLUSION_INCREMENTAL_H
#define CNNLAB_OCCLUSION_INCREMENTAL_H

#include "occlusion.h"

int occlusion_map_incremental(struct cnn_analysis *analysis,
                              const struct occlusion_config *config,
                              const float *image, const float *fill,
                              int predicted, float *map,
                              struct cnn_error *err);

#endif
