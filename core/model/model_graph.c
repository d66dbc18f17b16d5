/* cnnlab — captured steps: on a device that can capture a stream of work
 * (CUDA graphs), a training or evaluation step for a fixed batch size is
 * recorded once and replayed, so a step costs one launch instead of one
 * per kernel. That matters most at small batches, where launching is most
 * of the time. */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* A handful of keys are live in a run: the training batch, the last
 * partial batch, evaluation batches; and each learning-rate factor of a
 * schedule (one at a time). */
#define CNN_GRAPHS_MAX 8

struct cnn_model_graph {
    struct cnn_step_key key;
    int runs;     /* direct runs so far: the first prepares the kernels */
    void *graph;  /* captured, or NULL */
    unsigned long last_used;
};

static int same_key(struct cnn_step_key a, struct cnn_step_key b)
{
    return a.batch == b.batch && a.training == b.training &&
           a.lr_scale == b.lr_scale;
}

static void free_graph(struct cnn_model *model, struct cnn_model_graph *g)
{
    if (g->graph)
        model->device_type->graph_free(&model->context, g->graph);
    memset(g, 0, sizeof *g);
}

void cnn_model_forget_graphs(struct cnn_model *model)
{
    for (int i = 0; i < model->graph_count; i++)
        free_graph(model, &model->graphs[i]);
    free(model->graphs);
    model->graphs = NULL;
    model->graph_count = 0;
}

/* The entry for `key`, making one (evicting the least recently used) when
 * there is none. */
static struct cnn_model_graph *entry_for(struct cnn_model *model,
                                         struct cnn_step_key key)
{
    if (!model->graphs) {
        model->graphs = calloc(CNN_GRAPHS_MAX, sizeof *model->graphs);
        if (!model->graphs)
            return NULL;
        model->graph_count = CNN_GRAPHS_MAX;
    }
    struct cnn_model_graph *oldest = &model->graphs[0];
    for (int i = 0; i < model->graph_count; i++) {
        struct cnn_model_graph *g = &model->graphs[i];
        if (g->runs > 0 && same_key(g->key, key)) {
            g->last_used = ++model->graph_clock;
            return g;
        }
        if (g->last_used < oldest->last_used)
            oldest = g;
    }
    free_graph(model, oldest);
    oldest->key = key;
    oldest->last_used = ++model->graph_clock;
    return oldest;
}

int cnn_model_run_step(struct cnn_model *model, struct cnn_step_key key,
                       int (*run)(void *user, struct cnn_error *err),
                       void *user, struct cnn_error *err)
{
    const struct cnn_device_type *type = model->device_type;
    if (!type || !type->capture_begin || !model->device_options.graphs)
        return run(user, err);
    struct cnn_model_graph *g = entry_for(model, key);
    if (!g)
        return cnn_error_set(err, "out of memory for captured steps");
    if (g->graph)
        return type->replay(&model->context, g->graph, err);
    if (g->runs == 0) {
        g->runs = 1;
        return run(user, err);
    }
    /* prepare may allocate, which a capture forbids. */
    if (cnn_model_prepare(model, key.batch, err) < 0 ||
        type->capture_begin(&model->context, err) < 0)
        return -1;
    int status = run(user, err);
    void *graph = NULL;
    /* End the capture even after a failure, so the stream is usable. */
    struct cnn_error end_err = {0};
    int ended = type->capture_end(&model->context, &graph, &end_err);
    if (status < 0) {
        if (graph)
            type->graph_free(&model->context, graph);
        return -1;
    }
    if (ended < 0) {
        *err = end_err;
        return -1;
    }
    g->graph = graph;
    return type->replay(&model->context, graph, err);
}
