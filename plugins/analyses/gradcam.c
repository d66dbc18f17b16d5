/* cnnlab — analysis `gradcam` (attribution.h): Grad-CAM (Selvaraju et
 * al.) on one layer, by default the last conv2d. With A the layer's
 * output (channels × h × w) and y the predicted class's output, each
 * channel weighs alpha_k = mean over positions of dy/dA_k, and the map is
 * ReLU(sum_k alpha_k A_k) on the layer's grid (gradcam-grid-<image>),
 * then on the input's pixels (gradcam-<image>) by the receptive-field
 * arithmetic `cnnlab rf` uses, so a cell lands where its field is
 * centred, whatever the padding and strides before it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attribution.h"
#include "cnnlab/receptive_field.h"
#include "map_files.h"
#include "picture.h"
#include "test_images.h"

static const struct cnn_param_spec gradcam_params[] = {
    TEST_IMAGES_PARAM,
    ATTRIBUTION_OUTPUT_PARAM,
    {"layer", CNN_PARAM_STRING, "", 0, 0, NULL,
     "the layer whose output is weighed, e.g. conv4; left out: the last "
     "conv2d layer"},
};

/* The layers whose output still has positions: those before the first
 * whose receptive field is global. 0 or -1 (out of memory). */
static int spatial_layers(const struct cnn_analysis *a, int *count,
                          struct cnn_error *err)
{
    int layers = cnn_analysis_layer_count(a);
    struct cnn_receptive_field *fields = calloc((size_t)layers + 1,
                                                sizeof *fields);
    if (!fields)
        return cnn_error_set(err, "out of memory");
    cnn_receptive_fields(cnn_analysis_layer(a, 0), layers, fields);
    *count = 0;
    while (*count < layers && !fields[*count].global)
        (*count)++;
    free(fields);
    return 0;
}

static int find_layer(const struct cnn_analysis *a, const char *name)
{
    for (int i = 0; i < cnn_analysis_layer_count(a); i++)
        if (strcmp(cnn_analysis_layer(a, i)->name, name) == 0)
            return i;
    return -1;
}

static int last_conv(const struct cnn_analysis *a, int spatial)
{
    for (int i = spatial - 1; i >= 0; i--)
        if (strcmp(cnn_analysis_layer(a, i)->type->name, "conv2d") == 0)
            return i;
    return -1;
}

int gradcam_layer(const struct cnn_analysis *a, const char *name, int *index,
                  struct cnn_error *err)
{
    int spatial = 0;
    if (spatial_layers(a, &spatial, err) < 0)
        return -1;
    char range[160] = "none";
    if (spatial == 1)
        snprintf(range, sizeof range, "%s", cnn_analysis_layer(a, 0)->name);
    else if (spatial > 1)
        snprintf(range, sizeof range, "%s..%s", cnn_analysis_layer(a, 0)->name,
                 cnn_analysis_layer(a, spatial - 1)->name);
    *index = name[0] ? find_layer(a, name) : last_conv(a, spatial);
    if (!name[0] && *index < 0)
        return cnn_error_set(err, "gradcam: the model has no conv2d layer "
                             "with a spatial output; name one in `layer` "
                             "(layers with positions: %s)", range);
    if (*index < 0)
        return cnn_error_set(err, "gradcam: layer: the model has no layer "
                             "'%s' (layers with positions: %s)", name, range);
    if (*index >= spatial) {
        const struct cnn_layer *l = cnn_analysis_layer(a, *index);
        return cnn_error_set(err, "gradcam: layer: '%s' (%s) mixes every "
                             "position of the image, so it has no map; "
                             "choose one of %s", l->name, l->type->name,
                             range);
    }
    return 0;
}

/* Bilinear weight position: where `at` lies among n cells centred at
 * first + i * jump (i = 0..n-1), clamped to the outermost ones. */
