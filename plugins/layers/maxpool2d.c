/* cnnlab layers — maxpool2d: 2-D max pooling (PyTorch's nn.MaxPool2d with
 * dilation 1 and ceil_mode False); CPU kernels on oneDNN pooling. */
#include <stdio.h>
#include <stdlib.h>

#include "onednn.h"

struct maxpool2d_config {
    int kernel_h, kernel_w;
    int stride_h, stride_w; /* resolved: 0 in the manifest means kernel */
    int pad_h, pad_w;
};

static const struct cnn_param_spec maxpool2d_params[] = {
    {"kernel", CNN_PARAM_INT_PAIR, NULL, 1, 1024, NULL,
     "window size: k or [kh, kw]"},
    {"stride", CNN_PARAM_INT_PAIR, "0", 0, 1024, NULL,
     "step between windows: s or [sh, sw]; 0 (the default) means the "
     "kernel size, as in PyTorch"},
    {"padding", CNN_PARAM_INT_PAIR, "0", 0, 1024, NULL,
     "-inf padding on each side: p or [ph, pw], at most half the kernel"},
};

/* floor((size + 2 pad - kernel) / stride) + 1, or 0 when it does not fit. */
static int maxpool2d_output_size(int size, int kernel, int stride, int pad)
{
    long room = (long)size + 2L * pad - kernel;
    return room < 0 ? 0 : (int)(room / stride + 1);
}

static int maxpool2d_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    const struct cnn_params *p = &layer->params;
    struct maxpool2d_config c;

    cnn_param_pair(p, "kernel", &c.kernel_h, &c.kernel_w);
    cnn_param_pair(p, "stride", &c.stride_h, &c.stride_w);
    cnn_param_pair(p, "padding", &c.pad_h, &c.pad_w);
    if (c.stride_h == 0)
        c.stride_h = c.kernel_h;
    if (c.stride_w == 0)
        c.stride_w = c.kernel_w;
    /* PyTorch's rule: a window must never lie wholly in the padding. */
    if (c.pad_h > c.kernel_h / 2 || c.pad_w > c.kernel_w / 2)
        return cnn_error_at(err, layer->mark,
                            "layer %s (maxpool2d): padding (%d, %d) is more "
                            "than half the kernel (%d, %d); use padding at "
                            "most (%d, %d) or a larger kernel",
                            layer->name, c.pad_h, c.pad_w, c.kernel_h,
                            c.kernel_w, c.kernel_h / 2, c.kernel_w / 2);

    int out_h = maxpool2d_output_size(layer->input.h, c.kernel_h, c.stride_h,
                                      c.pad_h);
    int out_w = maxpool2d_output_size(layer->input.w, c.kernel_w, c.stride_w,
                                      c.pad_w);
    if (out_h < 1 || out_w < 1)
        return cnn_layer_shape_error(
            layer, err,
            "the kernel (%d, %d) is larger than the %dx%d input plus "
            "padding (%d, %d); the largest kernel that fits is (%d, %d)",
            c.kernel_h, c.kernel_w, layer->input.h, layer->input.w, c.pad_h,
            c.pad_w, layer->input.h + 2 * c.pad_h,
            layer->input.w + 2 * c.pad_w);
    layer->output = (struct cnn_shape){layer->input.c, out_h, out_w};

    struct maxpool2d_config *state = malloc(sizeof *state);
    if (!state)
        return cnn_error_set(err, "layer %s: out of memory", layer->name);
    *state = c;
    free(layer->state);
    layer->state = state;
    return 0;
}

static void maxpool2d_destroy(struct cnn_layer *layer)
{
    free(layer->state);
    layer->state = NULL;
}

/* PyTorch prints what the module was given: one int for a square window. */
static void format_pair(char *buf, size_t size, int first, int second)
{
    if (first == second)
        snprintf(buf, size, "%d", first);
    else
        snprintf(buf, size, "(%d, %d)", first, second);
}

