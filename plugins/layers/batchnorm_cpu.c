/* cnnlab layers — batch normalisation's CPU kernels (both batchnorm2d and
 * batchnorm1d: a sample is C planes of H*W values, H = W = 1 for 1d).
 * Plain loops rather than oneDNN's primitive: the statistics are summed
 * in double in a fixed order per channel, so a channel's numbers do not
 * depend on the thread count (threads split the channels), and the
 * arithmetic follows PyTorch's CPU kernel (accumulation in double, the
 * normalisation as x * alpha + beta with alpha and beta per channel). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/builtin_layers.h"
#include "onednn.h"

/* The kernels' state: what the last forward normalised with. */
struct batchnorm_cpu {
    int batch;      /* prepared for */
    int channels;
    int training;   /* the last forward's mode: backward follows it */
    double *mean;   /* per channel: the batch's mean, or running_mean */
    double *invstd; /* 1 / sqrt(variance + eps), of the same */
};

static void batchnorm_release(struct cnn_layer *layer)
{
    struct batchnorm_cpu *k = layer->kernel_state;
    if (!k)
        return;
    free(k->mean);
    free(k->invstd);
    free(k);
    layer->kernel_state = NULL;
}

static int batchnorm_prepare(struct cnn_context *ctx, struct cnn_layer *layer,
                             int batch, struct cnn_error *err)
{
    (void)ctx;
    if (!cnn_batchnorm_settings_of(layer, err))
        return -1;
    struct batchnorm_cpu *k = layer->kernel_state;
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k)
            return cnn_error_set(err, "layer %s: out of memory", layer->name);
        layer->kernel_state = k;
        k->channels = layer->input.c;
        k->mean = calloc((size_t)k->channels, sizeof *k->mean);
        k->invstd = calloc((size_t)k->channels, sizeof *k->invstd);
        if (!k->mean || !k->invstd) {
            batchnorm_release(layer);
            return cnn_error_set(err, "layer %s: out of memory",
                                 layer->name);
        }
    }
    k->batch = batch;
    return 0;
}

/* The buffers, by the order setup declared them. */
struct batchnorm_views {
    const float *weight, *bias; /* NULL without affine */
    float *weight_grad, *bias_grad;
    float *running_mean, *running_var;
    int64_t *tracked;
};

static struct batchnorm_views views_of(struct cnn_layer *layer,
                                       const struct cnn_batchnorm_settings *s)
{
    struct batchnorm_views v = {0};
    if (s->affine) {
        v.weight = layer->tensors[0].data;
        v.bias = layer->tensors[1].data;
        v.weight_grad = layer->tensors[0].grad;
        v.bias_grad = layer->tensors[1].grad;
    }
    v.running_mean = layer->buffers[0].data;
    v.running_var = layer->buffers[1].data;
    v.tracked = layer->buffers[2].data;
    return v;
}

static int check_buffers(const struct cnn_layer *layer,
                         const struct batchnorm_views *v,
                         struct cnn_error *err)
{
    if (!v->running_mean || !v->running_var || !v->tracked)
        return cnn_error_set(err, "layer %s (%s): its running statistics "
                             "have no memory (a bug in whatever called the "
                             "kernels: the core places buffers)",
                             layer->name, layer->type->name);
    return 0;
}

/* One channel's batch statistics: mean and biased variance over n planes
 * of `plane` values, summed in double in sample order. */
static void channel_statistics(const float *x, int n, int channels,
                               size_t plane, int ch, double *mean,
                               double *variance)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        const float *p = x + ((size_t)i * channels + ch) * plane;
        for (size_t k = 0; k < plane; k++)
            sum += p[k];
    }
    double count = (double)n * (double)plane;
    double m = sum / count, squares = 0.0;
    for (int i = 0; i < n; i++) {
        const float *p = x + ((size_t)i * channels + ch) * plane;
        for (size_t k = 0; k < plane; k++) {
            double d = p[k] - m;
            squares += d * d;
        }
    }
    *mean = m;
    *variance = squares / count;
}

/* The layer's settings and the state its prepare made, or NULL (err
 * says why) for a `pass` run before prepare. */
static struct batchnorm_cpu *prepared(struct cnn_layer *layer,
                                      const char *pass,
                                      const struct cnn_batchnorm_settings **s,
                                      struct cnn_error *err)
{
    *s = cnn_batchnorm_settings_of(layer, err);
    if (!*s)
        return NULL;
    if (!layer->kernel_state)
        cnn_error_set(err, "layer %s (%s): %s before prepare", layer->name,
                      layer->type->name, pass);
    return layer->kernel_state;
}

