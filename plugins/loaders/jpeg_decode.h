/* cnnlab — decoding one JPEG file into a square 8-bit NCHW image, with
 * libjpeg-turbo behind an error manager that never prints and never exits:
 * a damaged file is an error naming it. */
#ifndef CNNLAB_PLUGINS_LOADERS_JPEG_DECODE_H
#define CNNLAB_PLUGINS_LOADERS_JPEG_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/error.h"
#include "resize.h"

/* Limits checked on the header, before anything is allocated for the
 * image, so a forged header cannot exhaust memory. */
#define LOADERS_JPEG_MAX_SIDE 16384
#define LOADERS_JPEG_MAX_PIXELS 100000000.0
#define LOADERS_JPEG_MAX_FILE_BYTES ((size_t)256 << 20)

/* What one decode may hold beyond the file's bytes, so that N decoding
 * threads hold at most N times this (issue 19, class 9: a progressive
 * 16384×6100 image took 0.9 GB per thread).
 * - The decoded image: one that would decode to more than
 *   LOADERS_JPEG_MAX_DECODED_MIB is decoded by libjpeg at a reduced scale
 *   (M/8, the smallest M that keeps both sides at least the target size:
 *   100 megapixels at 1/8 are 1.6), then resized as usual. Images under
 *   the limit decode at full size, as before.
 * - libjpeg's whole-image buffers, which only progressive (multi-scan)
 *   images need, at full size whatever the output scale: over
 *   LOADERS_JPEG_MAX_DECODER_MIB the image is refused, the limit named. */
#define LOADERS_JPEG_MAX_DECODED_MIB 64
#define LOADERS_JPEG_MAX_DECODER_MIB 256

/* What a decoding thread reuses from one file to the next. */
struct loaders_jpeg_worker {
    uint8_t *file_bytes;     /* the whole file */
    size_t file_capacity;
    uint8_t *decoded;        /* height x width x components, interleaved */
    size_t decoded_capacity;
    struct loaders_resizer resizer;
    int resizer_h, resizer_w; /* source size the resizer is made for; 0: none */
};

void loaders_jpeg_worker_free(struct loaders_jpeg_worker *worker);

/* Decodes `path` to channels x size x size (channels 1 or 3) in `out`.
 * Grayscale files are replicated to 3 channels; channels 1 of a colour file
 * is its luma (Y of YCbCr: 0.299 R + 0.587 G + 0.114 B). CMYK and other
 * colour spaces are refused. libjpeg's warnings (a truncated file, corrupt
 * data) are errors too: such an image would decode to partly grey garbage.
 * The message names the file; it has no "imagefolder:" prefix.
 * Returns 0, -1 when the file is at fault (unreadable, not a JPEG, damaged,
 * refused), or -2 when the machine is (out of memory). */
int loaders_jpeg_decode_file(struct loaders_jpeg_worker *worker,
                             const char *path, int size, int channels,
                             uint8_t *out, struct cnn_error *err);

#endif
