/* cnnlab — manifests: a YAML file, a profile and command-line overrides
 * resolved into one tree per variant. */
#ifndef CNNLAB_MANIFEST_H
#define CNNLAB_MANIFEST_H

#include "cnnlab/node.h"

struct cnn_variant {
    char *name;               /* "main" for a manifest without variants */
    struct cnn_node *resolved; /* base ⊕ variant ⊕ profile ⊕ overrides */
};

struct cnn_manifest {
    char *path;
    char *name;               /* `name:`, or the file's stem */
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

/* Keeps only the variant named `name`; error listing the names when none
 * matches. */
int cnn_manifest_select_variant(struct cnn_manifest *manifest,
                                const char *name, struct cnn_error *err);

void cnn_manifest_free(struct cnn_manifest *manifest);

#endif