static int maxpool2d_describe(const struct cnn_layer *layer, char *buf,
                              size_t size)
{
    const struct maxpool2d_config *c = layer->state;
    char kernel[32], stride[32], padding[32];
    format_pair(kernel, sizeof kernel, c->kernel_h, c->kernel_w);
    format_pair(stride, sizeof stride, c->stride_h, c->stride_w);
    format_pair(padding, sizeof padding, c->pad_h, c->pad_w);
    return snprintf(buf, size,
                    "MaxPool2d(kernel_size=%s, stride=%s, padding=%s, "
                    "dilation=1, ceil_mode=False)",
                    kernel, stride, padding);
}

static void maxpool2d_geometry(const struct cnn_layer *layer,
                               struct cnn_geometry *g)
{
    const struct maxpool2d_config *c = layer->state;
    *g = (struct cnn_geometry){
        .kind = CNN_GEOMETRY_WINDOW,
        .kernel_h = c->kernel_h, .kernel_w = c->kernel_w,
        .stride_h = c->stride_h, .stride_w = c->stride_w,
        .pad_h = c->pad_h, .pad_w = c->pad_w,
        .dilation_h = 1, .dilation_w = 1,
    };
}

/* CPU kernels. oneDNN's fast (jit) pooling wants channel-blocked data;
 * on plain NCHW it falls back to a generic loop several times slower than
 * a reorder to the blocked layout and back. So the kernels reorder x in
 * and y out (and dy in, dx out), through two blocked buffers allocated
 * once per batch size. The training forward records where each maximum
 * came from in oneDNN's workspace; backward routes dy through it. */
struct maxpool2d_kernel_state {
    int batch;
    int workspace_valid; /* 1 after a training forward */
    struct cnn_onednn_primitive forward_training, forward_inference;
    struct cnn_onednn_primitive backward;
    struct cnn_onednn_primitive src_in, dst_out;  /* nchw <-> blocked */
    struct cnn_onednn_primitive diff_dst_in, diff_src_out;
    dnnl_memory_t plain_src, plain_dst; /* the caller's x/dx, y/dy */
    dnnl_memory_t blocked_src;  /* (batch, c, h, w): x, then dx */
    dnnl_memory_t blocked_dst;  /* (batch, c, oh, ow): y, then dy */
    dnnl_memory_t workspace;
};

static void maxpool2d_release(struct cnn_layer *layer)
{
    struct maxpool2d_kernel_state *k = layer->kernel_state;
    if (!k)
        return;
    struct cnn_onednn_primitive *primitives[] = {
        &k->forward_training, &k->forward_inference, &k->backward,
        &k->src_in, &k->dst_out, &k->diff_dst_in, &k->diff_src_out,
    };
    for (size_t i = 0; i < sizeof primitives / sizeof *primitives; i++)
        cnn_onednn_primitive_destroy(primitives[i]);
    cnn_onednn_memory_destroy(&k->plain_src);
    cnn_onednn_memory_destroy(&k->plain_dst);
    cnn_onednn_memory_destroy(&k->blocked_src);
    cnn_onednn_memory_destroy(&k->blocked_dst);
    cnn_onednn_memory_destroy(&k->workspace);
    free(k);
    layer->kernel_state = NULL;
}

static int maxpool2d_create(struct maxpool2d_kernel_state *k,
                            struct cnn_layer *layer, int batch,
                            struct cnn_error *err)
{
    const struct maxpool2d_config *c = layer->state;
    dnnl_memory_desc_t src, dst, blocked_src, blocked_dst;
    dnnl_pooling_desc_t desc;
    dnnl_dims_t strides = {c->stride_h, c->stride_w};
    dnnl_dims_t kernel = {c->kernel_h, c->kernel_w};
    /* padding_r = padding_l: oneDNN floors the output size like PyTorch. */
    dnnl_dims_t padding = {c->pad_h, c->pad_w};

