/* cnnlab layers — conv2d: 2-D convolution (PyTorch's nn.Conv2d, groups 1,
 * zero padding), optionally with a fused ReLU; CPU kernels on oneDNN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"

static const struct cnn_param_spec conv2d_params[] = {
    {"out", CNN_PARAM_INT, NULL, 1, 65536, NULL,
     "output channels (number of filters)"},
    {"kernel", CNN_PARAM_INT_PAIR, NULL, 1, 1024, NULL,
     "kernel size: k or [kh, kw]"},
    {"stride", CNN_PARAM_INT_PAIR, "1", 1, 1024, NULL,
     "step between windows: s or [sh, sw]"},
    {"padding", CNN_PARAM_INT_PAIR, "0", 0, 1024, "same",
     "zeros added on each side: p or [ph, pw]; same (stride 1 only) keeps "
     "the input's size, with an odd total's extra zero at the bottom and "
     "right, as in PyTorch"},
    {"dilation", CNN_PARAM_INT_PAIR, "1", 1, 1024, NULL,
     "spacing between kernel taps: d or [dh, dw]"},
    {"bias", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "learn a bias per output channel"},
    {"activation", CNN_PARAM_CHOICE, "none", 0, 0, "none|relu",
     "activation fused into the convolution"},
    {"algorithm", CNN_PARAM_CHOICE, "auto", 0, 0, "auto|direct|winograd",
     "CPU algorithm: winograd (Winograd F(2x2, 3x3) or F(2x2, 5x5) "
     "forward and, with padding up to kernel - 1, backward; kernel 3 or 5, "
     "stride 1, dilation 1 only), direct (oneDNN), or auto: winograd for "
     "those from 32 (3x3) or 16 (5x5) input channels on"},
};

/* floor((size + before + after - dilation (kernel - 1) - 1) / stride) + 1,
 * or 0 when the dilated kernel does not fit the padded input. */
static int conv2d_output_size(int size, int kernel, int stride, int before,
                              int after, int dilation)
{
    long span = (long)dilation * (kernel - 1) + 1;
    long room = (long)size + before + after - span;
    return room < 0 ? 0 : (int)(room / stride + 1);
}

/* `padding`: numbers, the same on both sides, or `same`: PyTorch
 * (at::_convolution_mode) splits the dilated span less one into half
 * (rounded down) before and the rest after, so that the output keeps the
 * input's size; it refuses `same` with a stride, and so does this. */
static int conv2d_padding(struct cnn_layer *layer,
                          struct cnn_conv2d_settings *c,
                          struct cnn_error *err)
{
    const struct cnn_params *p = &layer->params;
    c->same = cnn_param_word(p, "padding") != NULL;
    if (!c->same) {
        cnn_param_pair(p, "padding", &c->pad_h, &c->pad_w);
        c->pad_bottom = c->pad_h;
        c->pad_right = c->pad_w;
        return 0;
    }
    int total_h = c->dilation_h * (c->kernel_h - 1);
    int total_w = c->dilation_w * (c->kernel_w - 1);
    c->pad_h = total_h / 2;
    c->pad_w = total_w / 2;
    c->pad_bottom = total_h - c->pad_h;
    c->pad_right = total_w - c->pad_w;
    if (c->stride_h == 1 && c->stride_w == 1)
        return 0;
    return cnn_error_at(err, layer->mark,
                        "layer %s (conv2d): padding: same needs stride 1 "
                        "(PyTorch refuses it for strided convolutions), "
                        "but stride is (%d, %d); use stride 1, or give the "
                        "padding as numbers (same would pad (%d, %d) before "
                        "and (%d, %d) after)",
                        layer->name, c->stride_h, c->stride_w, c->pad_h,
                        c->pad_w, c->pad_bottom, c->pad_right);
}

/* The largest kernel whose dilated span fits size + 2 pad. */
static int conv2d_largest_kernel(int size, int pad, int dilation)
{
    return (int)(((long)size + 2L * pad - 1) / dilation + 1);
}

/* The smallest padding that lets the kernel fit. */
static int conv2d_padding_needed(int size, int kernel, int dilation)
{
    long span = (long)dilation * (kernel - 1) + 1;
    return span <= size ? 0 : (int)((span - size + 1) / 2);
}

