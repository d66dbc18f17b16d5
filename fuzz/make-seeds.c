/* cnnlab fuzzing — writes the binary seeds of fuzz/corpus: small valid
 * inputs (and a few near misses) from which the fuzzers start, so they
 * reach the deep paths in seconds instead of hours. The text seeds (the
 * manifests) are written by hand. Run from the fuzz build directory:
 *   fuzz/make-seeds $srcdir/fuzz/corpus
 * It overwrites the files it makes and leaves every other file alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <zlib.h>

#include "model/safetensors.h"

struct buffer {
    unsigned char *bytes;
    size_t size, capacity;
};

static void die(const char *what)
{
    fprintf(stderr, "make-seeds: %s\n", what);
    exit(1);
}

static void append(struct buffer *buffer, const void *bytes, size_t size)
{
    if (buffer->size + size > buffer->capacity) {
        size_t capacity = (buffer->size + size) * 2;
        unsigned char *bigger = realloc(buffer->bytes, capacity);
        if (!bigger)
            die("out of memory");
        buffer->bytes = bigger;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->size, bytes, size);
    buffer->size += size;
}

static void write_file(const char *directory, const char *name,
                       const void *bytes, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(bytes, 1, size, file) != size || fclose(file) != 0)
        die(path);
}

static unsigned char pixel(int x, int y, int c)
{
    return (unsigned char)(x * 37 + y * 11 + c * 50);
}

/* ---- IDX -------------------------------------------------------------- */

static void append_u32(struct buffer *buffer, unsigned value)
{
    unsigned char bytes[4] = {(unsigned char)(value >> 24),
                              (unsigned char)(value >> 16),
                              (unsigned char)(value >> 8),
                              (unsigned char)value};
    append(buffer, bytes, 4);
}

static struct buffer idx_images(int count, int rows, int cols)
{
    struct buffer file = {0};
    append_u32(&file, 0x803);
    append_u32(&file, (unsigned)count);
    append_u32(&file, (unsigned)rows);
    append_u32(&file, (unsigned)cols);
    for (int i = 0; i < count; i++)
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++) {
                unsigned char value = pixel(x, y, i);
                append(&file, &value, 1);
            }
    return file;
}

static struct buffer idx_labels(int count)
{
    struct buffer file = {0};
    append_u32(&file, 0x801);
    append_u32(&file, (unsigned)count);
    for (int i = 0; i < count; i++) {
        unsigned char label = (unsigned char)(i * 7 % 10);
        append(&file, &label, 1);
    }
    return file;
}

static struct buffer gzipped(const struct buffer *plain)
{
    struct buffer out = {0};
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    /* 15 + 16: a gzip header and trailer, as gzip(1) writes. */
    if (deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
        die("deflateInit2");
    unsigned char chunk[4096];
    stream.next_in = plain->bytes;
    stream.avail_in = (unsigned)plain->size;
    int status;
    do {
        stream.next_out = chunk;
        stream.avail_out = sizeof chunk;
        status = deflate(&stream, Z_FINISH);
        append(&out, chunk, sizeof chunk - stream.avail_out);
    } while (status == Z_OK);
    if (status != Z_STREAM_END)
        die("deflate");
    deflateEnd(&stream);
    return out;
}

/* One fuzz-idx input: the options byte, then the four files (see
 * fuzz/idx.c); gzip[i] compresses file i. */
static void idx_seed(const char *directory, const char *name,
                     unsigned char options, const int gzip[4], int rows,
                     int cols, int truncate_last)
{
    struct buffer files[4] = {idx_images(12, rows, cols), idx_labels(12),
                              idx_images(4, rows, cols), idx_labels(4)};
    struct buffer input = {0};
    append(&input, &options, 1);
    for (int i = 0; i < 4; i++) {
        struct buffer part = gzip[i] ? gzipped(&files[i]) : files[i];
        if (i == 3 && truncate_last)
            part.size -= 3;
        if (i)
            append(&input, "\n--idx--\n", 9);
        append(&input, part.bytes, part.size);
        if (gzip[i])
            free(part.bytes);
        free(files[i].bytes);
    }
    write_file(directory, name, input.bytes, input.size);
    free(input.bytes);
}

static void idx_seeds(const char *corpus)
{
    char directory[4096];
    snprintf(directory, sizeof directory, "%s/idx", corpus);
    static const int plain[4] = {0, 0, 0, 0}, gzip[4] = {1, 1, 1, 1},
                     mixed[4] = {1, 0, 0, 1};
    /* val 0, as stored */
    idx_seed(directory, "plain", 0x00, plain, 3, 4, 0);
    /* val 1, size 5, 3 channels */
    idx_seed(directory, "gzip-rgb-5", 0x01 | 3 << 2 | 0x20, gzip, 3, 4, 0);
    /* val 2, size 40, limit 2, fashion-mnist names */
    idx_seed(directory, "mixed-40-limit", 0x02 | 6 << 2 | 0x40 | 0x80, mixed,
             5, 2, 0);
    /* val 5, size 1; the last gzip file lacks its checksum */
    idx_seed(directory, "gzip-truncated", 0x03 | 1 << 2, gzip, 2, 2, 1);
}

/* ---- safetensors ------------------------------------------------------ */

static void safetensors_seeds(const char *corpus)
{
    char path[4096];
    struct cnn_error err = {0};
    float weights[6] = {0.5f, -1.0f, 2.0f, 0.0f, 1e-3f, -7.25f};
    float bias[3] = {1.0f, 2.0f, 3.0f};
    float scalar = 42.0f;
    struct cnn_st_tensor tensors[] = {
        {"conv1.weight", 4, {1, 1, 2, 3}, {weights}, CNN_ST_F32},
        {"conv1.bias", 1, {3}, {bias}, CNN_ST_F32},
        {"step", 0, {0}, {&scalar}, CNN_ST_F32},
        {"empty", 2, {0, 5}, {bias}, CNN_ST_F32},
    };
    struct cnn_st_metadata metadata[] = {{"format", "pt"},
                                         {"epoch", "3"}};
    snprintf(path, sizeof path, "%s/safetensors/written", corpus);
    if (cnn_safetensors_write(path, tensors, 4, metadata, 2, &err) != 0)
        die(err.message);

    /* As another writer may write it: no padding, the data of the second
     * tensor at an offset that is not a multiple of 4 (one byte of slack
     * first), and no metadata. */
    static const char header[] =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[9,13]}}";
    struct buffer file = {0};
    unsigned long long length = sizeof header - 1;
    unsigned char length_bytes[8];
    for (int i = 0; i < 8; i++)
        length_bytes[i] = (unsigned char)(length >> (8 * i));
    append(&file, length_bytes, 8);
    append(&file, header, sizeof header - 1);
    append(&file, weights, 8);
    append(&file, "\0", 1);
    append(&file, bias, 4);
    snprintf(path, sizeof path, "%s/safetensors", corpus);
    write_file(path, "unaligned", file.bytes, file.size);
    free(file.bytes);
}

