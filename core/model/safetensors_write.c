/* cnnlab — writing safetensors checkpoints: the header padded with spaces
 * so the data area starts at a multiple of 8 (as the reference
 * implementation does), then the tensors in order, little-endian, through
 * an atomic file so a failed write keeps the previous checkpoint. */
#include "model/safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/atomic_file.h"
#include "model/safetensors_internal.h"

static void put_u64_le(unsigned char out[8], uint64_t value)
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(value >> (8 * i));
}

/* Writes `count` values of `size` bytes (F32: 4, I64: 8) in the file's
 * little-endian order: as they are on a little-endian host, byte-swapped
 * one value at a time on a big-endian one. Returns 0, or -1 with errno
 * set. */
static int write_le(FILE *stream, const void *values, size_t size,
                    size_t count)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const unsigned char *from = values;
    unsigned char swapped[8];
    for (size_t i = 0; i < count; i++, from += size) {
        for (size_t b = 0; b < size; b++)
            swapped[b] = from[size - 1 - b];
        if (fwrite(swapped, size, 1, stream) != 1)
            return -1;
    }
    return 0;
#else
    return count == 0 || fwrite(values, size, count, stream) == count ? 0
                                                                      : -1;
#endif
}

/* ---- writing ------------------------------------------------------- */

/* {"dtype":"F32","shape":[...],"data_offsets":[begin,end]} or NULL. */
static json_t *tensor_entry(const struct cnn_st_tensor *tensor,
                            uint64_t begin, uint64_t end)
{
    json_t *entry = json_object();
    json_t *shape = json_array();
    json_t *offsets = json_array();
    int failed = !entry || !shape || !offsets;
    for (int i = 0; !failed && i < tensor->ndim; i++)
        failed = json_array_append_new(shape, json_integer(tensor->dims[i]));
    if (!failed)
        failed =
            json_array_append_new(offsets, json_integer((json_int_t)begin)) ||
            json_array_append_new(offsets, json_integer((json_int_t)end));
    if (!failed)
        failed = json_object_set_new(entry, "dtype", json_string(cnn_st_dtype_name(tensor->dtype))) ||
                 json_object_set(entry, "shape", shape) ||
                 json_object_set(entry, "data_offsets", offsets);
    json_decref(shape);
    json_decref(offsets);
    if (failed) {
        json_decref(entry);
        return NULL;
    }
    return entry;
}

static int add_metadata(json_t *root, const char *path,
                        const struct cnn_st_metadata *metadata, int count,
                        struct cnn_error *err)
{
    json_t *object = json_object();
    if (!object || json_object_set_new(root, "__metadata__", object) != 0)
        return cnn_error_set(err, "cannot write '%s': out of memory", path);
    for (int i = 0; i < count; i++) {
        const char *key = metadata[i].key, *value = metadata[i].value;
        if (!key || !value)
            return cnn_error_set(err,
                                 "cannot write '%s': metadata entry %d has "
                                 "no %s",
                                 path, i, key ? "value" : "key");
        if (json_object_get(object, key))
            return cnn_error_set(err,
                                 "cannot write '%s': metadata key '%s' is "
                                 "given twice",
                                 path, key);
        json_t *string = json_string(value);
        if (!string)
            return cnn_error_set(err,
                                 "cannot write '%s': metadata '%s' is not "
                                 "valid UTF-8 (or out of memory)",
                                 path, key);
        if (json_object_set_new(object, key, string) != 0)
            return cnn_error_set(err,
                                 "cannot write '%s': metadata key '%s' is "
                                 "not valid UTF-8 (or out of memory)",
                                 path, key);
    }
    return 0;
}

