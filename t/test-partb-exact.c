/* The analyses against direct recomputations on a seeded random model and
 * random images: filters' top-k equals a brute-force sort of every
 * activation (same batches, so the same floats: compared exactly);
 * ablation's misses equal a recount from predictions made here with the
 * filter off; each occlusion cell equals the model run on that occluded
 * image made in pixel space (an even window, a stride, an RGB fill). */
#include <math.h>

#include "cnnlab/rng.h"
#include "partb-fixture.h"

static const char model_text[] =
    "input: [3, 10, 10]\n"
    "layers:\n"
    "  - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - conv2d: {out: 3, kernel: 3}\n"
    "  - relu\n"
    "  - flatten\n"
    "  - linear: {out: 3}\n";
enum { IMAGES = 40, BATCH = 16, TOP = 7, CLASSES = 3, FC1 = 5 };
static const int chosen_layers[3] = {0, 2, 5};
static const int chosen_filters[2] = {0, 2};

static size_t per_image(struct fixture *f)
{
    return cnn_shape_size(f->model.input);
}

/* Predicted classes of every test image, BATCH at a time as the core's
 * evaluation runs them. */
static int predict_all(struct fixture *f, int32_t *classes)
{
    float logits[BATCH * CLASSES];
    struct cnn_error err = {0};
    for (int start = 0; start < IMAGES; start += BATCH) {
        int n = IMAGES - start < BATCH ? IMAGES - start : BATCH;
        if (cnn_analysis_forward_images(f->analysis,
                                        f->data.test.pixels +
                                            start * per_image(f),
                                        n, FC1, logits, &err) < 0) {
            diag("%s", err.message);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            const float *row = logits + i * CLASSES;
            int best = 0;
            for (int k = 1; k < CLASSES; k++)
                if (row[k] > row[best])
                    best = k;
            classes[start + i] = best;
        }
    }
    return 0;
}

struct entry {
    float value;
    int image, row, column;
};

static int compare_entries(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    if (a->image != b->image)
        return a->image - b->image;
    if (a->row != b->row)
        return a->row - b->row;
    return a->column - b->column;
}

/* Every activation of (layer, filter) over the test split, sorted. */
static struct entry *brute_force(struct fixture *f, int layer, int filter,
                                 size_t *count)
{
    struct cnn_shape shape = f->model.layers[layer].output;
    size_t plane = (size_t)shape.h * shape.w;
    float *out = malloc((size_t)BATCH * cnn_shape_size(shape) * sizeof *out);
    struct entry *all = malloc((size_t)IMAGES * plane * sizeof *all);
    struct cnn_error err = {0};
    *count = 0;
    for (int start = 0; out && all && start < IMAGES; start += BATCH) {
        int n = IMAGES - start < BATCH ? IMAGES - start : BATCH;
        if (cnn_analysis_forward_images(f->analysis,
                                        f->data.test.pixels +
                                            start * per_image(f),
                                        n, layer, out, &err) < 0)
            break;
        for (int i = 0; i < n; i++)
            for (size_t p = 0; p < plane; p++)
                all[(*count)++] = (struct entry){
                    out[((size_t)i * shape.c + filter) * plane + p],
                    start + i, (int)(p / shape.w), (int)(p % shape.w)};
    }
    free(out);
    if (all)
        qsort(all, *count, sizeof *all, compare_entries);
    return all;
}

