/* Running the model in pieces (analysis.h, Part B): a forward up to any
 * layer followed by a forward from the next equals the full forward bit
 * for bit (CPU); "the output of layer k" is what the model's own forward
 * leaves there; a filter switched off gives a zero (or bias-only) channel
 * of conv2d and linear layers at the very next forward (no weights cached
 * by the kernels); switching it on restores the outputs bit for bit; bad
 * layers and filters are errors that name the valid range. */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "cnnlab/node.h"
#include "cnnlab/rng.h"
#include "test-util.h"
#include "train/train.h"

static const char model_text[] =
    "input: [3, 8, 8]\n"
    "layers:\n"
    "  - conv2d: {out: 3, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - conv2d: {out: 4, kernel: 3}\n"
    "  - flatten\n"
    "  - linear: {out: 6, activation: relu}\n"
    "  - linear: {out: 3}\n";
enum { LAYERS = 6, CONV1 = 0, POOL = 1, CONV2 = 2, FC1 = 4, FC2 = 5 };
enum { IMAGES = 5, PIXELS = 3 * 8 * 8 };

static int build(struct cnn_model *model, struct cnn_registry *registry)
{
    struct cnn_node *node;
    struct cnn_error err = {0};
    if (cnn_node_load_string(model_text, "model.yaml", &node, &err) < 0) {
        diag("%s", err.message);
        return -1;
    }
    int status = cnn_model_build(model, registry, node, CNN_DEVICE_CPU, &err);
    if (status == 0)
        status = cnn_model_allocate(model, 5, &err);
    if (status < 0)
        diag("%s", err.message);
    cnn_node_free(node);
    return status;
}

static size_t output_size(struct cnn_analysis *a, int layer, int n)
{
    return (size_t)n * cnn_shape_size(cnn_analysis_layer(a, layer)->output);
}

/* Layer `layer`'s output of n images, malloc'd (NULL after a failed
 * check). */
static float *forward_to(struct cnn_analysis *a, const uint8_t *pixels,
                         int n, int layer)
{
    float *out = malloc(output_size(a, layer, n) * sizeof *out);
    struct cnn_error err = {0};
    if (!out ||
        cnn_analysis_forward_images(a, pixels, n, layer, out, &err) < 0) {
        ok(0, "forward to layer %d: %s", layer, err.message);
        free(out);
        return NULL;
    }
    return out;
}

static int same(const float *a, const float *b, size_t count)
{
    return a && b && memcmp(a, b, count * sizeof *a) == 0;
}

static void split_forward(struct cnn_analysis *a, const uint8_t *pixels,
                          const float *logits)
{
    size_t classes = output_size(a, FC2, IMAGES);
    float *out = malloc(classes * sizeof *out);
    struct cnn_error err = {0};
    for (int k = 0; k + 1 < LAYERS; k++) {
        float *part = forward_to(a, pixels, IMAGES, k);
        int status = part ? cnn_analysis_forward_from(a, k + 1, part, IMAGES,
                                                      FC2, out, &err)
                          : -1;
        ok(status == 0 && same(out, logits, classes),
           "layers 0..%d, then %d..%d: the full forward bit for bit%s%s", k,
           k + 1, FC2, status < 0 ? ": " : "", status < 0 ? err.message : "");
        free(part);
    }
    float *normalized = malloc((size_t)IMAGES * PIXELS * sizeof *normalized);
    cnn_analysis_normalize(a, pixels, IMAGES, normalized);
    /* (p/255 - 0.5) / 0.25 in float: a few ulps of 2. */
    is_near(normalized[7], ((double)pixels[7] / 255 - 0.5) / 0.25, 1e-6,
            "normalize applies the manifest's mean and std");
    int status = cnn_analysis_forward_from(a, 0, normalized, IMAGES, FC2, out,
                                           &err);
    ok(status == 0 && same(out, logits, classes),
       "a forward from layer 0 on normalised images equals one from pixels");
    free(normalized);
    free(out);
}

/* The model's own forward of the same batch leaves every layer's output
 * where forward_images reads it. */
