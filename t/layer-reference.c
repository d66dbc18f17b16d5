/* Naive float64 references for the layer tests (see layer-reference.h). */
#include <math.h>
#include <string.h>

#include "layer-reference.h"

int ref_conv_output(struct ref_conv *c)
{
    int span_h = c->dh * (c->kh - 1) + 1, span_w = c->dw * (c->kw - 1) + 1;
    int room_h = c->h + 2 * c->ph + c->eh - span_h;
    int room_w = c->w + 2 * c->pw + c->ew - span_w;
    if (room_h < 0 || room_w < 0)
        return 0;
    c->oh = room_h / c->sh + 1;
    c->ow = room_w / c->sw + 1;
    return 1;
}

/* Input row/column read by output position o and kernel tap k, or -1 in
 * the padding. */
static int conv_source(int o, int k, int stride, int pad, int dilation,
                       int size)
{
    int i = o * stride - pad + k * dilation;
    return i >= 0 && i < size ? i : -1;
}

void ref_conv_forward(const struct ref_conv *c, const float *x,
                      const float *weight, const float *bias, int relu,
                      double *y)
{
    for (int b = 0; b < c->n; b++)
        for (int o = 0; o < c->out; o++)
            for (int oy = 0; oy < c->oh; oy++)
                for (int ox = 0; ox < c->ow; ox++) {
                    double sum = bias ? bias[o] : 0.0;
                    for (int i = 0; i < c->in; i++)
                        for (int ky = 0; ky < c->kh; ky++) {
                            int iy = conv_source(oy, ky, c->sh, c->ph, c->dh,
                                                 c->h);
                            if (iy < 0)
                                continue;
                            for (int kx = 0; kx < c->kw; kx++) {
                                int ix = conv_source(ox, kx, c->sw, c->pw,
                                                     c->dw, c->w);
                                if (ix < 0)
                                    continue;
                                sum += (double)x[((b * c->in + i) * c->h + iy)
                                                 * c->w + ix] *
                                       weight[((o * c->in + i) * c->kh + ky) *
                                                  c->kw + kx];
                            }
                        }
                    if (relu && sum < 0.0)
                        sum = 0.0;
                    y[((b * c->out + o) * c->oh + oy) * c->ow + ox] = sum;
                }
}

void ref_conv_backward(const struct ref_conv *c, const float *x,
                       const float *weight, const double *dy, double *dx,
                       double *dweight, double *dbias)
{
    memset(dx, 0, sizeof(double) * c->n * c->in * c->h * c->w);
    memset(dweight, 0, sizeof(double) * c->out * c->in * c->kh * c->kw);
    if (dbias)
        memset(dbias, 0, sizeof(double) * c->out);
    for (int b = 0; b < c->n; b++)
        for (int o = 0; o < c->out; o++)
            for (int oy = 0; oy < c->oh; oy++)
                for (int ox = 0; ox < c->ow; ox++) {
                    double g =
                        dy[((b * c->out + o) * c->oh + oy) * c->ow + ox];
                    if (dbias)
                        dbias[o] += g;
                    for (int i = 0; i < c->in; i++)
                        for (int ky = 0; ky < c->kh; ky++) {
                            int iy = conv_source(oy, ky, c->sh, c->ph, c->dh,
                                                 c->h);
                            if (iy < 0)
                                continue;
                            for (int kx = 0; kx < c->kw; kx++) {
                                int ix = conv_source(ox, kx, c->sw, c->pw,
                                                     c->dw, c->w);
                                if (ix < 0)
                                    continue;
                                int xi = ((b * c->in + i) * c->h + iy) * c->w
                                         + ix;
                                int wi = ((o * c->in + i) * c->kh + ky) * c->kw
                                         + kx;
                                dx[xi] += g * weight[wi];
                                dweight[wi] += g * x[xi];
                            }
                        }
                }
}

void ref_linear_forward(int n, int in, int out, const float *x,
                        const float *weight, const float *bias, int relu,
                        double *y)
{
    for (int b = 0; b < n; b++)
        for (int o = 0; o < out; o++) {
            double sum = bias ? bias[o] : 0.0;
            for (int i = 0; i < in; i++)
                sum += (double)x[b * in + i] * weight[o * in + i];
            y[b * out + o] = relu && sum < 0.0 ? 0.0 : sum;
        }
}

void ref_linear_backward(int n, int in, int out, const float *x,
                         const float *weight, const double *dy, double *dx,
                         double *dweight, double *dbias)
{
    memset(dx, 0, sizeof(double) * n * in);
    memset(dweight, 0, sizeof(double) * out * in);
    if (dbias)
        memset(dbias, 0, sizeof(double) * out);
    for (int b = 0; b < n; b++)
        for (int o = 0; o < out; o++) {
            double g = dy[b * out + o];
            if (dbias)
                dbias[o] += g;
            for (int i = 0; i < in; i++) {
                dx[b * in + i] += g * weight[o * in + i];
                dweight[o * in + i] += g * x[b * in + i];
            }
        }
}

int ref_pool_output(struct ref_pool *p)
{
    int room_h = p->h + 2 * p->ph - p->kh, room_w = p->w + 2 * p->pw - p->kw;
    if (room_h < 0 || room_w < 0)
        return 0;
    p->oh = room_h / p->sh + 1;
    p->ow = room_w / p->sw + 1;
    return 1;
}

