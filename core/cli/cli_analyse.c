/* cnnlab — `cnnlab analyse MANIFEST`: reruns the manifest's analyses on
 * the results a `cnnlab run` left (model.safetensors, metrics.csv,
 * epoch-seconds.csv), with the data loaded again, without training. An
 * analysis added to the manifest after the run is the usual reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "cli/cli.h"
#include "cli/cli_validate.h"
#include "run/runner.h"

static void print_note(void *user, const char *text)
{
    (void)user;
    fflush(stdout);
    fprintf(stderr, "cnnlab: %s\n", text);
}

/* The first top-level key whose value differs, for the message. */
static const char *differing_key(const struct cnn_node *a,
                                 const struct cnn_node *b)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct cnn_node *from = pass ? b : a, *to = pass ? a : b;
        for (int i = 0; from->kind == CNN_NODE_MAP && i < from->count; i++)
            if (!cnn_node_equal(from->items[i],
                                cnn_node_get(to, from->keys[i])))
                return from->keys[i];
    }
    return "the order of keys";
}

/* The results must come from this very manifest: only `analyses:` may
 * have changed since (adding one is what this command is for). */
static int check_same_manifest(const char *directory,
                               const struct cnn_node *resolved,
                               struct cnn_error *err)
{
    char path[4096];
    if (cnn_path_format(path, sizeof path, err, "%s/manifest.yaml",
                        directory) < 0)
        return -1;
    struct cnn_node *previous = NULL;
    if (cnn_node_load_file(path, &previous, err) < 0)
        return cnn_error_prefix(err, "no usable results in '%s': ",
                                directory);
    struct cnn_node *current = cnn_node_clone(resolved);
    int status = 0;
    if (!current) {
        status = cnn_error_set(err, "out of memory");
    } else {
        cnn_node_map_remove(previous, "analyses");
        cnn_node_map_remove(current, "analyses");
        if (!cnn_node_equal(previous, current))
            status = cnn_error_set(
                err,
                "the results in '%s' were made from another manifest "
                "('%s' differs; only 'analyses' may change): run the "
                "variant again with `cnnlab run`, or give the same "
                "--profile and KEY=VALUE overrides",
                directory, differing_key(previous, current));
    }
    cnn_node_free(previous);
    cnn_node_free(current);
    return status;
}

static int analyse_in_directory(const struct cnn_manifest *manifest,
                                const struct cnn_variant *variant,
                                const struct cnn_run_config *config,
                                struct cnn_model *model,
                                const char *directory, int *failed,
                                struct cnn_error *err)
{
    struct stat info;
    if (stat(directory, &info) < 0 || !S_ISDIR(info.st_mode))
        return cnn_error_set(err, "no results in '%s': run the variant with "
                                  "`cnnlab run` first (with the same --out)",
                             directory);
    if (check_same_manifest(directory, variant->resolved, err) < 0)
        return -1;
    struct cnn_run_observer observer = {.note = print_note};
    if (cnn_run_reanalyse(manifest, variant, config, model, directory,
                          &observer, NULL, failed, err) < 0)
        return -1;
    printf("%s/%s: %d of %d analyses written to %s\n", manifest->name,
           variant->path, config->analyses.count - *failed,
           config->analyses.count, directory);
    return 0;
}

static int analyse_variant(const struct cnn_registry *registry,
                           const struct cnn_cli_options *options,
                           const struct cnn_manifest *manifest,
                           const struct cnn_variant *variant, int *failed,
                           struct cnn_error *err)
{
    struct cnn_run_config config;
    struct cnn_model model;
    if (cnn_cli_validate_variant(registry, variant, &config, &model, err) < 0)
        return -1;
    int status = 0;
    if (config.analyses.count == 0)
        status = cnn_error_set(err,
                               "%s lists no analyses for variant %s: add "
                               "e.g. `analyses: [summary, classwise, "
                               "curves, timing]`",
                               manifest->path, variant->name);
    model.context.threads = config.threads;
    if (status == 0 && config.device_type)
        status = cnn_model_use_device(&model, config.device_type,
                                      &config.device_options, err);
    if (status == 0)
        status = cnn_model_allocate(&model, config.seed, err);
    if (status == 0) {
        char directory[2048];
        status = cnn_path_format(directory, sizeof directory, err,
                                 "%s/%s/%s", options->out_directory,
                                 manifest->name, variant->path);
        if (status == 0)
            status = analyse_in_directory(manifest, variant, &config, &model,
                                          directory, failed, err);
    }
    cnn_model_free(&model);
    cnn_run_config_free(&config);
    return status;
}

int cnn_cli_analyse(struct cnn_registry *registry,
                    const struct cnn_cli_options *options)
{
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    if (cnn_cli_load_manifest(registry, options, &manifest, &err) < 0) {
        cnn_cli_report(&err);
        return CNN_EXIT_USAGE;
    }
    /* A manifest mistake (an unknown analysis) is a usage error, found
     * before any variant is touched. */
    for (int i = 0; i < manifest.variant_count; i++) {
        struct cnn_run_config config;
        struct cnn_model model;
        if (cnn_cli_validate_variant(registry, &manifest.variants[i],
                                     &config, &model, &err) < 0) {
            if (manifest.variant_count > 1)
                cnn_error_prefix(&err, "variant %s: ",
                                 manifest.variants[i].path);
            cnn_cli_report(&err);
            cnn_manifest_free(&manifest);
            return CNN_EXIT_USAGE;
        }
        cnn_model_free(&model);
        cnn_run_config_free(&config);
    }
    int status = CNN_EXIT_OK;
    for (int i = 0; i < manifest.variant_count; i++) {
        struct cnn_error variant_error = {0};
        int failed = 0;
        if (analyse_variant(registry, options, &manifest,
                            &manifest.variants[i], &failed,
                            &variant_error) < 0) {
            if (manifest.variant_count > 1)
                cnn_error_prefix(&variant_error, "variant %s: ",
                                 manifest.variants[i].path);
            cnn_cli_report(&variant_error);
            status = CNN_EXIT_RUN_FAILED;
        } else if (failed > 0) {
            status = CNN_EXIT_RUN_FAILED;
        }
    }
    /* manifest.yaml of each variant now names its analyses: the table's
     * record of the manifests follows. */
    if (cnn_cli_update_tables(options, &manifest) < 0 &&
        status == CNN_EXIT_OK)
        status = CNN_EXIT_RUN_FAILED;
    if (fflush(stdout) != 0 && status == CNN_EXIT_OK)
        status = CNN_EXIT_RUN_FAILED;
    cnn_manifest_free(&manifest);
    return status;
}
