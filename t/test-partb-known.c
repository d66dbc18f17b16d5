/* occlusion, filters and ablation on a hand-built model whose answers are
 * known: conv1's filter 0 fires only on red pixels (by how red they are),
 * its filter 1 only on green ones; a global max pool and fc1 call an image
 * "red" exactly when some red pixel is left. Test images: four with a red
 * 3x3 square (brightest at its centre, a different brightness each) and
 * four with a green one. Every expected value below comes from that
 * arithmetic, not from the model. */
#include <math.h>

#include "partb-fixture.h"

static const char model_text[] =
    "input: [3, 12, 12]\n"
    "layers:\n"
    "  - conv2d: {out: 2, kernel: 3, padding: 1, activation: relu}\n"
    "  - globalpool: {mode: max}\n"
    "  - flatten\n"
    "  - linear: {out: 2}\n";
enum { SIDE = 12, IMAGES = 8, CONV1 = 0, FC1 = 3 };

/* Red squares' top-left corners (images 0, 2, 4, 6): at a corner, inside,
 * against the bottom and right edges. */
static const int corner[4][2] = {{0, 0}, {4, 6}, {8, 2}, {9, 9}};

static int red_centre(int k)
{
    return 255 - 5 * k;
}

static void make_weights(struct fixture *f)
{
    float *w = fixture_tensor(f, CONV1, "weight"); /* (2, 3, 3, 3) */
    float *b = fixture_tensor(f, CONV1, "bias");
    memset(w, 0, 54 * sizeof *w);
    /* Centre taps: r - g - b - 2 > 0 only for red; -r + g - b - 2 for
     * green (inputs are 2 p / 255 - 1, so black gives -1 - 1 + ...< 0). */
    static const float taps[2][3] = {{1, -1, -1}, {-1, 1, -1}};
    for (int o = 0; o < 2; o++)
        for (int i = 0; i < 3; i++)
            w[((o * 3 + i) * 3 + 1) * 3 + 1] = taps[o][i];
    b[0] = b[1] = -2;
    float *fc = fixture_tensor(f, FC1, "weight"); /* (2, 2) */
    float *fb = fixture_tensor(f, FC1, "bias");
    fc[0] = -10, fc[1] = 0, fc[2] = 10, fc[3] = 0;
    fb[0] = 5, fb[1] = -5;
    struct cnn_error err = {0};
    cnn_model_parameters_from_host(&f->model, &err);
}

static uint8_t *pixel(struct fixture *f, int image, int channel, int r,
                      int c)
{
    return f->data.test.pixels +
           (((size_t)image * 3 + channel) * SIDE + r) * SIDE + c;
}

static void make_images(struct fixture *f)
{
    for (int k = 0; k < 4; k++) {
        int red = 2 * k, green = 2 * k + 1;
        f->data.test.labels[red] = 1;
        f->data.test.labels[green] = 0;
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) {
                *pixel(f, red, 0, corner[k][0] + r, corner[k][1] + c) =
                    r == 1 && c == 1 ? (uint8_t)red_centre(k) : 220;
                *pixel(f, green, 1, 2 + r, 2 + c) = 200;
            }
    }
}

/* conv1 filter 0's response to a red pixel of value v. */
static double red_response(int v)
{
    return v / 127.5 - 1;
}

static double probability_of_red(double red)
{
    return 1 / (1 + exp(-(20 * red - 10)));
}

/* The expected map of red image 2k: for each window, the strongest red
 * pixel left outside it decides; none left: the class changes (0). */
static void expected_map(int k, int window, int stride, int valid, int rows,
                         int columns, double *out)
{
    int reach = valid ? 0 : (window - 1) / 2;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < columns; j++) {
            int top = i * stride - reach, left = j * stride - reach;
            double best = -1;
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++) {
                    int y = corner[k][0] + r, x = corner[k][1] + c;
                    if (y >= top && y < top + window && x >= left &&
                        x < left + window)
                        continue;
                    int v = r == 1 && c == 1 ? red_centre(k) : 220;
                    if (red_response(v) > best)
                        best = red_response(v);
                }
            out[i * columns + j] = best < 0 ? 0 : probability_of_red(best);
        }
}

/* The map occlusion-<image>.npy holds, checked against `expected`
 * (rows × columns) within 1e-5 (float logits through exp). */