/* Index into x of the first maximum of the window at (b, ch, oy, ox), by
 * PyTorch's rule (its CPU max_pool2d kernel): a NaN wins over numbers, so
 * the last NaN of a window is the one taken; -inf windows take their
 * first element. */
static int pool_argmax(const struct ref_pool *p, const float *x, int b, int ch,
                       int oy, int ox)
{
    int best = -1;
    for (int ky = 0; ky < p->kh; ky++) {
        int iy = oy * p->sh - p->ph + ky;
        if (iy < 0 || iy >= p->h)
            continue;
        for (int kx = 0; kx < p->kw; kx++) {
            int ix = ox * p->sw - p->pw + kx;
            if (ix < 0 || ix >= p->w)
                continue;
            int i = ((b * p->c + ch) * p->h + iy) * p->w + ix;
            if (best < 0 || x[i] > x[best] || isnan(x[i]))
                best = i;
        }
    }
    return best;
}

void ref_maxpool_forward(const struct ref_pool *p, const float *x, double *y)
{
    for (int b = 0; b < p->n; b++)
        for (int ch = 0; ch < p->c; ch++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    int i = pool_argmax(p, x, b, ch, oy, ox);
                    y[((b * p->c + ch) * p->oh + oy) * p->ow + ox] =
                        i < 0 ? -INFINITY : x[i];
                }
}

void ref_maxpool_backward(const struct ref_pool *p, const float *x,
                          const double *dy, double *dx)
{
    memset(dx, 0, sizeof(double) * p->n * p->c * p->h * p->w);
    for (int b = 0; b < p->n; b++)
        for (int ch = 0; ch < p->c; ch++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    int i = pool_argmax(p, x, b, ch, oy, ox);
                    if (i >= 0)
                        dx[i] += dy[((b * p->c + ch) * p->oh + oy) * p->ow
                                    + ox];
                }
}

void ref_globalpool_forward(int n, int c, int h, int w, int max,
                            const float *x, double *y)
{
    for (int plane = 0; plane < n * c; plane++) {
        const float *v = x + plane * h * w;
        double acc = max ? v[0] : 0.0;
        for (int i = 0; i < h * w; i++)
            acc = max ? (v[i] > acc ? v[i] : acc) : acc + v[i];
        y[plane] = max ? acc : acc / (h * w);
    }
}

void ref_globalpool_backward(int n, int c, int h, int w, int max,
                             const float *x, const double *dy, double *dx)
{
    for (int plane = 0; plane < n * c; plane++) {
        const float *v = x + plane * h * w;
        double *g = dx + plane * h * w;
        int best = 0;
        for (int i = 1; i < h * w; i++)
            if (v[i] > v[best])
                best = i;
        for (int i = 0; i < h * w; i++)
            g[i] = max ? (i == best ? dy[plane] : 0.0) : dy[plane] / (h * w);
    }
}

void ref_relu_mask(int count, const float *y, const float *dy, double *out)
{
    for (int i = 0; i < count; i++)
        out[i] = y[i] > 0.0f ? dy[i] : 0.0;
}

/* The divisor of output (oy, ox), PyTorch's avg_pool2d arithmetic. */
static double avgpool_divisor(const struct ref_pool *p, int count_include_pad,
                              int oy, int ox)
{
    int top = oy * p->sh - p->ph, left = ox * p->sw - p->pw;
    int bottom = top + p->kh < p->h + p->ph ? top + p->kh : p->h + p->ph;
    int right = left + p->kw < p->w + p->pw ? left + p->kw : p->w + p->pw;
    if (count_include_pad)
        return (double)(bottom - top) * (right - left);
    int inside = 0;
    for (int iy = top; iy < bottom; iy++)
        for (int ix = left; ix < right; ix++)
            inside += iy >= 0 && iy < p->h && ix >= 0 && ix < p->w;
    return inside;
}

void ref_avgpool_forward(const struct ref_pool *p, int count_include_pad,
                         const float *x, double *y)
{
    for (int b = 0; b < p->n; b++)
        for (int ch = 0; ch < p->c; ch++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    double sum = 0.0;
                    for (int ky = 0; ky < p->kh; ky++)
                        for (int kx = 0; kx < p->kw; kx++) {
                            int iy = oy * p->sh - p->ph + ky;
                            int ix = ox * p->sw - p->pw + kx;
                            if (iy >= 0 && iy < p->h && ix >= 0 && ix < p->w)
                                sum += x[((b * p->c + ch) * p->h + iy) * p->w +
                                         ix];
                        }
                    y[((b * p->c + ch) * p->oh + oy) * p->ow + ox] =
                        sum / avgpool_divisor(p, count_include_pad, oy, ox);
                }
}

void ref_avgpool_backward(const struct ref_pool *p, int count_include_pad,
                          const double *dy, double *dx)
{
    memset(dx, 0, sizeof(double) * p->n * p->c * p->h * p->w);
    for (int b = 0; b < p->n; b++)
        for (int ch = 0; ch < p->c; ch++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    double g = dy[((b * p->c + ch) * p->oh + oy) * p->ow + ox] /
                               avgpool_divisor(p, count_include_pad, oy, ox);
                    for (int ky = 0; ky < p->kh; ky++)
                        for (int kx = 0; kx < p->kw; kx++) {
                            int iy = oy * p->sh - p->ph + ky;
                            int ix = ox * p->sw - p->pw + kx;
                            if (iy >= 0 && iy < p->h && ix >= 0 && ix < p->w)
                                dx[((b * p->c + ch) * p->h + iy) * p->w +
                                   ix] += g;
                        }
                }
}
