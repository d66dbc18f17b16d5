/* cnnlab — imagefolder: finding the classes and the files.
 *
 * Two layouts. With root/train present, each of root/train, root/val and
 * root/test holds one folder per class; a missing val or test folder is
 * carved from train later (imagefolder_split.c). Without root/train, root
 * itself holds the class folders and val and test are both carved.
 * Class names are the folder names in byte order (strcmp), the same in
 * every split folder. Names starting with '.' are ignored everywhere, as
 * are plain files beside the class folders (a README, a labels.csv). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cnnlab/input_file.h"
#include "imagefolder.h"

const char *const imagefolder_split_names[IMAGEFOLDER_SPLITS] = {
    "train", "val", "test"};

struct name_list {
    char **names;
    int count;
};

static void names_free(struct name_list *list)
{
    for (int i = 0; i < list->count; i++)
        free(list->names[i]);
    free(list->names);
    list->names = NULL;
    list->count = 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entries not starting with '.', sorted in byte order. */
static int list_directory(const char *dir, struct name_list *list,
                          struct cnn_error *err)
{
    memset(list, 0, sizeof *list);
    DIR *stream = opendir(dir);
    if (!stream)
        return cnn_error_set(err, "imagefolder: cannot read the folder '%s': "
                             "%s", dir, strerror(errno));
    int capacity = 0, status = 0;
    struct dirent *entry;
    errno = 0;
    while (status == 0 && (entry = readdir(stream)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        if (list->count == capacity) {
            int grown = capacity ? capacity * 2 : 64;
            char **bigger = realloc(list->names, (size_t)grown * sizeof *bigger);
            if (!bigger) {
                status = cnn_error_set(err, "imagefolder: out of memory "
                                       "listing '%s'", dir);
                break;
            }
            list->names = bigger;
            capacity = grown;
        }
        list->names[list->count] = strdup(entry->d_name);
        if (!list->names[list->count])
            status = cnn_error_set(err, "imagefolder: out of memory listing "
                                   "'%s'", dir);
        else
            list->count++;
        errno = 0;
    }
    if (status == 0 && errno != 0)
        status = cnn_error_set(err, "imagefolder: cannot read the folder "
                               "'%s': %s", dir, strerror(errno));
    closedir(stream);
    if (status != 0) {
        names_free(list);
        return -1;
    }
    if (list->count > 1)
        qsort(list->names, (size_t)list->count, sizeof *list->names,
              compare_names);
    return 0;
}

static char *join(const char *dir, const char *name, struct cnn_error *err)
{
    size_t size = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(size);
    if (!path) {
        cnn_error_set(err, "imagefolder: out of memory");
        return NULL;
    }
    snprintf(path, size, "%s/%s", dir, name);
    return path;
}

static int is_directory(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

/* The subfolders of `dir`: its classes. */
static int list_classes(const char *dir, struct name_list *classes,
                        struct cnn_error *err)
{
    struct name_list entries;
    if (list_directory(dir, &entries, err) != 0)
        return -1;
    memset(classes, 0, sizeof *classes);
    classes->names = entries.names;
    for (int i = 0; i < entries.count; i++) {
        char *path = join(dir, entries.names[i], err);
        if (!path) {
            names_free(&entries);
            classes->names = NULL;
            classes->count = 0;
            return -1;
        }
        if (is_directory(path))
            classes->names[classes->count++] = entries.names[i];
        else
            free(entries.names[i]);
        free(path);
    }
    if (classes->count == 0) {
        free(classes->names);
        classes->names = NULL;
        return cnn_error_set(err,
                             "imagefolder: '%s' holds no class folders: "
                             IMAGEFOLDER_LAYOUT_HINT, dir);
    }
    return 0;
}

static int has_jpeg_extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".jpg") == 0
                   || strcasecmp(dot, ".jpeg") == 0);
}

void imagefolder_listing_free(struct imagefolder_listing *listing)
{
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++) {
        struct imagefolder_list *list = &listing->splits[s];
        for (int i = 0; i < list->count; i++)
            free(list->files[i].path);
        free(list->files);
    }
    for (int k = 0; k < listing->classes; k++)
        free(listing->class_names[k]);
    free(listing->class_names);
    memset(listing, 0, sizeof *listing);
}

