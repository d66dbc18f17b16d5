/* The memory one JPEG decode holds is bounded (issue 19, class 9a;
 * docs/reliability.md, "Resources"): a progressive 16384×6100 image took
 * 0.9 GB per decoding thread. jpeg_decode.c is compiled in and called
 * directly.
 * - A large baseline image (16384×6100 gray, 100 megapixels, written row by
 *   row so the test itself never holds it) decodes to the right pixels
 *   while the process's peak resident size grows by under 16 MiB: libjpeg
 *   decodes it at 1/8 scale, 2048×763, the closest to the target size
 *   (the old build held the full 95 MiB image).
 * - A progressive image whose whole-image buffers would need over 256 MiB
 *   (8192×6144 RGB, 288 MiB) is refused before they are allocated, the
 *   file and the limit in the message (the old build allocated them and
 *   then found the file truncated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <jpeglib.h>

#include "imagefolder-fixtures.h"
#include "jpeg_decode.h"
#include "test-util.h"

static long peak_kib(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

/* A flat gray image of width × height at `level`, one row in memory. */
static void write_big_flat(const char *path, int width, int height, int level)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr manager;
    cinfo.err = jpeg_std_error(&manager);
    jpeg_create_compress(&cinfo);
    FILE *file = fopen(path, "wb");
    if (!file) {
        perror(path);
        exit(99);
    }
    jpeg_stdio_dest(&cinfo, file);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 1;
    cinfo.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 90, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    JSAMPROW row = malloc((size_t)width);
    memset(row, level, (size_t)width);
    while (cinfo.next_scanline < cinfo.image_height)
        jpeg_write_scanlines(&cinfo, &row, 1);
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    fclose(file);
}

/* A 16×16 progressive RGB JPEG (no chroma subsampling) whose frame header
 * then declares width × height: the header is all libjpeg needs to size its
 * whole-image buffers. */
static void write_progressive_header(const char *path, int width, int height)
{
    uint8_t pixels[16 * 16 * 3];
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t)(i * 7);
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr manager;
    cinfo.err = jpeg_std_error(&manager);
    jpeg_create_compress(&cinfo);
    unsigned char *bytes = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &bytes, &size);
    cinfo.image_width = 16;
    cinfo.image_height = 16;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    for (int c = 0; c < 3; c++)
        cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
    jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = pixels + cinfo.next_scanline * 16 * 3;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    /* SOF2: FF C2, length (2), precision (1), height (2), width (2). */
    for (unsigned long i = 0; i + 9 < size; i++)
        if (bytes[i] == 0xFF && bytes[i + 1] == 0xC2) {
            bytes[i + 5] = (uint8_t)(height >> 8);
            bytes[i + 6] = (uint8_t)height;
            bytes[i + 7] = (uint8_t)(width >> 8);
            bytes[i + 8] = (uint8_t)width;
            break;
        }
    fixture_write_bytes(path, bytes, size);
    free(bytes);
}

int main(void)
{
    char base[256];
    snprintf(base, sizeof base, "%s", fixture_temp_root("jpeg-bounds"));
    struct loaders_jpeg_worker worker;
    memset(&worker, 0, sizeof worker);
    struct cnn_error err;
    const int size = 84;
    uint8_t out[84 * 84];

    const char *big = fixture_path("%s/big.jpg", base);
    write_big_flat(big, 16384, 6100, 100);
    long before = peak_kib();
    memset(&err, 0, sizeof err);
    int status = loaders_jpeg_decode_file(&worker, big, size, 1, out, &err);
    long grown = peak_kib() - before;
    if (!ok(status == 0, "a 16384×6100 baseline JPEG decodes"))
        diag("%s", err.message);
    int worst = 0;
    for (int i = 0; i < size * size; i++) {
        int d = abs((int)out[i] - 100);
        worst = d > worst ? d : worst;
    }
    ok(worst <= 1, "  to the right pixels (max difference from the flat "
                   "level %d)", worst);
    ok(grown < 16 * 1024,
       "  the peak resident size grows by %ld KiB (under 16 MiB: decoded "
       "at a reduced scale, not the full %zu MiB)",
       grown, ((size_t)16384 * 6100) >> 20);
    is_int(worker.decoded_capacity, (size_t)2048 * 763,
           "  decoded at 1/8 scale: 2048×763");

    const char *progressive = fixture_path("%s/progressive.jpg", base);
    write_progressive_header(progressive, 8192, 6144);
    memset(&err, 0, sizeof err);
    before = peak_kib();
    status = loaders_jpeg_decode_file(&worker, progressive, size, 1, out, &err);
    grown = peak_kib() - before;
    is_int(status, -1, "a progressive 8192×6144 RGB JPEG is refused");
    like(err.message, progressive, "  the message names the file");
    like(err.message,
         "is a progressive JPEG of 8192×6144 whose decoding needs over 256 "
         "MiB",
         "  says the image and the limit");
    like(err.message, "baseline", "  and what would fix it");
    ok(grown < 64 * 1024,
       "  before its buffers are allocated (the peak grew by %ld KiB)",
       grown);

    /* A small progressive image still decodes. */
    write_progressive_header(progressive, 16, 16);
    memset(&err, 0, sizeof err);
    status = loaders_jpeg_decode_file(&worker, progressive, 8, 3, out, &err);
    if (!ok(status == 0, "a 16×16 progressive JPEG decodes"))
        diag("%s", err.message);

    loaders_jpeg_worker_free(&worker);
    fixture_remove_tree(base);
    return done_testing();
}
