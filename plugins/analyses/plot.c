/* cnnlab — line charts with cairo (see plot.h). Coordinates are in
 * pixels for PNG and points for SVG; the layout is the same. */
#include <ctype.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

/* Margins around the plotting area: the title and legend above, tick
 * labels and axis labels left and below. */
#define MARGIN_LEFT 84.0
#define MARGIN_RIGHT 28.0
#define MARGIN_TOP 72.0
#define MARGIN_BOTTOM 62.0
#define FONT "sans-serif"

/* Matplotlib's first six default colours, which readers know. */
static const double series_colours[PLOT_SERIES_MAX][3] = {
    {0.122, 0.467, 0.706}, /* blue */
    {1.000, 0.498, 0.055}, /* orange */
    {0.173, 0.627, 0.173}, /* green */
    {0.839, 0.153, 0.157}, /* red */
    {0.580, 0.404, 0.741}, /* purple */
    {0.549, 0.337, 0.294}, /* brown */
};

struct axis {
    double low, high;   /* the range shown */
    double step;        /* between ticks */
    int decimals;       /* of tick labels */
};

/* 1, 2 or 5 times a power of ten, the first at least `raw`. */
static double round_step(double raw)
{
    double power = pow(10, floor(log10(raw)));
    double fraction = raw / power;
    double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5
                                                                        : 10;
    return nice * power;
}

/* About `ticks` ticks over [low, high]. With `snap` the range grows to
 * whole steps (values); without, it stays as given (epochs 1..n). */
static struct axis make_axis(double low, double high, int ticks,
                             int integer, int snap)
{
    if (!(high > low)) {
        double pad = fabs(low) > 0 ? fabs(low) * 0.1 : 1;
        low -= pad;
        high += pad;
    } else {
        /* A little room, so points on the edge show whole markers. */
        double pad = 0.03 * (high - low);
        low -= pad;
        high += pad;
    }
    struct axis axis;
    axis.step = round_step((high - low) / ticks);
    if (integer && axis.step < 1)
        axis.step = 1;
    axis.low = snap ? floor(low / axis.step) * axis.step : low;
    axis.high = snap ? ceil(high / axis.step) * axis.step : high;
    axis.decimals = axis.step >= 1 ? 0 : (int)ceil(-log10(axis.step) - 1e-9);
    return axis;
}

struct frame {
    double x0, y0, x1, y1;   /* the plotting area */
    struct axis x, y;
};

static double to_x(const struct frame *f, double x)
{
    return f->x0 + (x - f->x.low) / (f->x.high - f->x.low) * (f->x1 - f->x0);
}

static double to_y(const struct frame *f, double y)
{
    return f->y1 - (y - f->y.low) / (f->y.high - f->y.low) * (f->y1 - f->y0);
}

/* Text placed by a fraction of its width (0 left, 0.5 centre, 1 right)
 * and of its height (0.5: centred on y; 0: baseline at y). */
static void show_text(cairo_t *cr, const char *text, double x, double y,
                      double align, double valign)
{
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text, &extents);
    cairo_move_to(cr, x - extents.x_bearing - align * extents.width,
                  y - extents.y_bearing - (1 - valign) * extents.height);
    cairo_show_text(cr, text);
}

static void tick_label(char *buf, size_t size, double value, int decimals)
{
    if (fabs(value) < 1e-12)
        value = 0; /* never "-0" */
    snprintf(buf, size, "%.*f", decimals, value);
}

static void draw_axes(cairo_t *cr, const struct frame *f,
                      const struct plot *plot)
{
    char label[64];
    cairo_set_font_size(cr, 13);
    cairo_set_line_width(cr, 1);
    /* Ticks at the multiples of the step inside the range. */
    double first = ceil(f->y.low / f->y.step - 1e-9);
    for (double k = first; k * f->y.step <= f->y.high + 1e-9 * f->y.step;
         k++) {
        double py = round(to_y(f, k * f->y.step)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, f->x0, py);
        cairo_line_to(cr, f->x1, py);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, f->x0 - 5, py);
        cairo_line_to(cr, f->x0, py);
        cairo_stroke(cr);
        tick_label(label, sizeof label, k * f->y.step, f->y.decimals);
        show_text(cr, label, f->x0 - 9, py, 1, 0.5);
    }
    first = ceil(f->x.low / f->x.step - 1e-9);
    for (double k = first; k * f->x.step <= f->x.high + 1e-9 * f->x.step;
         k++) {
        double px = round(to_x(f, k * f->x.step)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, px, f->y0);
        cairo_line_to(cr, px, f->y1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, px, f->y1);
        cairo_line_to(cr, px, f->y1 + 5);
        cairo_stroke(cr);
        tick_label(label, sizeof label, k * f->x.step, f->x.decimals);
        show_text(cr, label, px, f->y1 + 9, 0.5, 1);
    }
    cairo_rectangle(cr, round(f->x0) + 0.5, round(f->y0) + 0.5,
                    round(f->x1 - f->x0), round(f->y1 - f->y0));
    cairo_stroke(cr);

    cairo_set_font_size(cr, 14);
    show_text(cr, plot->x_label, (f->x0 + f->x1) / 2, f->y1 + 32, 0.5, 1);
    cairo_save(cr);
    cairo_translate(cr, 20, (f->y0 + f->y1) / 2);
    cairo_rotate(cr, -M_PI / 2);
    show_text(cr, plot->y_label, 0, 0, 0.5, 1);
    cairo_restore(cr);
}

