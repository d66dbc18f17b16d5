/* safetensors checkpoints: round trip, the exact bytes of a small file, and
 * a clear error (never a crash) for every kind of damaged or foreign file.
 *
 * Also the helper of t/safetensors-python.sh:
 *   test-safetensors --write PATH        writes the reference file below
 *   test-safetensors --read PATH [KEY..] prints "NAME [dims] SUM" per tensor
 *                                        and "KEY=VALUE" per metadata key */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/safetensors.h"
#include "tap.h"

static char directory[256];

static void path_in_dir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", directory, name);
}

/* ---- the reference file (also checked from Python) ----------------- */

/* Values are small multiples of 1/8, exact in float32, so every reader
 * must reproduce them bit for bit. */
static float conv_weight[2 * 3 * 2 * 2]; /* [2, 3, 2, 2] */
static float conv_bias[2] = {0.25f, -1.5f};
static float scalar_value[1] = {3.5f};    /* shape [] */
static float fc_weight[3 * 4];           /* [3, 4] */

static void fill_reference(void)
{
    for (int i = 0; i < 24; i++)
        conv_weight[i] = (float)i * 0.5f - 3.0f;
    for (int i = 0; i < 12; i++)
        fc_weight[i] = (float)(i % 7) - 2.125f;
}

static const struct cnn_st_tensor reference[] = {
    {"conv1.weight", 4, {2, 3, 2, 2}, {conv_weight}, CNN_ST_F32},
    {"conv1.bias", 1, {2}, {conv_bias}, CNN_ST_F32},
    {"scalar", 0, {0}, {scalar_value}, CNN_ST_F32},
    {"empty", 2, {0, 3}, {NULL}, CNN_ST_F32},
    {"fc.weight", 2, {3, 4}, {fc_weight}, CNN_ST_F32},
};
#define REFERENCE_COUNT 5

static const struct cnn_st_metadata reference_metadata[] = {
    {"epoch", "7"},
    {"format", "pt"},
};

static int64_t elements_of(const struct cnn_st_tensor *tensor)
{
    int64_t count = 1;
    for (int i = 0; i < tensor->ndim; i++)
        count *= tensor->dims[i];
    return count;
}

static int write_reference(const char *path, struct cnn_error *err)
{
    fill_reference();
    return cnn_safetensors_write(path, reference, REFERENCE_COUNT,
                                 reference_metadata, 2, err);
}

static int helper_write(const char *path)
{
    struct cnn_error err = {0};
    if (write_reference(path, &err) != 0) {
        fprintf(stderr, "test-safetensors: %s\n", err.message);
        return 1;
    }
    return 0;
}

static int helper_read(const char *path, int key_count, char **keys)
{
    struct cnn_error err = {0};
    struct cnn_safetensors *file;
    if (cnn_safetensors_open(path, &file, &err) != 0) {
        fprintf(stderr, "test-safetensors: %s\n", err.message);
        return 1;
    }
    for (int i = 0; i < cnn_safetensors_count(file); i++) {
        const struct cnn_st_tensor *tensor = cnn_safetensors_at(file, i);
        double sum = 0;
        for (int64_t j = 0; j < elements_of(tensor); j++)
            sum += tensor->data[j];
        printf("%s [", tensor->name);
        for (int d = 0; d < tensor->ndim; d++)
            printf("%s%lld", d ? ", " : "", (long long)tensor->dims[d]);
        printf("] %.9g\n", sum);
    }
    for (int i = 0; i < key_count; i++) {
        const char *value = cnn_safetensors_metadata(file, keys[i]);
        printf("%s=%s\n", keys[i], value ? value : "(none)");
    }
    cnn_safetensors_close(file);
    return 0;
}

/* ---- helpers for hand-made files ----------------------------------- */

static void write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *stream = fopen(path, "wb");
    if (!stream || (size && fwrite(bytes, 1, size, stream) != size) ||
        fclose(stream) != 0) {
        perror(path);
        exit(2);
    }
}

/* A file with the given header length field, header text (not padded)
 * and `data_size` data bytes counting 0, 1, 2, ... */
