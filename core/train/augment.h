/* cnnlab — data augmentation of training images: random crop with
 * padding, horizontal flip, random resized crop and colour jitter, each as
 * torchvision defines it for uint8 image tensors, applied in the order the
 * manifest lists them (`data.augment`).
 *
 * The randomness of one image is a function of (seed, epoch, the image's
 * index in the training split) only: no generator state carries from one
 * image to the next. So the same seed gives the same augmented batches,
 * any batch can be made again after `--resume` (at an epoch boundary or
 * mid-epoch) without replaying the ones before it, and batches can be
 * made in any order, in the background, by any thread. */
#ifndef CNNLAB_AUGMENT_H
#define CNNLAB_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/tensor.h"
#include "config/augment_settings.h"

/* Bytes of scratch cnn_augment_image needs for images of `shape`. */
size_t cnn_augment_scratch_size(struct cnn_shape shape);

/* Augments one CHW image of `shape` into `out` (the same shape; `in` and
 * `out` must not overlap), drawing its randomness from (seed, epoch,
 * index). `scratch` holds cnn_augment_scratch_size(shape) bytes. */
void cnn_augment_image(const struct cnn_augmentation *augmentation,
                       uint64_t seed, int epoch, int index,
                       const uint8_t *in, struct cnn_shape shape,
                       uint8_t *out, uint8_t *scratch);

#endif