/* The kernel does not fit: say by how much, and what would fit. */
static int conv2d_shape_error(const struct cnn_layer *layer,
                              const struct cnn_conv2d_settings *c,
                              struct cnn_error *err)
{
    int h = layer->input.h, w = layer->input.w;
    int need_h = conv2d_padding_needed(h, c->kernel_h, c->dilation_h);
    int need_w = conv2d_padding_needed(w, c->kernel_w, c->dilation_w);
    return cnn_layer_shape_error(
        layer, err,
        "kernel (%d, %d) with dilation (%d, %d) spans %dx%d, more than the "
        "%dx%d input plus padding (%d, %d); the largest kernel that fits is "
        "(%d, %d), or use padding (%d, %d)",
        c->kernel_h, c->kernel_w, c->dilation_h, c->dilation_w,
        c->dilation_h * (c->kernel_h - 1) + 1,
        c->dilation_w * (c->kernel_w - 1) + 1, h, w, c->pad_h, c->pad_w,
        conv2d_largest_kernel(h, c->pad_h, c->dilation_h),
        conv2d_largest_kernel(w, c->pad_w, c->dilation_w),
        need_h > c->pad_h ? need_h : c->pad_h,
        need_w > c->pad_w ? need_w : c->pad_w);
}

static int conv2d_setup(struct cnn_layer *layer, struct cnn_error *err)
{
    const struct cnn_params *p = &layer->params;
    struct cnn_conv2d_settings c;

    memset(&c, 0, sizeof c);
    c.out = (int)cnn_param_int(p, "out");
    cnn_param_pair(p, "kernel", &c.kernel_h, &c.kernel_w);
    cnn_param_pair(p, "stride", &c.stride_h, &c.stride_w);
    cnn_param_pair(p, "dilation", &c.dilation_h, &c.dilation_w);
    if (conv2d_padding(layer, &c, err))
        return -1;
    c.bias = cnn_param_bool(p, "bias");
    c.relu = strcmp(cnn_param_string(p, "activation"), "relu") == 0;
    const char *algorithm = cnn_param_string(p, "algorithm");
    c.algorithm = strcmp(algorithm, "direct") == 0     ? CNN_CONV2D_DIRECT
                  : strcmp(algorithm, "winograd") == 0 ? CNN_CONV2D_WINOGRAD
                                                       : CNN_CONV2D_AUTO;
    if (c.algorithm == CNN_CONV2D_WINOGRAD &&
        !cnn_conv2d_winograd_fits(&c))
        return cnn_error_set(err, "layer %s (conv2d): algorithm: winograd "
                             "needs kernel 3 or 5, stride 1 and dilation 1, but "
                             "this layer has kernel (%d, %d), stride (%d, "
                             "%d), dilation (%d, %d); use algorithm: auto "
                             "or direct", layer->name, c.kernel_h,
                             c.kernel_w, c.stride_h, c.stride_w,
                             c.dilation_h, c.dilation_w);

    int out_h = conv2d_output_size(layer->input.h, c.kernel_h, c.stride_h,
                                   c.pad_h, c.pad_bottom, c.dilation_h);
    int out_w = conv2d_output_size(layer->input.w, c.kernel_w, c.stride_w,
                                   c.pad_w, c.pad_right, c.dilation_w);
    if (out_h < 1 || out_w < 1)
        return conv2d_shape_error(layer, &c, err);
    layer->output = (struct cnn_shape){c.out, out_h, out_w};

    int in = layer->input.c;
    int weight_dims[4] = {c.out, in, c.kernel_h, c.kernel_w};
    if (cnn_layer_add_weight_and_bias(layer, 4, weight_dims,
                                      (double)in * c.kernel_h * c.kernel_w,
                                      c.bias, err) < 0)
        return -1;
    return cnn_layer_keep_state(layer, &c, sizeof c, err);
}

static int conv2d_describe(const struct cnn_layer *layer, char *buf,
                           size_t size)
{
    const struct cnn_conv2d_settings *c = layer->state;
    char padding[48] = "", dilation[48] = "";
    /* PyTorch keeps the text 'same' as the module's padding and prints
     * it bare, even where it means no zeros (kernel 1). */
    if (c->same)
        snprintf(padding, sizeof padding, ", padding=same");
    else if (c->pad_h != 0 || c->pad_w != 0)
        snprintf(padding, sizeof padding, ", padding=(%d, %d)", c->pad_h,
                 c->pad_w);
    if (c->dilation_h != 1 || c->dilation_w != 1)
        snprintf(dilation, sizeof dilation, ", dilation=(%d, %d)",
                 c->dilation_h, c->dilation_w);
    return snprintf(buf, size,
                    "Conv2d(%d, %d, kernel_size=(%d, %d), stride=(%d, %d)"
                    "%s%s%s)",
                    layer->input.c, c->out, c->kernel_h, c->kernel_w,
                    c->stride_h, c->stride_w, padding, dilation,
                    c->bias ? "" : ", bias=False");
}

static void conv2d_geometry(const struct cnn_layer *layer,
                            struct cnn_geometry *g)
{
    const struct cnn_conv2d_settings *c = layer->state;
    *g = (struct cnn_geometry){
        .kind = CNN_GEOMETRY_WINDOW,
        .kernel_h = c->kernel_h, .kernel_w = c->kernel_w,
        .stride_h = c->stride_h, .stride_w = c->stride_w,
        .pad_h = c->pad_h, .pad_w = c->pad_w,
        .dilation_h = c->dilation_h, .dilation_w = c->dilation_w,
    };
}

