/* cnnlab fuzzing — the manifest path of `cnnlab check`, without running
 * anything: YAML → node tree → profile, variants and overrides resolved →
 * every key checked against the core's and the components' schemas → the
 * model built (shapes and parameter counts; nothing is allocated for
 * training). The components are the build's plugins, loaded once.
 *
 * The input is a manifest file. Leading comment lines
 *   #profile NAME
 *   #set KEY=VALUE
 * (YAML comments, so the file stays a manifest) choose a profile and
 * command-line overrides, so those paths are fuzzed too. Besides "no
 * crash, no leak, no undefined behaviour, every failure says why", it
 * checks a promise of node.h: each resolved tree, written with
 * cnn_node_write, reads back equal (that is how a run records its
 * manifest and later tells whether it changed). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/registry.h"
#include "fuzz.h"
#include "config/manifest.h"
#include "model/model.h"
#include "run/run_config.h"

#define MAX_OVERRIDES 8
#define MAX_LINE 256

static struct cnn_registry *registry;
static char manifest_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct cnn_error err = {0};
    registry = cnn_registry_new();
    if (!registry)
        fuzz_fail("out of memory making the registry");
    if (cnn_registry_load_default(registry, &err) != 0)
        fuzz_fail("cannot load the plugins: %s", err.message);
    fuzz_scratch_path(manifest_path, sizeof manifest_path, "fuzz.yaml");
    return 0;
}

/* The "#profile" and "#set" lines at the top of the input. */
struct arguments {
    char profile[MAX_LINE];
    int have_profile;
    char overrides[MAX_OVERRIDES][MAX_LINE];
    const char *pointers[MAX_OVERRIDES];
    int override_count;
};

static void read_arguments(const uint8_t *data, size_t size,
                           struct arguments *arguments)
{
    memset(arguments, 0, sizeof *arguments);
    size_t at = 0;
    while (at < size && data[at] == '#') {
        size_t end = at;
        while (end < size && data[end] != '\n')
            end++;
        char line[MAX_LINE];
        size_t length = end - at < MAX_LINE - 1 ? end - at : MAX_LINE - 1;
        memcpy(line, data + at, length);
        line[length] = '\0';
        if (strlen(line) != length) /* a NUL inside: not an argument line */
            break;
        if (strncmp(line, "#profile ", 9) == 0) {
            snprintf(arguments->profile, MAX_LINE, "%s", line + 9);
            arguments->have_profile = 1;
        } else if (strncmp(line, "#set ", 5) == 0
                   && arguments->override_count < MAX_OVERRIDES) {
            int i = arguments->override_count++;
            snprintf(arguments->overrides[i], MAX_LINE, "%s", line + 5);
            arguments->pointers[i] = arguments->overrides[i];
        }
        at = end + 1;
    }
}

/* Written and read back, a tree must be equal to itself. */
static void check_round_trip(const struct cnn_node *tree, const char *what)
{
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (!stream)
        fuzz_fail("open_memstream failed");
    int status = cnn_node_write(tree, stream);
    if (fclose(stream) != 0 || status != 0)
        fuzz_fail("cnn_node_write failed on %s", what);
    struct cnn_node *again = NULL;
    struct cnn_error err = {0};
    if (cnn_node_load_string(text, "round-trip", &again, &err) != 0)
        fuzz_fail("%s, written by cnn_node_write, does not read back: %s\n"
                  "--- written:\n%s",
                  what, err.message, text);
    if (!cnn_node_equal(tree, again))
        fuzz_fail("%s, written by cnn_node_write and read back, differs\n"
                  "--- written:\n%s",
                  what, text);
    cnn_node_free(again);
    free(text);
}

static void check_variant(const struct cnn_variant *variant)
{
    check_round_trip(variant->resolved, "the resolved manifest");
    struct cnn_run_config config;
    struct cnn_error err = {0};
    int status = cnn_run_config_parse(&config, registry, variant->resolved,
                                      &err);
    fuzz_check_error(status, &err, "cnn_run_config_parse");
    if (status != 0)
        return;
    struct cnn_model model;
    status = cnn_model_build(&model, registry, config.model_node,
                             config.device, &err);
    fuzz_check_error(status, &err, "cnn_model_build");
    if (status == 0)
        cnn_model_free(&model);
    cnn_run_config_free(&config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arguments arguments;
    read_arguments(data, size, &arguments);
    fuzz_write_file(manifest_path, data, size);

    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    int status = cnn_manifest_load(
        &manifest, manifest_path,
        arguments.have_profile ? arguments.profile : NULL,
        arguments.pointers, arguments.override_count, &err);
    fuzz_check_error(status, &err, "cnn_manifest_load");
    if (status != 0)
        return 0;
    check_round_trip(manifest.root, "the manifest as written");
    for (int i = 0; i < manifest.variant_count; i++)
        check_variant(&manifest.variants[i]);
    if (manifest.variant_count > 1) {
        /* --variant NAME keeps one; an unknown name (none can hold a "/")
         * is refused, listing them all. */
        status = cnn_manifest_select_variant(&manifest, "/no such variant",
                                             &err);
        if (status == 0)
            fuzz_fail("--variant \"/no such variant\" was accepted");
        fuzz_check_error(status, &err, "cnn_manifest_select_variant");
        cnn_error_clear(&err);
        status = cnn_manifest_select_variant(
            &manifest, manifest.variants[manifest.variant_count - 1].name,
            &err);
        fuzz_check_error(status, &err, "cnn_manifest_select_variant");
        if (status != 0 || manifest.variant_count != 1)
            fuzz_fail("--variant with the last variant's name failed");
    }
    cnn_manifest_free(&manifest);
    return 0;
}
