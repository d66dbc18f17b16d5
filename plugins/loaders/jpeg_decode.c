/* cnnlab — one JPEG file to a square NCHW image (see jpeg_decode.h).
 *
 * libjpeg reports a fatal error by calling error_exit, which by default
 * prints and exits the process; ours formats the message and longjmps back
 * to decode_bytes, which destroys the decompressor and fails. Warnings
 * (emit_message with level -1) take the same way out: libjpeg would go on
 * and fill a truncated image with grey. */
#include "jpeg_decode.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <jerror.h>

#include "cnnlab/input_file.h"

struct error_manager {
    struct jpeg_error_mgr library; /* first: libjpeg sees only this part */
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
    int code;                      /* libjpeg's message code */
};

static void on_error_exit(j_common_ptr cinfo)
{
    struct error_manager *manager = (struct error_manager *)cinfo->err;
    manager->code = manager->library.msg_code;
    manager->library.format_message(cinfo, manager->message);
    longjmp(manager->escape, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return; /* trace messages */
    on_error_exit(cinfo);
}

static void on_output_message(j_common_ptr cinfo)
{
    (void)cinfo; /* never print */
}

void loaders_jpeg_worker_free(struct loaders_jpeg_worker *worker)
{
    free(worker->file_bytes);
    free(worker->decoded);
    if (worker->resizer_h > 0)
        loaders_resizer_free(&worker->resizer);
    memset(worker, 0, sizeof *worker);
}

static int grow(uint8_t **buffer, size_t *capacity, size_t size)
{
    if (size <= *capacity)
        return 0;
    uint8_t *bigger = realloc(*buffer, size);
    if (!bigger)
        return -1;
    *buffer = bigger;
    *capacity = size;
    return 0;
}

static int read_whole_file(struct loaders_jpeg_worker *worker,
                           const char *path, size_t *size,
                           struct cnn_error *err)
{
    FILE *file = cnn_input_fopen(path, err);
    if (!file)
        return errno ? cnn_error_set(err, "cannot open '%s': %s", path,
                                     strerror(errno))
                     : -1;
    struct stat info;
    int status = 0;
    if (fstat(fileno(file), &info) != 0) {
        status = cnn_error_set(err, "cannot read '%s': %s", path,
                               strerror(errno));
    } else if (info.st_size == 0) {
        status = cnn_error_set(err, "'%s' is empty (0 bytes), not a JPEG",
                               path);
    } else if ((unsigned long long)info.st_size > LOADERS_JPEG_MAX_FILE_BYTES) {
        status = cnn_error_set(err,
                               "'%s' is %lld bytes; JPEG files over %zu MiB "
                               "are not read: shrink it",
                               path, (long long)info.st_size,
                               LOADERS_JPEG_MAX_FILE_BYTES >> 20);
    } else if (grow(&worker->file_bytes, &worker->file_capacity,
                    (size_t)info.st_size)
               != 0) {
        cnn_error_set(err, "out of memory reading '%s'", path);
        status = -2;
    } else {
        *size = fread(worker->file_bytes, 1, (size_t)info.st_size, file);
        if (*size != (size_t)info.st_size)
            status = cnn_error_set(err, "cannot read '%s': %s", path,
                                   ferror(file) ? strerror(errno)
                                                : "it shrank while read");
    }
    fclose(file);
    return status;
}

static const char *colour_space_name(J_COLOR_SPACE space)
{
    switch (space) {
    case JCS_CMYK: return "CMYK";
    case JCS_YCCK: return "YCCK (CMYK)";
    default: return "an unknown colour space";
    }
}

/* Checks the header's promises before libjpeg allocates for the image. */
static int check_header(const struct jpeg_decompress_struct *cinfo,
                        const char *path, struct cnn_error *err)
{
    double pixels = (double)cinfo->image_width * cinfo->image_height;
    if (cinfo->image_width > LOADERS_JPEG_MAX_SIDE
        || cinfo->image_height > LOADERS_JPEG_MAX_SIDE
        || pixels > LOADERS_JPEG_MAX_PIXELS)
        return cnn_error_set(err,
                             "'%s' declares %u×%u pixels; images over %d "
                             "pixels a side or %.0f megapixels are not "
                             "decoded: shrink it",
                             path, (unsigned)cinfo->image_width,
                             (unsigned)cinfo->image_height,
                             LOADERS_JPEG_MAX_SIDE,
                             LOADERS_JPEG_MAX_PIXELS / 1e6);
    J_COLOR_SPACE space = cinfo->jpeg_color_space;
    int components = cinfo->num_components;
    int readable = (space == JCS_GRAYSCALE && components == 1)
                || ((space == JCS_YCbCr || space == JCS_RGB) && components == 3);
    if (!readable)
        return cnn_error_set(err,
                             "'%s' is in %s (%d components); only grayscale "
                             "and RGB JPEGs are read: convert it to RGB (e.g. "
                             "ImageMagick: convert IN -colorspace sRGB OUT)",
                             path, colour_space_name(space), components);
    return 0;
}

static int describe_failure(const struct error_manager *manager,
                            const struct jpeg_decompress_struct *cinfo,
                            const char *path, struct cnn_error *err)
{
    /* libjpeg wanted more than max_memory_to_use for its whole-image
     * buffers and, having no backing store, gave up. */
    if (manager->code == JERR_NO_BACKING_STORE)
        return cnn_error_set(err,
                             "'%s' is a progressive JPEG of %u×%u whose "
                             "decoding needs over %d MiB; such images are "
                             "not decoded: shrink it, or save it as a "
                             "baseline JPEG (e.g. ImageMagick: convert IN "
                             "-interlace none OUT)",
                             path, (unsigned)cinfo->image_width,
                             (unsigned)cinfo->image_height,
                             LOADERS_JPEG_MAX_DECODER_MIB);
    if (manager->code == JERR_NO_SOI)
        return cnn_error_set(err, "'%s' is not a JPEG file (libjpeg: %s)",
                             path, manager->message);
    if (manager->code == JWRN_JPEG_EOF)
        return cnn_error_set(err, "'%s' is truncated (libjpeg: %s)", path,
                             manager->message);
    if (manager->code == JERR_OUT_OF_MEMORY) {
        cnn_error_set(err, "out of memory decoding '%s' (libjpeg: %s)", path,
                      manager->message);
        return -2;
    }
    return cnn_error_set(err, "'%s' is corrupt (libjpeg: %s)", path,
                         manager->message);
}

/* Picks libjpeg's output scale (see LOADERS_JPEG_MAX_DECODED_MIB): the
 * full size when the decoded image fits the limit, else the smallest M/8
 * whose sides stay at least `size`, the closest libjpeg comes to the
 * target (1/8 of 100 megapixels is 1.6). */
static void choose_scale(struct jpeg_decompress_struct *cinfo, int size)
{
    const double limit = (double)LOADERS_JPEG_MAX_DECODED_MIB * (1 << 20);
    cinfo->scale_num = 8;
    cinfo->scale_denom = 8;
    jpeg_calc_output_dimensions(cinfo);
    if ((double)cinfo->output_width * cinfo->output_height
            * cinfo->out_color_components
        <= limit)
        return;
    unsigned chosen = 8;
    for (unsigned m = 7; m >= 1; m--) {
        cinfo->scale_num = m;
        jpeg_calc_output_dimensions(cinfo);
        if (cinfo->output_width < (JDIMENSION)size
            || cinfo->output_height < (JDIMENSION)size)
            break;
        chosen = m;
    }
    cinfo->scale_num = chosen;
    jpeg_calc_output_dimensions(cinfo);
}

/* Decompresses into worker->decoded; *height, *width, *components say
 * what came out. Everything that changes after setjmp lives in `worker`
 * or behind a pointer, so it is defined after the longjmp. */
static int decode_bytes(struct loaders_jpeg_worker *worker, size_t size,
                        const char *path, int target, int want_gray,
                        int *height,
                        int *width, int *components, struct cnn_error *err)
{
    struct jpeg_decompress_struct cinfo;
    struct error_manager manager;
    memset(&manager, 0, sizeof manager);
    cinfo.err = jpeg_std_error(&manager.library);
    manager.library.error_exit = on_error_exit;
    manager.library.emit_message = on_emit_message;
    manager.library.output_message = on_output_message;
    if (setjmp(manager.escape)) {
        int status = describe_failure(&manager, &cinfo, path, err);
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, worker->file_bytes, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (check_header(&cinfo, path, err) != 0) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    cinfo.out_color_space =
        want_gray || cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    choose_scale(&cinfo, target);
    cinfo.mem->max_memory_to_use = (long)LOADERS_JPEG_MAX_DECODER_MIB << 20;
    jpeg_start_decompress(&cinfo);
    size_t row_size = (size_t)cinfo.output_width * cinfo.output_components;
    if (grow(&worker->decoded, &worker->decoded_capacity,
             row_size * cinfo.output_height)
        != 0) {
        cnn_error_set(err, "out of memory decoding '%s' (%u×%u)", path,
                      (unsigned)cinfo.output_width,
                      (unsigned)cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return -2;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = worker->decoded + row_size * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *height = (int)cinfo.output_height;
    *width = (int)cinfo.output_width;
    *components = cinfo.output_components;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int loaders_jpeg_decode_file(struct loaders_jpeg_worker *worker,
                             const char *path, int size, int channels,
                             uint8_t *out, struct cnn_error *err)
{
    size_t file_size = 0;
    int height, width, components;
    int status = read_whole_file(worker, path, &file_size, err);
    if (status == 0)
        status = decode_bytes(worker, file_size, path, size, channels == 1,
                              &height, &width, &components, err);
    if (status != 0)
        return status;
    if (worker->resizer_h != height || worker->resizer_w != width) {
        if (worker->resizer_h > 0)
            loaders_resizer_free(&worker->resizer);
        worker->resizer_h = worker->resizer_w = 0;
        if (loaders_resizer_init(&worker->resizer, height, width, size, size,
                                 err)
            != 0) {
            cnn_error_prefix(err, "decoding '%s': ", path);
            return -2;
        }
        worker->resizer_h = height;
        worker->resizer_w = width;
    }
    size_t plane = (size_t)size * size;
    size_t row_stride = (size_t)width * components;
    for (int c = 0; c < components; c++)
        loaders_resize_plane(&worker->resizer, worker->decoded + c,
                             row_stride, (size_t)components, out + c * plane);
    /* A grayscale file read as 3 channels: the one plane, three times. */
    for (int c = components; c < channels; c++)
        memcpy(out + c * plane, out, plane);
    return 0;
}
