/* cnnlab — imagefolder: the seeded parts of a listing. Splits without a
 * folder are carved from the training files class by class (so every class
 * keeps its share), and a limit keeps a class-balanced seeded subset. Both
 * draw from their own rng streams of the data's seed (data.split_seed: the
 * run's seed unless the manifest repeats with seeds:), and keep the chosen
 * files in listing order (class, then name), so the result depends only on
 * the folder's contents and the seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/rng.h"
#include "imagefolder.h"

/* rng streams, apart from every other use of the seed: "ifcarve",
 * and "iflimit" plus the split. */
#define CARVE_STREAM UINT64_C(0x6966636172766500)
#define LIMIT_STREAM UINT64_C(0x69666c696d697400)

/* The files of a class are contiguous in a list: [*begin, *end). */
static void class_range(const struct imagefolder_list *list, int label,
                        int from, int *begin, int *end)
{
    int i = from;
    while (i < list->count && list->files[i].label != label)
        i++;
    *begin = i;
    while (i < list->count && list->files[i].label == label)
        i++;
    *end = i;
}

static int share_of(double amount, int count)
{
    return amount < 1.0 ? (int)floor(amount * count + 0.5) : (int)amount;
}

static int check_amount(const char *name, double amount, struct cnn_error *err)
{
    if (amount >= 1.0 && amount != floor(amount))
        return cnn_error_set(err,
                             "imagefolder: data.%s = %g: give a fraction "
                             "below 1 (of each class's images) or a whole "
                             "count (images per class)",
                             name, amount);
    return 0;
}

/* A split that has its own folder takes nothing from the parameters. */
static int check_unused(const struct imagefolder_settings *settings,
                        const struct imagefolder_listing *listing,
                        struct cnn_error *err)
{
    int explicit_value[2] = {settings->val_explicit, settings->test_explicit};
    int split[2] = {IMAGEFOLDER_VAL, IMAGEFOLDER_TEST};
    for (int i = 0; i < 2; i++)
        if (explicit_value[i] && !listing->carved[split[i]])
            return cnn_error_set(err,
                                 "imagefolder: data.%s is set, but '%s/%s' "
                                 "exists and is the %s split: remove "
                                 "data.%s (it only sizes a split that has "
                                 "no folder)",
                                 imagefolder_split_names[split[i]],
                                 settings->root,
                                 imagefolder_split_names[split[i]],
                                 imagefolder_split_names[split[i]],
                                 imagefolder_split_names[split[i]]);
    return 0;
}

/* Deals class k's files [begin, end) of `train`: `where` gets the split
 * each goes to. */
static int carve_class(const struct imagefolder_listing *listing,
                       const struct imagefolder_settings *settings, int label,
                       int count, int *order, int *where,
                       struct cnn_rng *rng, struct cnn_error *err)
{
    int val = listing->carved[IMAGEFOLDER_VAL]
                  ? share_of(settings->val, count) : 0;
    int test = listing->carved[IMAGEFOLDER_TEST]
                   ? share_of(settings->test, count) : 0;
    if (val + test >= count)
        return cnn_error_set(err,
                             "imagefolder: class '%s' has %d training images; "
                             "taking %d for val and %d for test leaves none "
                             "to train on: lower data.val or data.test",
                             listing->class_names[label], count, val, test);
    for (int i = 0; i < count; i++)
        order[i] = i;
    cnn_rng_shuffle(rng, order, (size_t)count);
    for (int i = 0; i < count; i++)
        where[order[i]] = i < val          ? IMAGEFOLDER_VAL
                        : i < val + test   ? IMAGEFOLDER_TEST
                                           : IMAGEFOLDER_TRAIN;
    return 0;
}

int imagefolder_carve(const struct imagefolder_settings *settings,
                      uint64_t seed, struct imagefolder_listing *listing,
                      struct cnn_error *err)
{
    if (check_unused(settings, listing, err) != 0
        || check_amount("val", settings->val, err) != 0
        || check_amount("test", settings->test, err) != 0)
        return -1;
    if (!listing->carved[IMAGEFOLDER_VAL] && !listing->carved[IMAGEFOLDER_TEST])
        return 0;
    struct imagefolder_list *train = &listing->splits[IMAGEFOLDER_TRAIN];
    struct imagefolder_list kept = {0};
    int count = train->count;
    int *order = malloc(((size_t)count + 1) * sizeof *order);
    int *where = malloc(((size_t)count + 1) * sizeof *where);
    if (!order || !where) {
        free(order);
        free(where);
        return cnn_error_set(err, "imagefolder: out of memory splitting %d "
                             "files", count);
    }
    struct cnn_rng rng;
    cnn_rng_seed_stream(&rng, seed, CARVE_STREAM);
    int status = 0, begin, end = 0;
    for (int k = 0; k < listing->classes && status == 0; k++) {
        class_range(train, k, end, &begin, &end);
        status = carve_class(listing, settings, k, end - begin, order,
                             where + begin, &rng, err);
    }
    for (int i = 0; i < count && status == 0; i++) {
        struct imagefolder_list *to =
            where[i] == IMAGEFOLDER_TRAIN ? &kept : &listing->splits[where[i]];
        status = imagefolder_list_add(to, &train->files[i], err);
        if (status == 0)
            train->files[i].path = NULL; /* moved */
    }
    if (status == 0) {
        free(train->files);
        *train = kept;
    } else {
        /* Paths already moved stay owned by their new list; the rest, and
         * the moved entries' slots in `kept`, are freed with the listing. */
        for (int i = 0; i < kept.count; i++)
            free(kept.files[i].path);
        free(kept.files);
    }
    free(order);
    free(where);
    return status;
}

