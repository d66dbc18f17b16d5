/* cnnlab — the sequential model: layers built from a manifest's `model:`
 * node, shapes inferred, one flat parameter buffer and one flat gradient
 * buffer on the model's device, PyTorch-default initialisation from the
 * run's seed, and the activations of the last forward kept for backward.
 *
 * Data crosses to the device in two places only: a batch (host input and
 * labels → cnn_model_upload_batch) and the parameters (host copy ↔
 * device, cnn_model_parameters_to_host / _from_host). On the CPU both are
 * the same memory and these calls cost nothing. */
#ifndef CNNLAB_MODEL_H
#define CNNLAB_MODEL_H

#include <stddef.h>

#include "cnnlab/device.h"
#include "cnnlab/layer.h"
#include "cnnlab/loss.h"
#include "cnnlab/node.h"
#include "cnnlab/registry.h"

struct cnn_model_graph;

struct cnn_model {
    struct cnn_shape input;        /* one sample */
    int layer_count;
    struct cnn_layer *layers;      /* layer_count */
    const struct cnn_layer_kernels **kernels; /* per layer, for `device` */
    int *prepared_batch;           /* per layer: batch its kernels hold */
    enum cnn_device device;
    const struct cnn_device_type *device_type; /* NULL: the CPU */
    int device_open;               /* device_type->open succeeded */
    struct cnn_device_options device_options;
    struct cnn_context context;

    size_t parameter_count;        /* floats in `parameters` */
    float *parameters;             /* every layer's tensors: the trainable
                                      layers' in order, then the frozen
                                      ones' (cnn_model_allocate); on the
                                      device */
    float *gradients;              /* same layout, on the device */
    /* The host's copy of the parameters (the same buffer on the CPU):
     * what checkpoints write and initialisation fills. */
    float *host_parameters;
    /* Transfer learning: frozen[i] is 1 when layer i's parameters are
     * frozen (`trainable: false`, train.freeze). Their tensors sit after
     * every trainable one, so the optimizer steps over the first
     * trainable_count floats only and keeps state for those alone; with
     * nothing frozen trainable_count is parameter_count. */
    unsigned char *frozen;         /* layer_count */
    size_t trainable_count;
    /* The layers' buffers (batch norm's running statistics) sit after
     * every parameter tensor, from this offset on: the parameters proper
     * are the first buffer_offset floats (model_buffers.c). */
    size_t buffer_offset;

    int capacity;                  /* samples the buffers below hold */
    float *input_buffer;           /* device: capacity * input size */
    int32_t *label_buffer;         /* device: capacity labels */
    float *host_input;             /* where batches are filled */
    int32_t *host_labels;
    float **outputs;               /* device, per layer: capacity * output
                                      size */
    float **output_gradients;      /* per layer: dL/d(output) */
    int batch;                     /* samples in the last forward */

    /* What a step writes besides activations, in device memory and owned
     * by the model so that their addresses stay fixed for captured
     * steps. */
    struct cnn_loss_totals *totals;
    int32_t *predictions;          /* capacity arg-max classes */
    float *optimizer_state;
    size_t optimizer_state_floats;

    struct cnn_model_graph *graphs; /* captured steps (model_graph.c) */
    int graph_count;
    unsigned long graph_clock;      /* orders the graphs' last uses */
};

/* Builds the layers from `model_node` ({input: [c, h, w], layers: [...]})
 * with components from `registry`, running every layer's setup; a layer
 * entry's `trainable: false` freezes it. Shape
 * errors name the layer, the one before it and what would fit. Does not
 * allocate parameters: see cnn_model_allocate. */
int cnn_model_build(struct cnn_model *model,
                    const struct cnn_registry *registry,
                    const struct cnn_node *model_node, enum cnn_device device,
                    struct cnn_error *err);

/* model.c's helpers (model_freeze.c). The core's keys of a layer entry
 * beside its type's (`trainable: false`): *trainable and where it was
 * written, and in *rest a copy of `params` without them for the type's
 * schema (NULL: use `params` as it is). A misspelt `trainable` is an error
 * with a did-you-mean. */