static void write_raw_with_length(const char *path, uint64_t length,
                                  const char *header, size_t data_size)
{
    size_t header_size = strlen(header);
    size_t size = 8 + header_size + data_size;
    unsigned char *bytes = malloc(size);
    if (!bytes)
        exit(2);
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)(length >> (8 * i));
    memcpy(bytes + 8, header, header_size);
    for (size_t i = 0; i < data_size; i++)
        bytes[8 + header_size + i] = (unsigned char)i;
    write_bytes(path, bytes, size);
    free(bytes);
}

static void write_raw(const char *path, const char *header, size_t data_size)
{
    write_raw_with_length(path, strlen(header), header, data_size);
}

static unsigned char *read_bytes(const char *path, size_t *size)
{
    FILE *stream = fopen(path, "rb");
    unsigned char *bytes = malloc(1 << 16);
    if (!stream || !bytes)
        exit(2);
    *size = fread(bytes, 1, 1 << 16, stream);
    fclose(stream);
    return bytes;
}

/* Opens `path` expecting failure with a message containing `needle` and
 * the file's name. */
static void rejects(const char *path, const char *needle, const char *what)
{
    struct cnn_error err = {0};
    struct cnn_safetensors *file = (struct cnn_safetensors *)1;
    int status = cnn_safetensors_open(path, &file, &err);
    if (!ok(status == -1 && file == NULL, "rejects %s", what)) {
        cnn_safetensors_close(status == 0 ? file : NULL);
        return;
    }
    diag("%s", err.message);
    like(err.message, needle, "  with the reason");
    like(err.message, path, "  and the file name");
}

/* ---- tests ---------------------------------------------------------- */

static void test_round_trip(const char *path)
{
    struct cnn_error err = {0};
    is_int(write_reference(path, &err), 0, "write the reference file");
    if (err.failed)
        diag("%s", err.message);

    struct cnn_safetensors *file = NULL;
    is_int(cnn_safetensors_open(path, &file, &err), 0, "open it again");
    if (!file) {
        diag("%s", err.message);
        return;
    }
    is_int(cnn_safetensors_count(file), REFERENCE_COUNT,
           "every tensor is there");
    int same = cnn_safetensors_count(file) == REFERENCE_COUNT;
    for (int i = 0; same && i < REFERENCE_COUNT; i++) {
        const struct cnn_st_tensor *got = cnn_safetensors_at(file, i);
        const struct cnn_st_tensor *want = &reference[i];
        same = strcmp(got->name, want->name) == 0 && got->ndim == want->ndim &&
               memcmp(got->dims, want->dims,
                      (size_t)want->ndim * sizeof *want->dims) == 0;
        if (same && elements_of(want) > 0)
            same = memcmp(got->data, want->data,
                          (size_t)elements_of(want) * sizeof(float)) == 0;
        if (!same)
            diag("tensor %d ('%s') differs", i, want->name);
        if ((uintptr_t)got->data % sizeof(float) != 0) {
            same = 0;
            diag("tensor %d data is not float-aligned", i);
        }
    }
    ok(same, "names in order, shapes and bits match; data is aligned");

    const struct cnn_st_tensor *scalar = cnn_safetensors_find(file, "scalar");
    ok(scalar && scalar->ndim == 0 && scalar->data[0] == 3.5f,
       "a 0-dim tensor holds one value");
    const struct cnn_st_tensor *empty = cnn_safetensors_find(file, "empty");
    ok(empty && empty->ndim == 2 && empty->dims[0] == 0 && empty->dims[1] == 3,
       "an empty tensor keeps its shape [0, 3]");
    ok(cnn_safetensors_find(file, "nothing") == NULL,
       "find of an unknown name is NULL");
    ok(cnn_safetensors_at(file, -1) == NULL &&
           cnn_safetensors_at(file, REFERENCE_COUNT) == NULL,
       "at() out of range is NULL");
    is_str(cnn_safetensors_metadata(file, "epoch"), "7", "metadata epoch");
    is_str(cnn_safetensors_metadata(file, "format"), "pt", "metadata format");
    ok(cnn_safetensors_metadata(file, "missing") == NULL,
       "a missing metadata key is NULL");

    float bias[2] = {0, 0};
    int64_t bias_dims[1] = {2};
    is_int(cnn_safetensors_read_into(file, "conv1.bias", 1, bias_dims, bias,
                                     &err),
           0, "read_into with the right shape");
    ok(bias[0] == 0.25f && bias[1] == -1.5f, "read_into copies the values");
    float value = 0;
    is_int(cnn_safetensors_read_into(file, "scalar", 0, NULL, &value, &err),
           0, "read_into a scalar");
    ok(value == 3.5f, "  gets 3.5");
    cnn_safetensors_close(file);

    /* No tensors, no metadata: still a valid file ("{}" padded). */
    char none[512];
    path_in_dir(none, sizeof none, "none.safetensors");
    is_int(cnn_safetensors_write(none, NULL, 0, NULL, 0, &err), 0,
           "write a file without tensors");
    is_int(cnn_safetensors_open(none, &file, &err), 0, "and read it");
    if (file) {
        is_int(cnn_safetensors_count(file), 0, "it has no tensors");
        ok(cnn_safetensors_metadata(file, "epoch") == NULL, "nor metadata");
        cnn_safetensors_close(file);
    }
}

