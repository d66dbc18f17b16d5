/* cnnlab — analysis `ablation`: each chosen filter (selection.h) switched
 * off alone, the test split predicted again; a miss is an image the
 * selected weights classify correctly and the ablated model does not. */
#ifndef CNNLAB_ABLATION_H
#define CNNLAB_ABLATION_H

#include "analyses.h"
#include "picture.h"

/* One filter's outcome. */
struct ablation_row {
    int filter;
    int correct;             /* test images right with the filter off */
    int miss_count;
    int *misses;             /* test indices, ascending */
    int32_t *missed_as;      /* the class each miss is now given */
};

/* ablation-<layer>-<filter>.png: up to `shown` of the row's misses, drawn
 * at random (seeded by the manifest's seed, the layer and the filter),
 * each with its true and new label. */
int ablation_figure(struct cnn_analysis *analysis, int layer,
                    const struct ablation_row *row, int shown,
                    struct cnn_error *err);

#endif
