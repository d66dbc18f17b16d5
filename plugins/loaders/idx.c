/* cnnlab — the idx loader: MNIST and Fashion-MNIST in their IDX files
 * (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte), each plain or gzip-compressed. zlib's gzread reads
 * both, so the two forms share one path.
 *
 * The validation split is carved from the training file by a shuffle seeded
 * with the data's seed (data.split_seed: the run's seed unless the manifest
 * repeats with seeds:), so it is the same on every run with that seed and
 * never overlaps the training images.
 *
 * size and channels reshape the images for models made for other data
 * (Fashion-MNIST at 84 × 84 × 3 for a mini-ImageNet model), with the resize
 * imagefolder uses (resize.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cnnlab/input_file.h"
#include "cnnlab/rng.h"
#include "label_subset.h"
#include "loaders.h"
#include "resize.h"

#define IDX_IMAGES_MAGIC 0x00000803u /* unsigned bytes, 3 dimensions */
#define IDX_LABELS_MAGIC 0x00000801u /* unsigned bytes, 1 dimension */
#define IDX_MAX_SIDE 4096
#define IDX_MAX_COUNT 10000000
/* The most bytes of images one file may declare. A gzip file inflates up
 * to about 1000 times its size, so a 5 MB file can declare (and hold)
 * 5 GB; that is refused from the header, before anything is inflated.
 * MNIST's training images are 47 MB, EMNIST's largest 547 MB. */
#define IDX_MAX_MIB 1024
#define IDX_CLASSES 10
#define IDX_PATH_MAX 4096
#define IDX_READ_CHUNK (1u << 20)
#define IDX_FIX_HINT                                                       \
    "install the Debian package dataset-fashion-mnist (scripts/install-deps " \
    "does) or set data.root"
/* The rng stream of the train/val split ("idxsplit" in ASCII), apart from
 * every other use of the seed. */
#define IDX_SPLIT_STREAM UINT64_C(0x69647873706c6974)

static const struct cnn_param_spec idx_params[] = {
    {"root", CNN_PARAM_STRING, "/usr/share/datasets/fashion-mnist", 0, 0,
     NULL,
     "directory with train-images-idx3-ubyte, train-labels-idx1-ubyte, "
     "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each maybe .gz)"},
    {"val", CNN_PARAM_INT, "5000", 0, 1000000, NULL,
     "training images held out as the validation split (a shuffle seeded "
     "by data.split_seed)"},
    {"classes", CNN_PARAM_CHOICE, "auto", 0, 0, "auto|fashion-mnist|mnist",
     "class names; auto: fashion-mnist when root contains \"fashion\", "
     "else mnist"},
    {"size", CNN_PARAM_INT, "0", 0, 4096, NULL,
     "images are resized to size × size (the filter of imagefolder); 0: "
     "as stored (28 × 28)"},
    {"channels", CNN_PARAM_CHOICE, "1", 0, 0, "1|3",
     "1: gray; 3: the gray plane repeated as RGB"},
    LOADERS_LABELS_SPEC(9, "keep only the images of these classes, "
                           "renumbered 0, 1, ... in this order and named "
                           "after them (left out: all 10); val and "
                           "data.limit count the images kept"),
};

/* What the loaded images become: channels x size x size (size 0: the
 * files' own rows x cols), of the classes `labels:` keeps, renumbered. */
struct idx_output {
    int size, channels;
    const struct loaders_label_subset *subset;
};

static const char *const fashion_names[IDX_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

static const char *const digit_names[IDX_CLASSES] = {
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
};

/* One IDX file's payload: `count` items of `item_size` bytes (an image of
 * rows x cols, or one label). */
struct idx_file {
    char path[IDX_PATH_MAX];
    int count, rows, cols;
    size_t item_size;
    uint8_t *bytes; /* count * item_size; owned */
};

static uint32_t big_endian_u32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16
         | (uint32_t)bytes[2] << 8 | (uint32_t)bytes[3];
}

