/* The imagefolder loader's `labels:` (a class subset: places in the class
 * folders' byte order, renumbered in the listed order): names and labels
 * follow the list in every split, the carved val and test images of a
 * kept class are those it has without the subset, a limit stays balanced
 * over the kept classes, 17 of 20 classes (more than the 16 a number list
 * once held), the refusals, and one auto cache per subset. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "imagefolder-fixtures.h"
#include "test-util.h"

static const struct cnn_loader_type *loader;

/* fixture_load with seed 1. */
static int load(const char *root, long limit, const char *const *extra,
                struct cnn_data *data, struct cnn_error *err)
{
    return fixture_load(loader, root, 1, limit, extra, data, err);
}

static size_t image_bytes(const struct cnn_dataset *set)
{
    return cnn_shape_size(set->shape);
}

/* `count` images of `set` from `first` equal `subset`'s from `at`. */
static int same_images(const struct cnn_dataset *subset, int at,
                       const struct cnn_dataset *set, int first, int count)
{
    size_t bytes = image_bytes(set);
    return at + count <= subset->count && first + count <= set->count
        && memcmp(subset->pixels + (size_t)at * bytes,
                  set->pixels + (size_t)first * bytes,
                  (size_t)count * bytes) == 0;
}

/* The first image of class `label` in `set` and how many it has. */
static int class_span(const struct cnn_dataset *set, int label, int *count)
{
    int first = -1;
    *count = 0;
    for (int n = 0; n < set->count; n++)
        if (set->labels[n] == label) {
            if (first < 0)
                first = n;
            (*count)++;
        }
    return first;
}

/* `classes` folders kind00.. of `per_class` distinct 8 x 8 images. */
static void write_flat_tree(const char *root, int classes, int per_class)
{
    for (int k = 0; k < classes; k++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/kind%02d", root, k);
        fixture_mkdirs(dir);
        for (int i = 0; i < per_class; i++)
            fixture_write_pattern(fixture_path("%s/%02d.jpg", dir, i), 8, 8,
                                  3, per_class * k + i);
    }
}

/* A split layout of classes "C_cls" < "a_cls" < "b_cls" (byte order):
 * two training images each, one in val and one in test. */
static void write_split_tree(const char *root)
{
    const char *splits[3] = {"train", "val", "test"};
    const char *classes[3] = {"C_cls", "a_cls", "b_cls"};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < 3; k++) {
            char dir[1024];
            snprintf(dir, sizeof dir, "%s/%s/%s", root, splits[s], classes[k]);
            fixture_mkdirs(dir);
            for (int i = 0; i < (s == 0 ? 2 : 1); i++)
                fixture_write_pattern(fixture_path("%s/%d.jpg", dir, i), 8, 8,
                                      3, 10 * s + 2 * k + i);
        }
}

/* Each split of `subset` is, in order, the images of classes `kept` of
 * `full` (their listing order kept), labelled 0, 1, ... */
static int is_subset_of(const struct cnn_data *subset,
                        const struct cnn_data *full, const int *kept,
                        int count)
{
    const struct cnn_dataset *parts[3][2] = {
        {&subset->train, &full->train},
        {&subset->val, &full->val},
        {&subset->test, &full->test}};
    for (int s = 0; s < 3; s++) {
        const struct cnn_dataset *mine = parts[s][0], *theirs = parts[s][1];
        int at = 0;
        for (int k = 0; k < count; k++) {
            int size, first = class_span(theirs, kept[k], &size);
            if (first < 0 || !same_images(mine, at, theirs, first, size))
                return 0;
            for (int n = at; n < at + size; n++)
                if (mine->labels[n] != k)
                    return 0;
            at += size;
        }
        if (at != mine->count)
            return 0;
    }
    return 1;
}

static void check_split_layout(const char *base)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/split", base);
    write_split_tree(root);
    struct cnn_data full, subset;
    struct cnn_error err;
    if (!ok(load(root, 0, NULL, &full, &err) == 0, "the split layout loads "
            "(%s)", err.message))
        return;
    const char *pick[] = {"labels=[2, 0]", NULL};
    if (ok(load(root, 0, pick, &subset, &err) == 0,
           "labels: [2, 0] loads (%s)", err.message)) {
        is_int(subset.classes, 2, "two classes kept");
        ok(strcmp(subset.class_names[0], "b_cls") == 0
               && strcmp(subset.class_names[1], "C_cls") == 0,
           "names follow the list: b_cls (place 2) is class 0, C_cls "
           "(place 0) class 1 (got %s, %s)",
           subset.class_names[0], subset.class_names[1]);
        ok(subset.train.count == 4 && subset.val.count == 2
               && subset.test.count == 2,
           "4/2/2 images (got %d/%d/%d)", subset.train.count,
           subset.val.count, subset.test.count);
        static const int kept[2] = {2, 0};
        ok(is_subset_of(&subset, &full, kept, 2),
           "every split holds b_cls's images, then C_cls's, as loaded "
           "without labels, labelled 0 then 1");
        cnn_data_free(&subset);
    }
    cnn_data_free(&full);
}

