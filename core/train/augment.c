/* cnnlab — data augmentation (augment.h): torchvision's transforms for
 * uint8 image tensors, with cnnlab's seeded streams for their randomness.
 * Where torchvision computes in float and casts back to uint8, so does
 * this: a blend truncates toward zero, a bilinear resize rounds half to
 * even. */
#include <math.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "train/augment.h"

/* The stream family of augmentation in cnn_rng_seed_stream (model.c uses
 * 1 for initialisation, train.c 2 for shuffling). */
#define CNN_STREAM_AUGMENT 3

size_t cnn_augment_scratch_size(struct cnn_shape shape)
{
    return cnn_shape_size(shape);
}

/* Uniform in [low, high), from 24 random bits. */
static double uniform(struct cnn_rng *rng, double low, double high)
{
    return low + (high - low) * (double)cnn_rng_float(rng);
}

static uint8_t clamp_truncate(float value)
{
    if (!(value > 0))
        return 0;
    return value >= 255 ? 255 : (uint8_t)value;
}

/* RandomCrop(size = the image's, padding, fill): pad every side, then cut
 * the image's size out at a uniformly drawn corner. */
static void crop(const struct cnn_augment_step *step, struct cnn_rng *rng,
                 const uint8_t *in, struct cnn_shape shape, uint8_t *out)
{
    int pad = step->padding;
    int top = (int)cnn_rng_below(rng, (uint64_t)(2 * pad + 1));
    int left = (int)cnn_rng_below(rng, (uint64_t)(2 * pad + 1));
    for (int c = 0; c < shape.c; c++)
        for (int y = 0; y < shape.h; y++)
            for (int x = 0; x < shape.w; x++) {
                int sy = y + top - pad, sx = x + left - pad;
                int inside = sy >= 0 && sy < shape.h && sx >= 0 &&
                             sx < shape.w;
                out[((size_t)c * shape.h + y) * shape.w + x] =
                    inside ? in[((size_t)c * shape.h + sy) * shape.w + sx]
                           : step->fill;
            }
}

static void flip(const struct cnn_augment_step *step, struct cnn_rng *rng,
                 const uint8_t *in, struct cnn_shape shape, uint8_t *out)
{
    int flipped = cnn_rng_float(rng) < step->p;
    for (int c = 0; c < shape.c; c++)
        for (int y = 0; y < shape.h; y++) {
            const uint8_t *row = in + ((size_t)c * shape.h + y) * shape.w;
            uint8_t *target = out + ((size_t)c * shape.h + y) * shape.w;
            for (int x = 0; x < shape.w; x++)
                target[x] = row[flipped ? shape.w - 1 - x : x];
        }
}

/* A window of the image: rows top..top+height, columns left..left+width. */
struct window {
    int top, left, height, width;
};

/* torchvision's RandomResizedCrop.get_params: ten tries at an area share
 * and a log-uniform aspect ratio that fit, else the centred crop with the
 * ratio clamped into range. */
static struct window resized_crop_window(const struct cnn_augment_step *step,
                                         struct cnn_rng *rng,
                                         struct cnn_shape shape)
{
    double area = (double)shape.h * shape.w;
    double log_low = log(step->ratio[0]), log_high = log(step->ratio[1]);
    for (int attempt = 0; attempt < 10; attempt++) {
        double target = area * uniform(rng, step->scale[0], step->scale[1]);
        double aspect = exp(uniform(rng, log_low, log_high));
        int width = (int)lround(sqrt(target * aspect));
        int height = (int)lround(sqrt(target / aspect));
        if (width > 0 && width <= shape.w && height > 0 && height <= shape.h)
            return (struct window){
                (int)cnn_rng_below(rng, (uint64_t)(shape.h - height + 1)),
                (int)cnn_rng_below(rng, (uint64_t)(shape.w - width + 1)),
                height, width};
    }
    double ratio = (double)shape.w / shape.h;
    int width = shape.w, height = shape.h;
    if (ratio < step->ratio[0])
        height = (int)lround(width / step->ratio[0]);
    else if (ratio > step->ratio[1])
        width = (int)lround(height * step->ratio[1]);
    return (struct window){(shape.h - height) / 2, (shape.w - width) / 2,
                           height, width};
}

/* Where output position `i` of `size` samples from in a window of
 * `extent` (bilinear, align_corners=False): the lower source index and
 * the weight of the one after it. */
static void bilinear_source(int i, int size, int extent, int *low,
                            float *weight)
{
    float source = ((float)i + 0.5f) * (float)extent / (float)size - 0.5f;
    if (source < 0)
        source = 0;
    *low = (int)source;
    if (*low > extent - 1)
        *low = extent - 1;
    *weight = source - (float)*low;
}

/* RandomResizedCrop(size = the image's): a drawn window resized back to
 * the image's size, bilinearly, rounded half to even as torchvision
 * rounds a float image back to uint8. */
