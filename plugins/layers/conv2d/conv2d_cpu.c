/* cnnlab layers module — conv2d's CPU kernels: oneDNN's direct
 * convolution (conv2d.c, run by weighted.c) for everything, and for the
 * 3x3 and 5x5, stride 1, dilation 1 convolutions with enough input
 * channels to gain from it, the Winograd kernels (conv2d_winograd*.c):
 * the forward, and where the padding is at most kernel - 1 the backward
 * too. */
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "conv2d.h"
#include "conv2d_winograd.h"

/* `algorithm: auto` takes Winograd from this many input channels on: with
 * fewer, the transforms and the products' overhead cost more than the
 * fewer multiply-adds save (2.25x fewer for F(2x2, 3x3), 100 against 36
 * for F(2x2, 5x5)). Both thresholds were measured on the study's shapes,
 * forward and backward; the timings are in bench/RESULTS.md, "Winograd
 * convolutions" and "Winograd backward, and 5×5". */
enum { CONV2D_WINOGRAD_MIN_IN = 32, CONV2D_WINOGRAD5_MIN_IN = 16 };

int cnn_conv2d_winograd_fits(const struct cnn_conv2d_settings *c)
{
    return (c->kernel_h == 3 || c->kernel_h == 5) &&
           c->kernel_w == c->kernel_h && c->stride_h == 1 &&
           c->stride_w == 1 && c->dilation_h == 1 && c->dilation_w == 1;
}

/* Whether the forwards (and where it can, backward) run Winograd, for
 * `in` input channels. */
static int conv2d_uses_winograd(const struct cnn_conv2d_settings *c, int in)
{
    switch (c->algorithm) {
    case CNN_CONV2D_DIRECT:
        return 0;
    case CNN_CONV2D_WINOGRAD:
        return 1;
    case CNN_CONV2D_AUTO:
        break;
    }
    int least = c->kernel_h == 5 ? CONV2D_WINOGRAD5_MIN_IN
                                 : CONV2D_WINOGRAD_MIN_IN;
    return cnn_conv2d_winograd_fits(c) && in >= least;
}

/* Backward's input gradient runs as a Winograd convolution padded by
 * kernel - 1 - padding, so only up to padding kernel - 1. */
static int conv2d_backward_fits(const struct cnn_conv2d_settings *c)
{
    return c->pad_h <= c->kernel_h - 1 && c->pad_w <= c->kernel_w - 1;
}

/* layer->kernel_state. weighted.c's kernels find their state (`direct`)
 * in layer->kernel_state, so the calls below lend it to them for the
 * call and take the dispatch's back afterwards. */
struct conv2d_cpu {
    struct cnn_onednn_weighted *direct;
    struct cnn_winograd *winograd; /* NULL: the forwards run direct */
    /* The input gradient's convolution; NULL: backward runs direct. */
    struct cnn_winograd *input_gradient;
};

static void conv2d_cpu_release(struct cnn_layer *layer)
{
    struct conv2d_cpu *cpu = layer->kernel_state;
    if (!cpu)
        return;
    layer->kernel_state = cpu->direct;
    cnn_onednn_weighted_release(layer);
    cnn_winograd_destroy(cpu->winograd);
    cnn_winograd_destroy(cpu->input_gradient);
    free(cpu);
    layer->kernel_state = NULL;
}

static int conv2d_cpu_prepare(struct cnn_context *ctx,
                              struct cnn_layer *layer, int batch,
                              struct cnn_error *err)
{
    const struct cnn_conv2d_settings *c = layer->state;
    struct conv2d_cpu *cpu = layer->kernel_state;
    if (cpu && cpu->direct->batch == batch)
        return 0;
    conv2d_cpu_release(layer);
    cpu = calloc(1, sizeof *cpu);
    if (!cpu)
        return cnn_error_set(err, "layer %s: out of memory", layer->name);
    if (cnn_conv2d_direct_prepare(ctx, layer, batch, err)) {
        free(cpu);
        return -1;
    }
    cpu->direct = layer->kernel_state;
    layer->kernel_state = cpu;

