/* cnnlab — the sequential model: layers built from a manifest's `model:`
 * node, shapes inferred, one flat parameter buffer and one flat gradient
 * buffer, PyTorch-default initialisation from the run's seed, and the
 * activations of the last forward kept for backward. */
#ifndef CNNLAB_MODEL_H
#define CNNLAB_MODEL_H

#include <stddef.h>

#include "cnnlab/layer.h"
#include "cnnlab/node.h"
#include "cnnlab/registry.h"

struct cnn_model {
    struct cnn_shape input;        /* one sample */
    int layer_count;
    struct cnn_layer *layers;      /* layer_count */
    const struct cnn_layer_kernels **kernels; /* per layer, for `device` */
    int *prepared_batch;           /* per layer: batch its kernels hold */
    enum cnn_device device;
    struct cnn_context context;

    size_t parameter_count;        /* floats in `parameters` */
    float *parameters;             /* every layer's tensors, in order */
    float *gradients;              /* same layout */

    int capacity;                  /* samples the buffers below hold */
    float *input_buffer;           /* capacity * input size */
    float **outputs;               /* per layer: capacity * output size */
    float **output_gradients;      /* per layer: dL/d(output) */
    int batch;                     /* samples in the last forward */
};

/* Builds the layers from `model_node` ({input: [c, h, w], layers: [...]})
 * with components from `registry`, running every layer's setup. Shape
 * errors name the layer, the one before it and what would fit. Does not
 * allocate parameters: see cnn_model_allocate. */
int cnn_model_build(struct cnn_model *model,
                    const struct cnn_registry *registry,
                    const struct cnn_node *model_node, enum cnn_device device,
                    struct cnn_error *err);

/* Places parameters in the flat buffers and initialises them from `seed`. */
int cnn_model_allocate(struct cnn_model *model, uint64_t seed,
                       struct cnn_error *err);

/* Runs the model on n samples in model->input_buffer (fill it through
 * cnn_model_input after cnn_model_reserve). */
int cnn_model_reserve(struct cnn_model *model, int n, struct cnn_error *err);
float *cnn_model_input(struct cnn_model *model);
int cnn_model_forward(struct cnn_model *model, int n, int training,
                      struct cnn_error *err);
/* The last layer's output (n × classes) and where the loss writes its
 * gradient before cnn_model_backward. */
struct cnn_tensor cnn_model_output(struct cnn_model *model);
struct cnn_tensor cnn_model_output_gradient(struct cnn_model *model);
int cnn_model_backward(struct cnn_model *model, struct cnn_error *err);

/* The model's output shape (of one sample). */
struct cnn_shape cnn_model_output_shape(const struct cnn_model *model);

void cnn_model_free(struct cnn_model *model);

#endif
