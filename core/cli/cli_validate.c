/* cnnlab — what run and check share: loading the manifest, its plugins,
 * and validating every variant before anything runs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/cli_validate.h"
#include "model/model.h"
#include "run/run_config.h"
#include "run/runner.h"

void cnn_cli_report(const struct cnn_error *err)
{
    char buf[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
    fflush(stdout); /* keep the plan printed so far before the error */
    fprintf(stderr, "%scnnlab:%s ", cnn_cli_colour(CNN_CLI_ERROR),
            cnn_cli_colour_end());
    cnn_cli_print_message(stderr, cnn_error_format(err, buf, sizeof buf));
    fputc('\n', stderr);
    if (cnn_cli_events_enabled())
        cnn_cli_event_error(buf);
}

/* `plugins: [dir-or-file, ...]`, relative to the manifest's directory. */
static int load_manifest_plugins(struct cnn_registry *registry,
                                 const struct cnn_manifest *manifest,
                                 struct cnn_error *err)
{
    const struct cnn_node *plugins = cnn_node_get(manifest->root, "plugins");
    if (!plugins)
        return 0;
    if (plugins->kind != CNN_NODE_SEQUENCE)
        return cnn_error_at(err, plugins->mark,
                            "'plugins' must be a list of module files or "
                            "directories");
    char base[PATH_MAX];
    if (cnn_path_format(base, sizeof base, err, "%s", manifest->path) < 0)
        return -1;
    char *slash = strrchr(base, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(base, sizeof base, ".");
    for (int i = 0; i < plugins->count; i++) {
        const char *entry;
        if (cnn_node_to_string(plugins->items[i], &entry, err) < 0)
            return -1;
        char path[PATH_MAX * 2];
        struct cnn_error why = {0};
        if (cnn_path_format(path, sizeof path, &why, "%s%s%s",
                            entry[0] == '/' ? "" : base,
                            entry[0] == '/' ? "" : "/", entry) < 0)
            return cnn_error_at(err, plugins->items[i]->mark, "plugins: %s",
                                why.message);
        size_t length = strlen(path);
        int is_module = length > 3 && strcmp(path + length - 3, ".so") == 0;
        struct stat info;
        /* A directory asked for by name must be there: a misspelt one
         * would otherwise load nothing, silently. */
        int status =
            is_module ? cnn_registry_load_module(registry, path, err)
            : stat(path, &info) != 0 || !S_ISDIR(info.st_mode)
                ? cnn_error_set(err,
                                "plugins: '%s' is neither a module file "
                                "(.so) nor a directory: fix the path "
                                "(relative to the manifest's directory)",
                                path)
                : cnn_registry_load_directory(registry, path, err);
        if (status < 0) {
            struct cnn_error located = *err;
            return cnn_error_at(err, plugins->items[i]->mark, "%s",
                                located.message);
        }
    }
    return 0;
}

/* --seed S: a whole number, one of the manifest's seeds. */
static int select_seed(struct cnn_manifest *manifest, const char *text,
                       struct cnn_error *err)
{
    char *end;
    errno = 0;
    unsigned long long seed = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end || text[0] == '-' ||
        seed > 4294967295ULL)
        return cnn_error_set(err, "--seed '%s' is not a seed (a whole "
                                  "number from 0 to 4294967295)",
                             text);
    return cnn_manifest_select_seed(manifest, (uint64_t)seed, err);
}

int cnn_cli_load_manifest(struct cnn_registry *registry,
                          const struct cnn_cli_options *options,
                          struct cnn_manifest *manifest,
                          struct cnn_error *err)
{
    if (cnn_manifest_load(manifest, options->manifest, options->profile,
                          options->overrides, options->override_count,
                          err) < 0)
        return -1;
    if ((options->variant &&
         cnn_manifest_select_variant(manifest, options->variant, err) < 0) ||
        (options->seed && select_seed(manifest, options->seed, err) < 0) ||
        load_manifest_plugins(registry, manifest, err) < 0) {
        cnn_manifest_free(manifest);
        return -1;
    }
    return 0;
}

int cnn_cli_validate_variant(const struct cnn_registry *registry,
                             const struct cnn_variant *variant,
                             struct cnn_run_config *config,
                             struct cnn_model *model, struct cnn_error *err)
{
    if (cnn_run_config_parse(config, registry, variant->resolved, err) < 0)
        return -1;
    if (cnn_run_build_model(model, registry, config, err) < 0) {
        cnn_run_config_free(config);
        return -1;
    }
    /* The analyses run after the training: a parameter that does not fit
     * the model (a layer it lacks) must not wait for it to be found. */
    if (cnn_analysis_list_validate(&config->analyses, model, &config->train,
                                   variant->name, config->threads,
                                   err) < 0) {
        cnn_model_free(model);
        cnn_run_config_free(config);
        return -1;
    }
    return 0;
}

int cnn_cli_print_variants(struct cnn_registry *registry,
                           const struct cnn_cli_options *options,
                           cnn_cli_variant_printer print, const char *what)
{
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    if (cnn_cli_load_manifest(registry, options, &manifest, &err) < 0) {
        cnn_cli_report(&err);
        return CNN_EXIT_USAGE;
    }
    /* The model is the same for every seed: one per variant. */
    int several = cnn_manifest_variant_names(&manifest) > 1;
    int status = CNN_EXIT_OK;
    for (int i = 0, shown = 0; i < manifest.variant_count; i++) {
        if (!cnn_manifest_first_of_variant(&manifest, i))
            continue;
        shown++;
        if (print(registry, &manifest, &manifest.variants[i],
                  several ? shown : 0, &err) < 0) {
            cnn_cli_report(&err);
            status = CNN_EXIT_USAGE;
            break;
        }
    }
    if (fflush(stdout) != 0 && status == CNN_EXIT_OK) {
        fprintf(stderr, "cnnlab: writing the %s failed\n", what);
        status = CNN_EXIT_RUN_FAILED;
    }
    cnn_manifest_free(&manifest);
    return status;
}
