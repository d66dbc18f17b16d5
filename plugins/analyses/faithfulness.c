/* cnnlab — analysis `faithfulness` (faithfulness.h): its settings, and
 * for every chosen method and image the map, the pixel order, the two
 * curves; faithfulness_report writes the files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faithfulness.h"
#include "picture.h"
#include "test_images.h"

static const struct cnn_param_spec faithfulness_params[] = {
    TEST_IMAGES_PARAM,
    {"methods", CNN_PARAM_NAME_LIST, "[]", 0, 0, NULL,
     "the maps compared: saliency, gradient-input, gradcam, "
     "integrated-gradients, occlusion, random (a seeded order, the "
     "control); left out: all six"},
    {"steps", CNN_PARAM_INT, "20", 1, 10000, NULL,
     "points of each curve after the first: pixels go in steps of 1/steps "
     "of the image"},
    {"fill", CNN_PARAM_FLOAT_LIST, "[0]", 0, 255, NULL,
     "what removed pixels become, in pixel space (before normalisation): "
     "one gray value, or one value per channel"},
    {"batch", CNN_PARAM_INT, "32", 1, 65536, NULL,
     "images per forward pass"},
    ATTRIBUTION_OUTPUT_PARAM,
    {"layer", CNN_PARAM_STRING, "", 0, 0, NULL,
     "gradcam's layer; left out: the last conv2d layer"},
    {"baseline", CNN_PARAM_CHOICE, "black", 0, 0, "black|gray|blurred",
     "integrated-gradients' baseline"},
    {"ig_steps", CNN_PARAM_INT, "16", 1, 100000, NULL,
     "integrated-gradients' points on the path"},
    {"window", CNN_PARAM_INT_PAIR, "5", 1, 4096, NULL,
     "occlusion's window (stride 1, border clip, the fill above)"},
};

static int find_method(const char *name)
{
    for (int m = 0; m < METHOD_COUNT; m++)
        if (strcmp(faithfulness_method_names[m], name) == 0)
            return m;
    return -1;
}

static int read_methods(const struct cnn_params *params,
                        struct faithfulness_config *c, struct cnn_error *err)
{
    const char *const *names;
    const struct cnn_mark *marks;
    int count = cnn_param_names(params, "methods", &names, &marks);
    c->method_count = count ? count : METHOD_COUNT;
    for (int m = 0; m < c->method_count; m++) {
        c->methods[m] = count ? find_method(names[m]) : m;
        if (c->methods[m] >= 0)
            continue;
        const char *guess = cnn_did_you_mean(
            names[m], faithfulness_method_names, METHOD_COUNT);
        char hint[96] = "";
        if (guess)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", guess);
        return cnn_error_at(err, marks[m],
                            "faithfulness: methods: no method '%s'%s "
                            "(methods: saliency, gradient-input, gradcam, "
                            "integrated-gradients, occlusion, random)",
                            names[m], hint);
    }
    return 0;
}

static int uses(const struct faithfulness_config *c,
                enum faithfulness_method method)
{
    for (int m = 0; m < c->method_count; m++)
        if (c->methods[m] == (int)method)
            return 1;
    return 0;
}

static void read_method_settings(const struct cnn_analysis *a,
                                 const struct cnn_params *params,
                                 struct faithfulness_config *c)
{
    const char *baseline = cnn_param_string(params, "baseline");
    c->ig = (struct ig_config){
        .baseline = strcmp(baseline, "gray") == 0      ? IG_GRAY
                    : strcmp(baseline, "blurred") == 0 ? IG_BLURRED
                                                       : IG_BLACK,
        .steps = (int)cnn_param_int(params, "ig_steps"),
        .batch = 16, .blur = 5, .output = c->output};
    struct cnn_shape in = cnn_analysis_input_shape(a);
    memset(&c->occlusion, 0, sizeof c->occlusion);
    cnn_param_pair(params, "window", &c->occlusion.window_h,
                   &c->occlusion.window_w);
    c->occlusion.stride_h = c->occlusion.stride_w = 1;
    c->occlusion.batch = c->batch;
    occlusion_grid(&c->occlusion, in.h, in.w);
}

/* Everything run uses and validate checks before training. */
static int read_config(const struct cnn_analysis *a,
                       const struct cnn_params *params,
                       struct faithfulness_config *c, struct cnn_error *err)
{
    memset(c, 0, sizeof *c);
    c->steps = (int)cnn_param_int(params, "steps");
    c->batch = (int)cnn_param_int(params, "batch");
    c->output = attribution_output(params);
    c->gradcam.output = c->output;
    int channels = cnn_analysis_input_shape(a).c;
    if (channels > 64)
        return cnn_error_set(err, "faithfulness: %d channels (at most 64)",
                             channels);
    if (read_methods(params, c, err) < 0 ||
        occlusion_read_fill("faithfulness", params, channels, c->fill,
                            err) < 0)
        return -1;
    read_method_settings(a, params, c);
    if (uses(c, METHOD_GRADCAM) &&
        gradcam_layer(a, cnn_param_string(params, "layer"),
                      &c->gradcam.layer, err) < 0)
        return cnn_error_prefix(err, "faithfulness: ");
    return 0;
}