static int batchnorm_forward(struct cnn_context *ctx, struct cnn_layer *layer,
                             const struct cnn_tensor *x, struct cnn_tensor *y,
                             int training, struct cnn_error *err)
{
    const struct cnn_batchnorm_settings *s;
    struct batchnorm_cpu *k = prepared(layer, "forward", &s, err);
    if (!k)
        return -1;
    struct batchnorm_views v = views_of(layer, s);
    if (check_buffers(layer, &v, err) ||
        cnn_check_tensor(x, layer->input, k->batch, "input", layer, err) ||
        cnn_check_tensor(y, layer->output, k->batch, "output", layer, err))
        return -1;
    int n = x->n, channels = layer->input.c;
    size_t plane = (size_t)layer->input.h * (size_t)layer->input.w;
    double count = (double)n * (double)plane;
    /* As PyTorch: one value per channel has no variance to normalise by
     * (and no unbiased one for running_var). */
    if (training && count < 2)
        return cnn_error_set(err, "layer %s (%s): a training batch of %d "
                             "sample%s gives each channel %.0f value; batch "
                             "norm needs at least 2 (as PyTorch): use a "
                             "larger train.batch, or a data.limit that "
                             "leaves no last batch of 1",
                             layer->name, layer->type->name, n,
                             n == 1 ? "" : "s", count);
    cnn_onednn_set_threads(ctx);
    const double momentum = s->momentum, eps = s->eps;
    const float *in = x->data;
    float *out = y->data;
    size_t total = cnn_tensor_count(x);
    k->training = training;
    CNN_PARALLEL_FOR(total)
    for (int ch = 0; ch < channels; ch++) {
        double mean, invstd;
        if (training) {
            double variance;
            channel_statistics(in, n, channels, plane, ch, &mean, &variance);
            invstd = 1.0 / sqrt(variance + eps);
            double unbiased = variance * count / (count - 1.0);
            v.running_mean[ch] = (float)(momentum * mean +
                                         (1.0 - momentum) *
                                             v.running_mean[ch]);
            v.running_var[ch] = (float)(momentum * unbiased +
                                        (1.0 - momentum) *
                                            v.running_var[ch]);
        } else {
            mean = v.running_mean[ch];
            invstd = 1.0 / sqrt((double)v.running_var[ch] + eps);
        }
        k->mean[ch] = mean;
        k->invstd[ch] = invstd;
        double gamma = v.weight ? v.weight[ch] : 1.0;
        double beta = v.bias ? v.bias[ch] : 0.0;
        const float alpha = (float)(invstd * gamma);
        const float shift = (float)(beta - mean * invstd * gamma);
        for (int i = 0; i < n; i++) {
            size_t at = ((size_t)i * channels + ch) * plane;
            for (size_t e = 0; e < plane; e++) {
                float value = in[at + e] * alpha + shift;
                out[at + e] = s->relu && !(value > 0.0f) ? 0.0f : value;
            }
        }
    }
    if (training)
        (*v.tracked)++;
    return 0;
}

/* PyTorch's batch_norm_backward: with g = dy (masked by the fused ReLU)
 * and N values per channel,
 *   dbias = sum(g), dweight = sum(g * (x - mean)) * invstd,
 *   dx = (g - dbias / N - (x - mean) * sum(g * (x - mean)) * invstd^2 / N)
 *        * invstd * weight             after a training forward,
 *   dx = g * invstd * weight           after an inference one (the
 *                                      running statistics are constants).
 */
static int batchnorm_backward(struct cnn_context *ctx,
                              struct cnn_layer *layer,
                              const struct cnn_tensor *x,
                              const struct cnn_tensor *y,
                              const struct cnn_tensor *dy,
                              struct cnn_tensor *dx, struct cnn_error *err)
{
    const struct cnn_batchnorm_settings *s;
    struct batchnorm_cpu *k = prepared(layer, "backward", &s, err);
    if (!k)
        return -1;
    if (cnn_layer_check_backward(layer, CNN_DEVICE_CPU, k->batch, x, y, dy,
                                 dx, err))
        return -1;
    struct batchnorm_views v = views_of(layer, s);
    cnn_onednn_set_threads(ctx);
    int n = x->n, channels = layer->input.c;
    size_t plane = (size_t)layer->input.h * (size_t)layer->input.w;
    double count = (double)n * (double)plane;
    const float *in = x->data, *out = y->data, *gradient = dy->data;
    float *into = dx ? dx->data : NULL;
    size_t total = cnn_tensor_count(x);
    const int relu = s->relu, training = k->training;
    CNN_PARALLEL_FOR(total)
    for (int ch = 0; ch < channels; ch++) {
        const double mean = k->mean[ch], invstd = k->invstd[ch];
        double sum = 0.0, dot = 0.0;
        for (int i = 0; i < n; i++) {
            size_t at = ((size_t)i * channels + ch) * plane;
            for (size_t e = 0; e < plane; e++) {
                double g = relu && !(out[at + e] > 0.0f) ? 0.0
                                                         : gradient[at + e];
                sum += g;
                dot += g * (in[at + e] - mean);
            }
        }
        if (v.weight_grad) {
            v.weight_grad[ch] = (float)(dot * invstd);
            v.bias_grad[ch] = (float)sum;
        }
        if (!into)
            continue;
        const double gamma = v.weight ? v.weight[ch] : 1.0;
        const double scale = invstd * gamma;
        const double projection = training ? dot * invstd * invstd / count
                                           : 0.0;
        const double mean_gradient = training ? sum / count : 0.0;
        for (int i = 0; i < n; i++) {
            size_t at = ((size_t)i * channels + ch) * plane;
            for (size_t e = 0; e < plane; e++) {
                double g = relu && !(out[at + e] > 0.0f) ? 0.0
                                                         : gradient[at + e];
                into[at + e] = (float)((g - mean_gradient -
                                        (in[at + e] - mean) * projection) *
                                       scale);
            }
        }
    }
    return 0;
}

const struct cnn_layer_kernels cnn_layers_batchnorm2d_cpu = {
    .layer = "batchnorm2d",
    .device = CNN_DEVICE_CPU,
    .prepare = batchnorm_prepare,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
    .release = batchnorm_release,
};

const struct cnn_layer_kernels cnn_layers_batchnorm1d_cpu = {
    .layer = "batchnorm1d",
    .device = CNN_DEVICE_CPU,
    .prepare = batchnorm_prepare,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
    .release = batchnorm_release,
};
