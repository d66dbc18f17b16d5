/* cnnlab — manifests: a YAML file, a profile and command-line overrides
 * resolved into one tree per variant. */
#ifndef CNNLAB_MANIFEST_H
#define CNNLAB_MANIFEST_H

#include "cnnlab/node.h"

/* Where a variant's model comes from when it says `model: {from: ...}`
 * (manifest_from.c): that manifest's variant, whose results hold the
 * weights. */
struct cnn_model_source {
    char *path;               /* the manifest file, as found */
    char *experiment;         /* its name: results/<experiment>/ */
    char *variant;            /* its variant: .../<variant>/ */
    struct cnn_mark mark;     /* the `from:` value, for errors */
};

struct cnn_variant {
    char *name;               /* "main" for a manifest without variants */
    struct cnn_node *resolved; /* base ⊕ variant ⊕ profile ⊕ overrides,
                                  then model.from resolved */
    struct cnn_model_source *source; /* NULL without model.from */
};

struct cnn_manifest {
    char *path;
    char *name;               /* `name:`, or the file's stem */
    char *profile;            /* the profile applied (NULL: none); a
                                 model.from source gets the same */
    struct cnn_node *root;    /* the file as written */
    int variant_count;
    struct cnn_variant *variants;
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

/* Keeps only the variant named `name`; error listing the names when none
 * matches. */
int cnn_manifest_select_variant(struct cnn_manifest *manifest,
                                const char *name, struct cnn_error *err);

void cnn_manifest_free(struct cnn_manifest *manifest);

#endif