/* CPU kernels: the four oneDNN convolution primitives for one batch size
 * (weighted.c runs them). On plain nchw data oneDNN has only its slow
 * gemm-based convolution; left to choose (format_tag_any) it takes its
 * jit kernels with channel-blocked layouts (nChw8c, OIhw8i8o on AVX2), and
 * weighted.c reorders between those and the caller's nchw / oihw. The
 * inference primitive is given the training one's layouts so that both
 * share the reorders.
 *
 * One exception: when the forward keeps the input plain (few input
 * channels, as in a first layer on 1 or 3 channels), the jit backward
 * weights would pad the channels to the block of 8 and do up to 8 times
 * the work; the gemm-based one on plain layouts is then 2-3x faster and
 * needs no reorders, so backward weights gets plain layouts. The choice
 * depends only on the shapes, never on timing, so results stay
 * reproducible. */
struct conv2d_geometry_dims {
    dnnl_dims_t strides, dilates, padding, padding_r;
};

static struct conv2d_geometry_dims
conv2d_dims(const struct cnn_conv2d_settings *c)
{
    /* oneDNN counts dilation from 0 (0 = taps adjacent). padding_r is
     * padding_l but for `padding: same` with an even span: oneDNN floors
     * the output size like PyTorch, so right-hand rows that no window
     * reaches are simply not read. */
    return (struct conv2d_geometry_dims){
        {c->stride_h, c->stride_w},
        {c->dilation_h - 1, c->dilation_w - 1},
        {c->pad_h, c->pad_w},
        {c->pad_bottom, c->pad_right},
    };
}

/* The plain descriptors of the caller's buffers. */
static int conv2d_plain_mds(struct cnn_layer *layer, int batch,
                            dnnl_memory_desc_t *src,
                            dnnl_memory_desc_t *weights,
                            dnnl_memory_desc_t *bias, dnnl_memory_desc_t *dst,
                            struct cnn_error *err)
{
    const struct cnn_conv2d_settings *c = layer->state;
    return cnn_onednn_md_nchw(src, batch, layer->input, layer, err) ||
                   cnn_onednn_md_nchw(dst, batch, layer->output, layer,
                                      err) ||
                   cnn_onednn_md_oihw(weights, c->out, layer->input.c,
                                      c->kernel_h, c->kernel_w, layer,
                                      err) ||
                   cnn_onednn_md_vector(bias, c->out, layer, err)
               ? -1
               : 0;
}

/* Forward for training (layouts its own choice) and for inference (the
 * same layouts). *plain_input: the forward kept x in nchw. */
static int conv2d_forward_primitives(struct cnn_onednn_weighted *k,
                                     struct cnn_layer *layer,
                                     const dnnl_memory_desc_t *src,
                                     const dnnl_memory_desc_t *any_src,
                                     const dnnl_memory_desc_t *any_weights,
                                     const dnnl_memory_desc_t *bias,
                                     const dnnl_memory_desc_t *any_dst,
                                     dnnl_primitive_attr_t attr,
                                     int *plain_input, struct cnn_error *err)
{
    struct conv2d_geometry_dims g = conv2d_dims(layer->state);
    dnnl_memory_desc_t chosen_src, chosen_weights, chosen_dst;
    dnnl_convolution_desc_t desc;
    if (CNN_ONEDNN(layer, err, dnnl_dilated_convolution_forward_desc_init,
                   &desc, dnnl_forward_training, dnnl_convolution_direct,
                   any_src, any_weights, bias, any_dst, g.strides, g.dilates,
                   g.padding, g.padding_r) ||
        cnn_onednn_primitive_create(&k->forward_training, &desc, attr, NULL,
                                    "convolution forward", layer, err) ||
        cnn_onednn_chosen_md(&chosen_src, &k->forward_training,
                             dnnl_query_src_md, layer, err) ||
        cnn_onednn_chosen_md(&chosen_weights, &k->forward_training,
                             dnnl_query_weights_md, layer, err) ||
        cnn_onednn_chosen_md(&chosen_dst, &k->forward_training,
                             dnnl_query_dst_md, layer, err) ||
        CNN_ONEDNN(layer, err, dnnl_dilated_convolution_forward_desc_init,
                   &desc, dnnl_forward_inference, dnnl_convolution_direct,
                   &chosen_src, &chosen_weights, bias, &chosen_dst,
                   g.strides, g.dilates, g.padding, g.padding_r) ||
        cnn_onednn_primitive_create(&k->forward_inference, &desc, attr, NULL,
                                    "convolution inference", layer, err))
        return -1;
    *plain_input = dnnl_memory_desc_equal(&chosen_src, src);
    return 0;
}