int imagefolder_list_add(struct imagefolder_list *list,
                         const struct imagefolder_file *file,
                         struct cnn_error *err)
{
    if (list->count == list->capacity) {
        int grown = list->capacity ? list->capacity * 2 : 256;
        struct imagefolder_file *bigger =
            realloc(list->files, (size_t)grown * sizeof *bigger);
        if (!bigger)
            return cnn_error_set(err, "imagefolder: out of memory listing "
                                 "%d files", list->count);
        list->files = bigger;
        list->capacity = grown;
    }
    list->files[list->count++] = *file;
    return 0;
}

/* Adds the JPEG files of one class folder; `prefix` is the length of
 * "root/", where the relative paths start. */
static int scan_class(const struct imagefolder_settings *settings,
                      const char *dir, size_t prefix, int label,
                      struct imagefolder_list *list, int *skipped,
                      struct cnn_error *err)
{
    struct name_list entries;
    if (list_directory(dir, &entries, err) != 0)
        return -1;
    int status = 0, found = 0;
    for (int i = 0; i < entries.count && status == 0; i++) {
        struct imagefolder_file file = {0};
        struct stat info;
        file.path = join(dir, entries.names[i], err);
        if (!file.path) {
            status = -1;
            break;
        }
        struct cnn_error why = {0};
        if (stat(file.path, &info) != 0) {
            int error = errno;
            /* A symbolic link to nothing, or a loop of them. */
            int broken_link = error == ENOENT || error == ELOOP;
            if (settings->skip_errors && broken_link)
                ++*skipped;
            else
                status = cnn_error_set(
                    err, "imagefolder: cannot read '%s': %s%s", file.path,
                    strerror(error),
                    broken_link ? " (a symbolic link to nothing, or a loop "
                                  "of them): fix or remove it, or set "
                                  "data.on_error: skip"
                                : "");
        } else if (S_ISDIR(info.st_mode)) {
            status = cnn_error_set(err,
                                   "imagefolder: '%s' is a folder inside a "
                                   "class folder: images must sit directly "
                                   "in their class folder (%s)",
                                   file.path, IMAGEFOLDER_LAYOUT_HINT);
        } else if (!S_ISREG(info.st_mode)
                   && cnn_input_check(file.path, &why) != 0) {
            /* A FIFO would block the decoder's open forever. */
            if (settings->skip_errors)
                ++*skipped;
            else
                status = cnn_error_set(err,
                                       "imagefolder: %s (or set "
                                       "data.on_error: skip to leave it out)",
                                       why.message);
        } else if (!has_jpeg_extension(entries.names[i])) {
            if (settings->skip_errors)
                ++*skipped;
            else
                status = cnn_error_set(err,
                                       "imagefolder: '%s' is not named .jpg "
                                       "or .jpeg: only JPEG images are read; "
                                       "convert it, move it out of the class "
                                       "folder, or set data.on_error: skip",
                                       file.path);
        } else {
            file.relative = file.path + prefix;
            file.size = (long long)info.st_size;
            file.mtime_seconds = (long long)info.st_mtim.tv_sec;
            file.mtime_nanoseconds = (long)info.st_mtim.tv_nsec;
            file.label = label;
            status = imagefolder_list_add(list, &file, err);
            if (status == 0) {
                found++;
                continue; /* the list owns the path now */
            }
        }
        free(file.path);
    }
    names_free(&entries);
    if (status == 0 && found == 0)
        return cnn_error_set(err,
                             "imagefolder: the class folder '%s' holds no "
                             ".jpg or .jpeg files: add images, or remove the "
                             "class from every split",
                             dir);
    return status;
}

/* Both lists are sorted: the first name in one but not the other. */
static int check_same_classes(const struct name_list *reference,
                              const char *reference_dir,
                              const struct name_list *classes,
                              const char *dir, struct cnn_error *err)
{
    int i = 0, j = 0;
    while (i < reference->count || j < classes->count) {
        int order = i == reference->count ? 1
                  : j == classes->count
                      ? -1
                      : strcmp(reference->names[i], classes->names[j]);
        if (order < 0)
            return cnn_error_set(err,
                                 "imagefolder: class '%s' is in '%s' but not "
                                 "in '%s': every split needs the same class "
                                 "folders",
                                 reference->names[i], reference_dir, dir);
        if (order > 0)
            return cnn_error_set(err,
                                 "imagefolder: class '%s' is in '%s' but not "
                                 "in '%s': every split needs the same class "
                                 "folders",
                                 classes->names[j], dir, reference_dir);
        i++;
        j++;
    }
    return 0;
}