int cnn_model_take_core_keys(const struct cnn_layer_type *type,
                             const struct cnn_node *params,
                             struct cnn_node **rest, int *trainable,
                             struct cnn_mark *trainable_mark,
                             struct cnn_error *err);
/* Sets every tensor's offset, trainable layers' first, then every
 * buffer's, and trainable_count and buffer_offset; returns the floats in
 * all. */
size_t cnn_model_place_tensors(struct cnn_model *model);

/* Sets every buffer's offset from `offset` on (F32 buffers first, then
 * the I64 ones at an even offset) and buffer_offset; returns where they
 * end (model_buffers.c). */
size_t cnn_model_place_buffers(struct cnn_model *model, size_t offset);
/* Writes every buffer's initial values into host_parameters and points
 * its data at `parameters` (the device's copy). */
void cnn_model_init_buffers(struct cnn_model *model);
/* Whether the host copy holds only finite parameters and F32 buffer
 * values (int64 buffers are not floats). */
int cnn_model_host_finite(const struct cnn_model *model);

/* A host copy of the buffers (the floats from buffer_offset on), or NULL
 * with the error; cnn_model_restore_buffers puts them back on the device
 * and frees the copy. For whoever runs training forwards that must not
 * count (per-layer timing): they would move the running statistics. */
float *cnn_model_keep_buffers(struct cnn_model *model, struct cnn_error *err);
int cnn_model_restore_buffers(struct cnn_model *model, float *kept,
                              struct cnn_error *err);

/* What a checkpoint holds of a layer: its parameter tensors, then its
 * buffers, each saved as "<layer index>.<name>". */
struct cnn_stored_tensor {
    const char *name;  /* "weight", "running_mean" */
    int ndim;          /* 0 for a scalar buffer */
    const int *dims;
    size_t count;      /* values */
    int i64;           /* 1: int64 values, two floats each in the buffer */
    int buffer;        /* 1: a buffer, not a parameter */
    size_t offset;     /* floats into host_parameters */
};
int cnn_layer_stored_count(const struct cnn_layer *layer);
struct cnn_stored_tensor cnn_layer_stored(const struct cnn_layer *layer,
                                          int k);

/* Freezes the layers `names` lists (train.freeze), each written at
 * marks[i] (marks may be NULL): training leaves their parameters as they
 * are. Call after build, before allocate. A name the model lacks (with a
 * did-you-mean) or a layer without parameters is an error at its mark. */
int cnn_model_freeze(struct cnn_model *model, const char *const *names,
                     const struct cnn_mark *marks, int count,
                     struct cnn_error *err);
/* Whether layer i is frozen; layers frozen; floats of frozen parameters
 * (those of the trainable ones: trainable_count once allocated). */
int cnn_model_is_frozen(const struct cnn_model *model, int layer);
int cnn_model_frozen_layers(const struct cnn_model *model);
size_t cnn_model_frozen_parameters(const struct cnn_model *model);
/* The lowest layer with trainable parameters (layer_count when there is
 * none): a training step's backward goes down to it and no further. */
int cnn_model_lowest_trainable(const struct cnn_model *model);

/* Runs the model on `type`'s device (call after build, before allocate):
 * opens a device context with `options`. Without it the model runs on the
 * CPU. */
int cnn_model_use_device(struct cnn_model *model,
                         const struct cnn_device_type *type,
                         const struct cnn_device_options *options,
                         struct cnn_error *err);

/* Places parameters in the flat buffers (trainable layers first, then
 * frozen ones) and initialises them from `seed`: each tensor gets the
 * same values whatever is frozen. */
int cnn_model_allocate(struct cnn_model *model, uint64_t seed,
                       struct cnn_error *err);

/* Makes room for batches of up to n samples. Then fill cnn_model_input
 * (n * input size floats) and cnn_model_labels (n labels) on the host and
 * send them with cnn_model_upload_batch before the forward. */
int cnn_model_reserve(struct cnn_model *model, int n, struct cnn_error *err);
float *cnn_model_input(struct cnn_model *model);
int32_t *cnn_model_labels(struct cnn_model *model);
int cnn_model_upload_batch(struct cnn_model *model, int n,
                           struct cnn_error *err);
