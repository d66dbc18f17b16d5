/* cnnlab fuzzing — the safetensors reader (core/model/safetensors.c), on which
 * every checkpoint and imported weight file goes through.
 *
 * The input is a file. Whatever it holds, opening it must either fail
 * saying why or give tensors whose data lies inside the buffer (every
 * value is read, so ASan sees a stray pointer), that cnn_safetensors_find
 * and cnn_safetensors_read_into find under their names, that refuse
 * another shape, and that the writer writes back to a file the reader
 * reads as the same names, shapes and bytes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/safetensors.h"

static char input_path[512], copy_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_path(input_path, sizeof input_path, "input.safetensors");
    fuzz_scratch_path(copy_path, sizeof copy_path, "copy.safetensors");
    return 0;
}

static size_t element_count(const struct cnn_st_tensor *tensor)
{
    size_t count = 1;
    for (int i = 0; i < tensor->ndim; i++)
        count *= (size_t)tensor->dims[i];
    return count;
}

/* Reads every value (the sum keeps the reads from being optimised away;
 * NaN and infinities are fine: the bytes are arbitrary). */
static float touch_values(const struct cnn_st_tensor *tensor)
{
    float sum = 0;
    size_t count = element_count(tensor);
    for (size_t i = 0; i < count; i++)
        sum += tensor->data[i];
    return sum;
}

/* cnn_safetensors_read_into or, for an I64 tensor, _read_i64_into. */
static int read_as_stored(const struct cnn_safetensors *file,
                          const struct cnn_st_tensor *tensor, int ndim,
                          const int64_t *dims, int64_t *values,
                          struct cnn_error *err)
{
    if (tensor->dtype == CNN_ST_I64)
        return cnn_safetensors_read_i64_into(file, tensor->name, ndim, dims,
                                             values, err);
    return cnn_safetensors_read_into(file, tensor->name, ndim, dims,
                                     (float *)(void *)values, err);
}

static void check_tensor(const struct cnn_safetensors *file,
                         const struct cnn_st_tensor *tensor)
{
    if (tensor->ndim < 0 || tensor->ndim > 4)
        fuzz_fail("tensor '%s' has %d dimensions", tensor->name,
                  tensor->ndim);
    if (cnn_safetensors_find(file, tensor->name) != tensor)
        fuzz_fail("cnn_safetensors_find does not find '%s'", tensor->name);
    volatile float sum = touch_values(tensor);
    (void)sum;

    size_t count = element_count(tensor);
    size_t size = cnn_st_dtype_size(tensor->dtype);
    /* int64_t: room for either dtype's values, aligned for both. */
    int64_t *values = malloc(count ? count * sizeof *values : 1);
    if (!values)
        fuzz_fail("out of memory");
    struct cnn_error err = {0};
    int status = read_as_stored(file, tensor, tensor->ndim, tensor->dims,
                                values, &err);
    fuzz_check_error(status, &err, "cnn_safetensors_read_into");
    if (status != 0)
        fuzz_fail("'%s' cannot be read with its own shape: %s",
                  tensor->name, err.message);
    if (count && memcmp(values, tensor->data, count * size) != 0)
        fuzz_fail("cnn_safetensors_read_into copied other bytes for '%s'",
                  tensor->name);

    /* One more dimension of 1: the same count, another shape. */
    if (tensor->ndim < 4) {
        int64_t dims[4] = {1, 1, 1, 1};
        memcpy(dims + 1, tensor->dims, (size_t)tensor->ndim * sizeof *dims);
        cnn_error_clear(&err);
        status = read_as_stored(file, tensor, tensor->ndim + 1, dims,
                                values, &err);
        if (status == 0)
            fuzz_fail("'%s' was read with another shape", tensor->name);
        fuzz_check_error(status, &err, "cnn_safetensors_read_into");
    }
    free(values);
}

/* Written by cnn_safetensors_write and read back: the same tensors. */
static void check_round_trip(const struct cnn_safetensors *file)
{
    int count = cnn_safetensors_count(file);
    struct cnn_st_tensor *tensors = calloc(count ? (size_t)count : 1,
                                           sizeof *tensors);
    if (!tensors)
        fuzz_fail("out of memory");
    for (int i = 0; i < count; i++)
        tensors[i] = *cnn_safetensors_at(file, i);
    struct cnn_error err = {0};
    int status = cnn_safetensors_write(copy_path, tensors, count, NULL, 0,
                                       &err);
    fuzz_check_error(status, &err, "cnn_safetensors_write");
    if (status != 0)
        fuzz_fail("a file the reader accepts cannot be written back: %s",
                  err.message);
    struct cnn_safetensors *copy;
    status = cnn_safetensors_open(copy_path, &copy, &err);
    if (status != 0)
        fuzz_fail("the writer's file does not read back: %s", err.message);
    if (cnn_safetensors_count(copy) != count)
        fuzz_fail("%d tensors written, %d read back", count,
                  cnn_safetensors_count(copy));
    for (int i = 0; i < count; i++) {
        const struct cnn_st_tensor *again = cnn_safetensors_at(copy, i);
        if (strcmp(again->name, tensors[i].name) != 0
            || again->ndim != tensors[i].ndim
            || memcmp(again->dims, tensors[i].dims,
                      (size_t)again->ndim * sizeof *again->dims)
                   != 0
            || again->dtype != tensors[i].dtype
            || memcmp(again->data, tensors[i].data,
                      element_count(again) * cnn_st_dtype_size(again->dtype))
                   != 0)
            fuzz_fail("tensor %d ('%s') reads back changed", i,
                      tensors[i].name);
    }
    cnn_safetensors_close(copy);
    free(tensors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write_file(input_path, data, size);
    struct cnn_safetensors *file;
    struct cnn_error err = {0};
    int status = cnn_safetensors_open(input_path, &file, &err);
    fuzz_check_error(status, &err, "cnn_safetensors_open");
    if (status != 0)
        return 0;
    int count = cnn_safetensors_count(file);
    if (count < 0)
        fuzz_fail("%d tensors", count);
    for (int i = 0; i < count; i++)
        check_tensor(file, cnn_safetensors_at(file, i));
    if (cnn_safetensors_at(file, count) || cnn_safetensors_at(file, -1))
        fuzz_fail("cnn_safetensors_at answers outside 0..count-1");
    static const char *const keys[] = {"format", "epoch", "cnnlab", ""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        (void)cnn_safetensors_metadata(file, keys[i]);
    if (!cnn_safetensors_find(file, "\x01no such tensor")) {
        cnn_error_clear(&err);
        status = cnn_safetensors_read_into(file, "\x01no such tensor", 0,
                                           NULL, NULL, &err);
        if (status == 0)
            fuzz_fail("a missing tensor was read");
        fuzz_check_error(status, &err, "cnn_safetensors_read_into");
    }
    check_round_trip(file);
    cnn_safetensors_close(file);
    return 0;
}