/* Finds root/base, else root/base.gz. */
static int find_file(const char *root, const char *base, char *path,
                     struct cnn_error *err)
{
    struct stat info;
    const char *suffixes[2] = {"", ".gz"};
    for (int i = 0; i < 2; i++) {
        int length = snprintf(path, IDX_PATH_MAX, "%s/%s%s", root, base,
                              suffixes[i]);
        if (length < 0 || length >= IDX_PATH_MAX)
            return cnn_error_set(err, "idx: the path '%s/%s' is too long",
                                 root, base);
        if (stat(path, &info) == 0)
            return 0;
    }
    return cnn_error_set(err,
                         "idx: '%s/%s' not found (nor '%s/%s.gz'): %s",
                         root, base, root, base, IDX_FIX_HINT);
}

/* Reads up to `size` bytes; *done tells how many arrived. Returns 0 when all
 * did, else -1 with *zlib_status from gzerror (Z_OK: the file just ended). */
static int read_bytes(gzFile file, uint8_t *buffer, size_t size, size_t *done,
                      int *zlib_status)
{
    *done = 0;
    *zlib_status = Z_OK;
    while (*done < size) {
        size_t want = size - *done;
        if (want > IDX_READ_CHUNK)
            want = IDX_READ_CHUNK;
        int got = gzread(file, buffer + *done, (unsigned)want);
        if (got <= 0) {
            gzerror(file, zlib_status);
            return -1;
        }
        *done += (size_t)got;
    }
    return 0;
}

/* zlib's message without the path it prefixes for gzopen()ed files. */
static const char *zlib_message(gzFile file, const char *path)
{
    int errnum;
    const char *message = gzerror(file, &errnum);
    size_t length = strlen(path);
    if (strncmp(message, path, length) == 0 && message[length] == ':')
        message += length + 1 + (message[length + 1] == ' ');
    return message;
}

/* A read error that is not the file simply ending: an I/O error or damaged
 * compressed data. `where` says how far the reading got. */
static int stream_failure(gzFile file, const struct idx_file *idx,
                          int zlib_status, const char *where,
                          struct cnn_error *err)
{
    if (zlib_status == Z_ERRNO)
        return cnn_error_set(err, "idx: cannot read '%s': %s", idx->path,
                             strerror(errno));
    return cnn_error_set(err,
                         "idx: '%s' is corrupt (zlib: %s)%s: download or "
                         "reinstall it",
                         idx->path, zlib_message(file, idx->path), where);
}

static int ended_cleanly(int zlib_status)
{
    return zlib_status == Z_OK || zlib_status == Z_BUF_ERROR;
}

static int read_failure(const struct idx_file *idx, size_t items_read,
                        int zlib_status, gzFile file, struct cnn_error *err)
{
    const char *what = idx->rows > 0 ? "images" : "labels";
    if (!ended_cleanly(zlib_status)) {
        char where[96];
        snprintf(where, sizeof where, " after %zu of its %d %s", items_read,
                 idx->count, what);
        return stream_failure(file, idx, zlib_status, where, err);
    }
    if (idx->rows > 0)
        return cnn_error_set(err,
                             "idx: '%s' is truncated: header declares %d "
                             "images of %d×%d, file ends after %zu images: "
                             "download or reinstall it",
                             idx->path, idx->count, idx->rows, idx->cols,
                             items_read);
    return cnn_error_set(err,
                         "idx: '%s' is truncated: header declares %d labels, "
                         "file ends after %zu labels: download or reinstall it",
                         idx->path, idx->count, items_read);
}

/* Reads the header (magic, then `dims` big-endian sizes) and checks it:
 * the sizes against the limits and, for images, the count against the
 * labels already read (`labels`, NULL for a label file), all before the
 * payload is inflated. */