    if (cnn_onednn_md_nchw(&src, batch, layer->input, layer, err) ||
        cnn_onednn_md_nchw(&dst, batch, layer->output, layer, err) ||
        cnn_onednn_md_blocked(&blocked_src, batch, layer->input, layer,
                              err) ||
        cnn_onednn_md_blocked(&blocked_dst, batch, layer->output, layer,
                              err) ||
        CNN_ONEDNN(layer, err, dnnl_pooling_forward_desc_init, &desc,
                   dnnl_forward_training, dnnl_pooling_max, &blocked_src,
                   &blocked_dst, strides, kernel, padding, padding) ||
        cnn_onednn_primitive_create(&k->forward_training, &desc, NULL, NULL,
                                    "pooling forward", layer, err) ||
        CNN_ONEDNN(layer, err, dnnl_pooling_forward_desc_init, &desc,
                   dnnl_forward_inference, dnnl_pooling_max, &blocked_src,
                   &blocked_dst, strides, kernel, padding, padding) ||
        cnn_onednn_primitive_create(&k->forward_inference, &desc, NULL, NULL,
                                    "pooling inference", layer, err) ||
        CNN_ONEDNN(layer, err, dnnl_pooling_backward_desc_init, &desc,
                   dnnl_pooling_max, &blocked_src, &blocked_dst, strides,
                   kernel, padding, padding) ||
        cnn_onednn_primitive_create(&k->backward, &desc, NULL,
                                    &k->forward_training, "pooling backward",
                                    layer, err) ||
        cnn_onednn_reorder_create(&k->src_in, &src, &blocked_src,
                                  "input reorder", layer, err) ||
        cnn_onednn_reorder_create(&k->dst_out, &blocked_dst, &dst,
                                  "output reorder", layer, err) ||
        cnn_onednn_reorder_create(&k->diff_dst_in, &dst, &blocked_dst,
                                  "output gradient reorder", layer, err) ||
        cnn_onednn_reorder_create(&k->diff_src_out, &blocked_src, &src,
                                  "input gradient reorder", layer, err))
        return -1;

    const dnnl_memory_desc_t *workspace = dnnl_primitive_desc_query_md(
        k->forward_training.desc, dnnl_query_workspace_md, 0);
    if (!workspace)
        return cnn_error_set(err, "layer %s (maxpool2d): oneDNN "
                             "dnnl_primitive_desc_query_md gave no workspace"
                             " descriptor", layer->name);
    if (cnn_onednn_memory(&k->plain_src, &src, layer, err) ||
        cnn_onednn_memory(&k->plain_dst, &dst, layer, err) ||
        cnn_onednn_memory_owned(&k->blocked_src, &blocked_src, layer, err) ||
        cnn_onednn_memory_owned(&k->blocked_dst, &blocked_dst, layer, err) ||
        cnn_onednn_memory_owned(&k->workspace, workspace, layer, err))
        return cnn_error_prefix(err, "a batch of %d may be too large: ",
                                batch);
    return 0;
}

static int maxpool2d_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                             int batch, struct cnn_error *err)
{
    struct maxpool2d_kernel_state *k = layer->kernel_state;
    if (k && k->batch == batch)
        return 0;
    maxpool2d_release(layer);
    if (batch < 1)
        return cnn_error_set(err, "layer %s (maxpool2d): batch size %d (must"
                             " be at least 1)", layer->name, batch);
    k = calloc(1, sizeof *k);
    if (!k)
        return cnn_error_set(err, "layer %s: out of memory", layer->name);
    k->batch = batch;
    layer->kernel_state = k;
    cnn_onednn_set_threads(ctx);
    if (maxpool2d_create(k, layer, batch, err)) {
        maxpool2d_release(layer);
        return -1;
    }
    return 0;
}

static struct maxpool2d_kernel_state *
maxpool2d_state(struct cnn_layer *layer, struct cnn_error *err)
{
    if (!layer->kernel_state)
        cnn_error_set(err, "layer %s (maxpool2d): forward/backward before "
                      "prepare", layer->name);
    return layer->kernel_state;
}

/* Runs a reorder between a caller's buffer (bound to `plain`) and a
 * blocked one. */
static int maxpool2d_reorder(const struct cnn_onednn_primitive *reorder,
                             dnnl_memory_t from, dnnl_memory_t to,
                             const char *what, struct cnn_layer *layer,
                             struct cnn_error *err)
{
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    return cnn_onednn_execute(reorder, 2, args, what, layer, err);
}