static void same_as_model(struct cnn_analysis *a, struct cnn_model *model,
                          const struct cnn_train_config *train,
                          uint8_t *pixels)
{
    struct cnn_dataset set = {IMAGES, {3, 8, 8}, pixels, NULL};
    int32_t labels[IMAGES] = {0};
    set.labels = labels;
    int indices[IMAGES] = {0, 1, 2, 3, 4};
    struct cnn_error err = {0};
    int status = cnn_model_reserve(model, IMAGES, &err);
    if (status == 0) {
        cnn_fill_batch(model, &set, indices, IMAGES, &train->normalization);
        status = cnn_model_upload_batch(model, IMAGES, &err) ||
                 cnn_model_forward(model, IMAGES, 0, &err);
    }
    if (!ok(status == 0, "the model's own forward (%s)", err.message))
        return;
    size_t count = output_size(a, CONV2, IMAGES);
    float *expected = malloc(count * sizeof *expected);
    memcpy(expected, model->outputs[CONV2], count * sizeof *expected);
    float *got = forward_to(a, pixels, IMAGES, CONV2);
    ok(same(got, expected, count),
       "layer %d's output is what the model's forward leaves there", CONV2);
    free(got);
    free(expected);
}

/* Channel `channel` of every image's layer output: all equal to `value`
 * (zero, or the bias alone). */
static int channel_is(const float *out, struct cnn_shape shape, int n,
                      int channel, float value)
{
    size_t plane = (size_t)shape.h * shape.w;
    for (int i = 0; i < n; i++)
        for (size_t p = 0; p < plane; p++)
            if (out[((size_t)i * shape.c + channel) * plane + p] != value)
                return 0;
    return 1;
}

/* Every channel but `channel` equal in a and b. */
static int others_same(const float *a, const float *b, struct cnn_shape shape,
                       int n, int channel)
{
    size_t plane = (size_t)shape.h * shape.w;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < shape.c; c++)
            if (c != channel &&
                memcmp(a + ((size_t)i * shape.c + c) * plane,
                       b + ((size_t)i * shape.c + c) * plane,
                       plane * sizeof *a) != 0)
                return 0;
    return 1;
}

static void switch_filters(struct cnn_analysis *a, struct cnn_model *model,
                           const uint8_t *pixels, const float *logits)
{
    struct cnn_error err = {0};
    float *original = malloc(model->parameter_count * sizeof *original);
    memcpy(original, model->parameters,
           model->parameter_count * sizeof *original);
    struct cnn_shape conv1 = cnn_analysis_layer(a, CONV1)->output;
    float *before = forward_to(a, pixels, IMAGES, CONV1);

    ok(cnn_analysis_filter_off(a, CONV1, 1, 1, &err) == 0,
       "conv1 filter 1 off, with its bias (%s)", err.message);
    float *after = forward_to(a, pixels, IMAGES, CONV1);
    ok(after && channel_is(after, conv1, IMAGES, 1, 0.0f),
       "conv1's channel 1 is 0 at the next forward of the same batch size");
    ok(after && others_same(before, after, conv1, IMAGES, 1),
       "its other channels are unchanged bit for bit");
    free(after);

    /* conv2 has no activation: without its bias zeroed, the channel is
     * the bias alone. */
    struct cnn_param_tensor *bias = cnn_layer_tensor(&model->layers[CONV2],
                                                     "bias");
    float bias3 = bias->data[3];
    ok(cnn_analysis_filter_off(a, CONV2, 3, 0, &err) == 0,
       "conv2 filter 3 off, keeping its bias (%s)", err.message);
    after = forward_to(a, pixels, IMAGES, CONV2);
    ok(after && channel_is(after, cnn_analysis_layer(a, CONV2)->output,
                           IMAGES, 3, bias3),
       "conv2's channel 3 is its bias (%g) everywhere", bias3);
    free(after);

    ok(cnn_analysis_filter_off(a, FC2, 2, 1, &err) == 0,
       "fc2 output 2 off (%s)", err.message);
    after = forward_to(a, pixels, IMAGES, FC2);
    ok(after && channel_is(after, (struct cnn_shape){3, 1, 1}, IMAGES, 2,
                           0.0f),
       "logit 2 is 0 for every image (linear)");
    free(after);

    ok(cnn_analysis_filter_on(a, CONV1, 1, &err) == 0 &&
           cnn_analysis_filter_on(a, CONV2, 3, &err) == 0 &&
           cnn_analysis_filter_on(a, FC2, 2, &err) == 0,
       "all three back on (%s)", err.message);
    ok(same(model->parameters, original, model->parameter_count),
       "the parameters are the selected ones bit for bit");
    after = forward_to(a, pixels, IMAGES, FC2);
    ok(same(after, logits, output_size(a, FC2, IMAGES)),
       "and so are the logits");
    free(after);
    ok(cnn_analysis_filter_on(a, FC1, 0, &err) == 0,
       "switching on a filter that is on changes nothing");

    ok(cnn_analysis_filter_off(a, FC1, 5, 1, &err) == 0 &&
           cnn_analysis_filters_restore(a, &err) == 0 &&
           same(model->parameters, original, model->parameter_count),
       "restoring every filter brings the selected parameters back");
    free(before);
    free(original);
}