static void check_map(struct fixture *f, int image, const double *expected,
                      int rows, int columns, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "occlusion-%d.npy", image);
    float map[SIDE * SIDE];
    int good = fixture_npy(f, name, rows, columns, map);
    ok(good, "%s: %s is a float32 .npy of %d x %d", what, name, rows,
       columns);
    double worst = 0;
    int zeros_match = 1;
    for (int p = 0; good && p < rows * columns; p++) {
        worst = fmax(worst, fabs(map[p] - expected[p]));
        zeros_match &= (map[p] == 0) == (expected[p] == 0);
    }
    ok(good && worst <= 1e-5 && zeros_match,
       "%s: every cell as expected (largest difference %g; zero exactly "
       "where the class changes)", what, worst);
}

static void occlusion(struct fixture *f)
{
    struct cnn_error err = {0};
    const char *const clip[] = {"window=3", "fill=[0]", NULL};
    ok(fixture_run(f, "occlusion", clip, &err) == 0,
       "occlusion, 3x3 black window, default images (%s)", err.message);
    char *summary = fixture_read(f, "occlusion.csv", NULL);
    like(summary, "\n1,0,plain,0,plain,0.999955,12,12,0.999955,0\n",
         "occlusion.csv: class 0's first right image is 1, untouched by any "
         "window");
    like(summary, "\n0,1,red,1,red,0.999955,12,12,0.000000,1\n",
         "then class 1's, image 0, changed by exactly one window");
    free(summary);
    double expected[SIDE * SIDE];
    expected_map(0, 3, 1, 0, SIDE, SIDE, expected);
    check_map(f, 0, expected, SIDE, SIDE, "clip, stride 1");
    for (int p = 0; p < SIDE * SIDE; p++)
        expected[p] = 1 / (1 + exp(-10.0));
    check_map(f, 1, expected, SIDE, SIDE, "a green image");
    char *csv = fixture_read(f, "occlusion-0.csv", NULL);
    like(csv, "0.9999546,0.9999546,0.9999546,0.9999546,0.9999546,"
              "0.9999546,0.9999546,0.9999546,0.9999546,0.9999546,0.9999546,"
              "0.9999546\n",
         "the CSV map has 12 values a row");
    free(csv);
    int width = 0, height = 0;
    int png = fixture_png(f, "occlusion-0.png", &width, &height);
    ok(png && width > 400, "occlusion-0.png is a PNG (%d x %d)", width,
       height);
    png = fixture_png(f, "occlusion.png", &width, &height);
    ok(png, "occlusion.png is a PNG (%d x %d)", width, height);

    const char *const valid[] = {"window=5", "stride=2", "border=valid",
                                 "images=[2, 6]", NULL};
    ok(fixture_run(f, "occlusion", valid, &err) == 0,
       "occlusion, 5x5 gray window, stride 2, border valid (%s)",
       err.message);
    expected_map(1, 5, 2, 1, 4, 4, expected);
    check_map(f, 2, expected, 4, 4, "valid, stride 2, (12 - 5) / 2 + 1 = 4");
    expected_map(3, 5, 2, 1, 4, 4, expected);
    check_map(f, 6, expected, 4, 4, "valid, a square at the bottom right");

    const char *const strided[] = {"window=[3, 5]", "stride=2",
                                   "images=[4]", NULL};
    ok(fixture_run(f, "occlusion", strided, &err) == 0,
       "occlusion, 3x5 window, stride 2, border clip (%s)", err.message);
    /* Only square windows in expected_map: a 3x5 window covers what a
     * 3x3 does here and more; the test of shape is what matters. */
    char *map = fixture_read(f, "occlusion-4.csv", NULL);
    int lines = 0;
    for (char *p = map; p && *p; p++)
        lines += *p == '\n';
    is_int(lines, 6, "clip at stride 2: ceil(12 / 2) = 6 rows");
    free(map);
}

