/* cnnlab — analysis `occlusion` (see occlusion.h): which test images, the
 * fill in pixel space, one map per image through the engine, and the
 * files: occlusion.csv (one row per image), occlusion-<index>.csv and
 * .npy (the map), occlusion-<index>.png and occlusion.png (figures). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_files.h"
#include "occlusion.h"
#include "occlusion_incremental.h"
#include "test_images.h"

static const struct cnn_param_spec occlusion_params[] = {
    {"window", CNN_PARAM_INT_PAIR, "11", 1, 4096, NULL,
     "occluding window: k or [height, width] pixels"},
    {"stride", CNN_PARAM_INT_PAIR, "1", 1, 4096, NULL,
     "step between windows: s or [sh, sw] pixels"},
    {"fill", CNN_PARAM_FLOAT_LIST, "[211]", 0, 255, NULL,
     "the window's colour in pixel space (before normalisation): one gray "
     "value, or one value per channel ([r, g, b])"},
    {"border", CNN_PARAM_CHOICE, "clip", 0, 0, "clip|valid",
     "clip: windows centred on every stride-th pixel, cut at the border "
     "(the map has the image's size at stride 1); valid: only windows "
     "wholly inside"},
    TEST_IMAGES_PARAM,
    {"batch", CNN_PARAM_INT, "64", 1, 65536, NULL,
     "occluded images per forward pass"},
    {"method", CNN_PARAM_CHOICE, "incremental", 0, 0, "incremental|brute",
     "incremental: recompute in each layer only the activations the window "
     "can change (the same maps, several times faster); brute: every "
     "occluded image through the whole model"},
};

/* The engine `method` names (occlusion.h): the incremental one equals
 * the reference (t/test-occlusion-incremental.c checks it). */
static occlusion_engine choose_engine(const struct cnn_params *params)
{
    return strcmp(cnn_param_string(params, "method"), "brute") == 0
               ? occlusion_map_brute_force
               : occlusion_map_incremental;
}

int occlusion_read_fill(const char *name, const struct cnn_params *params,
                        int channels, uint8_t *fill, struct cnn_error *err)
{
    const double *values;
    int count = cnn_param_floats(params, "fill", &values);
    if (count != 1 && count != channels)
        return cnn_error_set(err,
                             "%s: fill has %d values, the images %d "
                             "channel%s: give one gray value%s",
                             name, count, channels, channels == 1 ? "" : "s",
                             channels == 1 ? "" : " or one per channel");
    for (int c = 0; c < count; c++)
        if (values[c] != floor(values[c]))
            return cnn_error_set(err,
                                 "%s: fill %g is not a pixel value "
                                 "(whole numbers 0..255)",
                                 name, values[c]);
    for (int c = 0; c < channels; c++)
        fill[c] = (uint8_t)values[count == 1 ? 0 : c];
    return 0;
}

static int write_map(struct cnn_analysis *a, const struct occlusion_config *c,
                     int index, const float *map, struct cnn_error *err)
{
    return map_files_write(a, "occlusion", index, map, c->rows, c->columns,
                           err);
}

static int write_summary(struct cnn_analysis *a, const struct cnn_data *data,
                         const struct occlusion_config *c,
                         const struct occlusion_image *images, int count,
                         struct cnn_error *err)
{
    struct analysis_text text = {0};
    analysis_text_printf(&text, "image,label,label_name,predicted,"
                                "predicted_name,confidence,rows,columns,"
                                "lowest,changed\n");
    for (int k = 0; k < count; k++) {
        const struct occlusion_image *m = &images[k];
        double lowest = INFINITY;
        int changed = 0;
        for (int i = 0; i < c->rows * c->columns; i++) {
            lowest = fmin(lowest, m->map[i]);
            changed += m->map[i] == 0.0f;
        }
        analysis_text_printf(&text, "%d,%d,", m->index, m->label);
        analysis_text_csv(&text, data->class_names[m->label]);
        analysis_text_printf(&text, ",%d,", m->predicted);
        analysis_text_csv(&text, data->class_names[m->predicted]);
        analysis_text_printf(&text, ",%.6f,%d,%d,%.6f,%d\n", m->confidence,
                             c->rows, c->columns, lowest, changed);
    }
    return analysis_text_write(&text, a, "occlusion.csv", err);
}

/* The clean image's class and confidence, then its map and files. */
static int occlude_image(struct cnn_analysis *a, const struct cnn_data *data,
                         const struct occlusion_config *c,
                         occlusion_engine engine, const float *fill,
                         struct occlusion_image *m, float *image,
                         const char *description, struct cnn_error *err)
{
    int last = cnn_analysis_layer_count(a) - 1;
    int classes = (int)cnn_shape_size(cnn_analysis_layer(a, last)->output);
    if (classes != data->classes)
        return cnn_error_set(err, "occlusion: the model has %d output%s and "
                                  "the data %d class%s",
                             classes, classes == 1 ? "" : "s", data->classes,
                             data->classes == 1 ? "" : "es");
    float *logits = malloc((size_t)classes * sizeof *logits);
    if (!logits)
        return cnn_error_set(err, "out of memory");
    cnn_analysis_normalize(a, m->pixels, 1, image);
    int status = cnn_analysis_forward_from(a, 0, image, 1, last, logits, err);
    if (status == 0) {
        m->predicted = occlusion_arg_max(logits, classes);
        m->confidence = occlusion_probability(logits, classes, m->predicted);
        status = engine(a, c, image, fill, m->predicted, m->map,
                        err);
    }
    free(logits);
    if (status == 0)
        status = write_map(a, c, m->index, m->map, err);
    if (status == 0)
        status = occlusion_figure(a, c, m, description, err);
    return status < 0 ? cnn_error_prefix(err, "occlusion of test image %d: ",
                                         m->index)
                      : 0;
}