static int maxpool2d_forward(struct cnn_context *ctx,
                             struct cnn_layer *layer,
                             const struct cnn_tensor *x,
                             struct cnn_tensor *y, int training,
                             struct cnn_error *err)
{
    struct maxpool2d_kernel_state *k = maxpool2d_state(layer, err);
    if (!k ||
        cnn_check_tensor(x, layer->input, k->batch, "input", layer, err) ||
        cnn_check_tensor(y, layer->output, k->batch, "output", layer, err))
        return -1;
    cnn_onednn_set_threads(ctx);
    if (cnn_onednn_bind(k->plain_src, x->data, layer, err) ||
        cnn_onednn_bind(k->plain_dst, y->data, layer, err) ||
        maxpool2d_reorder(&k->src_in, k->plain_src, k->blocked_src,
                          "input reorder", layer, err))
        return -1;
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, k->blocked_src},
        {DNNL_ARG_DST, k->blocked_dst},
        {DNNL_ARG_WORKSPACE, k->workspace},
    };
    k->workspace_valid = 0;
    if (training ? cnn_onednn_execute(&k->forward_training, 3, args,
                                      "pooling forward", layer, err)
                 : cnn_onednn_execute(&k->forward_inference, 2, args,
                                      "pooling inference", layer, err))
        return -1;
    k->workspace_valid = training;
    return maxpool2d_reorder(&k->dst_out, k->blocked_dst, k->plain_dst,
                             "output reorder", layer, err);
}

static int maxpool2d_backward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              const struct cnn_tensor *y,
                              const struct cnn_tensor *dy,
                              struct cnn_tensor *dx, struct cnn_error *err)
{
    (void)x;
    (void)y;
    struct maxpool2d_kernel_state *k = maxpool2d_state(layer, err);
    if (!k)
        return -1;
    /* No parameters: without dx there is nothing to compute. */
    if (!dx)
        return 0;
    if (cnn_check_tensor(dy, layer->output, k->batch, "output gradient",
                         layer, err) ||
        cnn_check_tensor(dx, layer->input, k->batch, "input gradient", layer,
                         err))
        return -1;
    if (!k->workspace_valid)
        return cnn_error_set(err, "layer %s (maxpool2d): backward needs the "
                             "workspace of a training forward, and the last "
                             "forward was not one", layer->name);
    cnn_onednn_set_threads(ctx);
    if (cnn_onednn_bind(k->plain_dst, dy->data, layer, err) ||
        cnn_onednn_bind(k->plain_src, dx->data, layer, err) ||
        maxpool2d_reorder(&k->diff_dst_in, k->plain_dst, k->blocked_dst,
                          "output gradient reorder", layer, err))
        return -1;
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_DIFF_DST, k->blocked_dst},
        {DNNL_ARG_WORKSPACE, k->workspace},
        {DNNL_ARG_DIFF_SRC, k->blocked_src},
    };
    if (cnn_onednn_execute(&k->backward, 3, args, "pooling backward", layer,
                           err))
        return -1;
    return maxpool2d_reorder(&k->diff_src_out, k->blocked_src, k->plain_src,
                             "input gradient reorder", layer, err);
}

const struct cnn_layer_type cnn_layers_maxpool2d_type = {
    .name = "maxpool2d",
    .name_prefix = "pool",
    .summary_name = "MaxPool2d",
    .help = "2-D max pooling (PyTorch nn.MaxPool2d); stride defaults to the "
            "kernel size",
    .params = maxpool2d_params,
    .param_count = sizeof maxpool2d_params / sizeof *maxpool2d_params,
    .setup = maxpool2d_setup,
    .destroy = maxpool2d_destroy,
    .describe = maxpool2d_describe,
    .geometry = maxpool2d_geometry,
};

const struct cnn_layer_kernels cnn_layers_maxpool2d_cpu = {
    .layer = "maxpool2d",
    .device = CNN_DEVICE_CPU,
    .prepare = maxpool2d_prepare,
    .forward = maxpool2d_forward,
    .backward = maxpool2d_backward,
    .release = maxpool2d_release,
};
