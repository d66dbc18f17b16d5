/* make-imagefolder — writes a mini-ImageNet-shaped folder of JPEG files,
 * OUT/{train,val,test}/<class>/NNNNN.jpg (33 classes of 84 × 84 RGB by
 * default), from Fashion-MNIST or from synthetic images, so that the
 * imagefolder loader can be tested and tried without the real dataset.
 *
 * The images come through cnnlab's own loaders (the plugin registry):
 * idx resizes Fashion-MNIST to size × size × 3 with the loaders' resize,
 * synthetic draws its gratings at that size. Fashion-MNIST has 10 classes;
 * class c of the folder is (Fashion-MNIST class c mod 10, rotated by
 * 90° × (c div 10)): classes 0-9 upright, 10-19 turned 90°, 20-29 180°,
 * 30-39 270° (so at most 40). Rotations of one garment class never share a
 * source image: rotation r takes the images of its class at positions
 * r, r + 4, r + 8, ... of its split. Splits stay apart: train and val come
 * from Fashion-MNIST's training file (val carved by idx with the seed),
 * test from its test file. Some classes are hard to tell from their
 * rotations (a bag turned 180°): the folder exercises the real path, it is
 * not a benchmark. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>

#include "cnnlab/registry.h"

#define SPLITS 3
#define FASHION_CLASSES 10
#define ROTATIONS 4

static const char *const split_names[SPLITS] = {"train", "val", "test"};
static const char *const fashion_slugs[FASHION_CLASSES] = {
    "tshirt-top", "trouser", "pullover", "dress", "coat",
    "sandal",     "shirt",   "sneaker",  "bag",   "ankle-boot"};

struct options {
    const char *source, *output, *fashion_root;
    int counts[SPLITS]; /* images per class per split */
    int classes, size, quality;
    unsigned long seed;
};

static void usage(FILE *to)
{
    fprintf(to,
            "usage: make-imagefolder [--source fashion-mnist|synthetic] "
            "[--output DIR]\n"
            "         [--train N] [--val N] [--test N] [--classes N] "
            "[--size PX]\n"
            "         [--quality Q] [--seed S] [--fashion-root DIR]\n"
            "Writes DIR/{train,val,test}/<class>/NNNNN.jpg: a mini-ImageNet-"
            "shaped folder\n"
            "(defaults: 33 classes, 84x84 RGB, 40/10/10 images per class, "
            "quality 90,\n"
            "seed 1, DIR data/mini-imagenet-<source>). See "
            "scripts/make-imagefolder --help.\n");
}

