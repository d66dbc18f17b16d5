/* Fixtures for the imagefolder tests (see imagefolder-fixtures.h). */
#define _XOPEN_SOURCE 700
#include "imagefolder-fixtures.h"
#include "test-util.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>

static void bail_out(const char *what, const char *path)
{
    printf("Bail out! cannot %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

const char *fixture_path(const char *format, ...)
{
    static char paths[8][1024];
    static int next;
    char *path = paths[next++ % 8];
    va_list ap;
    va_start(ap, format);
    vsnprintf(path, sizeof paths[0], format, ap);
    va_end(ap);
    return path;
}

void fixture_mkdirs(const char *path)
{
    char partial[1024];
    snprintf(partial, sizeof partial, "%s", path);
    for (char *slash = partial + 1; ; slash++) {
        char kept = *slash;
        if (kept != '/' && kept != '\0')
            continue;
        *slash = '\0';
        if (mkdir(partial, 0755) != 0 && errno != EEXIST)
            bail_out("make", partial);
        *slash = kept;
        if (kept == '\0')
            break;
    }
}

static int remove_entry(const char *path, const struct stat *info, int type,
                        struct FTW *walk)
{
    (void)info;
    (void)type;
    (void)walk;
    return remove(path);
}

void fixture_remove_tree(const char *path)
{
    struct stat info;
    if (stat(path, &info) != 0)
        return;
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        bail_out("remove", path);
}

const char *fixture_temp_root(const char *what)
{
    static char root[256];
    snprintf(root, sizeof root, "/tmp/cnnlab-%s-XXXXXX", what);
    if (!mkdtemp(root))
        bail_out("make a temporary folder for", what);
    return root;
}

void fixture_write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(bytes, 1, size, file) != size || fclose(file) != 0)
        bail_out("write", path);
}

uint8_t *fixture_read_bytes(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    struct stat info;
    if (!file || fstat(fileno(file), &info) != 0)
        bail_out("read", path);
    uint8_t *bytes = malloc((size_t)info.st_size + 1);
    if (!bytes || fread(bytes, 1, (size_t)info.st_size, file)
                      != (size_t)info.st_size)
        bail_out("read", path);
    fclose(file);
    *size = (size_t)info.st_size;
    return bytes;
}

void fixture_write_jpeg(const char *path, int width, int height,
                        int components, const uint8_t *pixels, int quality)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr error_manager;
    cinfo.err = jpeg_std_error(&error_manager);
    jpeg_create_compress(&cinfo);
    FILE *file = fopen(path, "wb");
    if (!file)
        bail_out("write", path);
    jpeg_stdio_dest(&cinfo, file);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1   ? JCS_GRAYSCALE
                         : components == 4 ? JCS_CMYK
                                           : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline
                                               * width * components);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    if (fclose(file) != 0)
        bail_out("write", path);
}

void fixture_write_pattern(const char *path, int width, int height,
                           int components, int variant)
{
    uint8_t *pixels = malloc((size_t)width * height * components);
    if (!pixels)
        bail_out("allocate for", path);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            for (int c = 0; c < components; c++) {
                double stripes = (x / (1 + variant % 3) + y) % 2 ? 60.0 : -60.0;
                double wave = 50.0 * sin(0.4 * x + 0.9 * c + variant)
                            * cos(0.3 * y + 0.2 * variant);
                double ramp = 60.0 * x / width - 30.0 * c;
                double value = 128.0 + stripes + wave + ramp;
                pixels[((size_t)y * width + x) * components + c] =
                    (uint8_t)(value < 0 ? 0 : value > 255 ? 255 : value);
            }
    fixture_write_jpeg(path, width, height, components, pixels, 92);
    free(pixels);
}

void fixture_write_flat(const char *path, int width, int height, int level)
{
    size_t size = (size_t)width * height * 3;
    uint8_t *pixels = malloc(size);
    if (!pixels)
        bail_out("allocate for", path);
    memset(pixels, level, size);
    fixture_write_jpeg(path, width, height, 3, pixels, 95);
    free(pixels);
}

uint8_t *fixture_decode(const char *path, int gray, int *width, int *height,
                        int *components)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr error_manager;
    cinfo.err = jpeg_std_error(&error_manager);
    jpeg_create_decompress(&cinfo);
    FILE *file = fopen(path, "rb");
    if (!file)
        bail_out("read", path);
    jpeg_stdio_src(&cinfo, file);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space =
        gray || cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t row = (size_t)cinfo.output_width * cinfo.output_components;
    uint8_t *pixels = malloc(row * cinfo.output_height);
    if (!pixels)
        bail_out("allocate for", path);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW at = pixels + row * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &at, 1);
    }
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    *components = cinfo.output_components;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    fclose(file);
    return pixels;
}

static double triangle(double x)
{
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Weights of every source pixel for output pixel o along one axis. */
static void axis_weights(int source, int target, int o, double *weights)
{
    double scale = (double)source / target;
    double stretch = scale > 1.0 ? scale : 1.0;
    double centre = (o + 0.5) * scale, total = 0.0;
    for (int i = 0; i < source; i++) {
        weights[i] = triangle((i + 0.5 - centre) / stretch);
        total += weights[i];
    }
    for (int i = 0; i < source; i++)
        weights[i] /= total;
}

void fixture_reference_resize(const uint8_t *source, int h, int w,
                              int components, int c, int target_h,
                              int target_w, uint8_t *target)
{
    double *wy = malloc((size_t)h * sizeof *wy);
    double *wx = malloc((size_t)w * sizeof *wx);
    if (!wy || !wx)
        bail_out("allocate for", "a reference resize");
    for (int oy = 0; oy < target_h; oy++) {
        axis_weights(h, target_h, oy, wy);
        for (int ox = 0; ox < target_w; ox++) {
            axis_weights(w, target_w, ox, wx);
            double sum = 0.0;
            for (int y = 0; y < h; y++)
                for (int x = 0; wy[y] != 0.0 && x < w; x++)
                    sum += wy[y] * wx[x]
                         * source[((size_t)y * w + x) * components + c];
            long rounded = lround(sum);
            target[(size_t)oy * target_w + ox] =
                (uint8_t)(rounded < 0 ? 0 : rounded > 255 ? 255 : rounded);
        }
    }
    free(wy);
    free(wx);
}

int fixture_max_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
    int largest = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        largest = d > largest ? d : largest;
    }
    return largest;
}

int fixture_load(const struct cnn_loader_type *loader, const char *root,
                 uint64_t seed, long limit, const char *const *extra,
                 struct cnn_data *data, struct cnn_error *err)
{
    char root_setting[600];
    snprintf(root_setting, sizeof root_setting, "root=%s", root);
    const char *settings[8] = {root_setting, "size=8", "threads=2"};
    int n = 3;
    for (int i = 0; extra && extra[i] && n < 7; i++)
        settings[n++] = extra[i];
    settings[n] = NULL;
    return test_load_data(loader, settings, seed, limit, data, err);
}
