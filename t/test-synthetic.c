/* The synthetic loader: sizes, determinism, seeds, limits, and classes
 * that are learnable from oriented patterns but not from single pixels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

static const struct cnn_loader_type *synthetic_loader;

static int same_data(const struct cnn_data *a, const struct cnn_data *b)
{
    const struct cnn_dataset *sa[3] = {&a->train, &a->val, &a->test};
    const struct cnn_dataset *sb[3] = {&b->train, &b->val, &b->test};
    for (int s = 0; s < 3; s++) {
        if (sa[s]->count != sb[s]->count)
            return 0;
        size_t size = (size_t)sa[s]->count * cnn_shape_size(sa[s]->shape);
        if (memcmp(sa[s]->pixels, sb[s]->pixels, size) != 0
            || memcmp(sa[s]->labels, sb[s]->labels,
                      (size_t)sa[s]->count * sizeof(int32_t))
                   != 0)
            return 0;
    }
    return 1;
}

/* Phase-invariant features: the power of the image's low spatial
 * frequencies (|fy| <= 6, 0 <= fx <= 6), summed over channels. */
enum { FEATURE_RANGE = 6,
       FEATURES = (2 * FEATURE_RANGE + 1) * (FEATURE_RANGE + 1) };

static void power_spectrum(const uint8_t *image, struct cnn_shape shape,
                           double *features)
{
    const double pi = 3.14159265358979323846;
    int h = shape.h, w = shape.w, f = 0;
    for (int fy = -FEATURE_RANGE; fy <= FEATURE_RANGE; fy++)
        for (int fx = 0; fx <= FEATURE_RANGE; fx++, f++) {
            features[f] = 0;
            for (int c = 0; c < shape.c; c++) {
                const uint8_t *plane = image + (size_t)c * h * w;
                double mean = 0, re = 0, im = 0;
                for (int i = 0; i < h * w; i++)
                    mean += plane[i];
                mean /= h * w;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) {
                        double angle = 2 * pi
                                     * ((double)fy * y / h + (double)fx * x / w);
                        double v = (plane[y * w + x] - mean) / 255.0;
                        re += v * cos(angle);
                        im -= v * sin(angle);
                    }
                features[f] += re * re + im * im;
            }
        }
}

/* The feature of image i of `set`: its power spectrum (spectral) or its
 * single pixel `pixel` (when not spectral). */
static void feature_of(const struct cnn_dataset *set, int i, int spectral,
                       size_t pixel, double *feature)
{
    const uint8_t *image =
        set->pixels + (size_t)i * cnn_shape_size(set->shape);
    if (spectral)
        power_spectrum(image, set->shape, feature);
    else
        feature[0] = image[pixel];
}

/* Accuracy on `test` of a nearest-class-mean classifier fitted on `train`
 * using one feature: the power spectrum (spectral) or the single pixel
 * `pixel` (when not spectral). */
static double nearest_mean_accuracy(const struct cnn_data *data, int spectral,
                                    size_t pixel)
{
    const struct cnn_dataset *train = &data->train, *test = &data->test;
    int classes = data->classes;
    size_t dims = spectral ? FEATURES : 1;
    double *means = calloc((size_t)classes * dims, sizeof *means);
    double *feature = calloc(dims, sizeof *feature);
    int *counts = calloc((size_t)classes, sizeof *counts);
    if (!means || !feature || !counts) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    for (int i = 0; i < train->count; i++) {
        feature_of(train, i, spectral, pixel, feature);
        for (size_t d = 0; d < dims; d++)
            means[(size_t)train->labels[i] * dims + d] += feature[d];
        counts[train->labels[i]]++;
    }
    for (int k = 0; k < classes; k++)
        for (size_t d = 0; d < dims; d++)
            means[(size_t)k * dims + d] /= counts[k] ? counts[k] : 1;
    int correct = 0;
    for (int i = 0; i < test->count; i++) {
        feature_of(test, i, spectral, pixel, feature);
        int best = -1;
        double best_distance = INFINITY;
        for (int k = 0; k < classes; k++) {
            double distance = 0;
            for (size_t d = 0; d < dims; d++) {
                double diff = feature[d] - means[(size_t)k * dims + d];
                distance += diff * diff;
            }
            if (distance < best_distance) {
                best_distance = distance;
                best = k;
            }
        }
        correct += best == test->labels[i];
    }
    free(means);
    free(feature);
    free(counts);
    return (double)correct / test->count;
}

