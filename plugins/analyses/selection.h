/* cnnlab — which layers and filters the `filters` and `ablation` analyses
 * look at, from their shared parameters:
 *
 *   layers:  names as the model numbers them, [conv1, conv3] (the older
 *            text "conv1, conv3" too); left out: every conv2d layer
 *   filters: filter indices taken in each of those layers, or [-1]
 *   random:  with filters [-1], how many filters to draw per layer
 *
 * Random filters come from the manifest's seed and the layer's position
 * only, so both analyses draw the same filters of the same layer. */
#ifndef CNNLAB_SELECTION_H
#define CNNLAB_SELECTION_H

#include "cnnlab/analysis.h"

/* The three parameters' specs, for an analysis's schema. */
#define SELECTION_PARAMS                                                    \
    {"layers", CNN_PARAM_NAME_LIST, "[]", 0, 0, NULL,                      \
     "layers to look at, e.g. [conv1, conv2] (or the text \"conv1, "       \
     "conv2\"); left out: every conv2d layer"},                            \
    {"filters", CNN_PARAM_FLOAT_LIST, "[-1]", -1, 1e9, NULL,               \
     "filter indices in each chosen layer (at most 64); -1: `random` of "  \
     "them, drawn from the seed"},                                         \
    {"random", CNN_PARAM_INT, "3", 1, 1e9, NULL,                           \
     "with filters -1: filters drawn per layer (all when it has fewer)"}

struct layer_choice {
    int layer;        /* index in the model */
    int count;        /* filters chosen, ascending */
    int *filters;
};

struct selection {
    int count;
    struct layer_choice *layers; /* in model order */
};

/* Errors name the analysis, the parameter and what is there to choose
 * from, placed at the manifest's element when it is a layer name. Needs
 * only the model's description, so it works on a validate hook's handle
 * too. */
int selection_parse(const struct cnn_analysis *analysis,
                    const struct cnn_params *params, const char *analysis_name,
                    struct selection *selection, struct cnn_error *err);
void selection_free(struct selection *selection);

/* The analyses' validate hook: selection_parse's errors, before training. */
int selection_validate(const struct cnn_analysis *analysis,
                       const struct cnn_params *params,
                       const char *analysis_name, struct cnn_error *err);

#endif