/* Marks in `chosen` the files a limit keeps from one split. */
static int choose(const struct imagefolder_list *list, int classes,
                  long limit, struct cnn_rng *rng, char *chosen,
                  struct cnn_error *err)
{
    int *order = malloc(((size_t)list->count + 1) * sizeof *order);
    int *begin = malloc(((size_t)classes + 1) * sizeof *begin);
    int *size = malloc(((size_t)classes + 1) * sizeof *size);
    if (!order || !begin || !size) {
        free(order);
        free(begin);
        free(size);
        return cnn_error_set(err, "imagefolder: out of memory");
    }
    int end = 0, largest = 0;
    for (int k = 0; k < classes; k++) {
        class_range(list, k, end, &begin[k], &end);
        size[k] = end - begin[k];
        largest = size[k] > largest ? size[k] : largest;
        for (int i = begin[k]; i < end; i++)
            order[i] = i;
        cnn_rng_shuffle(rng, order + begin[k], (size_t)size[k]);
    }
    long taken = 0;
    for (int round = 0; round < largest && taken < limit; round++)
        for (int k = 0; k < classes && taken < limit; k++)
            if (round < size[k]) {
                chosen[order[begin[k] + round]] = 1;
                taken++;
            }
    free(order);
    free(begin);
    free(size);
    return 0;
}

int imagefolder_limit(struct imagefolder_listing *listing, long limit,
                      uint64_t seed, struct cnn_error *err)
{
    for (int s = 0; s < IMAGEFOLDER_SPLITS && limit > 0; s++) {
        struct imagefolder_list *list = &listing->splits[s];
        if (list->count <= limit)
            continue;
        char *chosen = calloc((size_t)list->count, 1);
        if (!chosen)
            return cnn_error_set(err, "imagefolder: out of memory");
        struct cnn_rng rng;
        cnn_rng_seed_stream(&rng, seed, LIMIT_STREAM + (uint64_t)s);
        if (choose(list, listing->classes, limit, &rng, chosen, err) != 0) {
            free(chosen);
            return -1;
        }
        int kept = 0;
        for (int i = 0; i < list->count; i++) {
            if (chosen[i])
                list->files[kept++] = list->files[i];
            else
                free(list->files[i].path);
        }
        list->count = kept;
        free(chosen);
    }
    return 0;
}

/* One split's files of the kept classes, in the subset's class order. */
static int keep_split_classes(struct imagefolder_list *list,
                              const struct loaders_label_subset *subset,
                              struct cnn_error *err)
{
    struct imagefolder_file *kept =
        malloc(((size_t)list->count + 1) * sizeof *kept);
    if (!kept)
        return cnn_error_set(err, "imagefolder: out of memory keeping the "
                             "classes of data.labels");
    int count = 0, begin, end;
    for (int k = 0; k < subset->count; k++) {
        class_range(list, subset->labels[k], 0, &begin, &end);
        for (int i = begin; i < end; i++) {
            kept[count] = list->files[i];
            kept[count++].label = k;
            list->files[i].path = NULL; /* moved */
        }
    }
    for (int i = 0; i < list->count; i++)
        free(list->files[i].path);
    free(list->files);
    list->files = kept;
    list->count = count;
    list->capacity = list->count + 1;
    return 0;
}

int imagefolder_keep_classes(struct imagefolder_listing *listing,
                             const struct loaders_label_subset *subset,
                             struct cnn_error *err)
{
    if (subset->count == 0)
        return 0;
    char **names = malloc((size_t)subset->count * sizeof *names);
    if (!names)
        return cnn_error_set(err, "imagefolder: out of memory keeping the "
                             "classes of data.labels");
    for (int s = 0; s < IMAGEFOLDER_SPLITS; s++)
        if (keep_split_classes(&listing->splits[s], subset, err) != 0) {
            free(names);
            return -1;
        }
    for (int k = 0; k < subset->count; k++) {
        names[k] = listing->class_names[subset->labels[k]];
        listing->class_names[subset->labels[k]] = NULL; /* moved */
    }
    for (int k = 0; k < listing->classes; k++)
        free(listing->class_names[k]);
    free(listing->class_names);
    listing->class_names = names;
    listing->classes = subset->count;
    return 0;
}
