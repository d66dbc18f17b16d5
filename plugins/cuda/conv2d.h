/* cnnlab CUDA module — conv2d's state, shared by its kernels (conv2d.c)
 * and the making of its per-batch plans (conv2d_plan.c): cuDNN
 * descriptors and the algorithms chosen for them. */
#ifndef CNNLAB_CUDA_CONV2D_H
#define CNNLAB_CUDA_CONV2D_H

#include "backend.h"
#include "cnnlab/builtin_layers.h"

/* Batch sizes a layer keeps plans for (training, the last short batch,
 * evaluation, ...); a plan is dropped only when more are asked for. */
#define CONV2D_PLANS 8

/* Everything for one batch size. Each direction has its own convolution
 * descriptor because each carries its algorithm's math type. */
struct conv2d_plan {
    int batch;
    unsigned long last_used;
    cudnnTensorDescriptor_t x, y;
    cudnnConvolutionDescriptor_t forward, backward_data, backward_filter;
    cudnnConvolutionFwdAlgo_t forward_algo;
    cudnnConvolutionBwdDataAlgo_t backward_data_algo;
    cudnnConvolutionBwdFilterAlgo_t backward_filter_algo;
    size_t workspace; /* the most the three algorithms need */
    float *masked_dy; /* (batch, out, oh, ow): dy through the ReLU */
};

struct conv2d_state {
    /* The layer's settings, copied in the first prepare (they do not
     * change after setup); the input channels are layer->input.c. */
    struct cnn_conv2d_settings c;
    cudnnFilterDescriptor_t weight; /* (out, in, kh, kw) */
    unsigned long uses;
    int plan_count;
    struct conv2d_plan plans[CONV2D_PLANS];
};

/* Fills `plan` (zeroed) for batches of `batch`: descriptors, algorithms,
 * workspace reserved in the shared arena, the masked-gradient buffer.
 * On failure the caller frees it with conv2d_plan_free. */
int conv2d_plan_make(struct cuda_backend *b, struct conv2d_state *k,
                     struct conv2d_plan *plan, const struct cnn_layer *layer,
                     int batch, struct cnn_error *err);
void conv2d_plan_free(struct conv2d_plan *plan);

#endif