/* Scans split folder `dir` (root itself in the flat layout) into `list`,
 * checking its classes against the listing's. */
static int scan_split(const struct imagefolder_settings *settings,
                      const char *dir, const char *train_dir,
                      struct imagefolder_listing *listing,
                      struct imagefolder_list *list, struct cnn_error *err)
{
    struct name_list classes;
    if (list_classes(dir, &classes, err) != 0)
        return -1;
    int status = 0;
    if (listing->class_names) {
        struct name_list reference = {listing->class_names,
                                      listing->classes};
        status = check_same_classes(&reference, train_dir, &classes, dir,
                                    err);
    }
    size_t prefix = strlen(settings->root) + 1;
    for (int k = 0; k < classes.count && status == 0; k++) {
        char *class_dir = join(dir, classes.names[k], err);
        status = class_dir ? scan_class(settings, class_dir, prefix, k, list,
                                        &listing->skipped, err)
                           : -1;
        free(class_dir);
    }
    if (status == 0 && !listing->class_names) {
        listing->class_names = classes.names;
        listing->classes = classes.count;
        return 0;
    }
    names_free(&classes);
    return status;
}

static int check_root(const char *root, struct cnn_error *err)
{
    struct stat info;
    if (!root || !*root)
        return cnn_error_set(err, "imagefolder: data.root is empty: "
                             IMAGEFOLDER_LAYOUT_HINT);
    if (stat(root, &info) != 0)
        return cnn_error_set(err, "imagefolder: data root '%s' does not exist "
                             "(%s): " IMAGEFOLDER_LAYOUT_HINT,
                             root, strerror(errno));
    if (!S_ISDIR(info.st_mode))
        return cnn_error_set(err, "imagefolder: data root '%s' is not a "
                             "folder: " IMAGEFOLDER_LAYOUT_HINT, root);
    return 0;
}

int imagefolder_scan(const struct imagefolder_settings *settings,
                     struct imagefolder_listing *listing,
                     struct cnn_error *err)
{
    memset(listing, 0, sizeof *listing);
    if (check_root(settings->root, err) != 0)
        return -1;
    char *dirs[IMAGEFOLDER_SPLITS] = {NULL, NULL, NULL};
    int status = 0;
    for (int s = 0; s < IMAGEFOLDER_SPLITS && status == 0; s++) {
        dirs[s] = join(settings->root, imagefolder_split_names[s], err);
        status = dirs[s] ? 0 : -1;
    }
    int split_layout = status == 0 && is_directory(dirs[IMAGEFOLDER_TRAIN]);
    if (status == 0 && !split_layout
        && (is_directory(dirs[IMAGEFOLDER_VAL])
            || is_directory(dirs[IMAGEFOLDER_TEST])))
        status = cnn_error_set(err,
                               "imagefolder: '%s' has a val or test folder "
                               "but no train folder: "
                               IMAGEFOLDER_LAYOUT_HINT,
                               settings->root);
    if (status == 0 && !split_layout) {
        status = scan_split(settings, settings->root, NULL, listing,
                            &listing->splits[IMAGEFOLDER_TRAIN], err);
        listing->carved[IMAGEFOLDER_VAL] = listing->carved[IMAGEFOLDER_TEST] = 1;
    }
    for (int s = 0; split_layout && s < IMAGEFOLDER_SPLITS && status == 0;
         s++) {
        if (s != IMAGEFOLDER_TRAIN && !is_directory(dirs[s])) {
            listing->carved[s] = 1;
            continue;
        }
        status = scan_split(settings, dirs[s], dirs[IMAGEFOLDER_TRAIN],
                            listing, &listing->splits[s], err);
    }
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++)
        free(dirs[s]);
    if (status != 0)
        imagefolder_listing_free(listing);
    return status;
}
