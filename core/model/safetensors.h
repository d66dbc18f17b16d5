/* cnnlab — checkpoints as safetensors files: an 8-byte little-endian header
 * length, a JSON header {"name": {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}, then the
 * raw little-endian data. PyTorch (safetensors) and numpy read them. */
#ifndef CNNLAB_SAFETENSORS_H
#define CNNLAB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/error.h"

/* The dtypes cnnlab reads and writes: F32 for parameters, I64 for the
 * integer buffers PyTorch keeps as int64 (num_batches_tracked). */
enum cnn_st_dtype {
    CNN_ST_F32, /* the default: a zeroed field */
    CNN_ST_I64,
};

struct cnn_st_tensor {
    const char *name;
    int ndim;            /* 0..4 (0: a scalar) */
    int64_t dims[4];
    union {
        const float *data;  /* F32: product(dims) floats */
        const int64_t *i64; /* I64: product(dims) int64 values */
    };
    enum cnn_st_dtype dtype;
};

struct cnn_st_metadata {
    const char *key;
    const char *value;
};

/* Writes the tensors (in the given order) and metadata to `path`
 * atomically: a temporary file in the same directory, fsync, rename. On
 * failure (ENOSPC, ...) the temporary is removed and an existing `path`
 * is untouched. */
int cnn_safetensors_write(const char *path,
                          const struct cnn_st_tensor *tensors, int count,
                          const struct cnn_st_metadata *metadata,
                          int metadata_count, struct cnn_error *err);

/* A file read into memory and validated: header length within the file,
 * valid JSON, every tensor F32 or I64 with 0-4 non-negative dims whose byte size
 * matches its offsets, offsets inside the data area, no two tensors
 * overlapping. Errors name the file and what is wrong. */
struct cnn_safetensors;

int cnn_safetensors_open(const char *path, struct cnn_safetensors **file,
                         struct cnn_error *err);
void cnn_safetensors_close(struct cnn_safetensors *file);

int cnn_safetensors_count(const struct cnn_safetensors *file);
/* The i-th tensor in header order (names point into the file object). */
const struct cnn_st_tensor *cnn_safetensors_at(
    const struct cnn_safetensors *file, int index);
const struct cnn_st_tensor *cnn_safetensors_find(
    const struct cnn_safetensors *file, const char *name);
/* A metadata value, or NULL. */
const char *cnn_safetensors_metadata(const struct cnn_safetensors *file,
                                     const char *key);

/* Copies the tensor `name` into `out` (count floats) after checking that
 * it exists, is F32 and has exactly `ndim`/`dims`; the error says what
 * differs ("conv1.weight: shape [64, 3, 5, 5] in the file, [32, 3, 5, 5]
 * in the model"). */
int cnn_safetensors_read_into(const struct cnn_safetensors *file,
                              const char *name, int ndim,
                              const int64_t *dims, float *out,
                              struct cnn_error *err);
/* The same for an I64 tensor into `out` (count int64 values, written with
 * memcpy: `out` may be a float buffer's slots). */
int cnn_safetensors_read_i64_into(const struct cnn_safetensors *file,
                                  const char *name, int ndim,
                                  const int64_t *dims, void *out,
                                  struct cnn_error *err);

/* Bytes per value of `dtype`. */
size_t cnn_st_dtype_size(enum cnn_st_dtype dtype);
const char *cnn_st_dtype_name(enum cnn_st_dtype dtype);

#endif
