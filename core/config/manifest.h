/* cnnlab — manifests: a YAML file, a profile and command-line overrides
 * resolved into one tree per variant. */
#ifndef CNNLAB_MANIFEST_H
#define CNNLAB_MANIFEST_H

#include <stdint.h>

#include "cnnlab/node.h"

/* Where a variant's model comes from when it says `model: {from: ...}`
 * (manifest_from.c): that manifest's variant, whose results hold the
 * weights. */
struct cnn_model_source {
    char *path;               /* the manifest file, as found */
    char *experiment;         /* its name: results/<experiment>/ */
    char *variant;            /* its variant: .../<variant>/ */
    char *run;                /* the run below results/<experiment>/: the
                                 variant, or <variant>/seed-<s> when the
                                 source repeats its variants (`seeds:`) */
    int repeated;             /* 1: `seed` says which of its seeds */
    uint64_t seed;
    struct cnn_mark mark;     /* the `from:` value, for errors */
    /* `model: {weights: {variant: V}}` (manifest_sibling.c): the weights
     * of variant V of this experiment, the same seed; the model is this
     * variant's own. `resolved` is V's run as this manifest resolved it
     * (with the overrides), `next` where V's own weights come from: what
     * runs V when its checkpoint is missing. */
    int sibling;
    struct cnn_node *resolved;
    struct cnn_model_source *next;
};

/* One run of the experiment. Without `seeds:`/`repeats:` a variant is one
 * run; with them it is one run per seed, consecutive entries of the same
 * name in seed order, each with its own resolved tree (`seed: S` in place
 * of `seeds:`, and data.split_seed set). */
struct cnn_variant {
    char *name;               /* "main" for a manifest without variants */
    struct cnn_node *resolved; /* base ⊕ variant ⊕ profile ⊕ overrides,
                                  then model.from resolved, then this
                                  run's seed */
    struct cnn_model_source *source; /* NULL without model.from */
    int repeated;             /* 1: one seed of a repeated variant */
    uint64_t seed;            /* that seed (repeated only) */
    int seed_index;           /* its place in manifest->seeds; 0 when not
                                 repeated */
    char *path;               /* its run directory below
                                 results/<experiment>/: the name, or
                                 <name>/seed-<seed> when repeated */
};

/* The seed a repeated experiment's runs draw their data split from when
 * data.split_seed is not given (run_config.c: without `seeds:` it is the
 * run's `seed:`, so that split never moved). */
#define CNN_DEFAULT_SPLIT_SEED 1

struct cnn_manifest {
    char *path;
    char *name;               /* `name:`, or the file's stem */
    char *profile;            /* the profile applied (NULL: none); a
                                 model.from source gets the same */
    struct cnn_node *root;    /* the file as written */
    int variant_count;        /* runs: variants × seeds */
    struct cnn_variant *variants;
    /* `seeds: [...]` or `repeats: N` (seeds 1..N): every variant runs once
     * per seed, in its own results/<experiment>/<variant>/seed-<s>/.
     * 0 and NULL without them: one run per variant in
     * results/<experiment>/<variant>/. */
    int seed_count;
    uint64_t *seeds;
};

/* Loads and resolves. `profile` may be NULL; overrides are "a.b=value". A
 * profile that does not exist, an unknown top-level key, a bad variant
 * name (it becomes a directory: letters, digits, '.', '_', '-', not
 * starting with '.') or a duplicate variant is an error with its place. */
int cnn_manifest_load(struct cnn_manifest *manifest, const char *path,
                      const char *profile, const char *const *overrides,
                      int override_count, struct cnn_error *err);

/* The manifests being loaded because one's model.from names the next,
 * innermost first: what finds a cycle. */
struct cnn_manifest_chain {
    const char *path;         /* canonical (realpath) */
    const struct cnn_manifest_chain *outer;
};

/* cnn_manifest_load for a model.from source: `chain` lists the manifests
 * that lead to it. */
int cnn_manifest_load_chain(struct cnn_manifest *manifest, const char *path,
                            const char *profile,
                            const char *const *overrides, int override_count,
                            const struct cnn_manifest_chain *chain,
                            struct cnn_error *err);

/* Resolves `model: {from: NAME, variant: V}` in every variant of a loaded
 * manifest (manifest_from.c; cnn_manifest_load calls it): the model
 * becomes the source's resolved model (input, layers) with `from` and
 * `variant` kept as a record, variant->source says where the weights
 * are, and train.epochs defaults to 0. */
int cnn_manifest_resolve_sources(struct cnn_manifest *manifest,
                                 const struct cnn_manifest_chain *chain,
                                 struct cnn_error *err);

void cnn_model_source_free(struct cnn_model_source *source);

/* Keeps only the variant named `name` (each of its seeds); error listing
 * the names when none matches. */
int cnn_manifest_select_variant(struct cnn_manifest *manifest,
                                const char *name, struct cnn_error *err);

/* Keeps only the runs of seed `seed` (`--seed`); an error when the
 * manifest has no `seeds:`/`repeats:` or not this seed, listing them. */
int cnn_manifest_select_seed(struct cnn_manifest *manifest, uint64_t seed,
                             struct cnn_error *err);

/* 1 when run `index` is its variant's first (the one to describe where
 * the seed does not matter: check's plan, summary, rf). */
int cnn_manifest_first_of_variant(const struct cnn_manifest *manifest,
                                  int index);

/* The number of distinct variants (runs / seeds). */
int cnn_manifest_variant_names(const struct cnn_manifest *manifest);

/* "1, 2, 3" (cut with "..." when it does not fit). */
void cnn_manifest_format_seeds(const struct cnn_manifest *manifest,
                               char *text, size_t size);

/* Resolves `model: {weights: {variant: V}}` in every run of a loaded
 * manifest (manifest_sibling.c; cnn_manifest_load calls it once the
 * seeds are expanded): V must be another variant listed before this one,
 * and the run's source becomes V's run of the same seed (a sibling). */
int cnn_manifest_resolve_siblings(struct cnn_manifest *manifest,
                                  struct cnn_error *err);

/* Duplicates a model.from record (NULL gives NULL, as does no memory:
 * check `source` against it). */
struct cnn_model_source *cnn_model_source_clone(
    const struct cnn_model_source *source);

void cnn_manifest_free(struct cnn_manifest *manifest);

#endif
