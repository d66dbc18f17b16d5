/* Fixtures for the imagefolder tests: JPEG files written with libjpeg, a
 * reference decode and a reference resize computed here (in doubles, from
 * the filter's definition, not from the loader's code), and folder
 * helpers. Nothing here reports a TAP result (tap.h counts per program);
 * a fixture that cannot be made prints "Bail out!" and exits. */
#ifndef CNNLAB_T_IMAGEFOLDER_FIXTURES_H
#define CNNLAB_T_IMAGEFOLDER_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

/* A path from a format; one of 8 rotating buffers. */
const char *fixture_path(const char *format, ...)
    __attribute__((format(printf, 1, 2)));
/* mkdir -p */
void fixture_mkdirs(const char *path);
/* rm -rf */
void fixture_remove_tree(const char *path);
/* A fresh temporary folder ("/tmp/cnnlab-<what>-XXXXXX"). */
const char *fixture_temp_root(const char *what);

void fixture_write_bytes(const char *path, const void *bytes, size_t size);
/* The whole file; *size set. Caller frees. */
uint8_t *fixture_read_bytes(const char *path, size_t *size);

/* Writes a JPEG of width x height with `components` (1 gray, 3 RGB, 4
 * CMYK) interleaved samples. */
void fixture_write_jpeg(const char *path, int width, int height,
                        int components, const uint8_t *pixels, int quality);
/* A JPEG with detail at every scale (stripes, gradients), different for
 * each `variant`; `components` 1 or 3. */
void fixture_write_pattern(const char *path, int width, int height,
                           int components, int variant);
/* A flat image of one grey level (decodes back to within 1 of it). */
void fixture_write_flat(const char *path, int width, int height, int level);

/* Decodes with libjpeg's defaults, as RGB or (gray != 0) grayscale;
 * returns interleaved samples, sets the size and components. */
uint8_t *fixture_decode(const char *path, int gray, int *width, int *height,
                        int *components);

/* Resizes component `c` of an interleaved image (h x w x components) to
 * target_h x target_w with the triangle filter of resize.h, from its
 * definition: every source pixel weighted by tri((i + 0.5 - centre) /
 * max(1, scale)), centre = (o + 0.5) * scale, normalised; in doubles,
 * rounded to the nearest byte. */
void fixture_reference_resize(const uint8_t *source, int h, int w,
                              int components, int c, int target_h,
                              int target_w, uint8_t *target);

struct cnn_loader_type;
struct cnn_data;
struct cnn_error;
/* Loads `root` with `loader` at size 8 on 2 decoding threads, with up to
 * 4 more "name=value" settings (`extra`, ending in NULL; may be NULL)
 * and the request (seed, limit), as test_load_data does. */
int fixture_load(const struct cnn_loader_type *loader, const char *root,
                 uint64_t seed, long limit, const char *const *extra,
                 struct cnn_data *data, struct cnn_error *err);

/* The largest |a[i] - b[i]| over n bytes. */
int fixture_max_difference(const uint8_t *a, const uint8_t *b, size_t n);

#endif