static void occlusion_errors(struct fixture *f)
{
    static const struct {
        const char *setting[3];
        const char *says;
    } cases[] = {
        {{"window=13", "border=valid", NULL}, "does not fit"},
        {{"fill=[1, 2]", NULL}, "fill has 2 values"},
        {{"fill=[1.5]", NULL}, "not a pixel value"},
        {{"images=[99]", NULL}, "0..7"},
        {{"images=[1, 1]", NULL}, "listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cnn_error err = {0};
        ok(fixture_run(f, "occlusion", cases[i].setting, &err) < 0,
           "occlusion refuses %s", cases[i].setting[0]);
        like(err.message, cases[i].says, "saying '%s'", cases[i].says);
    }
}

/* A row of filters.csv for rank `rank` of `filter`. */
static void expect_rank(const char *csv, int filter, int rank, double value,
                        int image, int row, int column, int top, int left,
                        int bottom, int right)
{
    char start[64], end[96];
    snprintf(start, sizeof start, "\nconv1,%d,%d,", filter, rank);
    const char *line = csv ? strstr(csv, start) : NULL;
    double response = line ? strtod(line + strlen(start), NULL) : NAN;
    snprintf(end, sizeof end, ",%d,%s,%d,%d,%d,%d,%d,%d\n", image,
             image % 2 ? "0,plain" : "1,red", row, column, top, left, bottom,
             right);
    const char *rest = line ? strchr(line + strlen(start), ',') : NULL;
    size_t length = rest ? strcspn(rest + 1, "\n") : 0;
    ok(rest && fabs(response - value) <= 1e-6 &&
           strncmp(rest, end, strlen(end)) == 0 &&
           length + 2 == strlen(end),
       "filter %d rank %d: image %d at (%d, %d), %.6f, patch rows %d-%d "
       "columns %d-%d",
       filter, rank, image, row, column, value, top, bottom - 1, left,
       right - 1);
}

static void filters(struct fixture *f)
{
    struct cnn_error err = {0};
    const char *const settings[] = {"layers=conv1", "filters=[0, 1]",
                                    "batch=3", NULL};
    ok(fixture_run(f, "filters", settings, &err) == 0,
       "filters of conv1, top 5, batches of 3 (%s)", err.message);
    char *csv = fixture_read(f, "filters.csv", NULL);
    /* The four square centres by brightness, then the 220s, all equal:
     * the lowest image (0), its first pixel in row order, whose 3x3
     * field is cut by the image's corner. */
    for (int k = 0; k < 4; k++) {
        int row = corner[k][0] + 1, column = corner[k][1] + 1;
        expect_rank(csv, 0, k + 1, red_response(red_centre(k)), 2 * k, row,
                    column, row - 1, column - 1, row + 2, column + 2);
    }
    expect_rank(csv, 0, 5, red_response(220), 0, 0, 0, 0, 0, 2, 2);
    /* Green: every pixel of every green square ties; image 1 first, in
     * row order. */
    static const int order[5][2] = {{2, 2}, {2, 3}, {2, 4}, {3, 2}, {3, 3}};
    for (int r = 0; r < 5; r++)
        expect_rank(csv, 1, r + 1, red_response(200), 1, order[r][0],
                    order[r][1], order[r][0] - 1, order[r][1] - 1,
                    order[r][0] + 2, order[r][1] + 2);
    free(csv);
    int width = 0, height = 0;
    int png = fixture_png(f, "filters-conv1-0.png", &width, &height);
    ok(png, "filters-conv1-0.png is a PNG (%d x %d)", width, height);

    static const struct {
        const char *setting[2];
        const char *says;
    } cases[] = {
        /* A name given twice is the core's to refuse (test-param-names). */
        {{"layers=conv9", NULL}, "no layer 'conv9'; did you mean 'conv1'? "
                                 "(layers with filters: conv1, fc1)"},
        {{"layers=[fc1, cnv1]", NULL}, "no layer 'cnv1'; did you mean "
                                       "'conv1'?"},
        {{"filters=[2]", NULL}, "filters 0..1, not 2"},
        {{"filters=[0, 0]", NULL}, "listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cnn_error_clear(&err);
        ok(fixture_run(f, "filters", cases[i].setting, &err) < 0,
           "filters refuses %s", cases[i].setting[0]);
        like(err.message, cases[i].says, "saying '%s'", cases[i].says);
    }
    char setting[64];
    snprintf(setting, sizeof setting, "layers=%s",
             cnn_analysis_layer(f->analysis, 1)->name);
    const char *const pooled[] = {setting, NULL};
    cnn_error_clear(&err);
    ok(fixture_run(f, "filters", pooled, &err) < 0,
       "filters refuses a layer without filters");
    like(err.message, "has no filters", "saying it has none");
}

static void ablation(struct fixture *f)
{
    struct cnn_error err = {0};
    float original[64];
    size_t count = f->model.parameter_count;
    memcpy(original, f->model.parameters, count * sizeof(float));
    const char *const settings[] = {"layers=conv1", "filters=[0, 1]", NULL};
    ok(fixture_run(f, "ablation", settings, &err) == 0,
       "ablation of conv1's filters (%s)", err.message);
    char *csv = fixture_read(f, "ablation-conv1.csv", NULL);
    is_str(csv,
           "filter,initial_accuracy,misses,new_accuracy\n"
           "0,100.0000,4,50.0000\n1,100.0000,0,100.0000\n",
           "without the red filter every red image is missed; without the "
           "green one, none");
    free(csv);
    char *misses = fixture_read(f, "ablation-misses.csv", NULL);
    is_str(misses,
           "layer,filter,image,label,label_name,predicted,predicted_name\n"
           "conv1,0,0,1,red,0,plain\nconv1,0,2,1,red,0,plain\n"
           "conv1,0,4,1,red,0,plain\nconv1,0,6,1,red,0,plain\n",
           "ablation-misses.csv lists the four red images");
    free(misses);
    char *md = fixture_read(f, "ablation-conv1.md", NULL);
    like(md, "| 0 | 100.00 | 4 | 50.00 |", "the Markdown table");
    free(md);
    char *tex = fixture_read(f, "ablation-conv1.tex", NULL);
    like(tex, "0 & 100.00 & 4 & 50.00 \\\\", "the booktabs table");
    like(tex, "\\toprule", "with its rules");
    free(tex);
    int width = 0, height = 0;
    ok(fixture_png(f, "ablation-conv1-0.png", &width, &height) &&
           fixture_png(f, "ablation-conv1-1.png", &width, &height),
       "a PNG of the misses for each filter (none for filter 1)");
    ok(memcmp(original, f->model.parameters, count * sizeof(float)) == 0,
       "the model has its weights back after the ablation");

    const char *const weights_only[] = {"layers=conv1", "filters=[0]",
                                        "bias=false", "misses=2", NULL};
    ok(fixture_run(f, "ablation", weights_only, &err) == 0,
       "ablation keeping the biases (%s)", err.message);
    csv = fixture_read(f, "ablation-conv1.csv", NULL);
    like(csv, "\n0,100.0000,4,50.0000\n",
         "a bias of -2 alone still silences the red filter");
    free(csv);
}

/* The filter that `table` (an ablation CSV) names first. */
static int first_filter(const char *table)
{
    const char *line = table ? strchr(table, '\n') : NULL;
    return line ? atoi(line + 1) : -1;
}

/* Random filters come from the seed and the layer only: the same in
 * filters and in ablation, and again on a second run. */
static void random_filters(struct fixture *f)
{
    struct cnn_error err = {0};
    const char *const settings[] = {"layers=conv1, fc1", "random=1", NULL};
    int status = fixture_run(f, "filters", settings, &err);
    char *first = fixture_read(f, "filters.csv", NULL);
    if (status == 0)
        status = fixture_run(f, "filters", settings, &err);
    char *second = fixture_read(f, "filters.csv", NULL);
    if (status == 0)
        status = fixture_run(f, "ablation", settings, &err);
    ok(status == 0, "filters and ablation with one random filter per layer "
                    "(%s)", err.message);
    is_str(second, first, "filters.csv is the same on a second run");
    char *conv1 = fixture_read(f, "ablation-conv1.csv", NULL);
    char *fc1 = fixture_read(f, "ablation-fc1.csv", NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "\nconv1,%d,1,", first_filter(conv1));
    like(first, expected, "filters took conv1's filter that ablation took");
    snprintf(expected, sizeof expected, "\nfc1,%d,1,", first_filter(fc1));
    like(first, expected, "and fc1's");
    free(first);
    free(second);
    free(conv1);
    free(fc1);
}

int main(void)
{
    static const char *const names[] = {"plain", "red"};
    struct fixture f;
    int ready = fixture_open(&f, model_text, 1, IMAGES, 2, names);
    if (ready == 1 && f.model.parameter_count <= 64) {
        make_weights(&f);
        make_images(&f);
        occlusion(&f);
        occlusion_errors(&f);
        filters(&f);
        ablation(&f);
        random_filters(&f);
    }
    fixture_close(&f);
    return done_testing();
}