static void check_synthetic(void)
{
    struct cnn_data data, again;
    struct cnn_error err;
    if (!ok(test_load_data(synthetic_loader, NULL, 7, 0, &data, &err) == 0,
            "synthetic: defaults load (%s)", err.message))
        return;
    ok(data.train.count == 512 && data.val.count == 128
           && data.test.count == 128,
       "synthetic: default splits 512/128/128 (got %d/%d/%d)",
       data.train.count, data.val.count, data.test.count);
    ok(data.train.shape.c == 3 && data.train.shape.h == 32
           && data.train.shape.w == 32 && data.test.shape.c == 3,
       "synthetic: default images are 3x32x32");
    ok(data.classes == 10 && strcmp(data.class_names[0], "class-0") == 0
           && strcmp(data.class_names[9], "class-9") == 0,
       "synthetic: 10 classes named class-0..class-9");

    const struct cnn_dataset *sets[3] = {&data.train, &data.val, &data.test};
    int all_present = 1, in_range = 1, low = 255, high = 0;
    for (int s = 0; s < 3; s++) {
        int per_class[10] = {0};
        for (int i = 0; i < sets[s]->count; i++) {
            int label = sets[s]->labels[i];
            if (label < 0 || label >= 10)
                in_range = 0;
            else
                per_class[label]++;
        }
        for (int k = 0; k < 10; k++)
            all_present &= per_class[k] >= sets[s]->count / 10;
        size_t size = (size_t)sets[s]->count * cnn_shape_size(sets[s]->shape);
        for (size_t i = 0; i < size; i++) {
            if (sets[s]->pixels[i] < low)
                low = sets[s]->pixels[i];
            if (sets[s]->pixels[i] > high)
                high = sets[s]->pixels[i];
        }
    }
    ok(in_range, "synthetic: labels within 0..9");
    ok(all_present, "synthetic: every class present and balanced in each split");
    ok(low < 40 && high > 215, "synthetic: pixels span the range (%d..%d)",
       low, high);

    test_load_data(synthetic_loader, NULL, 7, 0, &again, &err);
    ok(same_data(&data, &again), "synthetic: the same seed gives the same data");
    cnn_data_free(&again);
    test_load_data(synthetic_loader, NULL, 8, 0, &again, &err);
    ok(again.train.count == 512
           && memcmp(again.train.pixels, data.train.pixels, 3 * 32 * 32) != 0
           && memcmp(again.test.labels, data.test.labels, 128 * 4) != 0,
       "synthetic: another seed gives other data");
    cnn_data_free(&again);
    test_load_data(synthetic_loader, NULL, 7, 16, &again, &err);
    ok(again.train.count == 16 && again.val.count == 16
           && again.test.count == 16
           && memcmp(again.train.pixels, data.train.pixels, 16 * 3 * 32 * 32)
                  == 0
           && memcmp(again.test.labels, data.test.labels, 16 * 4) == 0,
       "synthetic: limit 16 keeps the first 16 images of each split");
    cnn_data_free(&again);
    cnn_data_free(&data);

    const char *shaped[] = {"size=[8, 12]", "channels=4", "classes=3",
                            "train=9", "val=0", "test=2", NULL};
    ok(test_load_data(synthetic_loader, shaped, 1, 0, &again, &err) == 0
           && again.train.shape.c == 4 && again.train.shape.h == 8
           && again.train.shape.w == 12 && again.train.count == 9
           && again.val.count == 0 && again.test.count == 2
           && again.classes == 3,
       "synthetic: size [8, 12], 4 channels, 3 classes, 9/0/2 images (%s)",
       err.message);
    cnn_data_free(&again);

    /* Learnable but not from single pixels, on one channel (no colour cue):
     * the classes' mean power spectra differ enough that a nearest-mean
     * classifier on them is far above chance (0.1; measured 1.0), while
     * the best single pixel's nearest-mean classifier stays near chance
     * (0.1 + sampling: about 0.15 at most over 256 pixels and 300 test
     * images). */
    const char *gray[] = {"channels=1", "size=16", "train=500", "test=300",
                          "val=0", NULL};
    test_load_data(synthetic_loader, gray, 3, 0, &data, &err);
    double spectral = nearest_mean_accuracy(&data, 1, 0), best_pixel = 0;
    for (size_t p = 0; p < cnn_shape_size(data.train.shape); p++) {
        double accuracy = nearest_mean_accuracy(&data, 0, p);
        if (accuracy > best_pixel)
            best_pixel = accuracy;
    }
    diag("nearest class mean: power spectrum %.3f, best single pixel %.3f",
         spectral, best_pixel);
    ok(spectral > 0.8, "synthetic: class mean spectra differ (accuracy %.3f)",
       spectral);
    ok(best_pixel < 0.22,
       "synthetic: no single pixel gives the class away (best %.3f)",
       best_pixel);
    cnn_data_free(&data);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        synthetic_loader = cnn_registry_loader(registry, "synthetic");
        if (ok(synthetic_loader != NULL, "synthetic is registered"))
            check_synthetic();
    }
    cnn_registry_free(registry);
    return done_testing();
}
