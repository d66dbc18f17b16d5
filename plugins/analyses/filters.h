/* cnnlab — analysis `filters` (filter identification): for chosen filters
 * (selection.h), the top-k single activations over the whole test split,
 * exactly: one value of the layer's output at (filter, row, column) of one
 * image, the largest first; equal responses go to the lower image index,
 * then the lower row, then the lower column. NaN responses never rank. */
#ifndef CNNLAB_FILTERS_H
#define CNNLAB_FILTERS_H

#include "cnnlab/receptive_field.h"
#include "analyses.h"
#include "picture.h"

struct activation {
    float response;
    int image;               /* in the test split */
    int row, column;         /* in the layer's output */
};

/* The best `capacity` activations offered so far, best first. */
struct top_list {
    int count, capacity;
    struct activation *items;
};

/* 1 when a ranks before b (the order above). */
int activation_before(const struct activation *a, const struct activation *b);
/* Keeps x when it ranks among the best `capacity`. */
void top_list_offer(struct top_list *list, struct activation x);

/* filters-<layer>-<filter>.png: the images of the top activations above,
 * their receptive-field patch outlined; the patches below, enlarged;
 * ordered by response, left to right. */
int filters_figure(struct cnn_analysis *analysis, int layer, int filter,
                   const struct top_list *list,
                   const struct cnn_receptive_field *field,
                   struct cnn_error *err);

#endif