/* The uploaded labels, in device memory. */
const int32_t *cnn_model_device_labels(const struct cnn_model *model);
/* Calls the kernels' prepare for batches of n where they were last
 * prepared for another size (forward does it too; a captured step needs it
 * done before the capture). */
int cnn_model_prepare(struct cnn_model *model, int n, struct cnn_error *err);
int cnn_model_forward(struct cnn_model *model, int n, int training,
                      struct cnn_error *err);
/* The layer loop's pieces, for whoever runs the model in parts (analyses,
 * per-layer timing): layer `layer`'s input x (the model's input for layer
 * 0), output y and their gradients dy and dx (dx has no data for layer 0)
 * in the model's buffers, for a batch of n; one layer's forward or
 * backward on them; and layers first..last forward. The buffers must hold
 * n samples (cnn_model_reserve) and the kernels be prepared for n. */
struct cnn_layer_tensors {
    struct cnn_tensor x, y, dy, dx;
};
struct cnn_layer_tensors cnn_model_layer_tensors(const struct cnn_model *model,
                                                 int layer, int n);
int cnn_model_forward_layer(struct cnn_model *model, int layer, int n,
                            int training, struct cnn_error *err);
int cnn_model_backward_layer(struct cnn_model *model, int layer, int n,
                             struct cnn_error *err);
int cnn_model_forward_layers(struct cnn_model *model, int first, int last,
                             int n, int training, struct cnn_error *err);
/* The last layer's output (n × classes) and where the loss writes its
 * gradient before cnn_model_backward. */
struct cnn_tensor cnn_model_output(struct cnn_model *model);
struct cnn_tensor cnn_model_output_gradient(struct cnn_model *model);
/* A training step's backward: each layer's in reverse order, down to the
 * lowest layer with trainable parameters (cnn_model_lowest_trainable),
 * whose dL/dx is not computed; nothing below it needs a gradient. Frozen
 * layers above it still pass dL/dx down. */
int cnn_model_backward(struct cnn_model *model, struct cnn_error *err);

/* Brings the device's parameters into host_parameters / sends
 * host_parameters to the device. */
int cnn_model_parameters_to_host(struct cnn_model *model,
                                 struct cnn_error *err);
int cnn_model_parameters_from_host(struct cnn_model *model,
                                   struct cnn_error *err);

/* A step of work (forward, loss, backward, update) issued by `run`. On a
 * device that captures steps, the first call for a given batch size, mode
 * and learning-rate factor runs it directly (which prepares every
 * kernel); the second captures it as a graph and every later one replays
 * that graph. Elsewhere it just calls `run`. */
struct cnn_step_key {
    int batch;
    int training;
    double lr_scale;
};
int cnn_model_run_step(struct cnn_model *model, struct cnn_step_key key,
                       int (*run)(void *user, struct cnn_error *err),
                       void *user, struct cnn_error *err);

/* The running loss totals: zeroed (first_bad_batch -1) / read back. */
int cnn_model_totals_reset(struct cnn_model *model, struct cnn_error *err);
int cnn_model_totals_read(struct cnn_model *model,
                          struct cnn_loss_totals *totals,
                          struct cnn_error *err);
/* `floats` of zeroed optimizer state on the device (kept for the model's
 * life; asking for another size replaces it). */
float *cnn_model_optimizer_state(struct cnn_model *model, size_t floats,
                                 struct cnn_error *err);

/* Frees the captured steps (they hold buffer addresses that are about to
 * change). */
void cnn_model_forget_graphs(struct cnn_model *model);

/* Memory on the model's device (zeroed) and its release. */
void *cnn_model_device_alloc(struct cnn_model *model, size_t bytes,
                             struct cnn_error *err);
void cnn_model_device_free(struct cnn_model *model, void *pointer);

/* The model's output shape (of one sample). */
struct cnn_shape cnn_model_output_shape(const struct cnn_model *model);

void cnn_model_free(struct cnn_model *model);

#endif