/* The band from low to high where both are finite, lighter than the
 * line: one filled shape per unbroken stretch. */
static void draw_band(cairo_t *cr, const struct frame *f,
                      const struct plot_series *s, const double *colour)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
    cairo_clip(cr);
    cairo_set_source_rgba(cr, colour[0], colour[1], colour[2], 0.2);
    for (int start = 0; start < s->count;) {
        int end = start;
        while (end < s->count && isfinite(s->low[end]) &&
               isfinite(s->high[end]))
            end++;
        if (end > start) {
            for (int i = start; i < end; i++)
                cairo_line_to(cr, to_x(f, s->x[i]), to_y(f, s->high[i]));
            for (int i = end - 1; i >= start; i--)
                cairo_line_to(cr, to_x(f, s->x[i]), to_y(f, s->low[i]));
            cairo_close_path(cr);
            cairo_fill(cr);
        }
        start = end + 1;
    }
    cairo_restore(cr);
}

static void draw_series(cairo_t *cr, const struct frame *f,
                        const struct plot_series *s, const double *colour)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, colour[0], colour[1], colour[2]);
    cairo_set_line_width(cr, 2);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    int drawing = 0;
    for (int i = 0; i < s->count; i++) {
        if (!isfinite(s->y[i])) {
            drawing = 0;
            continue;
        }
        double px = to_x(f, s->x[i]), py = to_y(f, s->y[i]);
        if (drawing)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        drawing = 1;
    }
    cairo_stroke(cr);
    /* Markers show where the epochs are while they are few enough to
     * tell apart. */
    if (s->count <= 60)
        for (int i = 0; i < s->count; i++) {
            if (!isfinite(s->y[i]))
                continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, to_x(f, s->x[i]), to_y(f, s->y[i]), 3.5, 0,
                      2 * M_PI);
            cairo_fill(cr);
        }
    cairo_restore(cr);
}

/* Title, and the legend centred under it: a line sample and the label of
 * each series, in the margin, so it never hides a curve. */
static void draw_heading(cairo_t *cr, const struct plot *plot, double width)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 18);
    show_text(cr, plot->title, width / 2, 30, 0.5, 0);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 14);
    double sample = 28, gap = 8, spacing = 28, total = 0;
    for (int i = 0; i < plot->series_count; i++) {
        cairo_text_extents_t extents;
        cairo_text_extents(cr, plot->series[i].label, &extents);
        total += sample + gap + extents.x_advance +
                 (i + 1 < plot->series_count ? spacing : 0);
    }
    double x = (width - total) / 2, y = 52;
    for (int i = 0; i < plot->series_count; i++) {
        const double *colour = series_colours[i];
        cairo_set_source_rgb(cr, colour[0], colour[1], colour[2]);
        cairo_set_line_width(cr, 2);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + sample, y);
        cairo_stroke(cr);
        cairo_arc(cr, x + sample / 2, y, 3.5, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_text_extents_t extents;
        cairo_text_extents(cr, plot->series[i].label, &extents);
        show_text(cr, plot->series[i].label, x + sample + gap, y, 0, 0.5);
        x += sample + gap + extents.x_advance + spacing;
    }
}