static int read_header(gzFile file, struct idx_file *idx, int dims,
                       const struct idx_file *labels, struct cnn_error *err)
{
    uint8_t header[16];
    size_t header_size = 4 + 4 * (size_t)dims, done;
    int zlib_status;
    uint32_t expected = dims == 3 ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC;
    const char *what = dims == 3 ? "image" : "label";
    if (read_bytes(file, header, header_size, &done, &zlib_status) != 0) {
        if (!ended_cleanly(zlib_status))
            return stream_failure(file, idx, zlib_status, "", err);
        return cnn_error_set(err,
                             "idx: '%s' is truncated: it ends after %zu bytes, "
                             "inside its %zu-byte IDX header: download or "
                             "reinstall it",
                             idx->path, done, header_size);
    }
    uint32_t magic = big_endian_u32(header);
    if (magic != expected) {
        const char *swapped = magic == IDX_IMAGES_MAGIC ? " (it is an image file)"
                            : magic == IDX_LABELS_MAGIC ? " (it is a label file)"
                                                        : "";
        return cnn_error_set(err,
                             "idx: '%s' is not an IDX %s file: it starts with "
                             "0x%08x, expected 0x%08x%s",
                             idx->path, what, (unsigned)magic,
                             (unsigned)expected, swapped);
    }
    uint32_t count = big_endian_u32(header + 4);
    if (count == 0 || count > IDX_MAX_COUNT)
        return cnn_error_set(err,
                             "idx: '%s' declares %u %ss, expected 1..%d: the "
                             "header is damaged",
                             idx->path, (unsigned)count, what, IDX_MAX_COUNT);
    idx->count = (int)count;
    idx->rows = idx->cols = 0;
    idx->item_size = 1;
    if (dims == 3) {
        uint32_t rows = big_endian_u32(header + 8);
        uint32_t cols = big_endian_u32(header + 12);
        if (rows < 1 || rows > IDX_MAX_SIDE || cols < 1 || cols > IDX_MAX_SIDE)
            return cnn_error_set(err,
                                 "idx: '%s' declares images of %u×%u, "
                                 "expected sides 1..%d: the header is damaged",
                                 idx->path, (unsigned)rows, (unsigned)cols,
                                 IDX_MAX_SIDE);
        idx->rows = (int)rows;
        idx->cols = (int)cols;
        idx->item_size = (size_t)rows * cols;
        double mib = (double)count * (double)idx->item_size / (1 << 20);
        if (mib > IDX_MAX_MIB)
            return cnn_error_set(err,
                                 "idx: '%s' declares %u images of %u×%u "
                                 "(%.0f MiB); IDX image files over %d MiB "
                                 "are not read: use a smaller dataset (or "
                                 "the header is damaged)",
                                 idx->path, (unsigned)count, (unsigned)rows,
                                 (unsigned)cols, mib, IDX_MAX_MIB);
        if (labels && (int)count != labels->count)
            return cnn_error_set(err,
                                 "idx: '%s' holds %u images but '%s' holds "
                                 "%d labels: the two files must come from "
                                 "the same dataset",
                                 idx->path, (unsigned)count, labels->path,
                                 labels->count);
    }
    return 0;
}

/* Reads the payload, growing the buffer as data arrives, so that a damaged
 * header cannot make us allocate more than the file holds. */
static int read_payload(gzFile file, struct idx_file *idx,
                        struct cnn_error *err)
{
    size_t total = (size_t)idx->count * idx->item_size;
    size_t capacity = total < ((size_t)16 << 20) ? total : (size_t)16 << 20;
    size_t filled = 0;
    idx->bytes = malloc(capacity);
    if (idx->bytes == NULL)
        return cnn_error_set(err, "idx: out of memory reading '%s'",
                             idx->path);
    while (filled < total) {
        if (filled == capacity) {
            size_t grown = capacity * 2 < total ? capacity * 2 : total;
            uint8_t *bigger = realloc(idx->bytes, grown);
            if (bigger == NULL)
                return cnn_error_set(err,
                                     "idx: out of memory reading '%s' (%zu "
                                     "bytes)",
                                     idx->path, total);
            idx->bytes = bigger;
            capacity = grown;
        }
        size_t done;
        int zlib_status;
        if (read_bytes(file, idx->bytes + filled, capacity - filled, &done,
                       &zlib_status)
            != 0)
            return read_failure(idx, (filled + done) / idx->item_size,
                                zlib_status, file, err);
        filled += done;
    }
    return 0;
}

