/* cnnlab — imagefolder: the cache file of decoded images.
 *
 * Layout (host byte order: the cache belongs to this machine): the magic
 * "CNNIMGC2", the 64-bit key, then int32 classes, channels, size, skipped
 * (files refused by name) and the three split counts, then per split
 * (train, val, test) its labels (int32), one byte per image (1: it failed
 * to decode and is left out, on_error: skip) and its pixels (uint8, NCHW).
 * Every listed file has its place, so a hit gives the splits exactly as a
 * fresh decode does, left-out images included. A file whose magic, key,
 * sizes or length disagree is ignored (and rebuilt by the caller): a stale
 * or damaged cache costs a decode, never wrong data. The key is FNV-1a (64
 * bits) of everything the decoded data depends on; it is a check against
 * accidents, not against a forged file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>

#include "cnnlab/atomic_file.h"
#include "cnnlab/input_file.h"
#include "imagefolder.h"

#define CACHE_MAGIC "CNNIMGC2"
/* Bump when the decoded pixels change for the same files and parameters
 * (the resize filter, the colour conversion). */
#define CACHE_DECODE_VERSION 1

struct hash {
    uint64_t value;
};

static void hash_bytes(struct hash *hash, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < size; i++) {
        hash->value ^= bytes[i];
        hash->value *= UINT64_C(0x100000001b3);
    }
}

static void hash_int(struct hash *hash, long long value)
{
    hash_bytes(hash, &value, sizeof value);
}

static void hash_text(struct hash *hash, const char *text)
{
    hash_bytes(hash, text, strlen(text) + 1);
}

static void hash_start(struct hash *hash)
{
    hash->value = UINT64_C(0xcbf29ce484222325);
    hash_text(hash, CACHE_MAGIC);
    hash_int(hash, CACHE_DECODE_VERSION);
    hash_int(hash, JPEG_LIB_VERSION);
}

uint64_t imagefolder_cache_key(const struct imagefolder_settings *settings,
                               const struct imagefolder_listing *listing,
                               uint64_t seed)
{
    struct hash hash;
    hash_start(&hash);
    hash_int(&hash, settings->size);
    hash_int(&hash, settings->channels);
    hash_int(&hash, settings->skip_errors);
    hash_int(&hash, listing->skipped);
    int carved = 0;
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++) {
        hash_int(&hash, listing->carved[s]);
        carved |= listing->carved[s];
    }
    if (carved) {
        hash_bytes(&hash, &settings->val, sizeof settings->val);
        hash_bytes(&hash, &settings->test, sizeof settings->test);
        hash_int(&hash, (long long)seed);
    }
    hash_int(&hash, listing->classes);
    for (int k = 0; k < listing->classes; k++)
        hash_text(&hash, listing->class_names[k]);
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++) {
        const struct imagefolder_list *list = &listing->splits[s];
        hash_int(&hash, list->count);
        for (int i = 0; i < list->count; i++) {
            const struct imagefolder_file *file = &list->files[i];
            hash_text(&hash, file->relative);
            hash_int(&hash, file->size);
            hash_int(&hash, file->mtime_seconds);
            hash_int(&hash, file->mtime_nanoseconds);
            hash_int(&hash, file->label);
        }
    }
    return hash.value;
}

/* "auto": $XDG_CACHE_HOME/cnnlab (or ~/.cache/cnnlab), one file per root
 * and pixel parameters, so the data root may be read-only and two sizes
 * of one folder keep their own caches. */
