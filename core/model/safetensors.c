/* cnnlab — safetensors checkpoints: reading (writing: safetensors_write.c).
 *
 * Layout: u64 little-endian N | N bytes of JSON header | data area.
 * The writer pads the header with spaces to a multiple of 8 (as the
 * reference implementation does) so the data area is 8-byte aligned in the
 * file. The reader trusts nothing: every length, offset and shape is checked
 * against the bytes actually present before a pointer is formed, with
 * overflow-checked arithmetic, and the data area is placed at an aligned
 * address in memory whatever the header length is. */
#include "cnnlab/input_file.h"
#include "model/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/safetensors_internal.h"

#define MAX_FILE_SIZE ((uint64_t)16 << 30)      /* 16 GiB */
#define MAX_HEADER_SIZE ((uint64_t)100000000)  /* the reference's limit */
#define MAX_DIM ((int64_t)1 << 40)
/* Where the data area lands in memory; floats need 4, SIMD likes more. */
#define DATA_ALIGNMENT 64

struct cnn_safetensors {
    char *path;
    unsigned char *buffer;     /* the whole file, shifted for alignment */
    unsigned char *data;       /* the data area, DATA_ALIGNMENT-aligned */
    uint64_t data_size;
    json_t *header;            /* owns the names and metadata strings */
    json_t *metadata;          /* borrowed from header; NULL when absent */
    int count;
    struct cnn_st_tensor *tensors;
    float **copies;            /* per tensor: aligned copy, or NULL */
};

/* ---- byte order ---------------------------------------------------- */

#if !defined(__BYTE_ORDER__) || (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ && \
                                 __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__)
#error "cnnlab needs to know the byte order (__BYTE_ORDER__) of the target"
#endif

/* Converts `count` floats between host order and the file's little-endian
 * order, in place; nothing to do on a little-endian machine. */
void cnn_st_floats_host_to_file_order(float *values, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        bits = __builtin_bswap32(bits);
        memcpy(&values[i], &bits, sizeof bits);
    }
#else
    (void)values;
    (void)count;
#endif
}

/* The same for int64 values (I64 tensors). */
static void int64s_host_to_file_order(int64_t *values, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < count; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        bits = __builtin_bswap64(bits);
        memcpy(&values[i], &bits, sizeof bits);
    }
#else
    (void)values;
    (void)count;
#endif
}

size_t cnn_st_dtype_size(enum cnn_st_dtype dtype)
{
    return dtype == CNN_ST_I64 ? 8 : 4;
}

const char *cnn_st_dtype_name(enum cnn_st_dtype dtype)
{
    return dtype == CNN_ST_I64 ? "I64" : "F32";
}

static uint64_t get_u64_le(const unsigned char in[8])
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value |= (uint64_t)in[i] << (8 * i);
    return value;
}

const char *cnn_st_format_shape(char *buf, size_t size, int ndim,
                                const int64_t *dims)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld",
                                 i ? ", " : "", (long long)dims[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

/* Number of elements; -1 when a dim is out of 0..2^40 or the product
 * overflows. */
int64_t cnn_st_element_count(int ndim, const int64_t *dims)
{
    uint64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0 || dims[i] > MAX_DIM)
            return -1;
        if (__builtin_mul_overflow(count, (uint64_t)dims[i], &count) ||
            count > (uint64_t)INT64_MAX / sizeof(float))
            return -1;
    }
    return (int64_t)count;
}

/* ---- reading ------------------------------------------------------- */

/* Reads exactly `size` bytes; -1 with errno set, or errno 0 at early EOF. */
static int read_exact(int fd, unsigned char *out, uint64_t size)
{
    while (size > 0) {
        size_t want = size > ((size_t)1 << 30) ? ((size_t)1 << 30)
                                               : (size_t)size;
        ssize_t got = read(fd, out, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = 0;
            return -1;
        }
        out += got;
        size -= (uint64_t)got;
    }
    return 0;
}