static void test_exact_bytes(void)
{
    char path[512];
    struct cnn_error err = {0};
    static const float values[2] = {1.0f, 2.0f};
    const struct cnn_st_tensor tensor = {"a", 1, {2}, {values}, CNN_ST_F32};
    const struct cnn_st_metadata metadata = {"k", "v"};
    const char *json = "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":"
                       "\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t json_size = strlen(json);
    size_t padded = (json_size + 7) / 8 * 8;

    path_in_dir(path, sizeof path, "tiny.safetensors");
    is_int(cnn_safetensors_write(path, &tensor, 1, &metadata, 1, &err), 0,
           "write a tiny file");
    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    is_int(size, 8 + padded + 8, "file size is 8 + padded header + 8");
    uint64_t length = 0;
    for (int i = 0; i < 8; i++)
        length |= (uint64_t)bytes[i] << (8 * i);
    is_int(length, padded, "header length field (little-endian u64)");
    is_int((8 + length) % 8, 0, "the data area starts at a multiple of 8");
    ok(size >= 8 + padded && memcmp(bytes + 8, json, json_size) == 0,
       "header JSON: metadata first, then tensors, compact");
    int spaces = 1;
    for (size_t i = json_size; i < padded && 8 + i < size; i++)
        spaces = spaces && bytes[8 + i] == ' ';
    ok(spaces, "the header is padded with spaces");
    static const unsigned char data[8] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40};
    ok(size == 8 + padded + 8 && memcmp(bytes + 8 + padded, data, 8) == 0,
       "data is little-endian float32 1.0, 2.0");
    free(bytes);
}

