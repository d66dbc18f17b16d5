/* cnnlab — `model: {weights: {variant: V}}`: a run starts from the
 * weights that variant V of the same experiment ended with, V's run of
 * the same seed when the experiment repeats with `seeds:` (so that seed
 * 2's fine-tuning starts from seed 2's pretraining). The model is the
 * run's own (its head may differ: a new head, model_weights.h).
 *
 * V must be listed before the variant that names it: `cnnlab run` trains
 * the variants in order, so V's checkpoint is there when it is needed,
 * and --jobs and Slurm know what waits for what (sweep_local.c,
 * sweep_slurm.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/params.h"
#include "config/manifest.h"

#define NAMES_MAX 128

/* The distinct variant names, for a did-you-mean and the message. */
static int variant_names(const struct cnn_manifest *manifest,
                         const char **names, char *list, size_t size)
{
    int count = 0;
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; i < manifest->variant_count && count < NAMES_MAX; i++) {
        if (!cnn_manifest_first_of_variant(manifest, i))
            continue;
        names[count++] = manifest->variants[i].name;
        if (used < size)
            used += (size_t)snprintf(list + used, size - used, "%s%s",
                                     used ? ", " : "",
                                     manifest->variants[i].name);
    }
    return count;
}

static int unknown_variant(const struct cnn_manifest *manifest,
                           const char *wanted, struct cnn_mark mark,
                           struct cnn_error *err)
{
    const char *names[NAMES_MAX];
    char list[1024];
    int count = variant_names(manifest, names, list, sizeof list);
    const char *guess = cnn_did_you_mean(wanted, names, count);
    return cnn_error_at(err, mark,
                        "model.weights: this experiment has no variant "
                        "'%s'%s%s%s (its variants: %s); {variant: V} starts "
                        "from the weights variant V of this manifest ends "
                        "with",
                        wanted, guess ? "; did you mean '" : "",
                        guess ? guess : "", guess ? "'?" : "", list);
}

/* The variant that `weights` ({variant: V}) names, checked. */
static int sibling_name(const struct cnn_node *weights, const char **name,
                        struct cnn_mark *mark, struct cnn_error *err)
{
    for (int k = 0; k < weights->count; k++)
        if (strcmp(weights->keys[k], "variant") != 0)
            return cnn_error_at(err, weights->key_marks[k],
                                "model.weights: unknown key '%s': the "
                                "weights are a file name, or {variant: V} "
                                "for the weights variant V of this "
                                "experiment ends with",
                                weights->keys[k]);
    const struct cnn_node *variant = cnn_node_get(weights, "variant");
    if (!variant || variant->kind != CNN_NODE_SCALAR || !variant->text[0])
        return cnn_error_at(err, variant ? variant->mark : weights->mark,
                            "model.weights: {variant: V} names one of this "
                            "experiment's variants, e.g. weights: "
                            "{variant: pretrain}");
    *name = variant->text;
    *mark = variant->mark;
    return 0;
}

/* The run of variant `name` with run `index`'s seed, or -1. */
static int find_sibling(const struct cnn_manifest *manifest, int index,
                        const char *name)
{
    const struct cnn_variant *run = &manifest->variants[index];
    for (int i = 0; i < manifest->variant_count; i++) {
        const struct cnn_variant *other = &manifest->variants[i];
        if (strcmp(other->name, name) == 0 &&
            (!run->repeated || other->seed == run->seed))
            return i;
    }
    return -1;
}

static struct cnn_model_source *sibling_record(
    const struct cnn_manifest *manifest, const struct cnn_variant *sibling,
    struct cnn_mark mark)
{
    struct cnn_model_source *record = calloc(1, sizeof *record);
    if (!record)
        return NULL;
    record->sibling = 1;
    record->path = strdup(manifest->path);
    record->experiment = strdup(manifest->name);
    record->variant = strdup(sibling->name);
    record->run = strdup(sibling->path);
    record->repeated = sibling->repeated;
    record->seed = sibling->seed;
    record->mark = mark;
    record->resolved = cnn_node_clone(sibling->resolved);
    record->next = cnn_model_source_clone(sibling->source);
    if (!record->path || !record->experiment || !record->variant ||
        !record->run || !record->resolved ||
        (sibling->source && !record->next)) {
        cnn_model_source_free(record);
        return NULL;
    }
    return record;
}

static int resolve_run(struct cnn_manifest *manifest, int index,
                       struct cnn_error *err)
{
    struct cnn_variant *run = &manifest->variants[index];
    const struct cnn_node *model = cnn_node_get(run->resolved, "model");
    const struct cnn_node *weights =
        model && model->kind == CNN_NODE_MAP ? cnn_node_get(model, "weights")
                                             : NULL;
    if (!weights || weights->kind != CNN_NODE_MAP)
        return 0; /* a file name (model_weights.c), or none */
    const char *name = NULL;
    struct cnn_mark mark = weights->mark;
    if (sibling_name(weights, &name, &mark, err) < 0)
        return -1;
    if (strcmp(name, run->name) == 0)
        return cnn_error_at(err, mark,
                            "model.weights: variant %s cannot start from "
                            "its own weights: name the variant it starts "
                            "from (one listed before it)",
                            name);
    int found = find_sibling(manifest, index, name);
    if (found < 0)
        return unknown_variant(manifest, name, mark, err);
    if (found > index)
        return cnn_error_at(err, mark,
                            "model.weights: variant %s starts from the "
                            "weights of %s, which is listed after it: "
                            "move %s above %s in variants: (variants run "
                            "in order, and a run's starting weights must "
                            "be trained first)",
                            run->name, name, name, run->name);
    run->source = sibling_record(manifest, &manifest->variants[found], mark);
    if (!run->source)
        return cnn_error_set(err, "out of memory");
    return 0;
}

int cnn_manifest_resolve_siblings(struct cnn_manifest *manifest,
                                  struct cnn_error *err)
{
    for (int i = 0; i < manifest->variant_count; i++)
        if (resolve_run(manifest, i, err) < 0) {
            if (manifest->variant_count > 1)
                cnn_error_prefix(err, "variant %s: ",
                                 manifest->variants[i].name);
            return -1;
        }
    return 0;
}