    if (!conv2d_uses_winograd(c, layer->input.c))
        return 0;
    int backward = conv2d_backward_fits(c);
    struct cnn_winograd_shape forward = {
        .kernel = c->kernel_h, .batch = batch, .in = layer->input.c,
        .out = c->out,
        .in_h = layer->input.h, .in_w = layer->input.w,
        .out_h = layer->output.h, .out_w = layer->output.w,
        .pad_h = c->pad_h, .pad_w = c->pad_w,
        .bias = c->bias, .relu = c->relu,
        .weight_gradient = backward,
    };
    int threads = ctx && ctx->threads > 0 ? ctx->threads : 1;
#ifdef _OPENMP
    if (!ctx || ctx->threads <= 0)
        threads = omp_get_max_threads();
#endif
    if (cnn_winograd_create(&cpu->winograd, &forward, threads, layer, err) ||
        (backward &&
         cnn_winograd_create_input_gradient(&cpu->input_gradient,
                                            cpu->winograd, layer, err))) {
        conv2d_cpu_release(layer);
        return -1;
    }
    return 0;
}

static struct conv2d_cpu *conv2d_cpu_state(struct cnn_layer *layer,
                                           struct cnn_error *err)
{
    if (!layer->kernel_state)
        cnn_error_set(err, "layer %s (%s): forward/backward before prepare",
                      layer->name, layer->type->name);
    return layer->kernel_state;
}

static int conv2d_cpu_forward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              struct cnn_tensor *y, int training,
                              struct cnn_error *err)
{
    struct conv2d_cpu *cpu = conv2d_cpu_state(layer, err);
    if (!cpu)
        return -1;
    if (!cpu->winograd) {
        layer->kernel_state = cpu->direct;
        int status = cnn_onednn_weighted_forward(ctx, layer, x, y, training,
                                                 err);
        layer->kernel_state = cpu;
        return status;
    }
    const struct cnn_conv2d_settings *c = layer->state;
    struct cnn_onednn_weighted *direct = cpu->direct;
    if (cnn_check_tensor(x, layer->input, direct->batch, "input", layer,
                         err) ||
        cnn_check_tensor(y, layer->output, direct->batch, "output", layer,
                         err))
        return -1;
    /* The direct forward leaves its reordered x and w for backward; this
     * one leaves none, so backward must reorder its own (`training` makes
     * no difference here). */
    direct->kept = 0;
    cnn_onednn_set_threads(ctx);
    return cnn_winograd_forward(cpu->winograd, x->data, y->data,
                                layer->tensors[0].data,
                                c->bias ? layer->tensors[1].data : NULL,
                                layer, err);
}

static int conv2d_cpu_backward(struct cnn_context *ctx,
                               struct cnn_layer *layer,
                               const struct cnn_tensor *x,
                               const struct cnn_tensor *y,
                               const struct cnn_tensor *dy,
                               struct cnn_tensor *dx, struct cnn_error *err)
{
    struct conv2d_cpu *cpu = conv2d_cpu_state(layer, err);
    if (!cpu)
        return -1;
    if (!cpu->input_gradient) {
        layer->kernel_state = cpu->direct;
        int status =
            cnn_onednn_weighted_backward(ctx, layer, x, y, dy, dx, err);
        layer->kernel_state = cpu;
        return status;
    }
    const struct cnn_conv2d_settings *c = layer->state;
    if (cnn_onednn_weighted_check_backward(cpu->direct, layer, x, y, dy, dx,
                                           err))
        return -1;
    cnn_onednn_set_threads(ctx);
    const float *gradient =
        cnn_onednn_weighted_masked_gradient(cpu->direct, y, dy);
    const float *weight = layer->tensors[0].data;
    if (cnn_winograd_weight_gradient(cpu->winograd, x->data, gradient,
                                     layer->tensors[0].grad,
                                     c->bias ? layer->tensors[1].grad : NULL,
                                     layer, err))
        return -1;
    return dx ? cnn_winograd_input_gradient(cpu->input_gradient, gradient,
                                            dx->data, weight, layer, err)
              : 0;
}

const struct cnn_layer_kernels cnn_layers_conv2d_cpu = {
    .layer = "conv2d",
    .device = CNN_DEVICE_CPU,
    .prepare = conv2d_cpu_prepare,
    .forward = conv2d_cpu_forward,
    .backward = conv2d_cpu_backward,
    .release = conv2d_cpu_release,
};