/* Loads the file into file->buffer with the data area aligned; fills
 * file->data, file->data_size and returns the header text via `header`. */
static int load_file(struct cnn_safetensors *file, const char **header,
                     uint64_t *header_size, struct cnn_error *err)
{
    const char *path = file->path;
    int fd = cnn_input_open(path, err);
    if (fd < 0)
        return errno ? cnn_error_set(err, "cannot open '%s': %s", path,
                                     strerror(errno))
                     : -1;
    struct stat info;
    int status = -1;
    if (fstat(fd, &info) != 0) {
        cnn_error_set(err, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(info.st_mode)) {
        cnn_error_set(err, "'%s' is not a regular file", path);
        goto out;
    }
    uint64_t size = (uint64_t)info.st_size;
    if (size > MAX_FILE_SIZE || size > SIZE_MAX - DATA_ALIGNMENT) {
        cnn_error_set(err,
                      "'%s' is %llu bytes; cnnlab reads checkpoints of at "
                      "most %llu bytes (16 GiB)",
                      path, (unsigned long long)size,
                      (unsigned long long)MAX_FILE_SIZE);
        goto out;
    }
    unsigned char length_bytes[8];
    if (size < 8 || read_exact(fd, length_bytes, 8) != 0) {
        cnn_error_set(err,
                      "'%s' is %llu bytes, too short for a safetensors file "
                      "(it starts with an 8-byte header length)",
                      path, (unsigned long long)size);
        goto out;
    }
    uint64_t length = get_u64_le(length_bytes);
    if (length > size - 8) {
        cnn_error_set(err,
                      "'%s': header length %llu is beyond the end of the "
                      "file (%llu bytes follow the 8-byte length); the file "
                      "is truncated or not a safetensors file",
                      path, (unsigned long long)length,
                      (unsigned long long)(size - 8));
        goto out;
    }
    if (length > MAX_HEADER_SIZE) {
        cnn_error_set(err,
                      "'%s': header length %llu is over the limit of %llu "
                      "bytes; not a safetensors file?",
                      path, (unsigned long long)length,
                      (unsigned long long)MAX_HEADER_SIZE);
        goto out;
    }
    /* Shift the whole file so that byte 8 + length (the data area) lands
     * on an aligned address: tensors then need no copy to be read as
     * floats, even when a foreign writer did not pad its header. */
    size_t shift = (DATA_ALIGNMENT - (size_t)((8 + length) % DATA_ALIGNMENT)) %
                   DATA_ALIGNMENT;
    void *memory = NULL;
    if (posix_memalign(&memory, DATA_ALIGNMENT,
                       (size_t)size + DATA_ALIGNMENT) != 0) {
        cnn_error_set(err, "cannot read '%s': out of memory (%llu bytes)",
                      path, (unsigned long long)size);
        goto out;
    }
    file->buffer = memory;
    unsigned char *start = file->buffer + shift;
    memcpy(start, length_bytes, 8);
    if (read_exact(fd, start + 8, size - 8) != 0) {
        cnn_error_set(err, "cannot read '%s': %s", path,
                      errno ? strerror(errno)
                            : "the file became shorter while being read");
        goto out;
    }
    *header = (const char *)start + 8;
    *header_size = length;
    file->data = start + 8 + length;
    file->data_size = size - 8 - length;
    status = 0;
out:
    close(fd);
    return status;
}

static const char *json_type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "value";
}

/* Reads a JSON integer in lo..hi; otherwise returns what is wrong with it
 * ("is out of range", "is a string"). */
static const char *check_integer(const json_t *value, int64_t lo, int64_t hi,
                                 int64_t *out)
{
    if (json_is_real(value))
        return "is a fraction";
    if (!json_is_integer(value))
        return json_is_string(value) ? "is a string" : "is not a number";
    json_int_t number = json_integer_value(value);
    if (number < lo || number > hi)
        return "is out of range";
    *out = number;
    return NULL;
}

