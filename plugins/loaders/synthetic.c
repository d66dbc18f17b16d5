/* cnnlab — the synthetic loader: procedural labelled images for tests and
 * smoke runs, with no files.
 *
 * Class k is a Gabor patch: a sinusoidal grating whose orientation, spatial
 * frequency and colour depend on k, under a Gaussian window. Each image
 * draws its own phase, window position, contrast, brightness and pixel noise,
 * so the per-pixel class means are nearly equal (no single pixel tells the
 * class) while oriented filters, which a small CNN learns in a few epochs,
 * do. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "label_subset.h"
#include "loaders.h"

#define SYNTHETIC_CHANNELS_MAX 4
#define SYNTHETIC_ORIENTATIONS 8
/* rng streams ("synt" in ASCII): labels of split s use LABEL_STREAM + s,
 * image i of split s uses IMAGE_STREAM + (s << 32) + i. */
#define SYNTHETIC_LABEL_STREAM UINT64_C(0x73796e7400000000)
#define SYNTHETIC_IMAGE_STREAM UINT64_C(0x73796e7500000000)

static const struct cnn_param_spec synthetic_params[] = {
    {"classes", CNN_PARAM_INT, "10", 2, 1000, NULL, "number of classes"},
    {"channels", CNN_PARAM_INT, "3", 1, 4, NULL, "channels per image"},
    {"size", CNN_PARAM_INT_PAIR, "32", 4, 1024, NULL,
     "image height and width (one number: square)"},
    {"train", CNN_PARAM_INT, "512", 1, 1000000, NULL, "training images"},
    {"val", CNN_PARAM_INT, "128", 0, 1000000, NULL, "validation images"},
    {"test", CNN_PARAM_INT, "128", 0, 1000000, NULL, "test images"},
    {"noise", CNN_PARAM_FLOAT, "0.1", 0, 1, NULL,
     "standard deviation of the pixel noise (1 = full range)"},
    LOADERS_LABELS_SPEC(999, "make the images of these classes only (each "
                             "below classes), renumbered 0, 1, ... in this "
                             "order, named class-<k> by their own k; "
                             "train, val and test count those images"),
};

struct synthetic_settings {
    int classes, channels, height, width;
    double noise;
    /* The classes the splits are made of (`labels:`), renumbered; every
     * class keeps its own pattern, so two subsets are two tasks. */
    const struct loaders_label_subset *subset;
};

/* What makes class k itself. */
struct class_pattern {
    double orientation;                       /* radians, 0..pi */
    double frequency;                         /* cycles per image side */
    double channel_weight[SYNTHETIC_CHANNELS_MAX]; /* the colour */
};

static double fraction(double x)
{
    return x - floor(x);
}

/* Orientation is the main cue: up to eight orientations, evenly spaced;
 * classes beyond eight reuse them at other frequencies. The hue of the
 * grating follows the golden ratio, so every class also has its colour. */
static struct class_pattern pattern_of(int k,
                                       const struct synthetic_settings *s)
{
    const double golden = 0.6180339887498949;
    const double pi = 3.14159265358979323846;
    int orientations = s->classes < SYNTHETIC_ORIENTATIONS
                           ? s->classes
                           : SYNTHETIC_ORIENTATIONS;
    struct class_pattern p;
    p.orientation = pi * (k % orientations) / orientations;
    /* A period of at least ~3.3 pixels keeps the grating from aliasing. */
    int side = s->height < s->width ? s->height : s->width;
    double low = 1.5, high = fmin(5.5, 0.3 * side);
    if (high < low)
        high = low;
    int level = k / orientations;
    p.frequency = low + (high - low) * fraction(0.5 + level * golden);
    double hue = fraction(k * golden);
    for (int c = 0; c < SYNTHETIC_CHANNELS_MAX; c++)
        p.channel_weight[c] =
            s->channels == 1
                ? 1.0
                : 0.3 + 0.35 * (1.0 + cos(2 * pi * (hue + (double)c
                                                                / s->channels)));
    return p;
}