/* The reference file cut short at several points. */
static void test_truncated(const char *reference_path)
{
    size_t size;
    unsigned char *bytes = read_bytes(reference_path, &size);
    uint64_t length = 0;
    for (int i = 0; i < 8; i++)
        length |= (uint64_t)bytes[i] << (8 * i);
    char path[512];
    path_in_dir(path, sizeof path, "cut.safetensors");
    struct {
        size_t at;
        const char *needle, *what;
    } cuts[] = {
        {0, "too short", "an empty file"},
        {3, "too short", "a file cut inside the length"},
        {7, "too short", "a file cut just before the header"},
        {8, "beyond the end", "a file with only the length"},
        {8 + 10, "beyond the end", "a file cut inside the header"},
        {8 + length - 1, "beyond the end", "a file cut at the header's end"},
        {8 + length, "outside the data area", "a file without data"},
        {8 + length + 5, "outside the data area", "a file cut inside data"},
        {size - 1, "outside the data area", "a file missing its last byte"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_bytes(path, bytes, cuts[i].at);
        rejects(path, cuts[i].needle, cuts[i].what);
    }
    free(bytes);
}

static void test_rejections(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "bad.safetensors");
    char message[1024];

    write_raw_with_length(path, 1000, "{}", 40);
    rejects(path, "header length 1000 is beyond", "a header length > file");

    write_raw(path, "", 0);
    rejects(path, "not valid JSON", "an empty header");
    write_raw(path, "{\"a\": ", 0);
    rejects(path, "not valid JSON", "invalid JSON");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                    "\"data_offsets\":[0,4]}}garbage", 4);
    rejects(path, "not valid JSON", "trailing garbage after the JSON");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[],"
                    "\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\","
                    "\"shape\":[],\"data_offsets\":[0,4]}}", 4);
    rejects(path, "duplicate", "a name given twice");
    write_raw(path, "[1, 2]", 0);
    rejects(path, "not an object", "a header that is an array");
    write_raw(path, "{\"\":{\"dtype\":\"F32\",\"shape\":[1],"
                    "\"data_offsets\":[0,4]}}", 4);
    rejects(path, "a tensor has an empty name",
            "a tensor named '' (the writer refuses it too)");
    write_raw(path, "{\"a\": 5}", 0);
    rejects(path, "'a' is described by a JSON integer",
            "an entry that is not an object");

    write_raw(path, "{\"conv1.weight\":{\"dtype\":\"F16\",\"shape\":[2],"
                    "\"data_offsets\":[0,4]}}", 4);
    snprintf(message, sizeof message,
             "'%s': tensor 'conv1.weight' has dtype F16; cnnlab reads F32 "
             "(and I64 for integer buffers such as num_batches_tracked) "
             "only", path);
    rejects(path, message, "dtype F16");
    write_raw(path, "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    rejects(path, "has no dtype", "a missing dtype");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4);
    rejects(path, "has no shape", "a missing shape");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],"
                    "\"data_offsets\":[0,4]}}", 4);
    rejects(path, "5 dimensions", "five dimensions");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],"
                    "\"data_offsets\":[0,4]}}", 4);
    rejects(path, "dimension 0 is out of range", "a negative dimension");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627777],"
                    "\"data_offsets\":[0,4]}}", 4);
    rejects(path, "dimension 0 is out of range", "a dimension over 2^40");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],"
                    "\"data_offsets\":[0,4]}}", 4);
    rejects(path, "dimension 0 is a fraction", "a fractional dimension");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,"
                    "1099511627776,1099511627776,1099511627776],"
                    "\"data_offsets\":[0,4]}}", 4);
    rejects(path, "too many values", "a shape whose size overflows");

    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                    "\"data_offsets\":[0,8]}}", 4);
    rejects(path, "data_offsets [0, 8] outside the data area of 4 bytes",
            "offsets beyond the data");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                    "\"data_offsets\":[8,0]}}", 8);
    rejects(path, "outside the data area", "begin after end");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                    "\"data_offsets\":[-4,4]}}", 8);
    rejects(path, "data_offsets is out of range", "a negative offset");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],"
                    "\"data_offsets\":[9223372036854775807,"
                    "9223372036854775807]}}", 8);
    rejects(path, "outside the data area", "an offset near 2^63");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                    "\"data_offsets\":[0]}}", 8);
    rejects(path, "not a list of two integers", "a one-element offset list");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],"
                    "\"data_offsets\":[0,8]}}", 8);
    rejects(path, "(3 F32 values, 12 bytes) but data_offsets [0, 8] hold 8 bytes",
            "a size that does not match the shape");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                    "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\","
                    "\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    rejects(path, "'a' [0, 8] and 'b' [4, 12] overlap",
            "overlapping tensors");
    write_raw(path, "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],"
                    "\"data_offsets\":[8,12]},\"a\":{\"dtype\":\"F32\","
                    "\"shape\":[3],\"data_offsets\":[0,12]}}", 12);
    rejects(path, "overlap", "overlapping tensors listed out of order");

    write_raw(path, "{\"__metadata__\":{\"epoch\":7}}", 0);
    rejects(path, "metadata values must be strings", "non-string metadata");
    write_raw(path, "{\"__metadata__\":[\"x\"]}", 0);
    rejects(path, "__metadata__ is a JSON array", "metadata not an object");
}

/* Files a foreign writer might produce: unpadded header (data area at an
 * odd file offset), a tensor at an offset that is not a multiple of 4,
 * gaps and trailing bytes, empty tensors sharing offsets. */