static void resized_crop(const struct cnn_augment_step *step,
                         struct cnn_rng *rng, const uint8_t *in,
                         struct cnn_shape shape, uint8_t *out)
{
    struct window win = resized_crop_window(step, rng, shape);
    for (int y = 0; y < shape.h; y++) {
        int y0;
        float wy;
        bilinear_source(y, shape.h, win.height, &y0, &wy);
        int y1 = y0 + 1 < win.height ? y0 + 1 : y0;
        for (int x = 0; x < shape.w; x++) {
            int x0;
            float wx;
            bilinear_source(x, shape.w, win.width, &x0, &wx);
            int x1 = x0 + 1 < win.width ? x0 + 1 : x0;
            for (int c = 0; c < shape.c; c++) {
                const uint8_t *plane =
                    in + ((size_t)c * shape.h + win.top) * shape.w + win.left;
                float top = (1 - wx) * plane[(size_t)y0 * shape.w + x0] +
                            wx * plane[(size_t)y0 * shape.w + x1];
                float bottom = (1 - wx) * plane[(size_t)y1 * shape.w + x0] +
                               wx * plane[(size_t)y1 * shape.w + x1];
                float value = nearbyintf((1 - wy) * top + wy * bottom);
                out[((size_t)c * shape.h + y) * shape.w + x] =
                    value <= 0 ? 0 : value >= 255 ? 255 : (uint8_t)value;
            }
        }
    }
}

/* torchvision's rgb_to_grayscale of pixel p of a 3-channel image,
 * truncated to uint8 as it is for a uint8 tensor. */
static uint8_t gray(const uint8_t *image, size_t plane, size_t p)
{
    return (uint8_t)(0.2989f * image[p] + 0.587f * image[plane + p] +
                     0.114f * image[2 * plane + p]);
}

/* _blend(image, other, factor): factor * image + (1 - factor) * other,
 * clamped and truncated; other is `constant`, or the gray image when
 * `per_pixel`. */
static void blend(uint8_t *image, struct cnn_shape shape, float factor,
                  float constant, int per_pixel)
{
    size_t plane = (size_t)shape.h * shape.w;
    for (size_t p = 0; p < plane; p++) {
        float other = per_pixel ? (float)gray(image, plane, p) : constant;
        for (int c = 0; c < shape.c; c++) {
            uint8_t *value = image + (size_t)c * plane + p;
            *value = clamp_truncate(factor * *value + (1 - factor) * other);
        }
    }
}

/* The mean of the grayscale image (the image itself with one channel). */
static float gray_mean(const uint8_t *image, struct cnn_shape shape)
{
    size_t plane = (size_t)shape.h * shape.w;
    double sum = 0;
    for (size_t p = 0; p < plane; p++)
        sum += shape.c == 3 ? gray(image, plane, p) : image[p];
    return (float)(sum / (double)plane);
}

enum jitter_kind { BRIGHTNESS, CONTRAST, SATURATION, JITTER_KINDS };

/* ColorJitter: a factor per adjustment, applied in a random order. A
 * saturation change needs colour: a one-channel image is left alone, as
 * torchvision does. */
static void jitter(const struct cnn_augment_step *step, struct cnn_rng *rng,
                   uint8_t *image, struct cnn_shape shape)
{
    const double amount[JITTER_KINDS] = {step->brightness, step->contrast,
                                         step->saturation};
    int order[JITTER_KINDS] = {BRIGHTNESS, CONTRAST, SATURATION};
    cnn_rng_shuffle(rng, order, JITTER_KINDS);
    double factor[JITTER_KINDS];
    for (int k = 0; k < JITTER_KINDS; k++) {
        double low = amount[k] < 1 ? 1 - amount[k] : 0;
        factor[k] = amount[k] > 0 ? uniform(rng, low, 1 + amount[k]) : 1;
    }
    for (int i = 0; i < JITTER_KINDS; i++) {
        int k = order[i];
        float f = (float)factor[k];
        if (amount[k] <= 0)
            continue;
        if (k == BRIGHTNESS)
            blend(image, shape, f, 0, 0);
        else if (k == CONTRAST)
            blend(image, shape, f, gray_mean(image, shape), 0);
        else if (shape.c == 3)
            blend(image, shape, f, 0, 1);
    }
}

void cnn_augment_image(const struct cnn_augmentation *augmentation,
                       uint64_t seed, int epoch, int index,
                       const uint8_t *in, struct cnn_shape shape,
                       uint8_t *out, uint8_t *scratch)
{
    size_t bytes = cnn_shape_size(shape);
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, seed,
                        ((uint64_t)CNN_STREAM_AUGMENT << 56) |
                            ((uint64_t)(uint32_t)epoch << 32) |
                            (uint64_t)(uint32_t)index);
    memcpy(out, in, bytes);
    for (int i = 0; i < augmentation->count; i++) {
        const struct cnn_augment_step *step = &augmentation->steps[i];
        switch (step->kind) {
        case CNN_AUGMENT_CROP:
            crop(step, &rng, out, shape, scratch);
            break;
        case CNN_AUGMENT_FLIP:
            flip(step, &rng, out, shape, scratch);
            break;
        case CNN_AUGMENT_RESIZED_CROP:
            resized_crop(step, &rng, out, shape, scratch);
            break;
        case CNN_AUGMENT_JITTER:
            jitter(step, &rng, out, shape);
            continue; /* in place */
        }
        memcpy(out, scratch, bytes);
    }
}
