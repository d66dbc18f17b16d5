/* cnnlab — occlusion maps by brute force: every occluded image through the
 * whole model. The reference that any faster engine must equal (see
 * occlusion.h), kept deliberately plain. Also the geometry and the
 * softmax every engine shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "occlusion.h"

static int reach(int window, int valid)
{
    return valid ? 0 : (window - 1) / 2;
}

static int cells(int size, int window, int stride, int valid)
{
    if (!valid)
        return (size + stride - 1) / stride;
    return size >= window ? (size - window) / stride + 1 : 0;
}

void occlusion_grid(struct occlusion_config *c, int height, int width)
{
    c->rows = cells(height, c->window_h, c->stride_h, c->valid);
    c->columns = cells(width, c->window_w, c->stride_w, c->valid);
}

static void cut(int start, int length, int size, int *low, int *high)
{
    *low = start < 0 ? 0 : start;
    *high = start + length > size ? size : start + length;
}

void occlusion_window(const struct occlusion_config *c, int height, int width,
                      int i, int j, int *top, int *left, int *bottom,
                      int *right)
{
    cut(i * c->stride_h - reach(c->window_h, c->valid), c->window_h, height,
        top, bottom);
    cut(j * c->stride_w - reach(c->window_w, c->valid), c->window_w, width,
        left, right);
}

void occlusion_centre(const struct occlusion_config *c, int i, int j,
                      int *row, int *column)
{
    *row = i * c->stride_h - reach(c->window_h, c->valid) +
           (c->window_h - 1) / 2;
    *column = j * c->stride_w - reach(c->window_w, c->valid) +
              (c->window_w - 1) / 2;
}

double occlusion_probability(const float *logits, int classes, int k)
{
    double largest = logits[0];
    for (int c = 1; c < classes; c++)
        if (logits[c] > largest)
            largest = logits[c];
    /* Shifted by the largest logit, so exp never overflows. */
    double sum = 0;
    for (int c = 0; c < classes; c++)
        sum += exp((double)logits[c] - largest);
    return exp((double)logits[k] - largest) / sum;
}

int occlusion_arg_max(const float *logits, int classes)
{
    int best = 0;
    for (int c = 1; c < classes; c++)
        if (logits[c] > logits[best])
            best = c;
    return best;
}

/* The clean image with cell (i, j)'s window taken from `fill`. */
static void occlude(const struct occlusion_config *c, struct cnn_shape shape,
                    const float *image, const float *fill, int i, int j,
                    float *out)
{
    size_t plane = (size_t)shape.h * shape.w;
    memcpy(out, image, plane * shape.c * sizeof *out);
    int top, left, bottom, right;
    occlusion_window(c, shape.h, shape.w, i, j, &top, &left, &bottom, &right);
    for (int channel = 0; channel < shape.c; channel++)
        for (int r = top; r < bottom; r++) {
            size_t at = channel * plane + (size_t)r * shape.w + left;
            memcpy(out + at, fill + at, (size_t)(right - left) * sizeof *out);
        }
}

int occlusion_map_brute_force(struct cnn_analysis *a,
                              const struct occlusion_config *c,
                              const float *image, const float *fill,
                              int predicted, float *map,
                              struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    int last = cnn_analysis_layer_count(a) - 1;
    int classes = (int)cnn_shape_size(cnn_analysis_layer(a, last)->output);
    size_t per_image = cnn_shape_size(shape);
    int total = c->rows * c->columns;
    int batch = c->batch < total ? c->batch : total;
    float *inputs = malloc((size_t)batch * per_image * sizeof *inputs);
    float *logits = malloc((size_t)batch * classes * sizeof *logits);
    int status = inputs && logits ? 0 : cnn_error_set(err, "out of memory "
                                                           "for %d occluded "
                                                           "images (lower "
                                                           "`batch`)",
                                                      batch);
    for (int start = 0; status == 0 && start < total; start += batch) {
        int n = total - start < batch ? total - start : batch;
        for (int k = 0; k < n; k++)
            occlude(c, shape, image, fill, (start + k) / c->columns,
                    (start + k) % c->columns, inputs + (size_t)k * per_image);
        status = cnn_analysis_forward_from(a, 0, inputs, n, last, logits,
                                           err);
        for (int k = 0; status == 0 && k < n; k++) {
            const float *own = logits + (size_t)k * classes;
            map[start + k] =
                occlusion_arg_max(own, classes) == predicted
                    ? (float)occlusion_probability(own, classes, predicted)
                    : 0.0f;
        }
    }
    free(inputs);
    free(logits);
    return status;
}