static void test_foreign_layouts(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "foreign.safetensors");
    struct cnn_error err = {0};
    struct cnn_safetensors *file = NULL;
    /* data bytes are 0, 1, 2, ...: float bits 0x03020100 at offset 0 */
    const char *header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],"
                         "\"data_offsets\":[0,4]},\"y\":{\"dtype\":\"F32\","
                         "\"shape\":[1,1],\"data_offsets\":[6,10]},"
                         "\"e\":{\"dtype\":\"F32\",\"shape\":[0],"
                         "\"data_offsets\":[4,4]},\"f\":{\"dtype\":\"F32\","
                         "\"shape\":[0,2],\"data_offsets\":[4,4]}}";
    ok(strlen(header) % 8 != 0, "the foreign header is not padded to 8");
    write_raw(path, header, 13);
    is_int(cnn_safetensors_open(path, &file, &err), 0,
           "an unpadded header with an odd tensor offset is read");
    if (!file) {
        diag("%s", err.message);
        return;
    }
    const struct cnn_st_tensor *x = cnn_safetensors_find(file, "x");
    const struct cnn_st_tensor *y = cnn_safetensors_find(file, "y");
    uint32_t x_bits = 0, y_bits = 0;
    if (x && y) {
        memcpy(&x_bits, x->data, 4);
        memcpy(&y_bits, y->data, 4);
    }
    is_int(x_bits, 0x03020100u, "x has the bytes at [0, 4)");
    is_int(y_bits, 0x09080706u, "y has the bytes at [6, 10)");
    ok(x && y && (uintptr_t)x->data % 4 == 0 && (uintptr_t)y->data % 4 == 0,
       "both are float-aligned in memory");
    is_int(cnn_safetensors_count(file), 4, "empty tensors at one offset are "
                                           "fine");
    cnn_safetensors_close(file);
}

static void test_large_files(void)
{
    char path[512];
    path_in_dir(path, sizeof path, "sparse.safetensors");
    /* Sparse files: the limits are checked before anything is read. */
    write_raw_with_length(path, 120000000, "{", 0);
    if (truncate(path, 150000000) != 0) {
        skip("cannot make a sparse file here", "header over 100 MB");
    } else {
        rejects(path, "header length 120000000 is over the limit",
                "a header over 100 MB");
    }
    write_raw_with_length(path, 2, "{}", 0);
    if (truncate(path, ((off_t)17) << 30) != 0) {
        skip("cannot make a 17 GiB sparse file here", "file over 16 GiB");
    } else {
        rejects(path, "at most 17179869184 bytes (16 GiB)",
                "a file over 16 GiB");
    }
    unlink(path);
}

static void test_read_into_errors(const char *reference_path)
{
    struct cnn_error err = {0};
    struct cnn_safetensors *file = NULL;
    char expected[1024];
    if (cnn_safetensors_open(reference_path, &file, &err) != 0) {
        ok(0, "open the reference file: %s", err.message);
        return;
    }
    float out[24];
    for (int i = 0; i < 24; i++)
        out[i] = 42.0f;
    int64_t wrong[4] = {4, 3, 2, 2};
    is_int(cnn_safetensors_read_into(file, "conv1.weight", 4, wrong, out,
                                     &err),
           -1, "read_into with the wrong shape fails");
    snprintf(expected, sizeof expected,
             "'%s': conv1.weight has shape [2, 3, 2, 2] in the file, the "
             "model expects [4, 3, 2, 2]", reference_path);
    is_str(err.message, expected, "  and says both shapes");
    ok(out[0] == 42.0f, "  leaving the output untouched");

    int64_t fewer[3] = {2, 3, 4};
    is_int(cnn_safetensors_read_into(file, "conv1.weight", 3, fewer, out,
                                     &err),
           -1, "read_into with fewer dimensions fails");
    like(err.message, "the model expects [2, 3, 4]", "  and says so");

    int64_t bias_dims[1] = {10};
    is_int(cnn_safetensors_read_into(file, "fc2.bias", 1, bias_dims, out,
                                     &err),
           -1, "read_into of a missing tensor fails");
    snprintf(expected, sizeof expected,
             "'%s' has no tensor 'fc2.bias' (it has: conv1.weight, "
             "conv1.bias, scalar, empty, fc.weight)", reference_path);
    is_str(err.message, expected, "  and lists the tensors it has");
    cnn_safetensors_close(file);

    /* Many tensors: the list is cut, not the message. */
    char path[512];
    path_in_dir(path, sizeof path, "many.safetensors");
    enum { MANY = 300 };
    struct cnn_st_tensor *many = calloc(MANY, sizeof *many);
    char (*names)[32] = calloc(MANY, sizeof *names);
    static const float one = 1.0f;
    if (!many || !names)
        exit(2);
    for (int i = 0; i < MANY; i++) {
        snprintf(names[i], sizeof names[i], "block%03d.conv.weight", i);
        many[i] = (struct cnn_st_tensor){names[i], 0, {0}, {&one}, CNN_ST_F32};
    }
    is_int(cnn_safetensors_write(path, many, MANY, NULL, 0, &err), 0,
           "write 300 tensors");
    if (cnn_safetensors_open(path, &file, &err) == 0) {
        is_int(cnn_safetensors_read_into(file, "head.bias", 0, NULL, out,
                                         &err),
               -1, "a missing name among 300 fails");
        like(err.message, "(it has: block000.conv.weight, ",
             "  listing the first names");
        like(err.message, " more)", "  and how many more there are");
        cnn_safetensors_close(file);
    } else {
        ok(0, "open the 300-tensor file: %s", err.message);
    }
    free(many);
    free(names);
}