static int read_config(const struct cnn_analysis *a,
                       const struct cnn_params *params,
                       struct occlusion_config *c, struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    memset(c, 0, sizeof *c);
    cnn_param_pair(params, "window", &c->window_h, &c->window_w);
    cnn_param_pair(params, "stride", &c->stride_h, &c->stride_w);
    c->valid = strcmp(cnn_param_string(params, "border"), "valid") == 0;
    c->batch = (int)cnn_param_int(params, "batch");
    occlusion_grid(c, shape.h, shape.w);
    if (c->rows < 1 || c->columns < 1)
        return cnn_error_set(err,
                             "occlusion: a %dx%d window does not fit the "
                             "%dx%d images with border: valid (use a "
                             "smaller window, or border: clip)",
                             c->window_h, c->window_w, shape.h, shape.w);
    return 0;
}

/* The window grid and the fill colour (at most 64 channels) on the
 * model's images: what run uses and validate checks before training. */
static int read_settings(const struct cnn_analysis *a,
                         const struct cnn_params *params,
                         struct occlusion_config *c, uint8_t *fill,
                         struct cnn_error *err)
{
    int channels = cnn_analysis_input_shape(a).c;
    if (channels > 64)
        return cnn_error_set(err, "occlusion: %d channels (at most 64)",
                             channels);
    if (read_config(a, params, c, err) < 0 ||
        occlusion_read_fill("occlusion", params, channels, fill, err) < 0)
        return -1;
    return 0;
}

static void describe(const struct occlusion_config *c, const uint8_t *fill,
                     int channels, char *buf, size_t size)
{
    char colour[64] = "";
    size_t used = 0;
    int gray = 1;
    for (int k = 1; k < channels; k++)
        gray &= fill[k] == fill[0];
    for (int k = 0; k < (gray ? 1 : channels) && used < sizeof colour; k++)
        used += (size_t)snprintf(colour + used, sizeof colour - used, "%s%d",
                                 k ? ", " : "", fill[k]);
    snprintf(buf, size, "window %dx%d, stride %dx%d, fill %s%s%s, border %s",
             c->window_h, c->window_w, c->stride_h, c->stride_w,
             gray ? "gray " : "(", colour, gray ? "" : ")",
             c->valid ? "valid" : "clip");
}

static int occlusion_run(struct cnn_analysis *a,
                         const struct cnn_params *params,
                         struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    if (!data || data->test.count == 0)
        return cnn_error_set(err, "occlusion needs test images, and %s",
                             data ? "the test split is empty"
                                  : "no data is loaded");
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    struct occlusion_config c;
    uint8_t fill_colour[64];
    if (read_settings(a, params, &c, fill_colour, err) < 0)
        return -1;
    int *indices = NULL, count = 0;
    int status = test_images_choose(a, "occlusion", params, &indices, &count,
                                    err);
    size_t per_image = cnn_shape_size(shape);
    size_t map_size = (size_t)c.rows * c.columns;
    struct occlusion_image *images = calloc((size_t)count, sizeof *images);
    float *maps = malloc((size_t)count * map_size * sizeof *maps);
    float *buffers = malloc(2 * per_image * sizeof *buffers);
    uint8_t *fill_pixels = malloc(per_image);
    if (status == 0 && (!images || !maps || !buffers || !fill_pixels))
        status = cnn_error_set(err, "out of memory");
    char description[256];
    describe(&c, fill_colour, shape.c, description, sizeof description);
    if (status == 0) {
        size_t plane = (size_t)shape.h * shape.w;
        for (int k = 0; k < shape.c; k++)
            memset(fill_pixels + k * plane, fill_colour[k], plane);
        cnn_analysis_normalize(a, fill_pixels, 1, buffers + per_image);
    }
    for (int k = 0; status == 0 && k < count; k++) {
        struct occlusion_image *m = &images[k];
        m->index = indices[k];
        m->pixels = data->test.pixels + (size_t)m->index * per_image;
        m->label = data->test.labels[m->index];
        m->map = maps + (size_t)k * map_size;
        status = occlude_image(a, data, &c, choose_engine(params),
                               buffers + per_image, m, buffers, description,
                               err);
    }
    if (status == 0)
        status = write_summary(a, data, &c, images, count, err);
    if (status == 0)
        status = occlusion_overview(a, &c, images, count, description, err);
    free(indices);
    free(images);
    free(maps);
    free(buffers);
    free(fill_pixels);
    picture_release_caches();
    return status;
}

static int occlusion_validate(const struct cnn_analysis *a,
                              const struct cnn_params *params,
                              struct cnn_error *err)
{
    struct occlusion_config c;
    uint8_t fill_colour[64];
    return read_settings(a, params, &c, fill_colour, err);
}

const struct cnn_analysis_type analyses_occlusion_type = {
    .name = "occlusion",
    .help = "occlusion sensitivity maps of test images: occlusion.csv, "
            "occlusion-<image>.{csv,npy,png}, occlusion.png",
    .params = occlusion_params,
    .param_count = sizeof occlusion_params / sizeof *occlusion_params,
    .run = occlusion_run,
    .validate = occlusion_validate,
};