static void locate(double at, double first, int jump, int n, int *i0,
                   int *i1, double *t)
{
    double u = jump > 0 ? (at - first) / jump : 0.0;
    u = u < 0 ? 0 : u > n - 1 ? n - 1 : u;
    *i0 = (int)floor(u);
    *i1 = *i0 + 1 < n ? *i0 + 1 : *i0;
    *t = u - *i0;
}

void gradcam_upsample(const struct cnn_analysis *a, int layer,
                      const float *cam, float *map)
{
    int layers = cnn_analysis_layer_count(a);
    struct cnn_receptive_field fields[layers];
    cnn_receptive_fields(cnn_analysis_layer(a, 0), layers, fields);
    const struct cnn_receptive_field *rf = &fields[layer];
    struct cnn_shape out = cnn_analysis_layer(a, layer)->output;
    struct cnn_shape in = cnn_analysis_input_shape(a);
    double centre_h = rf->start_h + (rf->size_h - 1) / 2.0;
    double centre_w = rf->start_w + (rf->size_w - 1) / 2.0;
    for (int y = 0; y < in.h; y++) {
        int r0, r1;
        double ty;
        locate(y, centre_h, rf->jump_h, out.h, &r0, &r1, &ty);
        for (int x = 0; x < in.w; x++) {
            int c0, c1;
            double tx;
            locate(x, centre_w, rf->jump_w, out.w, &c0, &c1, &tx);
            double top = (1 - tx) * cam[r0 * out.w + c0] +
                         tx * cam[r0 * out.w + c1];
            double bottom = (1 - tx) * cam[r1 * out.w + c0] +
                            tx * cam[r1 * out.w + c1];
            map[y * in.w + x] = (float)((1 - ty) * top + ty * bottom);
        }
    }
}

/* ReLU(sum_k alpha_k A_k), alpha_k the mean of g over channel k. */
static void weigh_channels(struct cnn_shape shape, const float *g,
                           const float *activation, float *cam)
{
    size_t plane = (size_t)shape.h * shape.w;
    double *sum = calloc(plane, sizeof *sum);
    for (int k = 0; sum && k < shape.c; k++) {
        double alpha = 0;
        for (size_t p = 0; p < plane; p++)
            alpha += g[k * plane + p];
        alpha /= (double)plane;
        for (size_t p = 0; p < plane; p++)
            sum[p] += alpha * activation[k * plane + p];
    }
    for (size_t p = 0; p < plane; p++)
        cam[p] = sum && sum[p] > 0 ? (float)sum[p] : 0.0f;
    free(sum);
}

int gradcam_map(struct cnn_analysis *a, const struct gradcam_config *c,
                const struct attribution_image *m, float *cam, float *map,
                struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_layer(a, c->layer)->output;
    size_t size = cnn_shape_size(shape);
    float *g = malloc(2 * size * sizeof *g);
    if (!g)
        return cnn_error_set(err, "out of memory");
    int32_t k = m->predicted;
    struct cnn_gradient_request request = {c->output, &k, c->layer};
    struct cnn_gradient_result result = {g, g + size, NULL};
    int status = cnn_analysis_gradient(a, m->x, 1, &request, &result, err);
    if (status == 0) {
        weigh_channels(shape, g, g + size, cam);
        gradcam_upsample(a, c->layer, cam, map);
    }
    free(g);
    return status;
}

static double largest(const float *map, size_t count)
{
    double top = 0;
    for (size_t p = 0; p < count; p++)
        top = fmax(top, map[p]);
    return top;
}

static int explain(struct cnn_analysis *a, const struct gradcam_config *c,
                   const struct attribution_image *m, float *cam, float *map,
                   const char *description, struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    struct cnn_shape grid = cnn_analysis_layer(a, c->layer)->output;
    char title[96];
    snprintf(title, sizeof title, "Grad-CAM on %s",
             cnn_analysis_layer(a, c->layer)->name);
    const struct attribution_panel panel = {title, map};
    if (gradcam_map(a, c, m, cam, map, err) < 0 ||
        map_files_write(a, "gradcam-grid", m->index, cam, grid.h, grid.w,
                        err) < 0 ||
        map_files_write(a, "gradcam", m->index, map, in.h, in.w, err) < 0 ||
        attribution_figure(a, "gradcam", m, &panel, 1, description, err) < 0)
        return cnn_error_prefix(err, "gradcam of test image %d: ", m->index);
    return 0;
}