static void test_write_errors(const char *reference_path)
{
    struct cnn_error err = {0};
    char path[512];
    path_in_dir(path, sizeof path, "write-errors.safetensors");
    static const float values[4] = {1, 2, 3, 4};
    struct cnn_st_tensor two[2] = {
        {"w", 1, {4}, {values}, CNN_ST_F32},
        {"w", 1, {4}, {values}, CNN_ST_F32},
    };
    is_int(cnn_safetensors_write(path, two, 2, NULL, 0, &err), -1,
           "two tensors with one name are refused");
    like(err.message, "two tensors are named 'w'", "  with the name");
    two[1].name = "__metadata__";
    is_int(cnn_safetensors_write(path, two, 2, NULL, 0, &err), -1,
           "a tensor named __metadata__ is refused");
    two[1] = (struct cnn_st_tensor){"v", 5, {1, 1, 1, 1},
        {values}, CNN_ST_F32};
    is_int(cnn_safetensors_write(path, two, 2, NULL, 0, &err), -1,
           "five dimensions are refused");
    like(err.message, "'v' has 5 dimensions", "  naming the tensor");
    two[1] = (struct cnn_st_tensor){"v", 2, {2, -2}, {values}, CNN_ST_F32};
    is_int(cnn_safetensors_write(path, two, 2, NULL, 0, &err), -1,
           "a negative dimension is refused");
    like(err.message, "shape [2, -2]", "  showing the shape");
    two[1] = (struct cnn_st_tensor){"v", 1, {4}, {NULL}, CNN_ST_F32};
    is_int(cnn_safetensors_write(path, two, 2, NULL, 0, &err), -1,
           "missing data is refused");
    const struct cnn_st_metadata twice[2] = {{"k", "1"}, {"k", "2"}};
    is_int(cnn_safetensors_write(path, two, 1, twice, 2, &err), -1,
           "a metadata key given twice is refused");
    ok(access(path, F_OK) != 0, "no file was created by refused writes");

    char missing[512];
    path_in_dir(missing, sizeof missing, "no-such-dir/x.safetensors");
    is_int(cnn_safetensors_write(missing, two, 1, NULL, 0, &err), -1,
           "writing into a missing directory fails");
    like(err.message, missing, "  naming the path");

    /* The write fails with EFBIG half-way (RLIMIT_FSIZE, SIGXFSZ ignored):
     * the existing checkpoint must survive unchanged. */
    size_t before_size;
    unsigned char *before = read_bytes(reference_path, &before_size);
    struct rlimit old_limit, limit;
    enum { BIG = 1 << 16 };
    float *big = calloc(BIG, sizeof *big);
    if (!big)
        exit(2);
    const struct cnn_st_tensor huge = {"huge", 1, {BIG}, {big}, CNN_ST_F32};
    signal(SIGXFSZ, SIG_IGN);
    if (getrlimit(RLIMIT_FSIZE, &old_limit) == 0) {
        limit = old_limit;
        limit.rlim_cur = 8192;
        setrlimit(RLIMIT_FSIZE, &limit);
        is_int(cnn_safetensors_write(reference_path, &huge, 1, NULL, 0, &err),
               -1, "a write that hits the file size limit fails");
        setrlimit(RLIMIT_FSIZE, &old_limit);
        like(err.message, strerror(EFBIG), "  with the reason");
        size_t after_size;
        unsigned char *after = read_bytes(reference_path, &after_size);
        ok(after_size == before_size &&
               memcmp(before, after, before_size) == 0,
           "  and the old checkpoint is unchanged");
        free(after);
    } else {
        skip("getrlimit failed", "write failure");
    }
    signal(SIGXFSZ, SIG_DFL);
    free(big);
    free(before);
}

