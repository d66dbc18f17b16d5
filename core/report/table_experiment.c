/* cnnlab — results/<experiment>/experiment.yaml, which `cnnlab run`
 * writes for `cnnlab table`: the variants in manifest order, each with
 * the fingerprint of its resolved manifest, and the `table:` settings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "cnnlab/atomic_file.h"
#include "report/table.h"

static struct cnn_node *scalar(const char *text)
{
    return cnn_node_new_scalar(text, (struct cnn_mark){0});
}

/* FNV-1a of the tree as cnn_node_write writes it. */
static int digest_of(const struct cnn_node *tree,
                     char digest[CNN_TABLE_DIGEST_SIZE],
                     struct cnn_error *err)
{
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (!stream)
        return cnn_error_set(err, "out of memory");
    int status = cnn_node_write(tree, stream);
    if (fclose(stream) != 0 || status < 0) {
        free(text);
        return cnn_error_set(err, "cannot format a resolved manifest");
    }
    uint64_t hash = 14695981039346656037ULL;
    for (size_t i = 0; i < length; i++) {
        hash ^= (unsigned char)text[i];
        hash *= 1099511628211ULL;
    }
    free(text);
    snprintf(digest, CNN_TABLE_DIGEST_SIZE, "%016llx",
             (unsigned long long)hash);
    return 0;
}

int cnn_table_digest(const struct cnn_node *resolved,
                     char digest[CNN_TABLE_DIGEST_SIZE],
                     struct cnn_error *err)
{
    if (!cnn_node_get(resolved, "table"))
        return digest_of(resolved, digest, err);
    struct cnn_node *tree = cnn_node_clone(resolved);
    if (!tree)
        return cnn_error_set(err, "out of memory");
    cnn_node_map_remove(tree, "table");
    int status = digest_of(tree, digest, err);
    cnn_node_free(tree);
    return status;
}

int cnn_table_digest_whole(const struct cnn_node *resolved,
                           char digest[CNN_TABLE_DIGEST_SIZE],
                           struct cnn_error *err)
{
    return digest_of(resolved, digest, err);
}

/* [{name: N, [seed: S,] manifest: DIGEST}, ...] in manifest order, a
 * variant's seeds in turn. */
static struct cnn_node *variant_entries(const struct cnn_manifest *manifest,
                                        struct cnn_error *err)
{
    struct cnn_mark none = {0};
    struct cnn_node *list = cnn_node_new_sequence(none);
    if (!list) {
        cnn_error_set(err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < manifest->variant_count; i++) {
        char digest[CNN_TABLE_DIGEST_SIZE];
        if (cnn_table_digest(manifest->variants[i].resolved, digest, err) <
            0) {
            cnn_node_free(list);
            return NULL;
        }
        /* map_set and append take ownership, also when they fail. */
        const struct cnn_variant *run = &manifest->variants[i];
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->seed);
        struct cnn_node *entry = cnn_node_new_map(none);
        int ok = cnn_node_map_set(entry, "name", none, scalar(run->name)) ==
                     0 &&
                 (!run->repeated ||
                  cnn_node_map_set(entry, "seed", none, scalar(seed)) == 0) &&
                 cnn_node_map_set(entry, "manifest", none, scalar(digest)) ==
                     0;
        if (!ok)
            cnn_node_free(entry);
        if (!ok || cnn_node_sequence_append(list, entry) < 0) {
            cnn_node_free(list);
            cnn_error_set(err, "out of memory");
            return NULL;
        }
    }
    return list;
}

int cnn_table_write_experiment(const struct cnn_manifest *manifest,
                               const char *out_directory,
                               struct cnn_error *err)
{
    /* Every variant resolves `table:` the same way (a variant may not set
     * it), so the first one's carries the profile and the overrides. */
    const struct cnn_node *settings =
        manifest->variant_count > 0
            ? cnn_node_get(manifest->variants[0].resolved, "table")
            : NULL;
    struct cnn_mark none = {0};
    struct cnn_node *names = variant_entries(manifest, err);
    if (!names)
        return -1;
    /* map_set takes ownership of the value, also when it fails. */
    struct cnn_node *root = cnn_node_new_map(none);
    int ok = cnn_node_map_set(root, "experiment", none,
                              scalar(manifest->name)) == 0 &&
             cnn_node_map_set(root, "manifest", none,
                              scalar(manifest->path)) == 0;
    /* A NULL map frees `names` too, so it never leaks. */
    ok = cnn_node_map_set(ok ? root : NULL, "variants", none, names) == 0;
    if (ok && settings)
        ok = cnn_node_map_set(root, "table", none, cnn_node_clone(settings)) ==
             0;
    int status = ok ? 0 : cnn_error_set(err, "out of memory");
    char *directory = cnn_path_join(out_directory, manifest->name);
    char *file =
        directory ? cnn_path_join(directory, "experiment.yaml") : NULL;
    if (status == 0 && !file)
        status = cnn_error_set(err, "out of memory");
    struct cnn_atomic_file out;
    if (status == 0 && cnn_atomic_open(&out, file, err) == 0) {
        fputs("# written by `cnnlab run`: the variant order and table "
              "settings for `cnnlab table`\n",
              out.stream);
        if (cnn_node_write(root, out.stream) < 0) {
            cnn_atomic_abort(&out);
            status = cnn_error_set(err, "cannot format '%s'", file);
        } else {
            status = cnn_atomic_commit(&out, err);
        }
    } else if (status == 0) {
        status = -1;
    }
    free(file);
    free(directory);
    cnn_node_free(root);
    return status;
}
