/* Helpers shared by the component tests: parameters from "name=value"
 * settings, a loader run, and loading a module of the build tree. */
#ifndef CNNLAB_TEST_UTIL_H
#define CNNLAB_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cnnlab/registry.h"
#include "tap.h"

/* A schema's defaults overridden by `settings`, "name=value" texts ending
 * in NULL (settings may be NULL). A default that does not parse or a
 * setting the schema refuses is a bug of the plugin or the test: it prints
 * "Bail out!" with the reason and exits. */
struct cnn_params test_params(const struct cnn_param_spec *specs, int count,
                              const char *component,
                              const char *const *settings);

/* Runs `type`'s load with its parameters made from `settings` (as by
 * test_params) and the request (seed, limit). `data` and `err` are cleared
 * first, so on failure `data` shows what the loader left allocated. */
int test_load_data(const struct cnn_loader_type *type,
                   const char *const *settings, uint64_t seed, long limit,
                   struct cnn_data *data, struct cnn_error *err);

/* tap.h keeps its counters per program file, so the helpers that report
 * TAP results are defined here, inline in each test, rather than in
 * test-util.c where they would count apart. */

/* The directory named by the environment variable `variable`; when it is
 * not set (the test runs outside `make check`) prints a TAP skip for
 * `what` and returns NULL. */
static inline const char *test_directory(const char *variable,
                                         const char *what)
{
    const char *directory = getenv(variable);
    if (!directory) {
        char why[128];
        snprintf(why, sizeof why, "%s not set (run through make check)",
                 variable);
        skip(why, what);
    }
    return directory;
}

/* Loads the module `file` (e.g. "losses.so") of $CNNLAB_BUILD_PLUGIN_DIR
 * into `registry`. Returns 1 when loaded (one passing check), 0 when the
 * variable is not set (one skip), -1 when loading failed (one failing
 * check whose line carries the loader's message). */
static inline int test_load_plugin(struct cnn_registry *registry,
                                   const char *file)
{
    const char *directory = test_directory("CNNLAB_BUILD_PLUGIN_DIR", file);
    if (!directory)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", directory, file);
    struct cnn_error err = {0};
    int loaded = registry
              && cnn_registry_load_module(registry, path, &err) == 0;
    ok(loaded, "%s loads (%s)", file,
       registry ? err.message : "no registry: out of memory");
    return loaded ? 1 : -1;
}

#endif
