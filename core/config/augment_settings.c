/* cnnlab — `data.augment:` (augment_settings.h): a list of augmentations,
 * each a name or a one-key mapping to its settings, checked against its
 * schema like every other part of a manifest. */
#include <stdio.h>
#include <string.h>

#include "config/augment_settings.h"
#include "config/params_node.h"

#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct cnn_param_spec crop_specs[] = {
    {"padding", CNN_PARAM_INT, "4", 0, 1024, NULL,
     "pixels added on each side before a crop of the image's size is cut "
     "at a random place (torchvision RandomCrop(size, padding))"},
    {"fill", CNN_PARAM_INT, "0", 0, 255, NULL,
     "the padding's pixel value"},
};

static const struct cnn_param_spec flip_specs[] = {
    {"p", CNN_PARAM_FLOAT, "0.5", 0, 1, NULL,
     "probability of mirroring the image left to right"},
};

static const struct cnn_param_spec resized_crop_specs[] = {
    {"scale", CNN_PARAM_FLOAT_LIST, "[0.08, 1]", 1e-6, 1, NULL,
     "[low, high]: the crop's share of the image's area, drawn uniformly"},
    {"ratio", CNN_PARAM_FLOAT_LIST, "[0.75, 1.3333333333333333]", 1e-3, 1e3,
     NULL, "[low, high]: the crop's width / height, drawn log-uniformly"},
};

static const struct cnn_param_spec jitter_specs[] = {
    {"brightness", CNN_PARAM_FLOAT, "0", 0, 10, NULL,
     "x: brightness scaled by a factor from [max(0, 1 - x), 1 + x]"},
    {"contrast", CNN_PARAM_FLOAT, "0", 0, 10, NULL,
     "x: contrast about the gray mean, the same way"},
    {"saturation", CNN_PARAM_FLOAT, "0", 0, 10, NULL,
     "x: saturation against the gray image, the same way (colour images "
     "only)"},
};

struct augment_kind {
    const char *name;
    enum cnn_augment_kind kind;
    const struct cnn_param_spec *specs;
    int count;
};

static const struct augment_kind kinds[] = {
    {"crop", CNN_AUGMENT_CROP, crop_specs, COUNT(crop_specs)},
    {"flip", CNN_AUGMENT_FLIP, flip_specs, COUNT(flip_specs)},
    {"resized-crop", CNN_AUGMENT_RESIZED_CROP, resized_crop_specs,
     COUNT(resized_crop_specs)},
    {"jitter", CNN_AUGMENT_JITTER, jitter_specs, COUNT(jitter_specs)},
};

static const struct augment_kind *find_kind(const char *name)
{
    for (int i = 0; i < COUNT(kinds); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

static int unknown_kind(const char *name, struct cnn_mark mark,
                        struct cnn_error *err)
{
    const char *names[COUNT(kinds)];
    for (int i = 0; i < COUNT(kinds); i++)
        names[i] = kinds[i].name;
    const char *guess = cnn_did_you_mean(name, names, COUNT(kinds));
    return cnn_error_at(err, mark,
                        "unknown augmentation '%s' in data.augment%s%s%s "
                        "(known: crop, flip, resized-crop, jitter)",
                        name, guess ? "; did you mean '" : "",
                        guess ? guess : "", guess ? "'?" : "");
}

/* A [low, high] pair with low <= high, read into range. */
static int read_range(const struct cnn_params *params, const char *key,
                      struct cnn_mark mark, double range[2],
                      struct cnn_error *err)
{
    const double *values;
    int count = cnn_param_floats(params, key, &values);
    if (count != 2 || values[0] > values[1])
        return cnn_error_at(err, mark,
                            "resized-crop: '%s' is [low, high] with low <= "
                            "high, e.g. %s",
                            key,
                            strcmp(key, "scale") == 0 ? "[0.08, 1]"
                                                      : "[0.75, 1.333]");
    range[0] = values[0];
    range[1] = values[1];
    return 0;
}

static int read_step(const struct augment_kind *kind,
                     const struct cnn_params *params, struct cnn_mark mark,
                     struct cnn_augment_step *step, struct cnn_error *err)
{
    memset(step, 0, sizeof *step);
    step->kind = kind->kind;
    switch (kind->kind) {
    case CNN_AUGMENT_CROP:
        step->padding = (int)cnn_param_int(params, "padding");
        step->fill = (uint8_t)cnn_param_int(params, "fill");
        return 0;
    case CNN_AUGMENT_FLIP:
        step->p = cnn_param_float(params, "p");
        return 0;
    case CNN_AUGMENT_RESIZED_CROP:
        if (read_range(params, "scale", mark, step->scale, err) < 0)
            return -1;
        return read_range(params, "ratio", mark, step->ratio, err);
    case CNN_AUGMENT_JITTER:
        step->brightness = cnn_param_float(params, "brightness");
        step->contrast = cnn_param_float(params, "contrast");
        step->saturation = cnn_param_float(params, "saturation");
        if (step->brightness == 0 && step->contrast == 0 &&
            step->saturation == 0)
            return cnn_error_at(err, mark,
                                "jitter changes nothing: give brightness, "
                                "contrast or saturation (e.g. {brightness: "
                                "0.4})");
        return 0;
    }
    return 0;
}

/* One element: `flip` or `crop: {padding: 4}`. */
static int parse_element(const struct cnn_node *node,
                         struct cnn_augment_step *step, struct cnn_error *err)
{
    const char *name;
    const struct cnn_node *settings = NULL;
    struct cnn_mark mark = node->mark;
    if (node->kind == CNN_NODE_SCALAR) {
        name = node->text;
    } else if (node->kind == CNN_NODE_MAP && node->count == 1) {
        name = node->keys[0];
        mark = node->key_marks[0];
        settings = node->items[0];
        if (settings->kind == CNN_NODE_SCALAR && !settings->text[0])
            settings = NULL;
    } else {
        return cnn_error_at(err, node->mark,
                            "an augmentation is a name (flip) or a mapping "
                            "of one name to its settings ({crop: {padding: "
                            "4}})");
    }
    const struct augment_kind *kind = find_kind(name);
    if (!kind)
        return unknown_kind(name, mark, err);
    char component[64];
    snprintf(component, sizeof component, "data.augment %s", name);
    struct cnn_params params = {0};
    if (cnn_params_from_node(&params, kind->specs, kind->count, settings,
                             mark, component, err) < 0)
        return -1;
    int status = read_step(kind, &params, mark, step, err);
    cnn_params_free(&params);
    return status;
}

int cnn_augment_settings_parse(const struct cnn_node *node,
                               struct cnn_augmentation *augmentation,
                               struct cnn_error *err)
{
    memset(augmentation, 0, sizeof *augmentation);
    if (!node || (node->kind == CNN_NODE_SCALAR && !node->quoted &&
                  !node->text[0]))
        return 0;
    if (node->kind != CNN_NODE_SEQUENCE)
        return cnn_error_at(err, node->mark,
                            "data.augment is a list, e.g. [{crop: {padding: "
                            "4}}, flip]");
    if (node->count > CNN_AUGMENT_MAX)
        return cnn_error_at(err, node->items[CNN_AUGMENT_MAX]->mark,
                            "data.augment lists %d augmentations; at most "
                            "%d are allowed",
                            node->count, CNN_AUGMENT_MAX);
    for (int i = 0; i < node->count; i++)
        if (parse_element(node->items[i], &augmentation->steps[i], err) < 0)
            return -1;
    augmentation->count = node->count;
    return 0;
}