/* Backward data (layouts its own choice) and backward weights (given the
 * src / weights / dst descriptors it is to use: the plain ones or "any"). */
static int conv2d_backward_primitives(struct cnn_onednn_weighted *k,
                                      struct cnn_layer *layer,
                                      const dnnl_memory_desc_t *for_src,
                                      const dnnl_memory_desc_t *for_weights,
                                      const dnnl_memory_desc_t *bias,
                                      const dnnl_memory_desc_t *for_dst,
                                      const dnnl_memory_desc_t *any_src,
                                      const dnnl_memory_desc_t *any_weights,
                                      const dnnl_memory_desc_t *any_dst,
                                      struct cnn_error *err)
{
    struct conv2d_geometry_dims g = conv2d_dims(layer->state);
    dnnl_convolution_desc_t desc;
    return CNN_ONEDNN(layer, err,
                      dnnl_dilated_convolution_backward_data_desc_init, &desc,
                      dnnl_convolution_direct, any_src, any_weights, any_dst,
                      g.strides, g.dilates, g.padding, g.padding_r) ||
                   cnn_onednn_primitive_create(
                       &k->backward_data, &desc, NULL, &k->forward_training,
                       "convolution backward data", layer, err) ||
                   CNN_ONEDNN(
                       layer, err,
                       dnnl_dilated_convolution_backward_weights_desc_init,
                       &desc, dnnl_convolution_direct, for_src,
                       for_weights, bias, for_dst, g.strides,
                       g.dilates, g.padding, g.padding_r) ||
                   cnn_onednn_primitive_create(
                       &k->backward_weights, &desc, NULL,
                       &k->forward_training, "convolution backward weights",
                       layer, err)
               ? -1
               : 0;
}

static int conv2d_primitives(struct cnn_onednn_weighted *k,
                             struct cnn_layer *layer, int batch,
                             dnnl_memory_desc_t *src,
                             dnnl_memory_desc_t *weights,
                             dnnl_memory_desc_t *bias,
                             dnnl_memory_desc_t *dst,
                             dnnl_primitive_attr_t attr,
                             struct cnn_error *err)
{
    const struct cnn_conv2d_settings *c = layer->state;
    dnnl_memory_desc_t any_src, any_weights, any_dst;
    const dnnl_memory_desc_t *bias_md = c->bias ? bias : NULL;
    int plain = 0;
    if (conv2d_plain_mds(layer, batch, src, weights, bias, dst, err) ||
        cnn_onednn_md_any(&any_src, src, layer, err) ||
        cnn_onednn_md_any(&any_weights, weights, layer, err) ||
        cnn_onednn_md_any(&any_dst, dst, layer, err) ||
        conv2d_forward_primitives(k, layer, src, &any_src, &any_weights,
                                  bias_md, &any_dst, attr, &plain, err))
        return -1;
    return conv2d_backward_primitives(
        k, layer, plain ? src : &any_src, plain ? weights : &any_weights,
        bias_md, plain ? dst : &any_dst, &any_src, &any_weights, &any_dst,
        err);
}

int cnn_conv2d_direct_prepare(struct cnn_context *ctx,
                              struct cnn_layer *layer, int batch,
                              struct cnn_error *err)
{
    const struct cnn_conv2d_settings *c = layer->state;
    struct cnn_onednn_weighted *k;
    int begun = cnn_onednn_weighted_begin(ctx, layer, batch, &k, err);
    if (begun != 0)
        return begun > 0 ? 0 : -1;

    dnnl_memory_desc_t src, weights, bias, dst;
    dnnl_primitive_attr_t attr = NULL;
    int failed = cnn_onednn_relu_attr(&attr, c->relu, layer, err) ||
                 conv2d_primitives(k, layer, batch, &src, &weights, &bias,
                                   &dst, attr, err);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (failed) {
        cnn_onednn_weighted_release(layer);
        return -1;
    }
    return cnn_onednn_weighted_finish(k, &src, &weights,
                                      c->bias ? &bias : NULL, &dst, c->relu,
                                      layer, err);
}

const struct cnn_layer_type cnn_layers_conv2d_type = {
    .name = "conv2d",
    .name_prefix = "conv",
    .summary_name = "Conv2d",
    .help = "2-D convolution (PyTorch nn.Conv2d), optionally with a fused "
            "ReLU",
    .params = conv2d_params,
    .param_count = sizeof conv2d_params / sizeof *conv2d_params,
    .setup = conv2d_setup,
    .destroy = cnn_layer_free_state,
    .describe = conv2d_describe,
    .geometry = conv2d_geometry,
};
