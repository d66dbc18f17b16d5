/* cnnlab layers module — what its files share: the oneDNN helpers (one
 * engine and stream per process, status checks that name the call and the
 * layer, plain NCHW / NC memory descriptors, primitives bound to the
 * caller's buffers) and the layer types module.c registers. */
#ifndef CNNLAB_LAYERS_ONEDNN_H
#define CNNLAB_LAYERS_ONEDNN_H

#include <oneapi/dnnl/dnnl.h>

#include "cnnlab/cnnlab.h"

/* The process's CPU engine and its in-order stream, created on first use
 * (thread-safe) and destroyed when the module is unloaded. */
int cnn_onednn_engine(dnnl_engine_t *engine, dnnl_stream_t *stream,
                      const struct cnn_layer *layer, struct cnn_error *err);

/* Turns a failed status into an error naming the oneDNN call, the layer
 * and the status; returns 0 for dnnl_success, else -1. */
int cnn_onednn_check(dnnl_status_t status, const char *call,
                     const struct cnn_layer *layer, struct cnn_error *err);

/* CNN_ONEDNN(layer, err, dnnl_function, args...) calls the function and
 * checks its status with the function's name. */
#define CNN_ONEDNN(layer, err, function, ...)                              \
    cnn_onednn_check(function(__VA_ARGS__), #function, (layer), (err))

/* Lets oneDNN's OpenMP runtime (and ours) use ctx->threads threads on the
 * calling thread; 0 or less leaves the runtime's default. */
void cnn_onednn_set_threads(const struct cnn_context *ctx);

/* Plain f32 descriptors: a batch (n, c, h, w) as nchw, a batch of flat
 * feature vectors (n, features) as nc, conv weights (o, i, kh, kw) as oihw,
 * inner-product weights (o, i) as oi, and a vector (count) as a. */
int cnn_onednn_md_nchw(dnnl_memory_desc_t *md, int n, struct cnn_shape shape,
                       const struct cnn_layer *layer, struct cnn_error *err);
int cnn_onednn_md_nc(dnnl_memory_desc_t *md, int n, size_t features,
                     const struct cnn_layer *layer, struct cnn_error *err);
int cnn_onednn_md_oihw(dnnl_memory_desc_t *md, int out, int in, int kh,
                       int kw, const struct cnn_layer *layer,
                       struct cnn_error *err);
int cnn_onednn_md_oi(dnnl_memory_desc_t *md, int out, size_t in,
                     const struct cnn_layer *layer, struct cnn_error *err);
int cnn_onednn_md_vector(dnnl_memory_desc_t *md, int count,
                         const struct cnn_layer *layer,
                         struct cnn_error *err);

/* A memory object with no buffer of its own: each call binds the caller's
 * pointer with cnn_onednn_bind. */
int cnn_onednn_memory(dnnl_memory_t *memory, const dnnl_memory_desc_t *md,
                      const struct cnn_layer *layer, struct cnn_error *err);
/* A memory object with a buffer oneDNN allocates (scratch the kernels
 * keep between calls: blocked copies, workspaces). */
int cnn_onednn_memory_owned(dnnl_memory_t *memory,
                            const dnnl_memory_desc_t *md,
                            const struct cnn_layer *layer,
                            struct cnn_error *err);
int cnn_onednn_bind(dnnl_memory_t memory, const void *data,
                    const struct cnn_layer *layer, struct cnn_error *err);
void cnn_onednn_memory_destroy(dnnl_memory_t *memory);

/* A primitive with its descriptor (kept: backward primitives need the
 * forward one as a hint, and pooling asks it for the workspace). */
struct cnn_onednn_primitive {
    dnnl_primitive_desc_t desc;
    dnnl_primitive_t primitive;
};

/* Creates both from an operation descriptor. attr and hint may be NULL.
 * `what` names the primitive in errors ("convolution forward"). */
int cnn_onednn_primitive_create(struct cnn_onednn_primitive *primitive,
                                const_dnnl_op_desc_t op_desc,
                                const_dnnl_primitive_attr_t attr,
                                const struct cnn_onednn_primitive *hint,
                                const char *what,
                                const struct cnn_layer *layer,
                                struct cnn_error *err);
/* A reorder from one layout to another (DNNL_ARG_FROM -> DNNL_ARG_TO). */
int cnn_onednn_reorder_create(struct cnn_onednn_primitive *primitive,
                              const dnnl_memory_desc_t *from,
                              const dnnl_memory_desc_t *to, const char *what,
                              const struct cnn_layer *layer,
                              struct cnn_error *err);
void cnn_onednn_primitive_destroy(struct cnn_onednn_primitive *primitive);

/* Runs a primitive on the process stream and waits for it. */
int cnn_onednn_execute(const struct cnn_onednn_primitive *primitive,
                       int nargs, const dnnl_exec_arg_t *args,
                       const char *what, const struct cnn_layer *layer,
                       struct cnn_error *err);

/* Attributes holding one ReLU post-op (for conv2d and linear's fused
 * activation); *attr is NULL when relu is 0. */
int cnn_onednn_relu_attr(dnnl_primitive_attr_t *attr, int relu,
                         const struct cnn_layer *layer,
                         struct cnn_error *err);

/* A plain descriptor's counterpart that lets a primitive choose its own
 * layout (dnnl_format_tag_any): oneDNN's fast (jit) convolutions want
 * channel-blocked data and weights. */
int cnn_onednn_md_any(dnnl_memory_desc_t *any, const dnnl_memory_desc_t *plain,
                      const struct cnn_layer *layer, struct cnn_error *err);
/* The layout a primitive chose for one of its arguments (query: e.g.
 * dnnl_query_src_md), copied into *md; fails when it has none. */
int cnn_onednn_chosen_md(dnnl_memory_desc_t *md,
                         const struct cnn_onednn_primitive *primitive,
                         dnnl_query_t query, const struct cnn_layer *layer,
                         struct cnn_error *err);

/* One argument of a primitive in the layout the primitive chose. When that
 * is the caller's plain layout, `memory` is NULL and the primitive works on
 * the caller's buffer; otherwise `memory` owns a buffer in the chosen
 * layout and `reorder` converts: plain -> chosen for an input, chosen ->
 * plain for an output. */
struct cnn_onednn_operand {
    dnnl_memory_t memory;
    struct cnn_onednn_primitive reorder;
};

/* The kernels of a layer with weights (conv2d, linear): forward for
 * training and for inference, backward data and backward weights, with an
 * optional bias and an optional fused ReLU. Only the primitives differ
 * between the two layers; the rest lives in weighted.c. The layer's
 * tensors are tensors[0] = weight and tensors[1] = bias (when present).
 *
 * The caller's tensors are plain (nchw / oihw / nc / oi); the primitives
 * may use other layouts, reached through the operands below. A training
 * forward keeps its reordered input and weights for the backward of the
 * same step (the contract gives backward the forward's x, and parameters
 * change only after backward), so each is reordered once per step. */
struct cnn_onednn_weighted {
    int batch;
    int bias;  /* 1: DNNL_ARG_BIAS / DNNL_ARG_DIFF_BIAS are bound */
    int relu;  /* 1: ReLU post-op; backward masks dy with y > 0 */
    struct cnn_onednn_primitive forward_training, forward_inference;
    struct cnn_onednn_primitive backward_data, backward_weights;
    /* The caller's buffers, in plain layouts, bound at each call. */
    dnnl_memory_t src, weights, bias_memory, dst;             /* forward */
    dnnl_memory_t diff_src, diff_weights, diff_bias, diff_dst; /* backward */
    /* The primitives' layouts: forward's x, w and y; backward weights' x,
     * dy and dw; backward data's dy, w and dx. An operand whose layout
     * equals an earlier one's is not created: the pointers below then
     * name the earlier one. */
    struct cnn_onednn_operand forward_src, forward_weights, forward_dst;
    struct cnn_onednn_operand weights_src, weights_diff_dst, weights_diff;
    struct cnn_onednn_operand data_diff_dst, data_weights, data_diff_src;
    struct cnn_onednn_operand *src_for_weights;   /* backward weights' x */
    struct cnn_onednn_operand *diff_dst_for_data; /* backward data's dy */
    struct cnn_onednn_operand *weights_for_data;  /* backward data's w */
    /* What the last training forward left for backward (kept = 0 after an
     * inference forward): the x and w it reordered. */
    int kept;
    const float *kept_src, *kept_weights;
    float *masked_dy; /* the batch's output count, only with relu */
};

/* Starts prepare: 1 when the layer is already prepared for `batch`
 * (nothing to do), 0 with *state fresh (calloc'ed, attached to the layer)
 * for the caller to create the four primitives, -1 on failure. */
int cnn_onednn_weighted_begin(struct cnn_context *ctx,
                              struct cnn_layer *layer, int batch,
                              struct cnn_onednn_weighted **state,
                              struct cnn_error *err);
/* Ends prepare: given the plain descriptors of the caller's buffers (bias
 * NULL: no bias), asks the four primitives which layouts they chose and
 * creates the memory objects, the buffers and reorders where those differ,
 * and the ReLU scratch. On failure (and when the caller failed) releases
 * everything. */
int cnn_onednn_weighted_finish(struct cnn_onednn_weighted *state,
                               const dnnl_memory_desc_t *src,
                               const dnnl_memory_desc_t *weights,
                               const dnnl_memory_desc_t *bias,
                               const dnnl_memory_desc_t *dst, int relu,
                               struct cnn_layer *layer,
                               struct cnn_error *err);
int cnn_onednn_weighted_forward(struct cnn_context *ctx,
                                struct cnn_layer *layer,
                                const struct cnn_tensor *x,
                                struct cnn_tensor *y, int training,
                                struct cnn_error *err);
int cnn_onednn_weighted_backward(struct cnn_context *ctx,
                                 struct cnn_layer *layer,
                                 const struct cnn_tensor *x,
                                 const struct cnn_tensor *y,
                                 const struct cnn_tensor *dy,
                                 struct cnn_tensor *dx,
                                 struct cnn_error *err);
void cnn_onednn_weighted_release(struct cnn_layer *layer);
/* Backward's checks: the tensors' shapes and batch (dx may be NULL), and
 * that the parameters have gradients. */
int cnn_onednn_weighted_check_backward(const struct cnn_onednn_weighted *k,
                                       const struct cnn_layer *layer,
                                       const struct cnn_tensor *x,
                                       const struct cnn_tensor *y,
                                       const struct cnn_tensor *dy,
                                       const struct cnn_tensor *dx,
                                       struct cnn_error *err);
/* The gradient before the fused ReLU: dy itself, or with relu dy masked by
 * y > 0 into the state's scratch (valid until the next call). */
const float *cnn_onednn_weighted_masked_gradient(
    struct cnn_onednn_weighted *k, const struct cnn_tensor *y,
    const struct cnn_tensor *dy);

/* Common helpers of the module's kernels. */

/* Elementwise loops over a batch split among the OpenMP threads (a static
 * split: each element's result never depends on the thread count), but
 * only from CNN_PARALLEL_MIN elements on: below that, waking the threads
 * costs more than the loop. Put before a `for` over `count` elements. The
 * simd variant also asks the compiler to vectorise (-O2 does not turn the
 * select of a ReLU mask into vector code by itself). */
#define CNN_PARALLEL_MIN 32768
#ifdef _OPENMP
#define CNN_PRAGMA(text) _Pragma(#text)
#define CNN_PARALLEL_FOR(count)                                            \
    CNN_PRAGMA(omp parallel for schedule(static)                           \
               if ((count) >= CNN_PARALLEL_MIN))
#define CNN_PARALLEL_FOR_SIMD(count)                                       \
    CNN_PRAGMA(omp parallel for simd schedule(static)                      \
               if ((count) >= CNN_PARALLEL_MIN))
#else
#define CNN_PARALLEL_FOR(count)
#define CNN_PARALLEL_FOR_SIMD(count)
#endif

/* dy masked by the fused ReLU: masked[i] = y[i] > 0 ? dy[i] : 0. */
void cnn_relu_mask_gradient(float *masked, const float *dy, const float *y,
                            size_t count);
/* Python's repr of `value` ("0.5", "0.01", "1.0", "1e-05", "1e+30"): how
 * PyTorch prints a float a module was given (python_float.c). */
void cnn_layers_python_float(char *buf, size_t size, double value);

/* cnn_layer_check_tensor (layer.h) for these kernels: on the CPU. */
static inline int cnn_check_tensor(const struct cnn_tensor *t,
                                   struct cnn_shape shape, int batch,
                                   const char *role,
                                   const struct cnn_layer *layer,
                                   struct cnn_error *err)
{
    return cnn_layer_check_tensor(t, CNN_DEVICE_CPU, shape, batch, role,
                                  layer, err);
}

/* The layer types and CPU kernels that module.c registers. */
extern const struct cnn_layer_type cnn_layers_conv2d_type;
extern const struct cnn_layer_kernels cnn_layers_conv2d_cpu;
extern const struct cnn_layer_type cnn_layers_linear_type;
extern const struct cnn_layer_kernels cnn_layers_linear_cpu;
extern const struct cnn_layer_type cnn_layers_maxpool2d_type;
extern const struct cnn_layer_kernels cnn_layers_maxpool2d_cpu;
extern const struct cnn_layer_type cnn_layers_avgpool2d_type;
extern const struct cnn_layer_kernels cnn_layers_avgpool2d_cpu;
extern const struct cnn_layer_type cnn_layers_relu_type;
extern const struct cnn_layer_kernels cnn_layers_relu_cpu;
extern const struct cnn_layer_type cnn_layers_leaky_relu_type;
extern const struct cnn_layer_kernels cnn_layers_leaky_relu_cpu;
extern const struct cnn_layer_type cnn_layers_globalpool_type;
extern const struct cnn_layer_kernels cnn_layers_globalpool_cpu;
extern const struct cnn_layer_type cnn_layers_flatten_type;
extern const struct cnn_layer_kernels cnn_layers_flatten_cpu;
extern const struct cnn_layer_type cnn_layers_dropout_type;
extern const struct cnn_layer_kernels cnn_layers_dropout_cpu;
extern const struct cnn_layer_type cnn_layers_batchnorm2d_type;
extern const struct cnn_layer_kernels cnn_layers_batchnorm2d_cpu;
extern const struct cnn_layer_type cnn_layers_batchnorm1d_type;
extern const struct cnn_layer_kernels cnn_layers_batchnorm1d_cpu;

#endif