static double uniform(struct cnn_rng *rng)
{
    return cnn_rng_float(rng);
}

static double gaussian(struct cnn_rng *rng)
{
    const double pi = 3.14159265358979323846;
    double u1 = 1.0 - uniform(rng); /* (0, 1]: log stays finite */
    double u2 = uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(2 * pi * u2);
}

/* pixels: channels x height x width of one image, NCHW. */
static void draw_image(uint8_t *pixels, const struct class_pattern *p,
                       const struct synthetic_settings *s, int classes,
                       struct cnn_rng *rng)
{
    const double pi = 3.14159265358979323846;
    int h = s->height, w = s->width;
    double phase = 2 * pi * uniform(rng);
    double contrast = 0.6 + 0.4 * uniform(rng);
    double brightness = 0.08 * (2 * uniform(rng) - 1);
    double centre_y = 0.3 + 0.4 * uniform(rng);
    double centre_x = 0.3 + 0.4 * uniform(rng);
    /* Jitter of a quarter of the spacing between orientations. */
    int orientations =
        classes < SYNTHETIC_ORIENTATIONS ? classes : SYNTHETIC_ORIENTATIONS;
    double orientation =
        p->orientation + (uniform(rng) - 0.5) * 0.25 * pi / orientations;
    double cos_t = cos(orientation), sin_t = sin(orientation);
    const double window = 0.35; /* Gaussian window width, image sides */
    size_t plane = (size_t)h * w;
    for (int y = 0; y < h; y++) {
        double v = (y + 0.5) / h;
        for (int x = 0; x < w; x++) {
            double u = (x + 0.5) / w;
            double du = (u - centre_x) / window, dv = (v - centre_y) / window;
            double envelope = exp(-0.5 * (du * du + dv * dv));
            double wave = sin(2 * pi * p->frequency * (u * cos_t + v * sin_t)
                              + phase);
            double signal = 0.45 * contrast * envelope * wave;
            for (int c = 0; c < s->channels; c++) {
                double value = 0.5 + brightness + p->channel_weight[c] * signal;
                if (s->noise > 0)
                    value += s->noise * gaussian(rng);
                value = value < 0 ? 0 : value > 1 ? 1 : value;
                pixels[c * plane + (size_t)y * w + x] =
                    (uint8_t)lrint(value * 255.0);
            }
        }
    }
}

/* One split of `count` images (the first `kept` of them are made): labels
 * balanced over the classes (those `labels:` keeps) in a seeded order,
 * each image from its own stream so that a limit keeps the same images.
 * A kept class draws the pattern of its original label. */
static int make_split(struct cnn_dataset *set, int split, int count, int kept,
                      const struct synthetic_settings *s,
                      const struct class_pattern *patterns, uint64_t seed,
                      struct cnn_error *err)
{
    struct cnn_shape shape = {s->channels, s->height, s->width};
    if (cnn_dataset_alloc(set, kept, shape, err) != 0)
        return -1;
    if (count == 0)
        return 0;
    int *labels = malloc((size_t)count * sizeof *labels);
    if (labels == NULL)
        return cnn_error_set(err, "synthetic: out of memory for %d labels",
                             count);
    int classes = loaders_label_subset_classes(s->subset, s->classes);
    for (int i = 0; i < count; i++)
        labels[i] = i % classes;
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, seed, SYNTHETIC_LABEL_STREAM + (uint64_t)split);
    cnn_rng_shuffle(&rng, labels, (size_t)count);
    size_t image_size = cnn_shape_size(shape);
    for (int i = 0; i < kept; i++) {
        cnn_rng_seed_stream(&rng, seed,
                            SYNTHETIC_IMAGE_STREAM + ((uint64_t)split << 32)
                                + (uint64_t)i);
        set->labels[i] = labels[i];
        int original = s->subset->count ? s->subset->labels[labels[i]]
                                        : labels[i];
        draw_image(set->pixels + (size_t)i * image_size, &patterns[original],
                   s, s->classes, &rng);
    }
    free(labels);
    return 0;
}