/* After the declared items the file must end; for gzip, reading on also
 * verifies the stream's checksum and length. */
static int check_end(gzFile file, const struct idx_file *idx,
                     struct cnn_error *err)
{
    uint8_t extra;
    int zlib_status;
    if (gzread(file, &extra, 1) == 1) {
        if (idx->rows > 0)
            return cnn_error_set(err,
                                 "idx: '%s' is longer than its header "
                                 "declares (%d images of %d×%d): the header "
                                 "or the file is damaged",
                                 idx->path, idx->count, idx->rows, idx->cols);
        return cnn_error_set(err,
                             "idx: '%s' is longer than its header declares "
                             "(%d labels): the header or the file is damaged",
                             idx->path, idx->count);
    }
    gzerror(file, &zlib_status);
    if (zlib_status == Z_OK)
        return 0;
    if (zlib_status == Z_BUF_ERROR)
        return cnn_error_set(err,
                             "idx: '%s' is truncated: its gzip stream ends "
                             "before its checksum: download or reinstall it",
                             idx->path);
    return stream_failure(file, idx, zlib_status, "", err);
}

/* Reads one IDX file with `dims` dimensions (3: images, 1: labels);
 * images are checked against their `labels`, read first. */
static int read_idx(const char *path, int dims, const struct idx_file *labels,
                    struct idx_file *idx, struct cnn_error *err)
{
    memset(idx, 0, sizeof *idx);
    snprintf(idx->path, sizeof idx->path, "%s", path);
    int fd = cnn_input_open(path, err);
    if (fd < 0)
        return errno ? cnn_error_set(err, "idx: cannot open '%s': %s", path,
                                     strerror(errno))
                     : cnn_error_prefix(err, "idx: ");
    errno = 0;
    gzFile file = gzdopen(fd, "rb");
    if (file == NULL) {
        int error = errno;
        close(fd);
        return cnn_error_set(err, "idx: cannot open '%s': %s", path,
                             error ? strerror(error) : "out of memory");
    }
    gzbuffer(file, 1u << 17);
    int status = read_header(file, idx, dims, labels, err);
    if (status == 0)
        status = read_payload(file, idx, err);
    if (status == 0)
        status = check_end(file, idx, err);
    gzclose(file);
    if (status != 0) {
        free(idx->bytes);
        idx->bytes = NULL;
    }
    return status;
}

static int check_pair(const struct idx_file *images,
                      const struct idx_file *labels, struct cnn_error *err)
{
    if (images->count != labels->count)
        return cnn_error_set(err,
                             "idx: '%s' holds %d images but '%s' holds %d "
                             "labels: the two files must come from the same "
                             "dataset",
                             images->path, images->count, labels->path,
                             labels->count);
    for (int i = 0; i < labels->count; i++)
        if (labels->bytes[i] >= IDX_CLASSES)
            return cnn_error_set(err,
                                 "idx: '%s': label %d of image %d is outside "
                                 "0..%d (MNIST and Fashion-MNIST have %d "
                                 "classes)",
                                 labels->path, labels->bytes[i], i,
                                 IDX_CLASSES - 1, IDX_CLASSES);
    return 0;
}

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Copies the items listed in `order`, resized and repeated to the
 * output's shape when it differs, their labels renumbered as `labels:`
 * says. */