static void check_carved_layout(const char *base)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/flat", base);
    write_flat_tree(root, 4, 10);
    const char *shares[] = {"val=0.2", "test=2", NULL};
    const char *subset_shares[] = {"val=0.2", "test=2", "labels=[3, 1]",
                                   NULL};
    struct cnn_data full, subset, limited;
    struct cnn_error err;
    if (!ok(load(root, 0, shares, &full, &err) == 0,
            "4 class folders, carved, load (%s)", err.message))
        return;
    if (ok(load(root, 0, subset_shares, &subset, &err) == 0,
           "labels: [3, 1] loads (%s)", err.message)) {
        static const int kept[2] = {3, 1};
        ok(subset.classes == 2 && strcmp(subset.class_names[0], "kind03") == 0
               && strcmp(subset.class_names[1], "kind01") == 0,
           "classes kind03, kind01");
        ok(is_subset_of(&subset, &full, kept, 2),
           "carved train, val and test of kind03 and kind01 are the images "
           "they have without labels (the same seeded carving)");
        cnn_data_free(&subset);
    }
    if (ok(load(root, 4, subset_shares, &limited, &err) == 0,
           "labels with data.limit 4 loads (%s)", err.message)) {
        int first, size;
        first = class_span(&limited.train, 0, &size);
        int size1;
        class_span(&limited.train, 1, &size1);
        ok(limited.train.count == 4 && first == 0 && size == 2 && size1 == 2,
           "the limit keeps 2 + 2 training images of the two kept classes "
           "(got %d: %d and %d)", limited.train.count, size, size1);
        cnn_data_free(&limited);
    }
    cnn_data_free(&full);
}

static void check_many_labels(const char *base)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/twenty", base);
    write_flat_tree(root, 20, 3);
    char setting[256] = "labels=[";
    for (int k = 3; k < 20; k++)
        snprintf(setting + strlen(setting), sizeof setting - strlen(setting),
                 "%d%s", k, k < 19 ? ", " : "]");
    const char *extra[] = {"val=1", "test=1", setting, NULL};
    struct cnn_data data;
    struct cnn_error err;
    if (ok(load(root, 0, extra, &data, &err) == 0,
           "17 labels of 20 classes load (%s)", err.message)) {
        ok(data.classes == 17 && strcmp(data.class_names[0], "kind03") == 0
               && strcmp(data.class_names[16], "kind19") == 0,
           "17 classes, kind03 to kind19");
        ok(data.train.count == 17 && data.val.count == 17
               && data.test.count == 17,
           "one image of each kept class in every split (got %d/%d/%d)",
           data.train.count, data.val.count, data.test.count);
        cnn_data_free(&data);
    }
}

static void expect_refusal(const char *root, const char *labels,
                           const char *expected)
{
    const char *extra[] = {"val=0.2", "test=2", labels, NULL};
    struct cnn_data data;
    struct cnn_error err = {0};
    int status = load(root, 0, extra, &data, &err);
    ok(status != 0 && strstr(err.message, expected)
           && strstr(err.message, "imagefolder"),
       "%s is refused, saying '%s' (%s)", labels, expected, err.message);
    if (status == 0)
        cnn_data_free(&data);
}

static int files_in(const char *dir)
{
    DIR *stream = opendir(dir);
    int count = 0;
    for (struct dirent *entry; stream && (entry = readdir(stream));)
        count += entry->d_name[0] != '.';
    if (stream)
        closedir(stream);
    return count;
}

static void check_auto_cache(const char *base)
{
    char root[1024], xdg[1024], caches[1100];
    snprintf(root, sizeof root, "%s/flat", base);
    snprintf(xdg, sizeof xdg, "%s/xdg", base);
    snprintf(caches, sizeof caches, "%s/cnnlab", xdg);
    fixture_mkdirs(xdg);
    setenv("XDG_CACHE_HOME", xdg, 1);
    const char *every[] = {"cache=auto", NULL};
    const char *task_a[] = {"cache=auto", "labels=[3, 1]", NULL};
    const char *task_b[] = {"cache=auto", "labels=[0, 2]", NULL};
    struct cnn_data a, b, all, again;
    struct cnn_error err;
    int loaded = load(root, 0, task_a, &a, &err) == 0;
    loaded = loaded && load(root, 0, task_b, &b, &err) == 0;
    loaded = loaded && load(root, 0, every, &all, &err) == 0;
    if (!ok(loaded, "cache: auto loads with two subsets and without (%s)",
            err.message))
        return;
    is_int(files_in(caches), 3, "three caches: one per subset, one for "
           "every class");
    if (ok(load(root, 0, task_a, &again, &err) == 0, "labels: [3, 1] "
           "loads again (%s)", err.message)) {
        ok(again.classes == 2 && again.train.count == a.train.count
               && same_images(&again.train, 0, &a.train, 0, a.train.count)
               && same_images(&again.test, 0, &a.test, 0, a.test.count),
           "from its cache, the same images as the first load");
        is_int(files_in(caches), 3, "and no new cache file");
        cnn_data_free(&again);
    }
    cnn_data_free(&a);
    cnn_data_free(&b);
    cnn_data_free(&all);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        loader = cnn_registry_loader(registry, "imagefolder");
        if (ok(loader != NULL, "imagefolder is registered")) {
            char base[256], flat[512];
            snprintf(base, sizeof base, "%s",
                     fixture_temp_root("imagefolder-labels"));
            snprintf(flat, sizeof flat, "%s/flat", base);
            check_split_layout(base);
            check_carved_layout(base);
            check_many_labels(base);
            expect_refusal(flat, "labels=[4, 1]",
                           "4 is not a label of this dataset, whose 4 "
                           "classes");
            expect_refusal(flat, "labels=[1, 1]", "lists class 1 twice");
            expect_refusal(flat, "labels=[2]", "keeps only class 2");
            check_auto_cache(base);
            fixture_remove_tree(base);
        }
    }
    cnn_registry_free(registry);
    return done_testing();
}