/* An entry's dtype (F32, or I64 for integer buffers) and shape, into
 * `tensor`. */
static int parse_dtype_and_shape(const char *path, const char *name,
                                 json_t *entry, struct cnn_st_tensor *tensor,
                                 struct cnn_error *err)
{
    json_t *dtype = json_object_get(entry, "dtype");
    if (!json_is_string(dtype))
        return cnn_error_set(err, "'%s': tensor '%s' has %s dtype", path,
                             name, dtype ? "a non-string" : "no");
    if (strcmp(json_string_value(dtype), "F32") == 0)
        tensor->dtype = CNN_ST_F32;
    else if (strcmp(json_string_value(dtype), "I64") == 0)
        tensor->dtype = CNN_ST_I64;
    else
        return cnn_error_set(err,
                             "'%s': tensor '%s' has dtype %s; cnnlab reads "
                             "F32 (and I64 for integer buffers such as "
                             "num_batches_tracked) only",
                             path, name, json_string_value(dtype));

    json_t *shape = json_object_get(entry, "shape");
    if (!json_is_array(shape))
        return cnn_error_set(err,
                             "'%s': tensor '%s' has %s shape (a list of "
                             "dimensions)",
                             path, name, shape ? "a non-list" : "no");
    if (json_array_size(shape) > 4)
        return cnn_error_set(err,
                             "'%s': tensor '%s' has %zu dimensions; cnnlab "
                             "reads at most 4",
                             path, name, json_array_size(shape));
    tensor->name = name;
    tensor->ndim = (int)json_array_size(shape);
    for (int i = 0; i < tensor->ndim; i++) {
        const char *wrong = check_integer(json_array_get(shape, (size_t)i), 0,
                                          MAX_DIM, &tensor->dims[i]);
        if (wrong)
            return cnn_error_set(err,
                                 "'%s': tensor '%s' dimension %d %s; "
                                 "dimensions are integers from 0 to 2^40",
                                 path, name, i, wrong);
    }
    return 0;
}

/* An entry's data_offsets, inside the data area, into range. */
static int parse_offsets(const struct cnn_safetensors *file,
                         const char *name, json_t *entry, uint64_t range[2],
                         struct cnn_error *err)
{
    json_t *offsets = json_object_get(entry, "data_offsets");
    int64_t begin = 0, end = 0;
    const char *wrong = "is not a list of two integers";
    if (json_is_array(offsets) && json_array_size(offsets) == 2) {
        wrong = check_integer(json_array_get(offsets, 0), 0, INT64_MAX,
                              &begin);
        if (!wrong)
            wrong = check_integer(json_array_get(offsets, 1), 0, INT64_MAX,
                                  &end);
    }
    if (wrong)
        return cnn_error_set(err,
                             "'%s': tensor '%s' data_offsets %s; they must "
                             "be [begin, end], byte offsets from 0",
                             file->path, name,
                             offsets ? wrong : "are missing");
    if (begin > end || (uint64_t)end > file->data_size)
        return cnn_error_set(err,
                             "'%s': tensor '%s' has data_offsets [%lld, "
                             "%lld] outside the data area of %llu bytes; "
                             "the file is truncated or corrupt",
                             file->path, name, (long long)begin,
                             (long long)end,
                             (unsigned long long)file->data_size);
    range[0] = (uint64_t)begin;
    range[1] = (uint64_t)end;
    return 0;
}

