/* Naive float64 references for the layer tests: plain loops over NCHW,
 * written from the definitions (PyTorch's documentation), sharing nothing
 * with the kernels they check. */
#ifndef CNNLAB_T_LAYER_REFERENCE_H
#define CNNLAB_T_LAYER_REFERENCE_H

/* A convolution: input (n, in, h, w), weight (out, in, kh, kw), bias
 * (out) or none, output (n, out, oh, ow). Dilation counts from 1. ph, pw
 * zeros before (top, left) and ph + eh, pw + ew after (bottom, right):
 * eh, ew are 0 but for PyTorch's padding='same' with an even span. */
struct ref_conv {
    int n, in, h, w;
    int out, kh, kw;
    int sh, sw, ph, pw, dh, dw;
    int oh, ow; /* filled by ref_conv_output */
    int eh, ew;
};

/* Computes oh, ow; returns 0 when they are below 1. */
int ref_conv_output(struct ref_conv *c);
/* y = conv(x) + bias; relu: y = max(y, 0). */
void ref_conv_forward(const struct ref_conv *c, const float *x,
                      const float *weight, const float *bias, int relu,
                      double *y);
/* dy is dL/dy after any ReLU masking. dbias may be NULL. */
void ref_conv_backward(const struct ref_conv *c, const float *x,
                       const float *weight, const double *dy, double *dx,
                       double *dweight, double *dbias);

/* Linear: input (n, in) (flattened), weight (out, in), output (n, out). */
void ref_linear_forward(int n, int in, int out, const float *x,
                        const float *weight, const float *bias, int relu,
                        double *y);
void ref_linear_backward(int n, int in, int out, const float *x,
                         const float *weight, const double *dy, double *dx,
                         double *dweight, double *dbias);

/* Max pooling with -inf padding; the gradient goes to the first maximum
 * of each window (row-major), or to its last NaN (PyTorch: NaN wins). */
struct ref_pool {
    int n, c, h, w;
    int kh, kw, sh, sw, ph, pw;
    int oh, ow; /* filled by ref_pool_output */
};
int ref_pool_output(struct ref_pool *p);
void ref_maxpool_forward(const struct ref_pool *p, const float *x,
                         double *y);
void ref_maxpool_backward(const struct ref_pool *p, const float *x,
                          const double *dy, double *dx);

/* Average pooling with zero padding, by PyTorch's definition
 * (avg_pool2d): a window's divisor is its extent clipped to the padded
 * input, (min(top + kh, h + ph) - top) * (the same across), with
 * count_include_pad, else the input elements it covers. */
void ref_avgpool_forward(const struct ref_pool *p, int count_include_pad,
                         const float *x, double *y);
void ref_avgpool_backward(const struct ref_pool *p, int count_include_pad,
                          const double *dy, double *dx);

/* Global average / max pooling of (n, c, h, w) to (n, c). */
void ref_globalpool_forward(int n, int c, int h, int w, int max,
                            const float *x, double *y);
void ref_globalpool_backward(int n, int c, int h, int w, int max,
                             const float *x, const double *dy, double *dx);

/* dy masked by a ReLU on the (kernel's) output y: dy where y > 0. */
void ref_relu_mask(int count, const float *y, const float *dy, double *out);

#endif