static int parse_int(const char *text, const char *name, int low, int high,
                     int *out)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || end == text || value < low || value > high) {
        fprintf(stderr, "make-imagefolder: --%s %s: expected a whole number "
                "in %d..%d\n", name, text, low, high);
        return -1;
    }
    *out = (int)value;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option long_options[] = {
        {"source", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"train", required_argument, NULL, 't'},
        {"val", required_argument, NULL, 'v'},
        {"test", required_argument, NULL, 'e'},
        {"classes", required_argument, NULL, 'c'},
        {"size", required_argument, NULL, 'z'},
        {"quality", required_argument, NULL, 'q'},
        {"seed", required_argument, NULL, 'r'},
        {"fashion-root", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (struct options){"fashion-mnist", NULL,
                          "/usr/share/datasets/fashion-mnist", {40, 10, 10},
                          33, 84, 90, 1};
    int option, status = 0, seed = 1;
    while (status == 0
           && (option = getopt_long(argc, argv, "o:h", long_options, NULL))
                  != -1) {
        switch (option) {
        case 's': o->source = optarg; break;
        case 'o': o->output = optarg; break;
        case 'f': o->fashion_root = optarg; break;
        case 't': status = parse_int(optarg, "train", 1, 100000, &o->counts[0]); break;
        case 'v': status = parse_int(optarg, "val", 0, 100000, &o->counts[1]); break;
        case 'e': status = parse_int(optarg, "test", 0, 100000, &o->counts[2]); break;
        case 'c': status = parse_int(optarg, "classes", 2, 1000, &o->classes); break;
        case 'z': status = parse_int(optarg, "size", 8, 1024, &o->size); break;
        case 'q': status = parse_int(optarg, "quality", 1, 100, &o->quality); break;
        case 'r':
            status = parse_int(optarg, "seed", 0, 2147483647, &seed);
            o->seed = (unsigned long)seed;
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (status == 0 && optind < argc) {
        fprintf(stderr, "make-imagefolder: unexpected argument '%s'\n",
                argv[optind]);
        return -1;
    }
    int fashion = strcmp(o->source, "fashion-mnist") == 0;
    if (status == 0 && !fashion && strcmp(o->source, "synthetic") != 0) {
        fprintf(stderr, "make-imagefolder: --source %s: expected "
                "fashion-mnist or synthetic\n", o->source);
        return -1;
    }
    if (status == 0 && fashion && o->classes > FASHION_CLASSES * ROTATIONS) {
        fprintf(stderr, "make-imagefolder: --classes %d: Fashion-MNIST gives "
                "at most %d (10 classes x 4 rotations)\n", o->classes,
                FASHION_CLASSES * ROTATIONS);
        return -1;
    }
    return status;
}

/* ---- the source images ---------------------------------------------------- */

static int set(struct cnn_params *params, const char *name, const char *text,
               const char *component, struct cnn_error *err)
{
    struct cnn_mark mark = {"make-imagefolder", 0, 0};
    return cnn_params_set_text(params, name, text, mark, component, err);
}

/* Loads the source with at most `limit` images per split. */
static int load_source(const struct options *o, long limit,
                       struct cnn_data *data, struct cnn_error *err)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (!registry)
        return cnn_error_set(err, "out of memory");
    int fashion = strcmp(o->source, "fashion-mnist") == 0;
    const char *name = fashion ? "idx" : "synthetic";
    const struct cnn_loader_type *loader = NULL;
    struct cnn_params params = {0};
    char text[3][32];
    int status = cnn_registry_load_default(registry, err);
    if (status == 0 && !(loader = cnn_registry_loader(registry, name)))
        status = cnn_error_set(err, "the '%s' loader is not installed (is the "
                               "loaders plugin built?)", name);
    if (status == 0)
        status = cnn_params_init_defaults(&params, loader->params,
                                          loader->param_count, name, err);
    snprintf(text[0], sizeof text[0], "%d", o->size);
    if (status == 0)
        status = set(&params, "size", text[0], name, err);
    if (status == 0)
        status = set(&params, "channels", "3", name, err);
    if (status == 0 && fashion)
        status = set(&params, "root", o->fashion_root, name, err);
    if (status == 0 && !fashion) {
        snprintf(text[0], sizeof text[0], "%d", o->classes);
        status = set(&params, "classes", text[0], name, err);
        for (int s = 0; s < SPLITS && status == 0; s++) {
            snprintf(text[s], sizeof text[s], "%d", o->counts[s] * o->classes);
            if (s > 0 || o->counts[s] > 0)
                status = set(&params, split_names[s], text[s], name, err);
        }
    }
    if (status == 0) {
        struct cnn_load_request request = {o->seed, limit, NULL, 0};
        status = loader->load(&params, &request, data, err);
    }
    cnn_params_free(&params);
    cnn_registry_free(registry);
    return status;
}

/* ---- writing -------------------------------------------------------------- */

/* Pixel (y, x) of plane c of a rotated size x size image: rotating by
 * 90° × turns counter-clockwise reads the source from the matching corner. */
static uint8_t rotated(const uint8_t *image, int size, int c, int y, int x,
                       int turns)
{
    int sy = y, sx = x;
    switch (turns % 4) {
    case 1: sy = x; sx = size - 1 - y; break;
    case 2: sy = size - 1 - y; sx = size - 1 - x; break;
    case 3: sy = size - 1 - x; sx = y; break;
    }
    return image[(size_t)c * size * size + (size_t)sy * size + sx];
}

static int write_jpeg(const char *path, const uint8_t *image, int size,
                      int turns, int quality, uint8_t *row)
{
    FILE *file = fopen(path, "wb");
    if (!file) {
        fprintf(stderr, "make-imagefolder: cannot write '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr error_manager;
    cinfo.err = jpeg_std_error(&error_manager);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, file);
    cinfo.image_width = cinfo.image_height = (JDIMENSION)size;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++)
            for (int c = 0; c < 3; c++)
                row[x * 3 + c] = rotated(image, size, c, y, x, turns);
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    if (ferror(file) | fclose(file)) {
        fprintf(stderr, "make-imagefolder: cannot write '%s': %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int make_directory(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "make-imagefolder: cannot make '%s': %s\n", path,
            strerror(errno));
    return -1;
}

static void class_name(const struct options *o, int k, char *name, size_t size)
{
    if (strcmp(o->source, "fashion-mnist") == 0)
        snprintf(name, size, "c%02d-%s-r%d", k,
                 fashion_slugs[k % FASHION_CLASSES],
                 90 * (k / FASHION_CLASSES));
    else
        snprintf(name, size, "c%02d-synthetic", k);
}

/* Writes one split: class k takes its images in order from `set`. For
 * Fashion-MNIST, of the images labelled k mod 10, class k takes those at
 * positions k div 10, + 4, + 8, ... Returns the images missing. */
static int write_split(const struct options *o, const struct cnn_dataset *set,
                       int split, uint8_t *row, int *missing)
{
    int fashion = strcmp(o->source, "fashion-mnist") == 0;
    size_t image = (size_t)3 * o->size * o->size;
    char dir[4096], path[4200], name[64];
    snprintf(dir, sizeof dir, "%s/%s", o->output, split_names[split]);
    if (make_directory(dir) != 0)
        return -1;
    *missing = 0;
    for (int k = 0; k < o->classes; k++) {
        class_name(o, k, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (make_directory(path) != 0)
            return -1;
        int label = fashion ? k % FASHION_CLASSES : k;
        int turns = fashion ? k / FASHION_CLASSES : 0;
        int stride = fashion ? ROTATIONS : 1, seen = 0, written = 0;
        for (int i = 0; i < set->count && written < o->counts[split]; i++) {
            if (set->labels[i] != label)
                continue;
            if (seen++ % stride != turns % stride)
                continue;
            snprintf(path, sizeof path, "%s/%s/%05d.jpg", dir, name, written);
            if (write_jpeg(path, set->pixels + (size_t)i * image, o->size,
                           turns, o->quality, row)
                != 0)
                return -1;
            written++;
        }
        *missing += o->counts[split] - written;
    }
    return 0;
}

static int check_output(const char *output)
{
    struct stat info;
    char path[4200];
    for (int s = 0; s < SPLITS; s++) {
        snprintf(path, sizeof path, "%s/%s", output, split_names[s]);
        if (stat(path, &info) == 0) {
            fprintf(stderr, "make-imagefolder: '%s' already exists: remove "
                    "it or choose another --output\n", path);
            return -1;
        }
    }
    char partial[4096];
    snprintf(partial, sizeof partial, "%s", output);
    for (char *slash = partial + 1; *slash; slash++)
        if (*slash == '/') {
            *slash = '\0';
            if (make_directory(partial) != 0)
                return -1;
            *slash = '/';
        }
    return make_directory(partial);
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    char default_output[64];
    if (!o.output) {
        snprintf(default_output, sizeof default_output,
                 "data/mini-imagenet-%s", o.source);
        o.output = default_output;
    }
    if (check_output(o.output) != 0)
        return 1;
    /* Fashion-MNIST's classes are balanced, so a prefix of 6 x (4 per
     * class x the largest count) images per split nearly always holds
     * enough; when it does not, the whole files are read. */
    int largest = o.counts[0] > o.counts[1] ? o.counts[0] : o.counts[1];
    largest = largest > o.counts[2] ? largest : o.counts[2];
    long limit = strcmp(o.source, "fashion-mnist") == 0
                     ? 6L * FASHION_CLASSES * ROTATIONS * largest + 200
                     : 0;
    uint8_t *row = malloc((size_t)o.size * 3);
    for (int attempt = 0; row && attempt < 2; attempt++) {
        struct cnn_data data = {0};
        struct cnn_error err = {0};
        if (load_source(&o, attempt ? 0 : limit, &data, &err) != 0) {
            fprintf(stderr, "make-imagefolder: %s\n", err.message);
            return 1;
        }
        const struct cnn_dataset *sets[SPLITS] = {&data.train, &data.val,
                                                  &data.test};
        int missing = 0, status = 0;
        for (int s = 0; s < SPLITS && status == 0; s++) {
            int short_of = 0;
            status = write_split(&o, sets[s], s, row, &short_of);
            missing += short_of;
        }
        cnn_data_free(&data);
        if (status != 0)
            return 1;
        if (missing == 0) {
            printf("make-imagefolder: wrote %s: %d classes, %d/%d/%d images "
                   "per class (train/val/test), %dx%d RGB JPEG\n",
                   o.output, o.classes, o.counts[0], o.counts[1], o.counts[2],
                   o.size, o.size);
            free(row);
            return 0;
        }
        if (attempt == 1 || limit == 0) {
            fprintf(stderr, "make-imagefolder: the source has %d images too "
                    "few for %d/%d/%d per class: ask for fewer\n", missing,
                    o.counts[0], o.counts[1], o.counts[2]);
            return 1;
        }
    }
    if (!row)
        fprintf(stderr, "make-imagefolder: out of memory\n");
    return 1;
}