static int write_csv(struct cnn_analysis *a, const struct gradcam_config *c,
                     const struct attribution_set *s, float *const *maps,
                     struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    struct analysis_text text = {0};
    analysis_text_printf(&text, ATTRIBUTION_CSV_HEADER ",layer,map_max\n");
    for (int k = 0; k < s->count; k++) {
        attribution_csv_row(&text, a, &s->images[k]);
        analysis_text_printf(&text, ",%s,%.7g\n",
                             cnn_analysis_layer(a, c->layer)->name,
                             largest(maps[k], (size_t)in.h * in.w));
    }
    return analysis_text_write(&text, a, "gradcam.csv", err);
}

static int read_config(const struct cnn_analysis *a,
                       const struct cnn_params *params,
                       struct gradcam_config *c, struct cnn_error *err)
{
    c->output = attribution_output(params);
    return gradcam_layer(a, cnn_param_string(params, "layer"), &c->layer,
                         err);
}

static int run_images(struct cnn_analysis *a, const struct gradcam_config *c,
                      const struct attribution_set *set, float *maps,
                      float **each, float *cam, const char *description,
                      struct cnn_error *err)
{
    struct cnn_shape in = cnn_analysis_input_shape(a);
    int status = 0;
    for (int k = 0; status == 0 && k < set->count; k++) {
        each[k] = maps + (size_t)k * in.h * in.w;
        status = explain(a, c, &set->images[k], cam, each[k], description,
                         err);
    }
    if (status == 0)
        status = write_csv(a, c, set, each, err);
    if (status == 0)
        status = attribution_overview(a, "gradcam", "Grad-CAM of the "
                                      "predicted class", set, each,
                                      description, err);
    return status;
}

static int gradcam_run(struct cnn_analysis *a,
                       const struct cnn_params *params,
                       struct cnn_error *err)
{
    struct gradcam_config c;
    struct attribution_set set = {0};
    if (read_config(a, params, &c, err) < 0 ||
        attribution_set_open(a, "gradcam", params, &set, err) < 0) {
        attribution_set_close(&set);
        return -1;
    }
    char description[160];
    snprintf(description, sizeof description,
             "layer %s, gradient of the %s",
             cnn_analysis_layer(a, c.layer)->name,
             c.output == CNN_GRADIENT_LOGIT ? "logit" : "probability");
    struct cnn_shape in = cnn_analysis_input_shape(a);
    float *maps = malloc(((size_t)set.count * in.h * in.w + 1) *
                         sizeof *maps);
    float **each = calloc((size_t)set.count + 1, sizeof *each);
    float *cam = malloc(cnn_shape_size(cnn_analysis_layer(a, c.layer)->output)
                        * sizeof *cam);
    int status = maps && each && cam
                     ? run_images(a, &c, &set, maps, each, cam, description,
                                  err)
                     : cnn_error_set(err, "out of memory");
    free(maps);
    free(each);
    free(cam);
    attribution_set_close(&set);
    picture_release_caches();
    return status;
}

static int gradcam_validate(const struct cnn_analysis *a,
                            const struct cnn_params *params,
                            struct cnn_error *err)
{
    struct gradcam_config c;
    return read_config(a, params, &c, err);
}

const struct cnn_analysis_type analyses_gradcam_type = {
    .name = "gradcam",
    .help = "Grad-CAM maps of test images on a conv layer: gradcam.csv, "
            "gradcam-<image>.{csv,npy,png}, gradcam-grid-<image>.{csv,npy}, "
            "gradcam.png",
    .params = gradcam_params,
    .param_count = sizeof gradcam_params / sizeof *gradcam_params,
    .run = gradcam_run,
    .validate = gradcam_validate,
};