/* "class-<k>" by the original label k, so that a subset's names say
 * which classes it kept. */
static int set_class_names(struct cnn_data *data, int classes,
                           const struct loaders_label_subset *subset,
                           struct cnn_error *err)
{
    enum { NAME_MAX_LENGTH = 16 };
    char *text = malloc((size_t)classes * NAME_MAX_LENGTH);
    const char **names = malloc((size_t)classes * sizeof *names);
    const char **kept = malloc((size_t)classes * sizeof *kept);
    int status = -1;
    if (text == NULL || names == NULL || kept == NULL) {
        cnn_error_set(err, "synthetic: out of memory for %d class names",
                      classes);
    } else {
        for (int k = 0; k < classes; k++) {
            names[k] = text + (size_t)k * NAME_MAX_LENGTH;
            snprintf(text + (size_t)k * NAME_MAX_LENGTH, NAME_MAX_LENGTH,
                     "class-%d", k);
        }
        loaders_label_subset_names(subset, names, classes, kept);
        status = cnn_data_set_classes(
            data, loaders_label_subset_classes(subset, classes), kept, err);
    }
    free(kept);
    free(names);
    free(text);
    return status;
}

static int capped(long count, long limit)
{
    return (int)(limit > 0 && limit < count ? limit : count);
}

static int synthetic_load(const struct cnn_params *params,
                          const struct cnn_load_request *request,
                          struct cnn_data *data, struct cnn_error *err)
{
    struct synthetic_settings s;
    s.classes = (int)cnn_param_int(params, "classes");
    s.channels = (int)cnn_param_int(params, "channels");
    cnn_param_pair(params, "size", &s.height, &s.width);
    s.noise = cnn_param_float(params, "noise");
    long counts[3] = {cnn_param_int(params, "train"),
                      cnn_param_int(params, "val"),
                      cnn_param_int(params, "test")};
    /* The core checks the declared ranges; these guard direct callers. */
    if (s.classes < 2 || s.channels < 1 || s.channels > SYNTHETIC_CHANNELS_MAX
        || s.height < 1 || s.width < 1 || counts[0] < 1 || counts[1] < 0
        || counts[2] < 0 || counts[0] > 1000000 || counts[1] > 1000000
        || counts[2] > 1000000)
        return cnn_error_set(err,
                             "synthetic: classes %d, channels %d, size %d×%d, "
                             "train %ld, val %ld, test %ld are out of range",
                             s.classes, s.channels, s.height, s.width,
                             counts[0], counts[1], counts[2]);

    struct loaders_label_subset subset;
    if (loaders_label_subset_parse(params, s.classes, "synthetic", &subset,
                                   err)
        != 0)
        return -1;
    s.subset = &subset;
    struct class_pattern *patterns =
        malloc((size_t)s.classes * sizeof *patterns);
    if (patterns == NULL) {
        loaders_label_subset_free(&subset);
        return cnn_error_set(err, "synthetic: out of memory");
    }
    for (int k = 0; k < s.classes; k++)
        patterns[k] = pattern_of(k, &s);

    struct cnn_dataset *sets[3] = {&data->train, &data->val, &data->test};
    int status = 0;
    for (int split = 0; split < 3 && status == 0; split++)
        status = make_split(sets[split], split, (int)counts[split],
                            capped(counts[split], request->limit), &s,
                            patterns, request->seed, err);
    free(patterns);
    if (status == 0)
        status = set_class_names(data, s.classes, &subset, err);
    loaders_label_subset_free(&subset);
    if (status != 0)
        cnn_data_free(data);
    return status;
}

const struct cnn_loader_type loaders_synthetic_type = {
    .name = "synthetic",
    .help = "procedural labelled images (oriented coloured gratings, one "
            "pattern per class, drawn from data.split_seed) for tests and "
            "smoke runs",
    .params = synthetic_params,
    .param_count = (int)(sizeof synthetic_params / sizeof synthetic_params[0]),
    .load = synthetic_load,
};