/* The shape's values fill the byte range exactly. */
static int check_size(const char *path, const struct cnn_st_tensor *tensor,
                      const uint64_t range[2], struct cnn_error *err)
{
    char text[128];
    int64_t elements = cnn_st_element_count(tensor->ndim, tensor->dims);
    if (elements < 0)
        return cnn_error_set(err,
                             "'%s': tensor '%s' has shape %s, too many "
                             "values for any file",
                             path, tensor->name,
                             cnn_st_format_shape(text, sizeof text,
                                                 tensor->ndim, tensor->dims));
    uint64_t size = cnn_st_dtype_size(tensor->dtype);
    if ((uint64_t)elements > UINT64_MAX / size ||
        (uint64_t)elements * size != range[1] - range[0])
        return cnn_error_set(err,
                             "'%s': tensor '%s' has shape %s (%lld %s "
                             "values, %lld bytes) but data_offsets [%lld, "
                             "%lld] hold %lld bytes",
                             path, tensor->name,
                             cnn_st_format_shape(text, sizeof text,
                                                 tensor->ndim, tensor->dims),
                             (long long)elements,
                             cnn_st_dtype_name(tensor->dtype),
                             (long long)elements * (long long)size,
                             (long long)range[0], (long long)range[1],
                             (long long)(range[1] - range[0]));
    return 0;
}

/* Validates one header entry into `tensor` and its byte range. */
static int parse_entry(const struct cnn_safetensors *file, const char *name,
                       json_t *entry, struct cnn_st_tensor *tensor,
                       uint64_t range[2], struct cnn_error *err)
{
    const char *path = file->path;
    /* The writer refuses a nameless tensor (no layer could own it), so the
     * reader does too: whatever loads must save back. */
    if (!*name)
        return cnn_error_set(err,
                             "'%s': a tensor has an empty name; every tensor "
                             "needs the name of the parameter it holds",
                             path);
    if (!json_is_object(entry))
        return cnn_error_set(err,
                             "'%s': tensor '%s' is described by a JSON %s, "
                             "not an object",
                             path, name, json_type_name(entry));
    if (parse_dtype_and_shape(path, name, entry, tensor, err) < 0 ||
        parse_offsets(file, name, entry, range, err) < 0)
        return -1;
    return check_size(path, tensor, range, err);
}

static int check_metadata(const struct cnn_safetensors *file, json_t *object,
                          struct cnn_error *err)
{
    if (!json_is_object(object))
        return cnn_error_set(err,
                             "'%s': __metadata__ is a JSON %s, not an object "
                             "of strings",
                             file->path, json_type_name(object));
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value) {
        if (!json_is_string(value))
            return cnn_error_set(err,
                                 "'%s': __metadata__ entry '%s' is a JSON "
                                 "%s; metadata values must be strings",
                                 file->path, key, json_type_name(value));
    }
    return 0;
}

struct span {
    uint64_t begin, end;
    int index;
};