static int fill_split(struct cnn_dataset *set, const struct idx_file *images,
                      const struct idx_file *labels, const int *order,
                      int count, const struct idx_output *output,
                      struct cnn_error *err)
{
    int height = output->size ? output->size : images->rows;
    int width = output->size ? output->size : images->cols;
    struct cnn_shape shape = {output->channels, height, width};
    int as_stored = shape.c == 1 && height == images->rows
                 && width == images->cols;
    struct loaders_resizer resizer;
    if (!as_stored
        && loaders_resizer_init(&resizer, images->rows, images->cols, height,
                                width, err)
               != 0)
        return cnn_error_prefix(err, "idx: ");
    if (cnn_dataset_alloc(set, count, shape, err) != 0) {
        if (!as_stored)
            loaders_resizer_free(&resizer);
        return -1;
    }
    size_t image_size = cnn_shape_size(shape);
    for (int i = 0; i < count; i++) {
        int source = order[i];
        const uint8_t *from = images->bytes + (size_t)source * images->item_size;
        uint8_t *to = set->pixels + (size_t)i * image_size;
        if (as_stored)
            memcpy(to, from, images->item_size);
        else
            loaders_resize_gray(&resizer, from, shape.c, to);
        set->labels[i] =
            loaders_label_subset_map(output->subset, labels->bytes[source]);
    }
    if (!as_stored)
        loaders_resizer_free(&resizer);
    return 0;
}

static int capped(int count, long limit)
{
    return limit > 0 && limit < count ? (int)limit : count;
}

static int contains_fashion(const char *text)
{
    const char *word = "fashion";
    size_t length = strlen(word);
    for (; *text; text++) {
        size_t i = 0;
        while (i < length && text[i]
               && (text[i] | 0x20) == word[i])
            i++;
        if (i == length)
            return 1;
    }
    return 0;
}

/* The items of a file whose labels `labels:` keeps, in file order (every
 * item without it); *count says how many. */
static int *kept_items(const struct idx_file *labels,
                       const struct loaders_label_subset *subset, int *count,
                       struct cnn_error *err)
{
    int *items = malloc((size_t)labels->count * sizeof *items);
    if (items == NULL) {
        cnn_error_set(err, "idx: out of memory reading '%s'", labels->path);
        return NULL;
    }
    *count = 0;
    for (int i = 0; i < labels->count; i++)
        if (loaders_label_subset_map(subset, labels->bytes[i]) >= 0)
            items[(*count)++] = i;
    return items;
}

/* What follows an image count when `labels:` keeps some classes. */
static const char *kept_words(const struct idx_output *output)
{
    return output->subset->count ? " of the classes data.labels keeps" : "";
}

/* The training file split into train and val: the first `val` of a seeded
 * shuffle of the kept images become val; each part is kept in file order.
 * Without `labels:` every image is kept and the shuffle is the one it
 * always was. */
static int split_training(struct cnn_data *data, const struct idx_file *images,
                          const struct idx_file *labels, int val,
                          const struct cnn_load_request *request,
                          const struct idx_output *output,
                          struct cnn_error *err)
{
    int count;
    int *order = kept_items(labels, output->subset, &count, err);
    if (order == NULL)
        return -1;
    if (val >= count) {
        free(order);
        return cnn_error_set(err,
                             "idx: val = %d leaves no training images: '%s' "
                             "holds %d%s; set data.val below %d",
                             val, images->path, count, kept_words(output),
                             count);
    }
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, request->seed, IDX_SPLIT_STREAM);
    cnn_rng_shuffle(&rng, order, (size_t)count);
    int train = count - val;
    qsort(order, (size_t)val, sizeof *order, compare_ints);
    qsort(order + val, (size_t)train, sizeof *order, compare_ints);
    int status = fill_split(&data->val, images, labels, order,
                            capped(val, request->limit), output, err);
    if (status == 0)
        status = fill_split(&data->train, images, labels, order + val,
                            capped(train, request->limit), output, err);
    free(order);
    return status;
}