static void top_k(struct fixture *f)
{
    struct cnn_error err = {0};
    char layers[128];
    snprintf(layers, sizeof layers, "layers=%s %s %s",
             f->model.layers[0].name, f->model.layers[2].name,
             f->model.layers[5].name);
    const char *const settings[] = {layers, "filters=[0, 2]", "top=7",
                                    "batch=16", NULL};
    ok(fixture_run(f, "filters", settings, &err) == 0,
       "filters: 2 filters of 3 layers, top 7 (%s)", err.message);
    char *csv = fixture_read(f, "filters.csv", NULL);
    for (int l = 0; l < 3; l++)
        for (int k = 0; k < 2; k++) {
            int layer = chosen_layers[l], filter = chosen_filters[k];
            size_t count;
            struct entry *all = brute_force(f, layer, filter, &count);
            int rows = 0, same = all != NULL && count >= TOP;
            for (const char *line = csv ? strchr(csv, '\n') : NULL;
                 same && line && line[1]; line = strchr(line + 1, '\n')) {
                char name[64];
                int got_filter, rank, image, row, column;
                char response[64];
                if (sscanf(line + 1, "%63[^,],%d,%d,%63[^,],%d,%*d,%*[^,],"
                                     "%d,%d",
                           name, &got_filter, &rank, response, &image, &row,
                           &column) != 7) {
                    same = 0;
                    break;
                }
                if (strcmp(name, f->model.layers[layer].name) != 0 ||
                    got_filter != filter)
                    continue;
                const struct entry *e = rank >= 1 && rank <= TOP
                                            ? &all[rank - 1]
                                            : NULL;
                same = e && rank == rows + 1 &&
                       strtof(response, NULL) == e->value &&
                       image == e->image && row == e->row &&
                       column == e->column;
                rows++;
            }
            ok(same && rows == TOP,
               "%s filter %d: the top %d are the brute force's first %d "
               "of %zu, exactly",
               f->model.layers[layer].name, filter, TOP, TOP, count);
            free(all);
        }
    free(csv);
}

static int count_lines_with(const char *text, const char *prefix)
{
    int count = 0;
    for (const char *p = text; p && (p = strstr(p, prefix)) != NULL; p++)
        count++;
    return count;
}

static void ablation(struct fixture *f, const int32_t *before)
{
    struct cnn_error err = {0};
    char layers[128];
    snprintf(layers, sizeof layers, "layers=%s, %s",
             f->model.layers[0].name, f->model.layers[5].name);
    const char *const settings[] = {layers, "filters=[0, 2]", NULL};
    ok(fixture_run(f, "ablation", settings, &err) == 0,
       "ablation of 2 filters of conv1 and fc1 (%s)", err.message);
    char *misses = fixture_read(f, "ablation-misses.csv", NULL);
    int total_misses = 0;
    for (int l = 0; l < 2; l++) {
        int layer = l == 0 ? 0 : FC1;
        const char *name = f->model.layers[layer].name;
        char file[64];
        snprintf(file, sizeof file, "ablation-%s.csv", name);
        char *table = fixture_read(f, file, NULL);
        for (int k = 0; k < 2; k++) {
            int filter = chosen_filters[k];
            int32_t after[IMAGES];
            int status = cnn_analysis_filter_off(f->analysis, layer, filter,
                                                 1, &err) == 0 &&
                                 predict_all(f, after) == 0 &&
                                 cnn_analysis_filter_on(f->analysis, layer,
                                                        filter, &err) == 0
                             ? 0
                             : -1;
            int count = 0, correct = 0, listed = 1;
            for (int i = 0; status == 0 && i < IMAGES; i++) {
                int label = f->data.test.labels[i];
                correct += after[i] == label;
                if (before[i] == label && after[i] != label) {
                    char line[128];
                    snprintf(line, sizeof line, "\n%s,%d,%d,%d,", name,
                             filter, i, label);
                    listed &= misses && strstr(misses, line) != NULL;
                    count++;
                }
            }
            char prefix[64], row[128];
            snprintf(prefix, sizeof prefix, "\n%s,%d,", name, filter);
            snprintf(row, sizeof row, "\n%d,50.0000,%d,%.4f\n", filter, count,
                     100.0 * correct / IMAGES);
            ok(status == 0 && listed &&
                   count_lines_with(misses, prefix) == count &&
                   table && strstr(table, row),
               "%s filter %d: %d misses and %.1f%% as recounted here", name,
               filter, count, 100.0 * correct / IMAGES);
            total_misses += count;
        }
        free(table);
    }
    /* Zero misses everywhere would make the recount say little. */
    ok(total_misses > 0, "the ablations miss some images (%d)",
       total_misses);
    free(misses);
}

