/* cnnlab — analysis `saliency` (attribution.h): the gradient of the
 * predicted class's output with respect to the normalised image, shown
 * two ways. saliency-<image>: |dy/dx| of the largest channel at each
 * pixel (Simonyan et al.'s saliency map). saliency-gradient-input-<image>:
 * the sum over channels of x dy/dx, signed (gradient x input: the
 * first-order share of each pixel in y). saliency.csv: one row per image
 * with each map's largest magnitude. Every file name starts with
 * "saliency", so the results page puts them in the analysis's section. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "attribution.h"
#include "map_files.h"
#include "picture.h"
#include "test_images.h"

static const struct cnn_param_spec saliency_params[] = {
    TEST_IMAGES_PARAM,
    ATTRIBUTION_OUTPUT_PARAM,
};

int saliency_maps(struct cnn_analysis *a, const struct attribution_image *m,
                  enum cnn_gradient_output output, float *saliency,
                  float *gradient_input, struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    size_t plane = (size_t)shape.h * shape.w;
    float *g = malloc(cnn_shape_size(shape) * sizeof *g);
    if (!g)
        return cnn_error_set(err, "out of memory");
    int32_t c = m->predicted;
    struct cnn_gradient_request request = {output, &c, -1};
    struct cnn_gradient_result result = {g, NULL, NULL};
    int status = cnn_analysis_gradient(a, m->x, 1, &request, &result, err);
    for (size_t p = 0; status == 0 && p < plane; p++) {
        float largest = 0.0f, sum = 0.0f;
        for (int k = 0; k < shape.c; k++) {
            largest = fmaxf(largest, fabsf(g[k * plane + p]));
            sum += m->x[k * plane + p] * g[k * plane + p];
        }
        saliency[p] = largest;
        if (gradient_input)
            gradient_input[p] = sum;
    }
    free(g);
    return status;
}

static double largest_magnitude(const float *map, size_t count)
{
    double top = 0;
    for (size_t p = 0; p < count; p++)
        top = fmax(top, fabs(map[p]));
    return top;
}

/* Both maps' files and the figure of one image. */
static int explain(struct cnn_analysis *a, const struct attribution_image *m,
                   enum cnn_gradient_output output, float *saliency,
                   float *gradient_input, const char *description,
                   struct cnn_error *err)
{
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    const struct attribution_panel panels[] = {
        {"|dy/dx|, largest channel", saliency},
        {"gradient x input", gradient_input},
    };
    if (saliency_maps(a, m, output, saliency, gradient_input, err) < 0 ||
        map_files_write(a, "saliency", m->index, saliency, shape.h, shape.w,
                        err) < 0 ||
        map_files_write(a, "saliency-gradient-input", m->index,
                        gradient_input, shape.h, shape.w, err) < 0 ||
        attribution_figure(a, "saliency", m, panels, 2, description, err) < 0)
        return cnn_error_prefix(err, "saliency of test image %d: ",
                                m->index);
    return 0;
}

static int write_csv(struct cnn_analysis *a, const struct attribution_set *s,
                     float *const *maps, size_t plane, struct cnn_error *err)
{
    struct analysis_text text = {0};
    analysis_text_printf(&text, ATTRIBUTION_CSV_HEADER
                         ",saliency_max,gradient_input_max\n");
    for (int k = 0; k < s->count; k++) {
        attribution_csv_row(&text, a, &s->images[k]);
        analysis_text_printf(&text, ",%.7g,%.7g\n",
                             largest_magnitude(maps[k], plane),
                             largest_magnitude(maps[k] + plane, plane));
    }
    return analysis_text_write(&text, a, "saliency.csv", err);
}

static int saliency_run(struct cnn_analysis *a,
                        const struct cnn_params *params,
                        struct cnn_error *err)
{
    struct attribution_set set;
    enum cnn_gradient_output output = attribution_output(params);
    struct cnn_shape shape = cnn_analysis_input_shape(a);
    size_t plane = (size_t)shape.h * shape.w;
    int status = attribution_set_open(a, "saliency", params, &set, err);
    float *maps = status == 0 ? malloc((size_t)set.count * 2 * plane *
                                       sizeof *maps)
                              : NULL;
    float **each = status == 0 ? calloc((size_t)set.count, sizeof *each)
                               : NULL;
    if (status == 0 && (!maps || !each))
        status = cnn_error_set(err, "out of memory");
    char description[128];
    snprintf(description, sizeof description, "gradient of the %s",
             output == CNN_GRADIENT_LOGIT ? "logit" : "probability");
    for (int k = 0; status == 0 && k < set.count; k++) {
        each[k] = maps + (size_t)k * 2 * plane;
        status = explain(a, &set.images[k], output, each[k], each[k] + plane,
                         description, err);
    }
    if (status == 0)
        status = write_csv(a, &set, each, plane, err);
    if (status == 0)
        status = attribution_overview(a, "saliency",
                                      "saliency: |dy/dx| of the predicted "
                                      "class", &set, each, description, err);
    free(maps);
    free(each);
    attribution_set_close(&set);
    picture_release_caches();
    return status;
}

const struct cnn_analysis_type analyses_saliency_type = {
    .name = "saliency",
    .help = "gradient saliency and gradient x input of test images: "
            "saliency.csv, saliency-<image>.{csv,npy,png}, "
            "saliency-gradient-input-<image>.{csv,npy}, saliency.png",
    .params = saliency_params,
    .param_count = sizeof saliency_params / sizeof *saliency_params,
    .run = saliency_run,
};
