/* cnnlab — the loaders module's components, registered by module.c. */
#ifndef CNNLAB_PLUGINS_LOADERS_H
#define CNNLAB_PLUGINS_LOADERS_H

#include "cnnlab/plugin.h"

/* MNIST-style IDX files (MNIST, Fashion-MNIST), plain or gzip. */
extern const struct cnn_loader_type loaders_idx_type;
/* JPEG files in one folder per class (mini-ImageNet's layout). */
extern const struct cnn_loader_type loaders_imagefolder_type;
/* Procedural labelled images for tests and smoke runs. */
extern const struct cnn_loader_type loaders_synthetic_type;

#endif
