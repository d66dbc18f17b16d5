/* The module loader refuses what it must, with messages naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/plugin.h"
#include "test-util.h"

static char directory[1024];

static const char *module_path(const char *name)
{
    static char path[2048];
    snprintf(path, sizeof path, "%s/%s.so", directory, name);
    return path;
}

static void expect_refusal(const char *module, const char *needle,
                           const char *what)
{
    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_error err = {0};
    int status = cnn_registry_load_module(registry, module_path(module), &err);
    ok(status < 0, "%s: refused", what);
    like(err.message, needle, "%s: message says why", what);
    like(err.message, module, "%s: message names the file", what);
    is_int(cnn_registry_count(registry), 0, "%s: nothing registered", what);
    cnn_registry_free(registry);
}

int main(void)
{
    const char *dir = test_directory("CNNLAB_TEST_PLUGIN_DIR", "module loader");
    if (!dir)
        return done_testing();
    snprintf(directory, sizeof directory, "%s", dir);

    expect_refusal("abi-major", "majors differ", "wrong ABI major");
    char current[32];
    snprintf(current, sizeof current, "ABI %d.%d", CNN_ABI_MAJOR,
             CNN_ABI_MINOR);
    expect_refusal("abi-major", current, "wrong ABI major names versions");
    expect_refusal("abi-minor", "newer than", "newer ABI minor");
    /* The previous minor loads (3.1 modules into a 3.2 cnnlab). */
    struct cnn_registry *older = cnn_registry_new();
    struct cnn_error older_err = {0};
    ok(cnn_registry_load_module(older, module_path("abi-older"),
                                &older_err) == 0,
       "a module of the previous ABI minor (%d.%d) loads (%s)",
       CNN_ABI_MAJOR, CNN_ABI_MINOR - 1, older_err.message);
    cnn_registry_free(older);
    /* A 2.x module is refused with what to change (3.0: typed losses and
     * optimizers). */
    expect_refusal("abi-two", "ABI 2.3", "a 2.x module");
    expect_refusal("abi-two", "Porting a 2.x module",
                   "a 2.x module: the message says how to port it");
    expect_refusal("abi-two", "docs/plugin-guide.md",
                   "a 2.x module: the message names the guide");
    expect_refusal("no-entry", "no entry point 'cnn_plugin_entry'",
                   "missing entry symbol");
    expect_refusal("init-fails", "the test module refuses to start",
                   "failing init");
    expect_refusal("does-not-exist", "No such file", "missing file");

    /* Two modules registering the same name: the first keeps it. */
    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_error err = {0};
    ok(cnn_registry_load_module(registry, module_path("dup-first"), &err) == 0,
       "first module with 'twin' loads");
    ok(cnn_registry_load_module(registry, module_path("dup-second"), &err) < 0,
       "second module registering 'twin' is refused");
    like(err.message, "already registered", "clash message says so");
    like(err.message, "dup-first", "clash message names the first module");
    like(err.message, "dup-second", "clash message names the second module");
    const struct cnn_loss_type *twin = cnn_registry_loss(registry, "twin");
    ok(twin && strcmp(twin->help, "from the first module") == 0,
       "the first module's 'twin' wins");
    const struct cnn_component *owner =
        cnn_registry_count(registry) == 1 ? cnn_registry_at(registry, 0) : NULL;
    is_str(owner ? owner->module_name : NULL, "dup-first",
           "'twin' is registered as the module named 'dup-first'");
    ok(cnn_registry_load_module(registry, module_path("dup-first"), &err) == 0,
       "loading the same file twice is a no-op");
    is_int(cnn_registry_count(registry), 1, "one component registered");

    /* Unknown names list the known ones with a suggestion. */
    struct cnn_mark mark = {"m.yaml", 3, 9};
    cnn_registry_unknown(registry, CNN_COMPONENT_LOSS, "twim", mark, &err);
    like(err.message, "did you mean 'twin'", "did-you-mean for a typo");
    like(err.message, "known: twin", "known names listed");
    is_int(err.line, 3, "error keeps the manifest line");
    cnn_registry_free(registry);

    /* A directory loads its modules in name order, stopping at a bad one. */
    registry = cnn_registry_new();
    ok(cnn_registry_load_directory(registry, "/nonexistent-dir", &err) == 0,
       "a missing directory is not an error");
    cnn_registry_free(registry);
    return done_testing();
}