static int load_files(const char *root, int val,
                      const struct cnn_load_request *request,
                      const struct idx_output *output,
                      struct cnn_data *data, struct idx_file files[4],
                      struct cnn_error *err)
{
    static const char *const bases[4] = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    /* Labels before their images: an image file declaring more images
     * than there are labels is refused before it is inflated. */
    static const int reading_order[4] = {1, 0, 3, 2};
    char path[IDX_PATH_MAX];
    for (int k = 0; k < 4; k++) {
        int i = reading_order[k];
        if (find_file(root, bases[i], path, err) != 0)
            return -1;
        if (read_idx(path, i % 2 == 0 ? 3 : 1, i % 2 == 0 ? &files[i + 1] : NULL,
                     &files[i], err)
            != 0)
            return -1;
    }
    struct idx_file *train_images = &files[0], *test_images = &files[2];
    if (check_pair(&files[0], &files[1], err) != 0
        || check_pair(&files[2], &files[3], err) != 0)
        return -1;
    if (test_images->rows != train_images->rows
        || test_images->cols != train_images->cols)
        return cnn_error_set(err,
                             "idx: '%s' holds images of %d×%d but '%s' of "
                             "%d×%d: the files must come from the same dataset",
                             train_images->path, train_images->rows,
                             train_images->cols, test_images->path,
                             test_images->rows, test_images->cols);
    if (split_training(data, train_images, &files[1], val, request, output,
                       err)
        != 0)
        return -1;
    int count;
    int *order = kept_items(&files[3], output->subset, &count, err);
    if (order == NULL)
        return -1;
    int status = fill_split(&data->test, test_images, &files[3], order,
                            capped(count, request->limit), output, err);
    free(order);
    return status;
}

/* data.root must be a directory. */
static int idx_check_root(const char *root, struct cnn_error *err)
{
    struct stat info;
    if (root == NULL || root[0] == '\0')
        return cnn_error_set(err, "idx: data.root is empty: %s",
                             IDX_FIX_HINT);
    if (stat(root, &info) != 0)
        return cnn_error_set(err, "idx: data root '%s' does not exist (%s): %s",
                             root, strerror(errno), IDX_FIX_HINT);
    if (!S_ISDIR(info.st_mode))
        return cnn_error_set(err,
                             "idx: data root '%s' is not a directory: set "
                             "data.root to the directory holding the IDX files",
                             root);
    return 0;
}

static int idx_load_checked(const char *root, int val, const char *classes,
                            const struct cnn_load_request *request,
                            const struct idx_output *output,
                            struct cnn_data *data, struct cnn_error *err)
{
    const char *const *names = digit_names;
    if (strcmp(classes, "fashion-mnist") == 0
        || (strcmp(classes, "auto") == 0 && contains_fashion(root)))
        names = fashion_names;

    struct idx_file files[4];
    memset(files, 0, sizeof files);
    int status = load_files(root, val, request, output, data, files, err);
    for (int i = 0; i < 4; i++)
        free(files[i].bytes);
    const char *kept_names[IDX_CLASSES];
    loaders_label_subset_names(output->subset, names, IDX_CLASSES,
                               kept_names);
    if (status == 0)
        status = cnn_data_set_classes(
            data, loaders_label_subset_classes(output->subset, IDX_CLASSES),
            kept_names, err);
    if (status != 0)
        cnn_data_free(data);
    return status;
}

static int idx_load(const struct cnn_params *params,
                    const struct cnn_load_request *request,
                    struct cnn_data *data, struct cnn_error *err)
{
    const char *root = cnn_param_string(params, "root");
    int val = (int)cnn_param_int(params, "val");
    const char *classes = cnn_param_string(params, "classes");
    struct loaders_label_subset subset;
    struct idx_output output = {(int)cnn_param_int(params, "size"),
                                atoi(cnn_param_string(params, "channels")),
                                &subset};
    /* A mistake in the manifest before one about the files. */
    if (loaders_label_subset_parse(params, IDX_CLASSES, "idx", &subset, err)
        != 0)
        return -1;
    int status = idx_check_root(root, err);
    if (status == 0)
        status = idx_load_checked(root, val, classes, request, &output, data,
                                  err);
    loaders_label_subset_free(&subset);
    return status;
}

const struct cnn_loader_type loaders_idx_type = {
    .name = "idx",
    .help = "MNIST and Fashion-MNIST from their IDX files (plain or .gz); "
            "val is carved from the training set by a seeded shuffle",
    .params = idx_params,
    .param_count = (int)(sizeof idx_params / sizeof idx_params[0]),
    .load = idx_load,
};