static int compare_spans(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Rejects two non-empty byte ranges that share a byte; empty tensors own no
 * bytes and so cannot overlap anything. */
static int check_overlaps(const struct cnn_safetensors *file,
                          struct span *spans, struct cnn_error *err)
{
    qsort(spans, (size_t)file->count, sizeof *spans, compare_spans);
    const struct span *previous = NULL;
    for (int i = 0; i < file->count; i++) {
        const struct span *span = &spans[i];
        if (span->begin == span->end)
            continue;
        if (previous && previous->end > span->begin)
            return cnn_error_set(
                err,
                "'%s': tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] "
                "overlap in the data area; the file is corrupt",
                file->path, file->tensors[previous->index].name,
                (unsigned long long)previous->begin,
                (unsigned long long)previous->end,
                file->tensors[span->index].name,
                (unsigned long long)span->begin,
                (unsigned long long)span->end);
        previous = span;
    }
    return 0;
}

/* Points each tensor at its bytes (aligned, in host order). A tensor whose
 * offset is not a multiple of its value size gets its own copy. */
static int place_data(struct cnn_safetensors *file, const struct span *ranges,
                      struct cnn_error *err)
{
    for (int i = 0; i < file->count; i++) {
        uint64_t begin = ranges[i].begin, bytes = ranges[i].end - begin;
        size_t size = cnn_st_dtype_size(file->tensors[i].dtype);
        float *values = (float *)(void *)(file->data + begin);
        if (begin % size != 0) {
            float *copy = malloc(bytes ? (size_t)bytes : 1);
            if (!copy)
                return cnn_error_set(err,
                                     "cannot read '%s': out of memory",
                                     file->path);
            memcpy(copy, values, (size_t)bytes);
            file->copies[i] = copy;
            values = copy;
        }
        if (file->tensors[i].dtype == CNN_ST_I64)
            int64s_host_to_file_order((int64_t *)(void *)values,
                                      (size_t)bytes / size);
        else
            cnn_st_floats_host_to_file_order(values, (size_t)bytes / size);
        file->tensors[i].data = values;
    }
    return 0;
}

static int parse_header(struct cnn_safetensors *file, const char *text,
                        uint64_t size, struct cnn_error *err)
{
    json_error_t error;
    file->header = json_loadb(text, (size_t)size, JSON_REJECT_DUPLICATES,
                              &error);
    if (!file->header)
        return cnn_error_set(err,
                             "'%s': the header is not valid JSON: %s (at "
                             "byte %d of the header)",
                             file->path, error.text, error.position);
    if (!json_is_object(file->header))
        return cnn_error_set(err,
                             "'%s': the header is a JSON %s, not an object "
                             "of tensors",
                             file->path, json_type_name(file->header));
    size_t entries = json_object_size(file->header);
    file->metadata = json_object_get(file->header, "__metadata__");
    if (file->metadata && check_metadata(file, file->metadata, err) != 0)
        return -1;
    file->count = (int)(entries - (file->metadata ? 1 : 0));
    size_t slots = file->count ? (size_t)file->count : 1;
    file->tensors = calloc(slots, sizeof *file->tensors);
    file->copies = calloc(slots, sizeof *file->copies);
    struct span *ranges = calloc(slots, sizeof *ranges);
    struct span *sorted = calloc(slots, sizeof *sorted);
    int status = -1;
    if (!file->tensors || !file->copies || !ranges || !sorted) {
        cnn_error_set(err, "cannot read '%s': out of memory", file->path);
        goto out;
    }
    const char *name;
    json_t *entry;
    int index = 0;
    json_object_foreach(file->header, name, entry) {
        if (entry == file->metadata)
            continue;
        uint64_t range[2] = {0, 0};
        if (parse_entry(file, name, entry, &file->tensors[index], range,
                        err) != 0)
            goto out;
        ranges[index] = (struct span){range[0], range[1], index};
        index++;
    }
    memcpy(sorted, ranges, slots * sizeof *sorted);
    if (check_overlaps(file, sorted, err) != 0 ||
        place_data(file, ranges, err) != 0)
        goto out;
    status = 0;
out:
    free(ranges);
    free(sorted);
    return status;
}

int cnn_safetensors_open(const char *path, struct cnn_safetensors **file,
                         struct cnn_error *err)
{
    *file = NULL;
    struct cnn_safetensors *opened = calloc(1, sizeof *opened);
    if (!opened || !(opened->path = strdup(path))) {
        free(opened);
        return cnn_error_set(err, "cannot read '%s': out of memory", path);
    }
    const char *header = NULL;
    uint64_t header_size = 0;
    if (load_file(opened, &header, &header_size, err) != 0 ||
        parse_header(opened, header, header_size, err) != 0) {
        cnn_safetensors_close(opened);
        return -1;
    }
    *file = opened;
    return 0;
}

void cnn_safetensors_close(struct cnn_safetensors *file)
{
    if (!file)
        return;
    if (file->copies)
        for (int i = 0; i < file->count; i++)
            free(file->copies[i]);
    free(file->copies);
    free(file->tensors);
    json_decref(file->header);
    free(file->buffer);
    free(file->path);
    free(file);
}

int cnn_safetensors_count(const struct cnn_safetensors *file)
{
    return file->count;
}

const struct cnn_st_tensor *cnn_safetensors_at(
    const struct cnn_safetensors *file, int index)
{
    if (index < 0 || index >= file->count)
        return NULL;
    return &file->tensors[index];
}

const struct cnn_st_tensor *cnn_safetensors_find(
    const struct cnn_safetensors *file, const char *name)
{
    for (int i = 0; i < file->count; i++)
        if (strcmp(file->tensors[i].name, name) == 0)
            return &file->tensors[i];
    return NULL;
}

const char *cnn_safetensors_metadata(const struct cnn_safetensors *file,
                                     const char *key)
{
    if (!file->metadata)
        return NULL;
    return json_string_value(json_object_get(file->metadata, key));
}

/* "conv1.weight, conv1.bias, ..." bounded to fit an error message. */
static void list_names(const struct cnn_safetensors *file, char *buf,
                       size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < file->count; i++) {
        const char *name = file->tensors[i].name;
        /* keep room for ", ... (N more)" */
        if (used + strlen(name) + 2 + 32 >= size) {
            snprintf(buf + used, size - used, ", ... (%d more)",
                     file->count - i);
            return;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i ? ", " : "", name);
    }
}

