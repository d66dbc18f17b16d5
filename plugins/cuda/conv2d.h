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
    /* `padding: same` with an even span has one zero more after than
     * before (extra_h, extra_w: pad_bottom - pad_h, pad_right - pad_w),
     * and cuDNN pads both sides alike, so the convolution runs on this
     * copy of x, (batch, in, h + extra_h, w + extra_w), with zeros in the
     * extra rows and columns (x and the input gradient's descriptor `x`
     * is its shape). NULL when both sides are alike. */
    int extra_h, extra_w;
    float *padded;
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
