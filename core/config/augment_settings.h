/* cnnlab — the manifest's `data.augment:` list: which augmentations the
 * training images get, in order, with their settings (train/augment.h
 * applies them). */
#ifndef CNNLAB_AUGMENT_SETTINGS_H
#define CNNLAB_AUGMENT_SETTINGS_H

#include <stdint.h>

#include "cnnlab/node.h"

enum cnn_augment_kind {
    CNN_AUGMENT_CROP,         /* `crop`: torchvision RandomCrop(size,
                                 padding) at the image's own size */
    CNN_AUGMENT_FLIP,         /* `flip`: RandomHorizontalFlip(p) */
    CNN_AUGMENT_RESIZED_CROP, /* `resized-crop`: RandomResizedCrop(size,
                                 scale, ratio) at the image's own size */
    CNN_AUGMENT_JITTER,       /* `jitter`: ColorJitter(brightness,
                                 contrast, saturation) */
};

struct cnn_augment_step {
    enum cnn_augment_kind kind;
    int padding;           /* crop: pixels added on each side first */
    uint8_t fill;          /* crop: the padding's value */
    double p;              /* flip: the probability of flipping */
    double scale[2];       /* resized crop: the crop's share of the area */
    double ratio[2];       /* resized crop: its width / height range */
    double brightness, contrast, saturation; /* jitter: each factor is
                                                drawn from [max(0, 1 - x),
                                                1 + x]; 0: left alone */
};

#define CNN_AUGMENT_MAX 8

struct cnn_augmentation {
    int count; /* 0: no augmentation */
    struct cnn_augment_step steps[CNN_AUGMENT_MAX];
};

/* Checks a `data.augment:` node (NULL: none) and fills `augmentation`:
 * a list of names (`flip`) or one-key mappings (`crop: {padding: 4}`),
 * each checked against its schema, every error at its file:line:column. */
int cnn_augment_settings_parse(const struct cnn_node *node,
                               struct cnn_augmentation *augmentation,
                               struct cnn_error *err);

#endif
