/* cnnlab — layers: the device-independent definition (struct
 * cnn_layer_type) and the per-device kernels (struct cnn_layer_kernels).
 *
 * Lifecycle (Caffe's): the core creates a struct cnn_layer for each entry of
 * a model, validates its parameters, sets `input` and calls type->setup once;
 * setup checks the configuration, sets `output`, and declares the layer's
 * parameter tensors with their initialisation. The core then places every
 * parameter tensor in one flat buffer per device, initialises it, and calls
 * the device kernels: prepare (whenever the batch size changes), then
 * forward/backward many times, and finally release. */
#ifndef CNNLAB_LAYER_H
#define CNNLAB_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "params.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cnn_init {
    CNN_INIT_ZEROS,
    CNN_INIT_ONES,
    CNN_INIT_UNIFORM, /* U(-bound, bound); PyTorch's default for conv and
                         linear weights and biases is bound = 1/sqrt(fan_in) */
};

#define CNN_TENSOR_NAME_MAX 32
#define CNN_LAYER_TENSORS_MAX 4
#define CNN_LAYER_NAME_MAX 48

/* A named parameter tensor of a layer: a view into the model's flat buffers. */
struct cnn_param_tensor {
    char name[CNN_TENSOR_NAME_MAX]; /* "weight", "bias" */
    int ndim;
    int dims[4];                    /* e.g. conv weight (out, in, kh, kw) */
    size_t count;                   /* product of dims */
    enum cnn_init init;
    float bound;                    /* for CNN_INIT_UNIFORM */
    size_t offset;                  /* floats into the flat buffer (core) */
    float *data;                    /* set by the core: the values */
    float *grad;                    /* set by the core: their gradients */
};

/* What a layer does to spatial positions, for receptive-field arithmetic.
 * Layers that keep positions (relu, dropout) have kind CNN_GEOMETRY_IDENTITY;
 * windowed layers (conv, pool) CNN_GEOMETRY_WINDOW with the numbers below;
 * layers that mix all positions (global pooling, flatten, linear)
 * CNN_GEOMETRY_GLOBAL. */
enum cnn_geometry_kind {
    CNN_GEOMETRY_IDENTITY,
    CNN_GEOMETRY_WINDOW,
    CNN_GEOMETRY_GLOBAL,
};

struct cnn_geometry {
    enum cnn_geometry_kind kind;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_h, pad_w;
    int dilation_h, dilation_w;
};

/* ABI 3.2. A layer's state that is not a parameter: batch norm's running
 * statistics, PyTorch's buffers. Setup declares them (cnn_layer_add_buffer);
 * the core places them after every parameter tensor in the model's flat
 * buffer, so they live on the model's device, are copied to and from the
 * host with the parameters and are saved by checkpoints and the training
 * state under "<index>.<name>" as PyTorch's state_dict names buffers; yet
 * they get no gradient, no optimizer state and no weight decay, and no
 * parameter count includes them. Kernels update them in a training
 * forward. */
enum cnn_buffer_dtype {
    CNN_BUFFER_F32, /* float values */
    CNN_BUFFER_I64, /* int64_t values (num_batches_tracked: PyTorch's
                       state_dict holds it as int64) */
};

#define CNN_LAYER_BUFFERS_MAX 4

struct cnn_layer_buffer {
    char name[CNN_TENSOR_NAME_MAX]; /* "running_mean" */
    enum cnn_buffer_dtype dtype;
    int ndim;                       /* 0: a scalar */
    int dims[4];
    size_t count;                   /* values: product of dims (1 for a
                                       scalar) */
    enum cnn_init init;             /* CNN_INIT_ZEROS or CNN_INIT_ONES */
    size_t offset;                  /* floats into the flat buffer (core);
                                       an I64 buffer's is even and each
                                       value takes two floats */
    void *data;                     /* set by the core: the values, on the
                                       model's device (float * or
                                       int64_t *, by dtype) */
};

struct cnn_layer_type;

