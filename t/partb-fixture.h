/* What the Part B analysis tests share: a model built from YAML text on
 * the CPU, a test split made in memory, an analysis handle on a scratch
 * run directory, an analysis of the analyses module run on it with
 * "name=value" settings, and the files it wrote read back. Inline, since
 * tap.h counts per program file. */
#ifndef CNNLAB_PARTB_FIXTURE_H
#define CNNLAB_PARTB_FIXTURE_H

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "cnnlab/builtin_training.h"
#include "cnnlab/node.h"
#include "test-util.h"
#include "train/train.h"

struct fixture {
    struct cnn_registry *registry;
    struct cnn_model model;
    int model_built;
    struct cnn_data data;
    struct cnn_train_config train;
    struct cnn_cross_entropy_settings loss_settings; /* the defaults */
    struct cnn_analysis *analysis;
    char directory[64];
    int made_directory;
};

/* Loads the modules, builds the model (initialised from `seed`), makes
 * a zeroed test split of `count` images of the model's input shape and
 * `classes` classes, and the handle. Returns 1 when ready, 0 when the
 * modules cannot be found (a skip was reported), -1 on failure (a failed
 * check was reported). */
static inline int fixture_open(struct fixture *f, const char *model_text,
                               uint64_t seed, int count, int classes,
                               const char *const *class_names)
{
    memset(f, 0, sizeof *f);
    f->registry = cnn_registry_new();
    static const char *const modules[] = {"layers.so", "losses.so",
                                          "analyses.so"};
    for (int i = 0; i < 3; i++) {
        int loaded = test_load_plugin(f->registry, modules[i]);
        if (loaded != 1)
            return loaded;
    }
    struct cnn_error err = {0};
    struct cnn_node *node = NULL;
    int status = cnn_node_load_string(model_text, "model.yaml", &node, &err);
    if (status == 0)
        status = cnn_model_build(&f->model, f->registry, node,
                                 CNN_DEVICE_CPU, &err);
    f->model_built = status == 0;
    cnn_node_free(node);
    if (status == 0)
        status = cnn_model_allocate(&f->model, seed, &err);
    f->model.context.threads = 2;
    if (status == 0)
        status = cnn_dataset_alloc(&f->data.test, count, f->model.input,
                                   &err);
    if (status == 0)
        status = cnn_data_set_classes(&f->data, classes, class_names, &err);
    f->train.batch = 16;
    f->train.seed = seed;
    f->train.normalization = (struct cnn_normalization){1, {0.5}, {0.5}};
    f->train.loss = cnn_registry_loss(f->registry, "cross-entropy");
    f->train.loss_kernels = cnn_registry_loss_kernels(
        f->registry, "cross-entropy", CNN_DEVICE_CPU);
    f->train.loss_settings = &f->loss_settings;
    if (status == 0 && (!f->train.loss || !f->train.loss_kernels))
        status = cnn_error_set(&err, "no cross-entropy loss");
    snprintf(f->directory, sizeof f->directory, "/tmp/cnnlab-partb.XXXXXX");
    if (status == 0) {
        f->made_directory = mkdtemp(f->directory) != NULL;
        if (!f->made_directory)
            status = cnn_error_set(&err, "no scratch directory");
    }
    struct cnn_analysis_setup setup = {.directory = f->directory,
                                       .variant = "main",
                                       .model = &f->model,
                                       .data = &f->data,
                                       .train = &f->train,
                                       .threads = 2};
    if (status == 0)
        status = cnn_analysis_new(&f->analysis, &setup, &err);
    ok(status == 0, "model, test split and analysis handle (%s)",
       err.message);
    return status == 0 ? 1 : -1;
}

/* Where the layer's tensor `name` lives in the host copy. */
static inline float *fixture_tensor(struct fixture *f, int layer,
                                    const char *name)
{
    struct cnn_param_tensor *t = cnn_layer_tensor(&f->model.layers[layer],
                                                  name);
    return t ? f->model.host_parameters + t->offset : NULL;
}

