/* cnnlab — pictures of images with cairo (see picture.h). */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "picture.h"

#define FONT "sans-serif"

static cairo_t *context_of(struct picture *picture)
{
    return picture->cr;
}

int picture_begin(struct picture *picture, int width, int height,
                  struct cnn_error *err)
{
    memset(picture, 0, sizeof *picture);
    cairo_surface_t *surface =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_status_t status = cairo_surface_status(surface);
        cairo_surface_destroy(surface);
        return cnn_error_set(err, "cairo cannot make a %d x %d picture: %s",
                             width, height, cairo_status_to_string(status));
    }
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    picture->surface = surface;
    picture->cr = cr;
    picture->width = width;
    picture->height = height;
    return 0;
}

void picture_abandon(struct picture *picture)
{
    if (picture->cr)
        cairo_destroy(picture->cr);
    if (picture->surface)
        cairo_surface_destroy(picture->surface);
    memset(picture, 0, sizeof *picture);
}

struct memory {
    unsigned char *bytes;
    size_t length, capacity;
    int failed;
};

static cairo_status_t to_memory(void *user, const unsigned char *data,
                                unsigned int length)
{
    struct memory *m = user;
    if (m->length + length > m->capacity) {
        size_t capacity = m->capacity ? m->capacity * 2 : 65536;
        while (capacity < m->length + length)
            capacity *= 2;
        unsigned char *grown = realloc(m->bytes, capacity);
        if (!grown) {
            m->failed = 1;
            return CAIRO_STATUS_NO_MEMORY;
        }
        m->bytes = grown;
        m->capacity = capacity;
    }
    memcpy(m->bytes + m->length, data, length);
    m->length += length;
    return CAIRO_STATUS_SUCCESS;
}

int picture_write(struct picture *picture, struct cnn_analysis *analysis,
                  const char *name, struct cnn_error *err)
{
    struct memory memory = {0};
    cairo_status_t status = picture->failed
                                ? CAIRO_STATUS_NO_MEMORY
                                : cairo_status(context_of(picture));
    cairo_surface_flush(picture->surface);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_write_to_png_stream(picture->surface,
                                                   to_memory, &memory);
    picture_abandon(picture);
    if (status != CAIRO_STATUS_SUCCESS || memory.failed) {
        free(memory.bytes);
        return cnn_error_set(err, "%s: cairo could not draw the picture: %s",
                             name,
                             memory.failed ? "out of memory"
                                           : cairo_status_to_string(status));
    }
    int written = cnn_analysis_write_file(analysis, name, memory.bytes,
                                          memory.length, err);
    free(memory.bytes);
    return written;
}

/* Whole pixels into a cairo image (one 32-bit word per pixel, xRGB),
 * painted scaled with the nearest-pixel filter, each pixel scale_x ×
 * scale_y. `colour` gives pixel (r, c)'s word. */
static void paint_pixels(struct picture *picture, int rows, int columns,
                         double x, double y, double scale_x, double scale_y,
                         uint32_t (*colour)(const void *, int, int),
                         const void *source)
{
    if (rows < 1 || columns < 1)
        return;
    cairo_surface_t *image =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, columns, rows);
    if (cairo_surface_status(image) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(image);
        picture->failed = 1; /* picture_write reports it */
        return;
    }
    cairo_surface_flush(image);
    unsigned char *data = cairo_image_surface_get_data(image);
    int stride = cairo_image_surface_get_stride(image);
    for (int r = 0; r < rows; r++) {
        uint32_t *line = (uint32_t *)(void *)(data + (size_t)r * stride);
        for (int c = 0; c < columns; c++)
            line[c] = colour(source, r, c);
    }
    cairo_surface_mark_dirty(image);
    cairo_t *cr = context_of(picture);
    cairo_save(cr);
    cairo_rectangle(cr, x, y, columns * scale_x, rows * scale_y);
    cairo_clip(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, scale_x, scale_y);
    cairo_set_source_surface(cr, image, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(image);
}