/* One layer of a model. */
struct cnn_layer {
    const struct cnn_layer_type *type;
    int index;                       /* 0-based position in the model */
    char name[CNN_LAYER_NAME_MAX];   /* unique in the model: "conv1", "fc2" */
    struct cnn_mark mark;            /* where the manifest declares it */
    struct cnn_params params;        /* validated values (owned by core) */
    struct cnn_shape input;          /* per sample; set by the core */
    struct cnn_shape output;         /* per sample; set by setup */
    int tensor_count;
    struct cnn_param_tensor tensors[CNN_LAYER_TENSORS_MAX];
    void *state;        /* the type's own; setup allocates, destroy frees
                           (the built-in layers' settings:
                           <cnnlab/builtin_layers.h>) */
    void *kernel_state; /* the device kernels' own; release frees */
    /* ABI 3.2, after every 3.1 field so that a 3.1 module finds those
     * where it always did (the core allocates struct cnn_layer, never a
     * module). */
    int buffer_count;
    struct cnn_layer_buffer buffers[CNN_LAYER_BUFFERS_MAX];
};

/* Called by setup to declare a parameter tensor. dims has ndim entries. */
int cnn_layer_add_tensor(struct cnn_layer *layer, const char *name, int ndim,
                         const int *dims, enum cnn_init init, float bound,
                         struct cnn_error *err);

/* Declares "weight" (ndim dims) and, when `bias`, "bias" (dims[0]
 * values), both initialised as PyTorch does by default for conv and linear
 * layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
int cnn_layer_add_weight_and_bias(struct cnn_layer *layer, int ndim,
                                  const int *dims, double fan_in, int bias,
                                  struct cnn_error *err);

/* ABI 3.2. Called by setup to declare a buffer (see struct
 * cnn_layer_buffer): ndim 0 to 4 (dims may be NULL for 0), init
 * CNN_INIT_ZEROS or CNN_INIT_ONES. A name must not repeat a parameter
 * tensor's. */
int cnn_layer_add_buffer(struct cnn_layer *layer, const char *name,
                         enum cnn_buffer_dtype dtype, int ndim,
                         const int *dims, enum cnn_init init,
                         struct cnn_error *err);
/* Finds a declared buffer by name, or NULL. */
struct cnn_layer_buffer *cnn_layer_buffer(struct cnn_layer *layer,
                                          const char *name);

/* Keeps a copy of `size` bytes of configuration as layer->state (replacing
 * an earlier one); cnn_layer_free_state, usable as a type's destroy, frees
 * it. */
int cnn_layer_keep_state(struct cnn_layer *layer, const void *config,
                         size_t size, struct cnn_error *err);
void cnn_layer_free_state(struct cnn_layer *layer);

/* Finds a declared tensor by name, or NULL. */
struct cnn_param_tensor *cnn_layer_tensor(struct cnn_layer *layer,
                                          const char *name);

/* Fails with a shape error that names this layer, the previous one (or "the
 * model input"), both shapes and what would fit. `fit` says what would. */
int cnn_layer_shape_error(const struct cnn_layer *layer,
                          struct cnn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Kernel checks: what a kernel is handed against what setup and prepare
 * agreed on, so that a core or harness bug is an error naming the layer,
 * never a read out of bounds. cnn_layer_check_tensor: `t` holds data on
 * `device`, samples of `shape` and `batch` of them; `role` ("input",
 * "output gradient") names it in the message. cnn_layer_check_backward:
 * the same for a backward's x, y and dy, and for dx unless it is NULL (no
 * dL/dx wanted, see backward), plus the gradients of every parameter
 * tensor. */
int cnn_layer_check_tensor(const struct cnn_tensor *t, enum cnn_device device,
                           struct cnn_shape shape, int batch,
                           const char *role, const struct cnn_layer *layer,
                           struct cnn_error *err);
int cnn_layer_check_backward(const struct cnn_layer *layer,
                             enum cnn_device device, int batch,
                             const struct cnn_tensor *x,
                             const struct cnn_tensor *y,
                             const struct cnn_tensor *dy,
                             const struct cnn_tensor *dx,
                             struct cnn_error *err);

/* What a training forward records for its backward (dropout's mask, max
 * pooling's argmax): one buffer for the batch the kernels were prepared
 * for, in the memory of the context's device (host memory on the CPU,
 * device memory on CUDA, from the allocator <cnnlab/cuda.h> gives), kept
 * as the layer's kernel_state. prepare reserves it (again only when the
 * batch size changes, so a captured step's address stays), forward fills
 * it and sets `valid`, backward reads it, release (usable as the kernels'
 * release) frees it. */