/* Runs analysis `name` with `settings` ("key=value", NULL-terminated). */
static inline int fixture_run(struct fixture *f, const char *name,
                              const char *const *settings,
                              struct cnn_error *err)
{
    const struct cnn_analysis_type *type =
        cnn_registry_analysis(f->registry, name);
    if (!type)
        return cnn_error_set(err, "no analysis '%s'", name);
    struct cnn_params params = test_params(type->params, type->param_count,
                                           name, settings);
    cnn_error_clear(err);
    int status = type->run(f->analysis, &params, err);
    cnn_params_free(&params);
    return status;
}

/* File `name` of the run directory, NUL-terminated and malloc'd; NULL
 * when it cannot be read. */
static inline char *fixture_read(const struct fixture *f, const char *name,
                                 size_t *length)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->directory, name);
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    char *bytes = NULL;
    size_t size = 0;
    FILE *memory = open_memstream(&bytes, &size);
    char chunk[4096];
    size_t got;
    while (memory && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
        fwrite(chunk, 1, got, memory);
    fclose(in);
    if (memory)
        fclose(memory);
    if (length)
        *length = size;
    return bytes;
}

/* 1 when file `name` is a PNG whose first chunk is its header (width and
 * height from it). */
static inline int fixture_png(const struct fixture *f, const char *name,
                              int *width, int *height)
{
    size_t length = 0;
    unsigned char *bytes = (unsigned char *)fixture_read(f, name, &length);
    static const unsigned char signature[16] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
        0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    int is_png = bytes && length > 24 && memcmp(bytes, signature, 16) == 0;
    *width = *height = 0;
    if (is_png) {
        *width = bytes[16] << 24 | bytes[17] << 16 | bytes[18] << 8 |
                 bytes[19];
        *height = bytes[20] << 24 | bytes[21] << 16 | bytes[22] << 8 |
                  bytes[23];
        /* The last chunk is IEND: a file cut short fails here. */
        is_png = memcmp(bytes + length - 8, "IEND", 4) == 0;
    }
    free(bytes);
    return is_png;
}

/* A float32 map of rows × columns from .npy file `name` into `out`: 1
 * when the file is one (magic, a header padded to 64 bytes that names
 * the shape, the data's exact size). */
static inline int fixture_npy(const struct fixture *f, const char *name,
                              int rows, int columns, float *out)
{
    size_t length = 0;
    char *bytes = fixture_read(f, name, &length);
    char shape[64];
    snprintf(shape, sizeof shape, "'descr': '<f4', 'fortran_order': False, "
             "'shape': (%d, %d), }", rows, columns);
    size_t cells = (size_t)rows * columns;
    size_t header = bytes && length > 10 ? ((unsigned char)bytes[8] |
                                            (unsigned char)bytes[9] << 8)
                                         : 0;
    int good = bytes && memcmp(bytes, "\x93NUMPY\x01\x00", 8) == 0 &&
               (10 + header) % 64 == 0 && length == 10 + header + 4 * cells &&
               strncmp(bytes + 10, "{", 1) == 0 &&
               header > strlen(shape) &&
               memcmp(bytes + 11, shape, strlen(shape)) == 0 &&
               bytes[10 + header - 1] == '\n';
    for (size_t p = 0; good && p < cells; p++) {
        uint32_t word = 0; /* little-endian, whatever the host */
        for (int b = 3; b >= 0; b--)
            word = word << 8 | (unsigned char)bytes[10 + header + 4 * p + b];
        memcpy(&out[p], &word, 4);
    }
    free(bytes);
    return good;
}

static inline void fixture_close(struct fixture *f)
{
    cnn_analysis_free(f->analysis);
    if (f->model_built)
        cnn_model_free(&f->model);
    cnn_data_free(&f->data);
    if (f->made_directory) {
        DIR *dir = opendir(f->directory);
        struct dirent *entry;
        while (dir && (entry = readdir(dir)) != NULL) {
            if (entry->d_name[0] == '.')
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", f->directory, entry->d_name);
            unlink(path);
        }
        if (dir)
            closedir(dir);
        rmdir(f->directory);
    }
    cnn_registry_free(f->registry);
}

#endif