/* ---- JPEG ------------------------------------------------------------- */

struct jpeg_options {
    int width, height, components;
    J_COLOR_SPACE space;
    int quality, progressive, arithmetic, restart_rows, subsampled;
};

static void jpeg_seed(const char *directory, const char *name,
                      const struct jpeg_options *options)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr errors;
    cinfo.err = jpeg_std_error(&errors);
    jpeg_create_compress(&cinfo);
    unsigned char *bytes = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &bytes, &size);
    cinfo.image_width = (JDIMENSION)options->width;
    cinfo.image_height = (JDIMENSION)options->height;
    cinfo.input_components = options->components;
    cinfo.in_color_space = options->space;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, options->quality, TRUE);
    if (options->progressive)
        jpeg_simple_progression(&cinfo);
    cinfo.arith_code = options->arithmetic ? TRUE : FALSE;
    cinfo.restart_in_rows = options->restart_rows;
    if (options->components == 3 && !options->subsampled)
        for (int c = 0; c < 3; c++)
            cinfo.comp_info[c].h_samp_factor =
                cinfo.comp_info[c].v_samp_factor = 1;
    jpeg_start_compress(&cinfo, TRUE);
    size_t row_size = (size_t)options->width * options->components;
    unsigned char *row = malloc(row_size);
    if (!row)
        die("out of memory");
    while (cinfo.next_scanline < cinfo.image_height) {
        for (int x = 0; x < options->width; x++)
            for (int c = 0; c < options->components; c++)
                row[(size_t)x * options->components + c] =
                    pixel(x, (int)cinfo.next_scanline, c);
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    write_file(directory, name, bytes, size);
    free(row);
    free(bytes);
}

static void jpeg_seeds(const char *corpus)
{
    char directory[4096];
    snprintf(directory, sizeof directory, "%s/jpeg", corpus);
    struct jpeg_options gray = {7, 5, 1, JCS_GRAYSCALE, 90, 0, 0, 0, 0};
    jpeg_seed(directory, "gray-7x5.jpg", &gray);
    struct jpeg_options rgb = {16, 16, 3, JCS_RGB, 75, 0, 0, 0, 1};
    jpeg_seed(directory, "rgb-420-16x16.jpg", &rgb);
    struct jpeg_options full = {9, 13, 3, JCS_RGB, 95, 0, 0, 0, 0};
    jpeg_seed(directory, "rgb-444-9x13.jpg", &full);
    struct jpeg_options progressive = {40, 8, 3, JCS_RGB, 80, 1, 0, 0, 1};
    jpeg_seed(directory, "progressive-40x8.jpg", &progressive);
    struct jpeg_options restarts = {24, 32, 3, JCS_RGB, 60, 0, 0, 1, 1};
    jpeg_seed(directory, "restarts-24x32.jpg", &restarts);
    struct jpeg_options arithmetic = {12, 12, 1, JCS_GRAYSCALE, 85, 0, 1, 0,
                                      0};
    jpeg_seed(directory, "arithmetic-12x12.jpg", &arithmetic);
    struct jpeg_options one = {1, 1, 3, JCS_RGB, 50, 0, 0, 0, 1};
    jpeg_seed(directory, "rgb-1x1.jpg", &one);
    /* Refused (CMYK), but the header path is worth a seed. */
    struct jpeg_options cmyk = {4, 4, 4, JCS_CMYK, 90, 0, 0, 0, 0};
    jpeg_seed(directory, "cmyk-4x4.jpg", &cmyk);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIRECTORY (fuzz/corpus)\n",
                argv[0]);
        return 2;
    }
    idx_seeds(argv[1]);
    safetensors_seeds(argv[1]);
    jpeg_seeds(argv[1]);
    return 0;
}
