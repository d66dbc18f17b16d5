/* cnnlab CUDA module — conv2d's plans: for one batch size, the cuDNN
 * tensor and convolution descriptors and the algorithm of each direction,
 * measured with cudnnFind* (or, when deterministic, ranked by cuDNN's
 * heuristics), with TF32 only when allowed. */
#include <string.h>

#include "conv2d.h"

/* An algorithm that needs more scratch than this is passed over. */
#define CONV2D_WORKSPACE_LIMIT ((size_t)1 << 30)

/* One cudnnFind result, whatever the direction. */
struct conv2d_choice {
    int algo;
    cudnnStatus_t status;
    size_t memory;
    cudnnDeterminism_t determinism;
    cudnnMathType_t math;
};

void conv2d_plan_free(struct conv2d_plan *plan)
{
    if (plan->x)
        cudnnDestroyTensorDescriptor(plan->x);
    if (plan->y)
        cudnnDestroyTensorDescriptor(plan->y);
    if (plan->forward)
        cudnnDestroyConvolutionDescriptor(plan->forward);
    if (plan->backward_data)
        cudnnDestroyConvolutionDescriptor(plan->backward_data);
    if (plan->backward_filter)
        cudnnDestroyConvolutionDescriptor(plan->backward_filter);
    cudaFree(plan->masked_dy);
    cudaFree(plan->padded);
    memset(plan, 0, sizeof *plan);
}

/* The fastest result that succeeded, fits the workspace limit, is
 * deterministic when asked, and does not use TF32 unless allowed (with
 * TF32 off the descriptor asks for FMA math, and cuDNN reports that). */
static int conv2d_pick(const struct conv2d_choice *choices, int count,
                       const struct cuda_backend *b, const char *direction,
                       const struct cnn_layer *layer, int batch,
                       struct conv2d_choice *picked, struct cnn_error *err)
{
    for (int i = 0; i < count; i++) {
        const struct conv2d_choice *c = &choices[i];
        if (c->status == CUDNN_STATUS_SUCCESS &&
            c->memory <= CONV2D_WORKSPACE_LIMIT &&
            (!b->options.deterministic ||
             c->determinism == CUDNN_DETERMINISTIC) &&
            (b->options.allow_tf32 || c->math == CUDNN_FMA_MATH)) {
            *picked = *c;
            return 0;
        }
    }
    return cnn_error_set(err, "layer %s: none of the %d cuDNN %s algorithms "
                         "for batches of %d qualifies (one that works%s%s "
                         "and needs at most 1 GiB of workspace)%s",
                         layer->name, count, direction, batch,
                         b->options.deterministic ? ", is deterministic" : "",
                         b->options.allow_tf32 ? "" : ", uses no TF32",
                         b->options.deterministic
                             ? ": try deterministic: false"
                             : "");
}

/* Copies n cudnn*AlgoPerf_t results (one struct type per direction, the
 * same fields) into conv2d_choices, which conv2d_pick reads. */
#define CONV2D_CHOICES(choices, perf, n)                                     \
    for (int i = 0; i < (n); i++)                                            \
        (choices)[i] = (struct conv2d_choice){                               \
            (int)(perf)[i].algo, (perf)[i].status, (perf)[i].memory,         \
            (perf)[i].determinism, (perf)[i].mathType}

/* What every direction does with its candidates: picks one and sets the
 * direction's descriptor to its math type. */
static int conv2d_settle(const struct conv2d_choice *choices, int count,
                         const struct cuda_backend *b, const char *direction,
                         const struct cnn_layer *layer, int batch,
                         cudnnConvolutionDescriptor_t conv,
                         struct conv2d_choice *picked, struct cnn_error *err)
{
    if (conv2d_pick(choices, count, b, direction, layer, batch, picked,
                    err) ||
        CUDNN_CHECK(cudnnSetConvolutionMathType(conv, picked->math),
                    layer->name, err))
        return -1;
    return 0;
}

/* Each direction below: its candidates found (measure) or ranked, the
 * pick, and the workspace it needs in *bytes. The workspace is asked
 * again, with the math type set: the heuristics' figure may be
 * missing. */