static uint32_t rgb_word(unsigned r, unsigned g, unsigned b)
{
    return (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
}

struct image_view {
    const uint8_t *pixels;
    struct cnn_shape shape;
    int top, left;
};

static uint32_t image_colour(const void *source, int r, int c)
{
    const struct image_view *v = source;
    size_t plane = (size_t)v->shape.h * v->shape.w;
    size_t at = (size_t)(v->top + r) * v->shape.w + (size_t)(v->left + c);
    if (v->shape.c == 3)
        return rgb_word(v->pixels[at], v->pixels[plane + at],
                        v->pixels[2 * plane + at]);
    return rgb_word(v->pixels[at], v->pixels[at], v->pixels[at]);
}

void picture_image(struct picture *picture, const uint8_t *pixels,
                   struct cnn_shape shape, int top, int left, int bottom,
                   int right, double x, double y, double scale)
{
    struct image_view view = {pixels, shape, top, left};
    paint_pixels(picture, bottom - top, right - left, x, y, scale, scale,
                 image_colour, &view);
}

/* Viridis at nine evenly spaced points (matplotlib's table), between
 * which colours are interpolated linearly. */
static const unsigned char viridis[9][3] = {
    {68, 1, 84},    {71, 44, 122},  {59, 81, 139},
    {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
    {92, 200, 99},  {170, 220, 50}, {253, 231, 37},
};

static uint32_t scale_colour(double value)
{
    if (isnan(value))
        return rgb_word(215, 215, 215);
    value = value < 0 ? 0 : value > 1 ? 1 : value;
    double at = value * 8;
    int low = (int)at < 8 ? (int)at : 7;
    double t = at - low;
    unsigned channel[3];
    for (int k = 0; k < 3; k++)
        channel[k] = (unsigned)lround(viridis[low][k] * (1 - t) +
                                      viridis[low + 1][k] * t);
    return rgb_word(channel[0], channel[1], channel[2]);
}

struct map_view {
    const float *values;
    int columns;
};

static uint32_t map_colour(const void *source, int r, int c)
{
    const struct map_view *v = source;
    return scale_colour(v->values[(size_t)r * v->columns + c]);
}

void picture_heat_map(struct picture *picture, const float *values, int rows,
                      int columns, double x, double y, double scale)
{
    struct map_view view = {values, columns};
    paint_pixels(picture, rows, columns, x, y, scale, scale, map_colour,
                 &view);
}

static uint32_t bar_colour(const void *source, int r, int c)
{
    const int *rows = source;
    (void)c;
    return scale_colour(1.0 - (double)r / (*rows - 1));
}

void picture_colour_bar(struct picture *picture, double x, double y,
                        double width, double height, const char *high,
                        const char *low)
{
    int rows = 256;
    paint_pixels(picture, rows, 1, x, y, width, height / rows, bar_colour,
                 &rows);
    picture_outline(picture, x, y, width, height, 1, 0, 0, 0);
    picture_text(picture, high, x + width + 4, y - 6, 12, 0, 0, 0);
    picture_text(picture, low, x + width + 4, y + height - 8, 12, 0, 0, 0);
}

void picture_outline(struct picture *picture, double x, double y,
                     double width, double height, double line_width,
                     double red, double green, double blue)
{
    cairo_t *cr = context_of(picture);
    cairo_save(cr);
    cairo_set_source_rgb(cr, red, green, blue);
    cairo_set_line_width(cr, line_width);
    /* Inside the edges, so the outline covers the outermost pixels. */
    double half = line_width / 2;
    cairo_rectangle(cr, x + half, y + half, width - line_width,
                    height - line_width);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void select_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double picture_text_width(struct picture *picture, const char *text,
                          double size, int bold)
{
    cairo_t *cr = context_of(picture);
    select_font(cr, size, bold);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text, &extents);
    return extents.x_advance;
}

double picture_text(struct picture *picture, const char *text, double x,
                    double y, double size, double align, int bold,
                    double max_width)
{
    cairo_t *cr = context_of(picture);
    double width = picture_text_width(picture, text, size, bold);
    if (max_width > 0 && width > max_width) {
        size *= max_width / width;
        width = picture_text_width(picture, text, size, bold);
    }
    select_font(cr, size, bold);
    cairo_font_extents_t font;
    cairo_font_extents(cr, &font);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, x - align * width, y + font.ascent);
    cairo_show_text(cr, text);
    return font.ascent + font.descent;
}

int picture_scale_for(int height, int width, int target)
{
    int longer = height > width ? height : width;
    int scale = (int)lround((double)target / (longer > 0 ? longer : 1));
    return scale < 1 ? 1 : scale;
}

void picture_release_caches(void)
{
    cairo_debug_reset_static_data();
}