static void free_curves(struct faithfulness_curves *curves, int count)
{
    for (int i = 0; curves && i < count; i++)
        free(curves[i].deletion);
    free(curves);
}

static struct faithfulness_curves *alloc_curves(int count, int steps)
{
    struct faithfulness_curves *curves = calloc((size_t)count,
                                                sizeof *curves);
    for (int i = 0; curves && i < count; i++) {
        curves[i].deletion = malloc(2 * (size_t)(steps + 1) * sizeof(double));
        if (!curves[i].deletion) {
            free_curves(curves, count);
            return NULL;
        }
        curves[i].insertion = curves[i].deletion + steps + 1;
    }
    return curves;
}

/* The fill as a normalised image, for occlusion's engine. */
static int fill_image(struct cnn_analysis *a,
                      const struct faithfulness_config *c, float *out,
                      struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    size_t plane = (size_t)in.h * in.w;
    uint8_t *pixels = malloc(cnn_shape_size(in));
    if (!pixels)
        return cnn_error_set(err, "out of memory");
    for (int k = 0; k < in.c; k++)
        memset(pixels + k * plane, c->fill[k], plane);
    cnn_analysis_normalize(a, pixels, 1, out);
    free(pixels);
    return 0;
}

static int measure(struct cnn_analysis *a, const struct faithfulness_config *c,
                   const struct attribution_set *set,
                   struct faithfulness_curves *curves, struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    int pixels = in.h * in.w;
    float *map = malloc((size_t)pixels * sizeof *map);
    int *order = malloc((size_t)pixels * sizeof *order);
    float *fill = malloc(cnn_shape_size(in) * sizeof *fill);
    int status = map && order && fill ? fill_image(a, c, fill, err)
                                      : cnn_error_set(err, "out of memory");
    for (int m = 0; status == 0 && m < c->method_count; m++)
        for (int k = 0; status == 0 && k < set->count; k++) {
            const struct attribution_image *image = &set->images[k];
            status = faithfulness_scores(a, c, c->methods[m], image, fill,
                                         map, err);
            if (status == 0) {
                faithfulness_order(map, pixels, order);
                status = faithfulness_curves(a, c, image, order,
                                             &curves[m * set->count + k],
                                             err);
            }
            if (status < 0)
                cnn_error_prefix(err, "faithfulness of %s on test image "
                                 "%d: ",
                                 faithfulness_method_names[c->methods[m]],
                                 image->index);
        }
    free(map);
    free(order);
    free(fill);
    return status;
}

static int faithfulness_run(struct cnn_analysis *a,
                            const struct cnn_params *params,
                            struct cnn_error *err)
{
    struct faithfulness_config c;
    struct attribution_set set = {0};
    if (read_config(a, params, &c, err) < 0 ||
        attribution_set_open(a, "faithfulness", params, &set, err) < 0) {
        attribution_set_close(&set);
        return -1;
    }
    int count = c.method_count * set.count;
    struct faithfulness_curves *curves = alloc_curves(count, c.steps);
    int status = curves ? measure(a, &c, &set, curves, err)
                        : cnn_error_set(err, "out of memory");
    if (status == 0)
        status = faithfulness_report(a, &c, &set, curves, err);
    free_curves(curves, count);
    attribution_set_close(&set);
    picture_release_caches();
    return status;
}

static int faithfulness_validate(const struct cnn_analysis *a,
                                 const struct cnn_params *params,
                                 struct cnn_error *err)
{
    struct faithfulness_config c;
    return read_config(a, params, &c, err);
}

const struct cnn_analysis_type analyses_faithfulness_type = {
    .name = "faithfulness",
    .help = "deletion and insertion curves of each attribution method "
            "(which map to trust): faithfulness.md, .tex, .csv, "
            "faithfulness-summary.csv, faithfulness-curves.csv, "
            "faithfulness-deletion.{png,svg}, faithfulness-insertion.{png,svg}",
    .params = faithfulness_params,
    .param_count = sizeof faithfulness_params / sizeof *faithfulness_params,
    .run = faithfulness_run,
    .validate = faithfulness_validate,
};