static void data_range(const struct plot *plot, double *x_low,
                       double *x_high, double *y_low, double *y_high)
{
    *x_low = *y_low = INFINITY;
    *x_high = *y_high = -INFINITY;
    for (int i = 0; i < plot->series_count; i++) {
        const struct plot_series *s = &plot->series[i];
        for (int k = 0; k < s->count; k++) {
            double x = s->x[k], y = s->y[k];
            if (!isfinite(x) || !isfinite(y))
                continue;
            *x_low = fmin(*x_low, x);
            *x_high = fmax(*x_high, x);
            *y_low = fmin(*y_low, s->low && isfinite(s->low[k]) ? s->low[k]
                                                                 : y);
            *y_high = fmax(*y_high,
                           s->high && isfinite(s->high[k]) ? s->high[k] : y);
            *y_low = fmin(*y_low, y);
            *y_high = fmax(*y_high, y);
        }
    }
    if (!isfinite(*x_low)) { /* nothing finite: an empty frame */
        *x_low = *y_low = 0;
        *x_high = *y_high = 1;
    }
}

static void draw(cairo_t *cr, const struct plot *plot, double width,
                 double height)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double x_low, x_high, y_low, y_high;
    data_range(plot, &x_low, &x_high, &y_low, &y_high);
    struct frame f = {
        .x0 = MARGIN_LEFT,
        .y0 = MARGIN_TOP,
        .x1 = width - MARGIN_RIGHT,
        .y1 = height - MARGIN_BOTTOM,
        .x = make_axis(x_low, x_high, 10, plot->integer_x,
                       x_high <= x_low),
        .y = make_axis(y_low, y_high, 6, 0, 1),
    };
    draw_heading(cr, plot, width);
    draw_axes(cr, &f, plot);
    for (int i = 0; i < plot->series_count; i++)
        if (plot->series[i].low && plot->series[i].high)
            draw_band(cr, &f, &plot->series[i], series_colours[i]);
    for (int i = 0; i < plot->series_count; i++)
        draw_series(cr, &f, &plot->series[i], series_colours[i]);
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

void plot_release_caches(void)
{
    cairo_debug_reset_static_data();
}

/* cairo numbers an SVG's surfaces ("surface160") with a counter of the
 * whole process, so the same chart drawn after other charts came out
 * with other bytes: a run's curves differed with how many runs the
 * process had made before it. The ids (`id="surfaceN"`, `#surfaceN`) are
 * renumbered 1 to 9 in the order they first appear (a chart has one or
 * two), in place: a one-digit number is never longer than the one it
 * replaces. A tenth id and later keep cairo's numbers. */
static void number_surfaces_from_one(unsigned char *bytes, size_t *length)
{
    static const char prefix[] = "surface";
    const size_t prefix_length = sizeof prefix - 1;
    long seen[9];
    int seen_count = 0;
    size_t in = 0, out = 0;
    while (in < *length) {
        int is_id = (bytes[in] == '"' || bytes[in] == '#') &&
                    in + 1 + prefix_length < *length &&
                    memcmp(bytes + in + 1, prefix, prefix_length) == 0 &&
                    isdigit(bytes[in + 1 + prefix_length]);
        bytes[out++] = bytes[in++];
        if (!is_id)
            continue;
        memmove(bytes + out, bytes + in, prefix_length);
        out += prefix_length;
        in += prefix_length;
        size_t digits = in;
        long number = 0;
        while (in < *length && isdigit(bytes[in]) && number < 100000000L)
            number = number * 10 + (bytes[in++] - '0');
        int index = 0;
        while (index < seen_count && seen[index] != number)
            index++;
        if (index == seen_count && seen_count < 9)
            seen[seen_count++] = number;
        if (index < seen_count) {
            bytes[out++] = (unsigned char)('1' + index);
        } else {
            memmove(bytes + out, bytes + digits, in - digits);
            out += in - digits;
        }
    }
    *length = out;
}

int plot_render(const struct plot *plot, enum plot_format format, int width,
                int height, unsigned char **bytes, size_t *length,
                struct cnn_error *err)
{
    *bytes = NULL;
    *length = 0;
    struct memory memory = {0};
    cairo_surface_t *surface =
        format == PLOT_PNG
            ? cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)
            : cairo_svg_surface_create_for_stream(to_memory, &memory, width,
                                                  height);
    cairo_t *cr = cairo_create(surface);
    draw(cr, plot, width, height);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status == CAIRO_STATUS_SUCCESS && format == PLOT_PNG)
        status = cairo_surface_write_to_png_stream(surface, to_memory,
                                                   &memory);
    cairo_surface_finish(surface); /* an SVG is written out here */
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS || memory.failed) {
        free(memory.bytes);
        return cnn_error_set(err, "cairo could not draw the chart: %s",
                             memory.failed ? "out of memory"
                                           : cairo_status_to_string(status));
    }
    if (format == PLOT_SVG)
        number_surfaces_from_one(memory.bytes, &memory.length);
    *bytes = memory.bytes;
    *length = memory.length;
    return 0;
}
