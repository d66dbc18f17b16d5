/* cnnlab — tensors: float32, contiguous NCHW, up to 4 dims, on a device. */
#ifndef CNNLAB_TENSOR_H
#define CNNLAB_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cnn_device { CNN_DEVICE_CPU = 0, CNN_DEVICE_CUDA = 1 };

/* The shape of one sample as a layer sees it: channels, height, width.
 * A flat feature vector of N values is {N, 1, 1}. */
struct cnn_shape {
    int c, h, w;
};

static inline size_t cnn_shape_size(struct cnn_shape s)
{
    return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

/* A batch: n samples of `shape`, data is n*c*h*w floats, NCHW, not owned. */
struct cnn_tensor {
    int n;
    struct cnn_shape shape;
    enum cnn_device device;
    float *data;
};

static inline size_t cnn_tensor_count(const struct cnn_tensor *t)
{
    return (size_t)t->n * cnn_shape_size(t->shape);
}

const char *cnn_device_name(enum cnn_device device);

#ifdef __cplusplus
}
#endif
#endif