/* I64 tensors (batch norm's num_batches_tracked, as PyTorch saves it):
 * written with dtype I64 and 8 bytes a value, read back by
 * read_i64_into, and never mistaken for floats either way. */
static void test_int64(void)
{
    char path[512];
    struct cnn_error err = {0};
    static const float weight[3] = {0.5f, -1.0f, 2.0f};
    static const int64_t counts[2] = {7, (int64_t)1 << 40};
    static const int64_t scalar = -3;
    struct cnn_st_tensor tensors[3] = {
        {"0.weight", 1, {3}, {weight}, CNN_ST_F32},
        {"0.counts", 1, {2}, {NULL}, CNN_ST_I64},
        {"0.num_batches_tracked", 0, {0}, {NULL}, CNN_ST_I64},
    };
    tensors[1].i64 = counts;
    tensors[2].i64 = &scalar;
    path_in_dir(path, sizeof path, "int64.safetensors");
    is_int(cnn_safetensors_write(path, tensors, 3, NULL, 0, &err), 0,
           "write F32 and I64 tensors");
    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    ok(bytes && strstr((const char *)bytes + 8,
                       "\"0.counts\":{\"dtype\":\"I64\",\"shape\":[2],"
                       "\"data_offsets\":[12,28]}") != NULL,
       "the header says I64 with 8 bytes a value");
    free(bytes);
    struct cnn_safetensors *file = NULL;
    if (cnn_safetensors_open(path, &file, &err) != 0) {
        ok(0, "open it again (%s)", err.message);
        return;
    }
    const struct cnn_st_tensor *got = cnn_safetensors_find(file, "0.counts");
    ok(got && got->dtype == CNN_ST_I64 && got->i64[0] == 7 &&
           got->i64[1] == ((int64_t)1 << 40),
       "I64 values read back exactly");
    int64_t into[2] = {0, 0}, one = 0;
    const int64_t two[1] = {2};
    is_int(cnn_safetensors_read_i64_into(file, "0.counts", 1, two, into,
                                         &err),
           0, "read_i64_into");
    ok(into[0] == 7 && into[1] == ((int64_t)1 << 40), "  copies the values");
    is_int(cnn_safetensors_read_i64_into(file, "0.num_batches_tracked", 0,
                                         NULL, &one, &err),
           0, "read_i64_into a scalar");
    ok(one == -3, "  gets -3");
    float floats[2];
    is_int(cnn_safetensors_read_into(file, "0.counts", 1, two, floats, &err),
           -1, "read_into (F32) of an I64 tensor fails");
    like(err.message, "0.counts has dtype I64 in the file, the model keeps "
         "it as F32", "  naming both dtypes");
    const int64_t three[1] = {3};
    is_int(cnn_safetensors_read_i64_into(file, "0.weight", 1, three, into,
                                         &err),
           -1, "read_i64_into of an F32 tensor fails");
    like(err.message, "has dtype F32 in the file", "  naming the dtype");
    cnn_safetensors_close(file);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--write") == 0)
        return helper_write(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "--read") == 0)
        return helper_read(argv[2], argc - 3, argv + 3);
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--write PATH | --read PATH [KEY...]]\n",
                argv[0]);
        return 2;
    }

    const char *base = getenv("TMPDIR");
    snprintf(directory, sizeof directory, "%s/cnnlab-st-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(directory)) {
        perror("mkdtemp");
        return 2;
    }
    char reference_path[512];
    path_in_dir(reference_path, sizeof reference_path,
                "reference.safetensors");

    test_round_trip(reference_path);
    test_exact_bytes();
    test_truncated(reference_path);
    test_rejections();
    test_foreign_layouts();
    test_large_files();
    test_read_into_errors(reference_path);
    test_write_errors(reference_path);
    test_int64();

    const char *names[] = {"reference", "none", "tiny", "cut", "bad",
                           "foreign", "sparse", "many", "write-errors"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[512], file_name[64];
        snprintf(file_name, sizeof file_name, "%s.safetensors", names[i]);
        path_in_dir(path, sizeof path, file_name);
        unlink(path);
    }
    if (rmdir(directory) != 0)
        diag("could not remove %s: %s", directory, strerror(errno));
    return done_testing();
}