static int auto_path(const struct imagefolder_settings *settings, char *path,
                     unsigned long size, struct cnn_error *err)
{
    char base[PATH_MAX];
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int written = 0;
    if (xdg && xdg[0] == '/')
        written = snprintf(base, sizeof base - sizeof "/cnnlab", "%s", xdg);
    else if (home && home[0] == '/')
        written = snprintf(base, sizeof base - sizeof "/cnnlab", "%s/.cache",
                           home);
    else
        return cnn_error_set(err,
                             "imagefolder: cache: auto needs $XDG_CACHE_HOME "
                             "or $HOME: set one, or give data.cache a path");
    /* A cut folder would put the cache somewhere else. */
    if (written < 0 || (size_t)written >= sizeof base - sizeof "/cnnlab")
        return cnn_error_set(err,
                             "imagefolder: cache: auto: $XDG_CACHE_HOME or "
                             "$HOME is over %zu bytes long: give data.cache "
                             "a path",
                             sizeof base - sizeof "/cnnlab" - 1);
    char absolute_root[PATH_MAX];
    if (!realpath(settings->root, absolute_root))
        snprintf(absolute_root, sizeof absolute_root, "%s", settings->root);
    struct hash hash;
    hash_start(&hash);
    hash_text(&hash, absolute_root);
    hash_int(&hash, settings->size);
    hash_int(&hash, settings->channels);
    hash_int(&hash, settings->skip_errors);
    /* Two tasks of one folder (data.labels) keep their own caches; a
     * folder's cache without labels keeps its name. */
    for (int i = 0; i < settings->label_count; i++)
        hash_int(&hash, (long long)settings->labels[i]);
    mkdir(base, 0755);
    size_t length = strlen(base);
    snprintf(base + length, sizeof base - length, "/cnnlab");
    if (mkdir(base, 0755) != 0 && errno != EEXIST)
        return cnn_error_set(err, "imagefolder: cannot make the cache folder "
                             "'%s': %s", base, strerror(errno));
    written = snprintf(path, size, "%s/imagefolder-%016llx.bin", base,
                           (unsigned long long)hash.value);
    if (written < 0 || (unsigned long)written >= size)
        return cnn_error_set(err, "imagefolder: the cache path under '%s' is "
                             "too long", base);
    return 0;
}

int imagefolder_cache_path(const struct imagefolder_settings *settings,
                           char *path, unsigned long size,
                           struct cnn_error *err)
{
    path[0] = '\0';
    if (settings->cache[0] == '\0')
        return 0;
    if (strcmp(settings->cache, "auto") == 0)
        return auto_path(settings, path, size, err);
    if (strlen(settings->cache) >= size)
        return cnn_error_set(err, "imagefolder: data.cache '%s' is too long",
                             settings->cache);
    snprintf(path, size, "%s", settings->cache);
    return 0;
}

struct cache_header {
    char magic[8];
    uint64_t key;
    int32_t classes, channels, size, skipped;
    int32_t counts[IMAGEFOLDER_SPLITS];
};

static struct cnn_dataset *split_of(struct cnn_data *data, int s)
{
    return s == IMAGEFOLDER_TRAIN ? &data->train
         : s == IMAGEFOLDER_VAL   ? &data->val
                                  : &data->test;
}

/* 1: the header fits this listing and settings, and the file's length is
 * exactly what the header implies. */
static int header_fits(const struct cache_header *header, uint64_t key,
                       const struct imagefolder_listing *listing,
                       const struct imagefolder_settings *settings,
                       long long file_size)
{
    if (memcmp(header->magic, CACHE_MAGIC, 8) != 0 || header->key != key
        || header->classes != listing->classes
        || header->channels != settings->channels
        || header->size != settings->size || header->skipped < 0)
        return 0;
    size_t image = (size_t)settings->channels * settings->size
                 * settings->size;
    unsigned long long expected = sizeof *header;
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++) {
        int32_t count = header->counts[s];
        if (count != listing->splits[s].count)
            return 0;
        expected += (unsigned long long)count * (sizeof(int32_t) + 1 + image);
    }
    return expected == (unsigned long long)file_size;
}

static int read_splits(FILE *file, const struct cache_header *header,
                       int classes, struct cnn_data *data,
                       struct cnn_error *err)
{
    struct cnn_shape shape = {header->channels, header->size, header->size};
    uint8_t *failed[IMAGEFOLDER_SPLITS] = {NULL, NULL, NULL};
    int status = 1;
    for (int s = 0; s < IMAGEFOLDER_SPLITS && status == 1; s++) {
        struct cnn_dataset *set = split_of(data, s);
        int count = header->counts[s];
        failed[s] = malloc((size_t)count + 1);
        if (!failed[s] || cnn_dataset_alloc(set, count, shape, err) != 0) {
            status = failed[s] ? -1
                               : cnn_error_set(err, "out of memory for %d "
                                               "images", count);
            break;
        }
        size_t pixels = (size_t)count * cnn_shape_size(shape);
        if (fread(set->labels, sizeof(int32_t), (size_t)count, file)
                != (size_t)count
            || fread(failed[s], 1, (size_t)count, file) != (size_t)count
            || fread(set->pixels, 1, pixels, file) != pixels)
            status = 0;
        for (int i = 0; status == 1 && i < count; i++)
            if (set->labels[i] < 0 || set->labels[i] >= classes
                || failed[s][i] > 1)
                status = 0;
    }
    /* Marked only once the whole file has proven sound. */
    for (int s = 0; s < IMAGEFOLDER_SPLITS && status == 1; s++)
        for (int i = 0; status == 1 && i < header->counts[s]; i++)
            if (failed[s][i] && cnn_data_exclude(data, s, i, err) != 0)
                status = -1;
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++)
        free(failed[s]);
    return status;
}

