/* What t/parity-driver's two modes share (see parity-driver.c): the
 * manifest's model built on the CPU and initialised as `cnnlab run` would,
 * model.json describing it for PyTorch, and seeded batches. */
#ifndef CNNLAB_T_PARITY_DRIVER_H
#define CNNLAB_T_PARITY_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/registry.h"
#include "config/manifest.h"
#include "model/model.h"
#include "run/run_config.h"

#define DRIVER_STEPS_MAX 1000

struct driver {
    const char *directory;
    int steps;
    struct cnn_registry *registry;
    struct cnn_manifest manifest;
    int manifest_loaded;
    struct cnn_run_config config;
    int config_parsed;
    struct cnn_model model;
    int model_built;
    float *inputs;     /* steps × batch × input size */
    int32_t *labels;   /* steps × batch */
};

/* DIR/file with `bytes` bytes of data. */
int driver_write_raw(const struct driver *d, const char *file,
                     const void *data, size_t bytes, struct cnn_error *err);
/* DIR/model.json: input shape, batch, classes, seed, lr, momentum and
 * each layer's type, resolved parameters and tensor names. */
int driver_write_model_json(const struct driver *d, struct cnn_error *err);
/* The manifest (one variant) with the overrides, its model built on the
 * CPU, seeded, started from `model.weights` when it names a file, and
 * buffers reserved for a training batch. */
int driver_set_up(struct driver *d, const char *manifest_path,
                  const char *const *overrides, int override_count,
                  struct cnn_error *err);
/* STEPS batches of inputs uniform in [-2, 2) and random labels, seeded,
 * into d->inputs and d->labels and DIR/inputs.f32 and DIR/labels.i32. */
int driver_make_batches(struct driver *d, struct cnn_error *err);

/* --gradients: see parity-gradients.c. */
int driver_run_gradients(struct driver *d, struct cnn_error *err);

#endif