/* The tensor `name` when it is of `dtype` and shape ndim/dims; NULL with
 * the error naming what differs. */
static const struct cnn_st_tensor *find_checked(
    const struct cnn_safetensors *file, const char *name,
    enum cnn_st_dtype dtype, int ndim, const int64_t *dims,
    struct cnn_error *err)
{
    const struct cnn_st_tensor *tensor = cnn_safetensors_find(file, name);
    if (!tensor) {
        if (file->count == 0) {
            cnn_error_set(err,
                          "'%s' has no tensor '%s' (it has no tensors at "
                          "all)",
                          file->path, name);
            return NULL;
        }
        char names[1024];
        list_names(file, names, sizeof names);
        cnn_error_set(err, "'%s' has no tensor '%s' (it has: %s)",
                      file->path, name, names);
        return NULL;
    }
    if (tensor->dtype != dtype) {
        cnn_error_set(err, "'%s': %s has dtype %s in the file, the model "
                      "keeps it as %s",
                      file->path, name, cnn_st_dtype_name(tensor->dtype),
                      cnn_st_dtype_name(dtype));
        return NULL;
    }
    int same = ndim == tensor->ndim;
    for (int i = 0; same && i < ndim; i++)
        same = dims[i] == tensor->dims[i];
    if (!same) {
        char in_file[128], expected[128];
        if (ndim < 0 || ndim > 4)
            snprintf(expected, sizeof expected, "%d dimensions", ndim);
        else
            cnn_st_format_shape(expected, sizeof expected, ndim, dims);
        cnn_error_set(err,
                      "'%s': %s has shape %s in the file, the model "
                      "expects %s",
                      file->path, name,
                      cnn_st_format_shape(in_file, sizeof in_file,
                                          tensor->ndim, tensor->dims),
                      expected);
        return NULL;
    }
    return tensor;
}

int cnn_safetensors_read_into(const struct cnn_safetensors *file,
                              const char *name, int ndim,
                              const int64_t *dims, float *out,
                              struct cnn_error *err)
{
    const struct cnn_st_tensor *tensor = find_checked(file, name, CNN_ST_F32,
                                                      ndim, dims, err);
    if (!tensor)
        return -1;
    int64_t elements = cnn_st_element_count(tensor->ndim, tensor->dims);
    if (elements > 0)
        memcpy(out, tensor->data, (size_t)elements * sizeof(float));
    return 0;
}

int cnn_safetensors_read_i64_into(const struct cnn_safetensors *file,
                                  const char *name, int ndim,
                                  const int64_t *dims, void *out,
                                  struct cnn_error *err)
{
    const struct cnn_st_tensor *tensor = find_checked(file, name, CNN_ST_I64,
                                                      ndim, dims, err);
    if (!tensor)
        return -1;
    int64_t elements = cnn_st_element_count(tensor->ndim, tensor->dims);
    if (elements > 0)
        memcpy(out, tensor->i64, (size_t)elements * sizeof(int64_t));
    return 0;
}