static int add_tensors(json_t *root, const char *path,
                       const struct cnn_st_tensor *tensors, int count,
                       struct cnn_error *err)
{
    uint64_t offset = 0;
    for (int i = 0; i < count; i++) {
        const struct cnn_st_tensor *tensor = &tensors[i];
        const char *name = tensor->name;
        char shape[128];
        if (!name || !*name || strcmp(name, "__metadata__") == 0)
            return cnn_error_set(err,
                                 "cannot write '%s': tensor %d has %s; give "
                                 "it a name",
                                 path, i,
                                 name && *name ? "the reserved name "
                                                 "'__metadata__'"
                                               : "no name");
        if (json_object_get(root, name))
            return cnn_error_set(err,
                                 "cannot write '%s': two tensors are named "
                                 "'%s'",
                                 path, name);
        if (tensor->ndim < 0 || tensor->ndim > 4)
            return cnn_error_set(err,
                                 "cannot write '%s': tensor '%s' has %d "
                                 "dimensions; 0 to 4 are allowed",
                                 path, name, tensor->ndim);
        int64_t elements = cnn_st_element_count(tensor->ndim, tensor->dims);
        if (elements < 0)
            return cnn_error_set(err,
                                 "cannot write '%s': tensor '%s' has shape "
                                 "%s; each dimension must be 0 to 2^40 and "
                                 "the product must fit in memory",
                                 path, name,
                                 cnn_st_format_shape(shape, sizeof shape,
                                              tensor->ndim, tensor->dims));
        if (tensor->dtype != CNN_ST_F32 && tensor->dtype != CNN_ST_I64)
            return cnn_error_set(err,
                                 "cannot write '%s': tensor '%s' has an "
                                 "unknown dtype %d",
                                 path, name, (int)tensor->dtype);
        uint64_t bytes = (uint64_t)elements * cnn_st_dtype_size(tensor->dtype);
        if (bytes > 0 && !tensor->data)
            return cnn_error_set(err,
                                 "cannot write '%s': tensor '%s' has no data",
                                 path, name);
        if (offset + bytes < offset || offset + bytes > (uint64_t)INT64_MAX)
            return cnn_error_set(err,
                                 "cannot write '%s': the tensors are too "
                                 "large together",
                                 path);
        json_t *entry = tensor_entry(tensor, offset, offset + bytes);
        if (!entry || json_object_set_new(root, name, entry) != 0)
            return cnn_error_set(err,
                                 "cannot write '%s': tensor name '%s' is not "
                                 "valid UTF-8 (or out of memory)",
                                 path, name);
        offset += bytes;
    }
    return 0;
}

/* Streams length, padded header and data into the open temporary. */
static int write_contents(FILE *stream, const char *header, size_t length,
                          size_t padded, const struct cnn_st_tensor *tensors,
                          int count)
{
    unsigned char length_bytes[8];
    put_u64_le(length_bytes, padded);
    if (fwrite(length_bytes, 1, 8, stream) != 8 ||
        fwrite(header, 1, length, stream) != length)
        return -1;
    for (size_t i = length; i < padded; i++)
        if (fputc(' ', stream) == EOF)
            return -1;
    for (int i = 0; i < count; i++) {
        size_t elements = (size_t)cnn_st_element_count(tensors[i].ndim,
                                                tensors[i].dims);
        int failed =
            tensors[i].dtype == CNN_ST_I64
                ? write_le(stream, tensors[i].i64, sizeof(int64_t), elements)
                : write_le(stream, tensors[i].data, sizeof(float), elements);
        if (failed)
            return -1;
    }
    return 0;
}

int cnn_safetensors_write(const char *path,
                          const struct cnn_st_tensor *tensors, int count,
                          const struct cnn_st_metadata *metadata,
                          int metadata_count, struct cnn_error *err)
{
    if (count < 0 || metadata_count < 0 || (count > 0 && !tensors) ||
        (metadata_count > 0 && !metadata))
        return cnn_error_set(err,
                             "cannot write '%s': invalid tensor or metadata "
                             "list (%d tensors, %d metadata)",
                             path, count, metadata_count);
    json_t *root = json_object();
    if (!root)
        return cnn_error_set(err, "cannot write '%s': out of memory", path);
    /* The reference writer puts __metadata__ first; so do we. */
    if ((metadata_count > 0 &&
         add_metadata(root, path, metadata, metadata_count, err) != 0) ||
        add_tensors(root, path, tensors, count, err) != 0) {
        json_decref(root);
        return -1;
    }
    char *header = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!header)
        return cnn_error_set(err, "cannot write '%s': out of memory", path);
    size_t length = strlen(header);
    size_t padded = (length + 7) / 8 * 8;

    struct cnn_atomic_file file;
    if (cnn_atomic_open(&file, path, err) != 0) {
        free(header);
        return -1;
    }
    errno = 0;
    int written = write_contents(file.stream, header, length, padded,
                                 tensors, count);
    free(header);
    if (written != 0) {
        int error = errno;
        cnn_atomic_abort(&file);
        return cnn_error_set(err, "cannot write '%s': %s", path,
                             error ? strerror(error) : "write failed");
    }
    return cnn_atomic_commit(&file, err);
}