static int conv2d_choose_forward(struct cuda_backend *b,
                                 struct conv2d_state *k,
                                 struct conv2d_plan *plan,
                                 const struct cnn_layer *layer, int measure,
                                 size_t *bytes, struct cnn_error *err)
{
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    struct conv2d_choice choices[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    struct conv2d_choice picked;
    int count = 0;
    const char *where = layer->name;
    cudnnStatus_t status = (measure ? cudnnFindConvolutionForwardAlgorithm
                                    : cudnnGetConvolutionForwardAlgorithm_v7)(
        b->cudnn, plan->x, k->weight, plan->forward, plan->y,
        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf);
    if (cudnn_check(status,
                    measure ? "cudnnFindConvolutionForwardAlgorithm"
                            : "cudnnGetConvolutionForwardAlgorithm_v7",
                    where, err))
        return -1;
    CONV2D_CHOICES(choices, perf, count);
    if (conv2d_settle(choices, count, b, "forward", layer, plan->batch,
                      plan->forward, &picked, err))
        return -1;
    plan->forward_algo = (cudnnConvolutionFwdAlgo_t)picked.algo;
    if (CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
                        b->cudnn, plan->x, k->weight, plan->forward,
                        plan->y, plan->forward_algo, bytes),
                    where, err))
        return -1;
    return 0;
}

static int conv2d_choose_backward_data(struct cuda_backend *b,
                                       struct conv2d_state *k,
                                       struct conv2d_plan *plan,
                                       const struct cnn_layer *layer,
                                       int measure, size_t *bytes,
                                       struct cnn_error *err)
{
    cudnnConvolutionBwdDataAlgoPerf_t
        perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    struct conv2d_choice choices[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    struct conv2d_choice picked;
    int count = 0;
    const char *where = layer->name;
    cudnnStatus_t status =
        (measure ? cudnnFindConvolutionBackwardDataAlgorithm
                 : cudnnGetConvolutionBackwardDataAlgorithm_v7)(
            b->cudnn, k->weight, plan->y, plan->backward_data, plan->x,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf);
    if (cudnn_check(status,
                    measure ? "cudnnFindConvolutionBackwardDataAlgorithm"
                            : "cudnnGetConvolutionBackwardDataAlgorithm_v7",
                    where, err))
        return -1;
    CONV2D_CHOICES(choices, perf, count);
    if (conv2d_settle(choices, count, b, "backward-data", layer, plan->batch,
                      plan->backward_data, &picked, err))
        return -1;
    plan->backward_data_algo = (cudnnConvolutionBwdDataAlgo_t)picked.algo;
    if (CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
                        b->cudnn, k->weight, plan->y, plan->backward_data,
                        plan->x, plan->backward_data_algo, bytes),
                    where, err))
        return -1;
    return 0;
}

static int conv2d_choose_backward_filter(struct cuda_backend *b,
                                         struct conv2d_state *k,
                                         struct conv2d_plan *plan,
                                         const struct cnn_layer *layer,
                                         int measure, size_t *bytes,
                                         struct cnn_error *err)
{
    cudnnConvolutionBwdFilterAlgoPerf_t
        perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    struct conv2d_choice choices[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    struct conv2d_choice picked;
    int count = 0;
    const char *where = layer->name;
    cudnnStatus_t status =
        (measure ? cudnnFindConvolutionBackwardFilterAlgorithm
                 : cudnnGetConvolutionBackwardFilterAlgorithm_v7)(
            b->cudnn, plan->x, plan->y, plan->backward_filter, k->weight,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf);
    if (cudnn_check(status,
                    measure ? "cudnnFindConvolutionBackwardFilterAlgorithm"
                            : "cudnnGetConvolutionBackwardFilterAlgorithm_v7",
                    where, err))
        return -1;
    CONV2D_CHOICES(choices, perf, count);
    if (conv2d_settle(choices, count, b, "backward-filter", layer,
                      plan->batch, plan->backward_filter, &picked, err))
        return -1;
    plan->backward_filter_algo =
        (cudnnConvolutionBwdFilterAlgo_t)picked.algo;
    if (CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
                        b->cudnn, plan->x, plan->y, plan->backward_filter,
                        k->weight, plan->backward_filter_algo, bytes),
                    where, err))
        return -1;
    return 0;
}
#undef CONV2D_CHOICES

/* Chooses the algorithms of the three directions and sets each
 * descriptor's math type to its pick's; *workspace is the most any of
 * them needs. They are measured (cudnnFind*), except when deterministic:
 * then cuDNN's heuristics rank them, so that the choice, and with it the
 * rounding, does not depend on timing noise and two runs give the same
 * bits. */