struct cnn_saved_for_backward {
    int batch;                 /* the batch size prepared for */
    int valid;                 /* 1 when `data` holds the last forward's
                                  record (a training forward sets it; a
                                  backward after an inference one may fill
                                  the record and set it) */
    void *data;                /* batch * bytes_per_sample, on the device */
    struct cnn_context *ctx;   /* whose memory `data` is */
};
int cnn_saved_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                      int batch, size_t bytes_per_sample,
                      struct cnn_error *err);
/* The layer's record, or NULL (with the error) before prepare. */
struct cnn_saved_for_backward *cnn_saved_state(struct cnn_layer *layer,
                                               struct cnn_error *err);
void cnn_saved_release(struct cnn_layer *layer);

struct cnn_layer_type {
    const char *name;         /* manifest name, e.g. "conv2d" */
    const char *name_prefix;  /* instance names: "conv" gives conv1, conv2 */
    /* torchsummary's type name ("Conv2d"); NULL for layers PyTorch models
     * call as functions (ReLU, global pooling, flatten), which torchsummary
     * does not list. */
    const char *summary_name;
    const char *help;         /* one line for `cnnlab plugins` */
    const struct cnn_param_spec *params;
    int param_count;

    /* Validates params against input, sets layer->output, declares tensors. */
    int (*setup)(struct cnn_layer *layer, struct cnn_error *err);
    /* Frees layer->state. May be NULL. */
    void (*destroy)(struct cnn_layer *layer);
    /* PyTorch's module repr, e.g. "Conv2d(3, 8, kernel_size=(5, 5),
     * stride=(1, 1))". Returns the length written (snprintf-style). */
    int (*describe)(const struct cnn_layer *layer, char *buf, size_t size);
    /* Receptive-field geometry. */
    void (*geometry)(const struct cnn_layer *layer, struct cnn_geometry *g);
};

/* Per-run state the core gives every kernel call. */
struct cnn_context {
    enum cnn_device device;
    int threads;         /* CPU threads the kernels may use */
    uint64_t seed;       /* the run's seed (dropout masks derive from it) */
    uint64_t step;       /* training steps taken so far (host count) */
    /* On devices whose steps are captured and replayed (CUDA graphs), a
     * host value baked into a captured launch would go stale: kernels that
     * depend on the step count (dropout masks, optimizer bias correction)
     * read it from here instead, device memory the backend advances at
     * every step_done (see device.h). It holds the same count as `step`:
     * steps completed before this one, so an optimizer's update number is
     * *device_step + 1. NULL on the CPU. */
    const uint64_t *device_step;
    void *backend;       /* the device module's own */
};

struct cnn_layer_kernels {
    const char *layer;        /* the cnn_layer_type name implemented */
    enum cnn_device device;
    /* Creates whatever the layer needs for batches of `batch` samples
     * (primitives, scratch). Called before the first forward and whenever
     * the batch size changes; may be NULL. The first call is for the
     * largest batch the model will run until its buffers grow; buffers
     * must not move when a later call asks for a smaller batch (a step
     * captured for the larger size still uses them): keep them, and keep
     * per-size state (algorithms, descriptors) per size. */
    int (*prepare)(struct cnn_context *ctx, struct cnn_layer *layer,
                   int batch, struct cnn_error *err);
    /* y = f(x). x and y are distinct buffers of x->n samples. */
    int (*forward)(struct cnn_context *ctx, struct cnn_layer *layer,
                   const struct cnn_tensor *x, struct cnn_tensor *y,
                   int training, struct cnn_error *err);
    /* Given the forward's x and y and dL/dy, writes dL/dx (dx is NULL
     * when nothing needs it: for the model's first layer, and for the
     * lowest layer with trainable parameters when the layers below it are
     * frozen or have none; skip it) and OVERWRITES the gradients of the
     * layer's parameter tensors (tensors[i].grad): a sequential model uses
     * each layer once per step. The forward may have been an inference
     * one (gradients of the model in evaluation mode, which the
     * attribution analyses take): backward is then that of the inference
     * forward, e.g. the identity for dropout, and what a training forward
     * would have recorded (max pooling's argmax) is found again from x. */
    int (*backward)(struct cnn_context *ctx, struct cnn_layer *layer,
                    const struct cnn_tensor *x, const struct cnn_tensor *y,
                    const struct cnn_tensor *dy, struct cnn_tensor *dx,
                    struct cnn_error *err);
    /* Frees layer->kernel_state. May be NULL. */
    void (*release)(struct cnn_layer *layer);
};

#ifdef __cplusplus
}
#endif
#endif