int imagefolder_cache_read(const char *path, uint64_t key,
                           const struct imagefolder_listing *listing,
                           const struct imagefolder_settings *settings,
                           struct cnn_data *data, int *skipped,
                           struct cnn_error *err)
{
    /* No cache yet is no error; a FIFO or a device there would block or
     * never end a read, so it is refused by name. */
    FILE *file = cnn_input_fopen(path, err);
    if (!file)
        return errno ? 0 : cnn_error_prefix(err, "data.cache: ");
    struct cache_header header;
    struct stat info;
    int status = 0;
    if (fstat(fileno(file), &info) == 0
        && fread(&header, sizeof header, 1, file) == 1
        && header_fits(&header, key, listing, settings,
                       (long long)info.st_size))
        status = read_splits(file, &header, listing->classes, data, err);
    fclose(file);
    if (status == 1) {
        *skipped = header.skipped;
        return 1;
    }
    cnn_data_free(data);
    return status;
}

/* Every version of the cache begins "CNNIMGC" and a digit. */
#define CACHE_MAGIC_STEM "CNNIMGC"

int imagefolder_cache_check_owned(const char *path, struct cnn_error *err)
{
    struct stat info;
    if (lstat(path, &info) != 0) {
        if (errno == ENOENT)
            return 0;
        return cnn_error_set(err, "data.cache: cannot check '%s': %s", path,
                             strerror(errno));
    }
    if (S_ISLNK(info.st_mode))
        return cnn_error_set(err,
                             "data.cache '%s' is a symbolic link: cnnlab "
                             "does not write a cache through a link; give "
                             "data.cache the path the link points to, or "
                             "remove the link",
                             path);
    struct cnn_error why = {0};
    FILE *file = S_ISREG(info.st_mode) ? cnn_input_fopen(path, &why) : NULL;
    if (!S_ISREG(info.st_mode) || !file)
        return cnn_error_set(err,
                             "data.cache '%s' exists and is not a file "
                             "cnnlab wrote (%s): cnnlab replaces only its "
                             "own caches; give data.cache another path",
                             path, S_ISREG(info.st_mode) ? why.message
                                                         : "not a regular file");
    char magic[8];
    int ours = fread(magic, 1, sizeof magic, file) == sizeof magic &&
               memcmp(magic, CACHE_MAGIC_STEM, 7) == 0 &&
               magic[7] >= '0' && magic[7] <= '9';
    fclose(file);
    if (!ours)
        return cnn_error_set(err,
                             "data.cache '%s' exists and is not a cnnlab "
                             "cache (it does not begin with %s): cnnlab "
                             "replaces only its own caches; remove it if it "
                             "is not needed, or give data.cache another path",
                             path, CACHE_MAGIC_STEM);
    return 0;
}

int imagefolder_cache_write(const char *path, uint64_t key,
                            const struct imagefolder_images *images,
                            struct cnn_error *err)
{
    struct cache_header header;
    memset(&header, 0, sizeof header);
    memcpy(header.magic, CACHE_MAGIC, 8);
    header.key = key;
    header.classes = images->classes;
    header.channels = images->channels;
    header.size = images->size;
    header.skipped = images->skipped;
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++)
        header.counts[s] = images->counts[s];
    size_t image = (size_t)images->channels * images->size * images->size;
    struct cnn_atomic_file file;
    if (cnn_atomic_open(&file, path, err) != 0)
        return cnn_error_prefix(err, "imagefolder: cache: ");
    fwrite(&header, sizeof header, 1, file.stream);
    const uint8_t *failed = images->failed;
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++) {
        size_t count = (size_t)images->counts[s];
        fwrite(images->labels[s], sizeof(int32_t), count, file.stream);
        fwrite(failed, 1, count, file.stream);
        fwrite(images->pixels[s], 1, count * image, file.stream);
        failed += count;
    }
    /* commit reports any write error seen above, naming the file. */
    if (cnn_atomic_commit(&file, err) != 0)
        return cnn_error_prefix(err, "imagefolder: cache: ");
    return 0;
}