static void errors(struct cnn_analysis *a, const uint8_t *pixels)
{
    struct cnn_error err = {0};
    is_int(cnn_analysis_filter_count(a, CONV1), 3, "conv1 has 3 filters");
    is_int(cnn_analysis_filter_count(a, CONV2), 4, "conv2 has 4 filters");
    is_int(cnn_analysis_filter_count(a, FC1), 6, "fc1 has 6 (outputs)");
    is_int(cnn_analysis_filter_count(a, POOL), 0, "a pooling layer has none");
    is_int(cnn_analysis_filter_count(a, 99), 0, "nor a missing layer");

    ok(cnn_analysis_filter_off(a, 99, 0, 1, &err) < 0, "layer 99 refused");
    like(err.message, "0..5", "naming the layers there are");
    cnn_error_clear(&err);
    ok(cnn_analysis_filter_off(a, POOL, 0, 1, &err) < 0,
       "a layer without weights refused");
    like(err.message, "pool1", "naming the layer");
    cnn_error_clear(&err);
    ok(cnn_analysis_filter_off(a, CONV1, 3, 1, &err) < 0,
       "filter 3 of conv1 refused");
    like(err.message, "filters 0..2", "naming the valid range");
    cnn_error_clear(&err);
    ok(cnn_analysis_filter_on(a, CONV2, -1, &err) < 0,
       "filter -1 refused when switching on too");
    cnn_error_clear(&err);
    float out[256];
    ok(cnn_analysis_forward_images(a, pixels, 1, LAYERS, out, &err) < 0,
       "a forward to a layer past the last refused");
    like(err.message, "0..5", "saying which layers exist");
    cnn_error_clear(&err);
    ok(cnn_analysis_forward_from(a, 3, out, 1, 1, out, &err) < 0,
       "a forward that ends before it starts refused");
    cnn_error_clear(&err);
    ok(cnn_analysis_forward_images(a, pixels, 0, 1, out, &err) < 0,
       "a forward of no images refused");
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "layers.so") != 1) {
        cnn_registry_free(registry);
        return done_testing();
    }
    struct cnn_model model;
    if (!ok(build(&model, registry) == 0, "a small conv model builds")) {
        cnn_registry_free(registry);
        return done_testing();
    }
    model.context.threads = 2;
    struct cnn_train_config train = {.batch = 2, .seed = 42};
    train.normalization = (struct cnn_normalization){1, {0.5}, {0.25}};
    struct cnn_analysis_setup setup = {.directory = "/nonexistent",
                                       .variant = "main",
                                       .model = &model,
                                       .train = &train,
                                       .threads = 2};
    struct cnn_analysis *a = NULL;
    struct cnn_error err = {0};
    ok(cnn_analysis_new(&a, &setup, &err) == 0, "an analysis handle");
    is_int(cnn_analysis_seed(a), 42, "the seed is the manifest's");

    uint8_t pixels[IMAGES * PIXELS];
    struct cnn_rng rng;
    cnn_rng_seed(&rng, 9);
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t)cnn_rng_below(&rng, 256);
    /* A first forward of one image, so the next ones grow the buffers. */
    float *single = forward_to(a, pixels, 1, FC2);
    float *logits = forward_to(a, pixels, IMAGES, FC2);
    /* Another batch size may take other kernels: equal to rounding. */
    int close = single && logits;
    for (size_t i = 0; close && i < output_size(a, FC2, 1); i++)
        close = fabsf(single[i] - logits[i]) <= 1e-5f;
    ok(close, "one image alone gives the logits it gets in a batch of %d "
              "(within 1e-5), after the buffers grew", IMAGES);
    if (logits) {
        split_forward(a, pixels, logits);
        same_as_model(a, &model, &train, pixels);
        switch_filters(a, &model, pixels, logits);
    }
    errors(a, pixels);

    float *original = malloc(model.parameter_count * sizeof *original);
    memcpy(original, model.parameters, model.parameter_count * sizeof(float));
    ok(cnn_analysis_filter_off(a, CONV2, 0, 1, &err) == 0, "a filter off");
    cnn_analysis_free(a);
    ok(same(model.parameters, original, model.parameter_count),
       "freeing the handle switches it back on");
    free(original);
    free(single);
    free(logits);
    cnn_model_free(&model);
    cnn_registry_free(registry);
    return done_testing();
}