/* Cell (i, j) of the map of `image`: the model on the image with its
 * window painted in the fill colour, in pixel space. */
static double direct_cell(struct fixture *f, int image, int i, int j,
                          int predicted)
{
    static const uint8_t fill[3] = {30, 200, 90};
    size_t size = per_image(f);
    uint8_t pixels[3 * 10 * 10];
    memcpy(pixels, f->data.test.pixels + image * size, size);
    for (int c = 0; c < 3; c++)
        for (int r = i * 3 - 1; r < i * 3 + 3; r++)
            for (int q = j * 3 - 1; q < j * 3 + 3; q++)
                if (r >= 0 && r < 10 && q >= 0 && q < 10)
                    pixels[(c * 10 + r) * 10 + q] = fill[c];
    float logits[CLASSES];
    struct cnn_error err = {0};
    if (cnn_analysis_forward_images(f->analysis, pixels, 1, FC1, logits,
                                    &err) < 0)
        return NAN;
    int best = 0;
    double sum = 0;
    for (int k = 1; k < CLASSES; k++)
        if (logits[k] > logits[best])
            best = k;
    for (int k = 0; k < CLASSES; k++)
        sum += exp((double)logits[k] - logits[best]);
    return best == predicted ? 1 / sum : 0;
}

static void occlusion(struct fixture *f, const int32_t *predictions)
{
    struct cnn_error err = {0};
    const char *const settings[] = {"images=[3, 7]", "window=4", "stride=3",
                                    "fill=[30, 200, 90]", "batch=5", NULL};
    ok(fixture_run(f, "occlusion", settings, &err) == 0,
       "occlusion: 4x4 RGB window, stride 3 (%s)", err.message);
    static const int images[2] = {3, 7};
    for (int k = 0; k < 2; k++) {
        char name[64];
        snprintf(name, sizeof name, "occlusion-%d.npy", images[k]);
        float map[16];
        int good = fixture_npy(f, name, 4, 4, map);
        double worst = 0;
        int zeros_match = 1;
        for (int cell = 0; good && cell < 16; cell++) {
            double expected = direct_cell(f, images[k], cell / 4, cell % 4,
                                          predictions[images[k]]);
            worst = fmax(worst, fabs(map[cell] - expected));
            zeros_match &= (map[cell] == 0) == (expected == 0);
        }
        /* Batches of 5 against single images: the same sums in another
         * order at most, well inside 1e-5. */
        ok(good && worst <= 1e-5 && zeros_match,
           "image %d: a 4 x 4 map whose every cell is the model on the "
           "occluded image (largest difference %g)",
           images[k], worst);
    }
}

int main(void)
{
    static const char *const names[] = {"a", "b", "c"};
    struct fixture f;
    int ready = fixture_open(&f, model_text, 17, IMAGES, CLASSES, names);
    int32_t predictions[IMAGES];
    if (ready == 1) {
        struct cnn_rng rng;
        cnn_rng_seed(&rng, 23);
        for (size_t i = 0; i < IMAGES * per_image(&f); i++)
            f.data.test.pixels[i] = (uint8_t)cnn_rng_below(&rng, 256);
        ready = predict_all(&f, predictions) == 0;
        /* Half the images labelled as predicted, half not: 50% initial
         * accuracy, so a miss must be right before and wrong after. */
        for (int i = 0; i < IMAGES; i++)
            f.data.test.labels[i] = i % 2 ? (predictions[i] + 1) % CLASSES
                                          : predictions[i];
    }
    if (ready == 1) {
        top_k(&f);
        ablation(&f, predictions);
        occlusion(&f, predictions);
    }
    fixture_close(&f);
    return done_testing();
}