static int conv2d_choose(struct cuda_backend *b, struct conv2d_state *k,
                         struct conv2d_plan *plan,
                         const struct cnn_layer *layer,
                         size_t *workspace, struct cnn_error *err)
{
    int measure = !b->options.deterministic;
    size_t bytes = 0;
    if (conv2d_choose_forward(b, k, plan, layer, measure, &bytes, err))
        return -1;
    *workspace = bytes;
    if (conv2d_choose_backward_data(b, k, plan, layer, measure, &bytes, err))
        return -1;
    if (bytes > *workspace)
        *workspace = bytes;
    if (conv2d_choose_backward_filter(b, k, plan, layer, measure, &bytes,
                                      err))
        return -1;
    if (bytes > *workspace)
        *workspace = bytes;
    return 0;
}

int conv2d_plan_make(struct cuda_backend *b, struct conv2d_state *k,
                     struct conv2d_plan *plan, const struct cnn_layer *layer,
                     int batch, struct cnn_error *err)
{
    const struct cnn_conv2d_settings *c = &k->c;
    const char *where = layer->name;
    cudnnConvolutionDescriptor_t *convs[3] = {
        &plan->forward, &plan->backward_data, &plan->backward_filter};
    /* Without TF32 the descriptors ask for plain FMA arithmetic: cuDNN's
     * default math would allow TF32 on Ampere and later. */
    cudnnMathType_t math =
        b->options.allow_tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
    int n = 0, channels = 0, height = 0, width = 0;

    plan->batch = batch;
    plan->extra_h = c->pad_bottom - c->pad_h;
    plan->extra_w = c->pad_right - c->pad_w;
    if (plan->extra_h < 0 || plan->extra_w < 0)
        return cnn_error_set(err, "layer %s: padding after (%d, %d) is less "
                             "than before (%d, %d), which no setting gives "
                             "(a bug in the layer's setup)", where,
                             c->pad_bottom, c->pad_right, c->pad_h,
                             c->pad_w);
    if (CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan->x), where, err) ||
        CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan->y), where, err) ||
        CUDNN_CHECK(cudnnSetTensor4dDescriptor(
                        plan->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, batch,
                        layer->input.c, layer->input.h + plan->extra_h,
                        layer->input.w + plan->extra_w),
                    where, err) ||
        CUDNN_CHECK(cudnnSetTensor4dDescriptor(
                        plan->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, batch,
                        c->out, layer->output.h, layer->output.w),
                    where, err))
        return -1;
    for (int i = 0; i < 3; i++)
        if (CUDNN_CHECK(cudnnCreateConvolutionDescriptor(convs[i]), where,
                        err) ||
            CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
                            *convs[i], c->pad_h, c->pad_w, c->stride_h,
                            c->stride_w, c->dilation_h, c->dilation_w,
                            CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                        where, err) ||
            CUDNN_CHECK(cudnnSetConvolutionMathType(*convs[i], math), where,
                        err))
            return -1;
    /* The layer type computed the output shape; cuDNN must agree. */
    if (CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(
                        plan->forward, plan->x, k->weight, &n, &channels,
                        &height, &width),
                    where, err))
        return -1;
    if (n != batch || channels != c->out || height != layer->output.h ||
        width != layer->output.w)
        return cnn_error_set(err, "layer %s: cuDNN computes an output of "
                             "[%d, %d, %d, %d], the layer type [%d, %d, %d, "
                             "%d]", layer->name, n, channels, height, width,
                             batch, layer->output.c, layer->output.h,
                             layer->output.w);
    if (conv2d_choose(b, k, plan, layer, &plan->workspace, err))
        return -1;
    if (cuda_workspace_reserve(b, plan->workspace, err))
        return cnn_error_prefix(err, "layer %s: ", layer->name);
    if (c->relu) {
        size_t bytes = (size_t)batch * cnn_shape_size(layer->output) *
                       sizeof(float);
        if (CUDA_CHECK(cudaMalloc((void **)&plan->masked_dy, bytes), where,
                       err))
            return -1;
    }
    if (plan->extra_h || plan->extra_w) {
        size_t bytes = (size_t)batch * layer->input.c *
                       (size_t)(layer->input.h + plan->extra_h) *
                       (size_t)(layer->input.w + plan->extra_w) *
                       sizeof(float);
        if (CUDA_CHECK(cudaMalloc((void **)&plan->padded, bytes), where,
                       err))
            return -1;
    }
    return 0;
}
