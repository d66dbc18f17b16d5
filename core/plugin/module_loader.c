/* cnnlab — loading plugin modules: dlopen, the ABI rule of plugin.h, init,
 * and the search path. Every failure names the file. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cnnlab/input_file.h"
#include "cnnlab/registry.h"
#include "plugin/openmp_env.h"
#include "plugin/registry_internal.h"

static int already_loaded(const struct cnn_registry *registry,
                          const char *path)
{
    for (int i = 0; i < registry->module_count; i++)
        if (strcmp(registry->modules[i].path, path) == 0)
            return 1;
    return 0;
}

/* The ELF class and machine of a file (bytes 4 and 18-19 of its header),
 * or 0 when it is no ELF file. */
static unsigned elf_machine(const char *path)
{
    unsigned char header[20];
    struct cnn_error ignored = {0};
    FILE *file = cnn_input_fopen(path, &ignored);
    if (!file)
        return 0;
    size_t got = fread(header, 1, sizeof header, file);
    fclose(file);
    if (got != sizeof header || memcmp(header, "\177ELF", 4) != 0)
        return 0;
    return (unsigned)header[4] << 16 | (unsigned)header[18] |
           (unsigned)header[19] << 8;
}

/* glibc says "cannot open shared object file" also when the module is
 * there but built for another machine: told apart by its ELF header
 * against this program's. */
static int built_for_another_machine(const char *path)
{
    unsigned module = elf_machine(path), self = elf_machine("/proc/self/exe");
    return module && self && module != self;
}

/* What to do about dlerror()'s most common reasons. */
static const char *load_hint(const char *why, const char *path)
{
    if (!why)
        return "";
    if (strstr(why, "cannot open shared object file") &&
        built_for_another_machine(path))
        return ": it is built for another kind of machine (its ELF header "
               "names another architecture than this cnnlab's); rebuild it "
               "here";
    if (strstr(why, "undefined symbol"))
        return ": it needs a function this cnnlab or its libraries lack; "
               "rebuild it against this cnnlab";
    if (strstr(why, "cannot open shared object file"))
        return ": a library it needs is missing; install it, or add its "
               "folder to LD_LIBRARY_PATH";
    if (strstr(why, "invalid ELF header") || strstr(why, "file too short") ||
        strstr(why, "wrong ELF class"))
        return ": it is not a shared library for this machine; remove it "
               "from the plugin directory";
    return "";
}

static int check_abi(const struct cnn_plugin *plugin, const char *path,
                     struct cnn_error *err)
{
    /* 3.0 changed how losses and optimizers are written: say what to do. */
    if (plugin->abi_major == 2)
        return cnn_error_set(err,
                             "plugin '%s' was built for plugin ABI %d.%d, "
                             "this cnnlab has ABI %d.%d (majors differ): "
                             "since 3.0 a loss or optimizer is a definition "
                             "that parses its settings once plus kernels "
                             "per device; port the module as \"Porting a "
                             "2.x module\" in docs/plugin-guide.md says, "
                             "then rebuild it against this cnnlab",
                             path, plugin->abi_major, plugin->abi_minor,
                             CNN_ABI_MAJOR, CNN_ABI_MINOR);
    if (plugin->abi_major != CNN_ABI_MAJOR)
        return cnn_error_set(err,
                             "plugin '%s' was built for plugin ABI %d.%d, "
                             "this cnnlab has ABI %d.%d (majors differ): "
                             "rebuild the plugin against this cnnlab",
                             path, plugin->abi_major, plugin->abi_minor,
                             CNN_ABI_MAJOR, CNN_ABI_MINOR);
    if (plugin->abi_minor > CNN_ABI_MINOR)
        return cnn_error_set(err,
                             "plugin '%s' needs plugin ABI %d.%d, newer than "
                             "this cnnlab's %d.%d: upgrade cnnlab",
                             path, plugin->abi_major, plugin->abi_minor,
                             CNN_ABI_MAJOR, CNN_ABI_MINOR);
    if (!plugin->name || !plugin->init)
        return cnn_error_set(err, "plugin '%s' has no name or init function",
                             path);
    return 0;
}

static int remember_module(struct cnn_registry *registry, char *path,
                           void *handle, const struct cnn_plugin *plugin,
                           struct cnn_error *err)
{
    if (registry->module_count == registry->module_capacity) {
        int capacity = registry->module_capacity * 2 + 4;
        struct cnn_loaded_module *grown = realloc(
            registry->modules, (size_t)capacity * sizeof *grown);
        if (!grown)
            return cnn_error_set(err, "out of memory loading '%s'", path);
        registry->modules = grown;
        registry->module_capacity = capacity;
    }
    registry->modules[registry->module_count++] =
        (struct cnn_loaded_module){path, handle, plugin};
    return 0;
}

/* Loading a module runs its code. One that any user of the machine could
 * have written, or put in a folder any user can write to, is refused
 * rather than run (docs/reliability.md, "Security"). */
static int refuse_world_writable(const char *path, const char *what,
                                 struct cnn_error *err)
{
    struct stat info;
    if (stat(path, &info) != 0 || !(info.st_mode & S_IWOTH))
        return 0;
    return cnn_error_set(err,
                         "refusing the %s '%s': it is writable by every user "
                         "of this machine, so anyone could put code there "
                         "that cnnlab would run; `chmod o-w '%s'` if it is "
                         "yours",
                         what, path, path);
}

int cnn_registry_load_module(struct cnn_registry *registry, const char *path,
                             struct cnn_error *err)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved))
        return cnn_error_set(err, "cannot load plugin '%s': %s", path,
                             strerror(errno));
    if (already_loaded(registry, resolved))
        return 0;
    /* dlopen opens what it is given without a check: a FIFO named x.so
     * would block it forever. */
    if (cnn_input_check(resolved, err) != 0)
        return cnn_error_prefix(err, "cannot load plugin '%s': ", path);
    if (refuse_world_writable(resolved, "plugin", err) < 0)
        return -1;

    /* Before the OpenMP runtime a module may bring in reads it. */
    cnn_openmp_defaults();
    /* RTLD_LOCAL: modules do not see each other's symbols, only libcnnlab. */
    void *handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        return cnn_error_set(err, "cannot load plugin '%s': %s%s", resolved,
                             why ? why : "dlopen failed",
                             load_hint(why, resolved));
    }
    dlerror();
    const struct cnn_plugin *plugin = dlsym(handle, "cnn_plugin_entry");
    const char *symbol_error = dlerror();
    if (!plugin || symbol_error) {
        cnn_error_set(err,
                      "'%s' is not a cnnlab plugin: no entry point "
                      "'cnn_plugin_entry' (%s)",
                      resolved, symbol_error ? symbol_error : "null symbol");
        dlclose(handle);
        return -1;
    }
    if (check_abi(plugin, resolved, err) < 0) {
        dlclose(handle);
        return -1;
    }

    char *kept_path = strdup(resolved);
    if (!kept_path) {
        dlclose(handle);
        return cnn_error_set(err, "out of memory loading '%s'", resolved);
    }
    int components_before = registry->count;
    registry->loading_path = kept_path;
    registry->loading_plugin = plugin;
    struct cnn_error init_error = {0};
    int status = plugin->init(registry, &init_error);
    registry->loading_path = NULL;
    registry->loading_plugin = NULL;
    if (status < 0) {
        /* A failed init leaves nothing behind: its registrations go too. */
        registry->count = components_before;
        cnn_error_set(err, "plugin '%s' (%s %s) failed to initialise: %s",
                      resolved, plugin->name,
                      plugin->version ? plugin->version : "",
                      init_error.failed ? init_error.message
                                        : "init returned an error");
        free(kept_path);
        dlclose(handle);
        return -1;
    }
    if (remember_module(registry, kept_path, handle, plugin, err) < 0) {
        registry->count = components_before;
        free(kept_path);
        dlclose(handle);
        return -1;
    }
    return 0;
}

static int has_module_suffix(const char *name)
{
    size_t length = strlen(name);
    return length > 3 && strcmp(name + length - 3, ".so") == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cnn_registry_load_directory(struct cnn_registry *registry,
                                const char *directory, struct cnn_error *err)
{
    DIR *dir = opendir(directory);
    if (!dir)
        return 0;
    if (refuse_world_writable(directory, "plugin folder", err) < 0) {
        closedir(dir);
        return -1;
    }
    char **names = NULL;
    int count = 0, capacity = 0, status = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (!has_module_suffix(entry->d_name))
            continue;
        if (count == capacity) {
            capacity = capacity * 2 + 8;
            char **grown = realloc(names, (size_t)capacity * sizeof *grown);
            if (!grown) {
                status = cnn_error_set(err, "out of memory listing '%s'",
                                       directory);
                break;
            }
            names = grown;
        }
        names[count] = strdup(entry->d_name);
        if (!names[count]) {
            status = cnn_error_set(err, "out of memory listing '%s'",
                                   directory);
            break;
        }
        count++;
    }
    closedir(dir);
    /* Name order, so the same files always load in the same order. An
     * empty folder has no list to sort (qsort of NULL is undefined). */
    if (status == 0 && count > 0)
        qsort(names, (size_t)count, sizeof *names, compare_names);
    for (int i = 0; i < count; i++) {
        if (status == 0) {
            size_t length = strlen(directory) + strlen(names[i]) + 2;
            char *path = malloc(length);
            if (!path)
                status = cnn_error_set(err, "out of memory");
            else {
                snprintf(path, length, "%s/%s", directory, names[i]);
                status = cnn_registry_load_module(registry, path, err);
                free(path);
            }
        }
        free(names[i]);
    }
    free(names);
    return status;
}

/* The plugin directory of this cnnlab: the build tree's when the running
 * program lives in the build tree (so an uninstalled ./cnnlab works), the
 * installed one otherwise. */
static const char *builtin_plugin_directory(void)
{
    const char *from_environment = getenv("CNNLAB_BUILD_PLUGIN_DIR");
    if (from_environment && *from_environment)
        return from_environment;
#ifdef CNNLAB_ABS_BUILDDIR
    static char build_plugins[PATH_MAX];
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    size_t prefix = strlen(CNNLAB_ABS_BUILDDIR);
    if (n > 0) {
        self[n] = '\0';
        if (strncmp(self, CNNLAB_ABS_BUILDDIR, prefix) == 0 &&
            self[prefix] == '/') {
            snprintf(build_plugins, sizeof build_plugins, "%s/plugins/.libs",
                     CNNLAB_ABS_BUILDDIR);
            return build_plugins;
        }
    }
#endif
#ifdef CNNLAB_PLUGIN_DIR
    return CNNLAB_PLUGIN_DIR;
#else
    return NULL;
#endif
}

int cnn_registry_load_default(struct cnn_registry *registry,
                              struct cnn_error *err)
{
    const char *builtin = builtin_plugin_directory();
    if (builtin && cnn_registry_load_directory(registry, builtin, err) < 0)
        return -1;
    const char *path = getenv("CNNLAB_PLUGIN_PATH");
    if (!path || !*path)
        return 0;
    char *copy = strdup(path);
    if (!copy)
        return cnn_error_set(err, "out of memory");
    int status = 0;
    char *save = NULL;
    /* Empty entries are skipped: "a::b" never means the current directory. */
    for (char *dir = strtok_r(copy, ":", &save); dir && status == 0;
         dir = strtok_r(NULL, ":", &save)) {
        struct stat info;
        int found = stat(dir, &info) == 0;
        if (!found || !S_ISDIR(info.st_mode))
            status = cnn_error_set(err,
                                   "CNNLAB_PLUGIN_PATH names '%s': %s; "
                                   "correct or remove that entry",
                                   dir,
                                   !found ? strerror(errno)
                                          : "not a folder");
        else
            status = cnn_registry_load_directory(registry, dir, err);
    }
    free(copy);
    return status;
}

void cnn_registry_close_modules(struct cnn_registry *registry)
{
    for (int i = registry->module_count - 1; i >= 0; i--) {
        dlclose(registry->modules[i].handle);
        free(registry->modules[i].path);
    }
    free(registry->modules);
    registry->modules = NULL;
    registry->module_count = registry->module_capacity = 0;
}

int cnn_registry_module_count(const struct cnn_registry *registry)
{
    return registry->module_count;
}

const struct cnn_plugin *cnn_registry_module(
    const struct cnn_registry *registry, int index, const char **path)
{
    if (index < 0 || index >= registry->module_count)
        return NULL;
    if (path)
        *path = registry->modules[index].path;
    return registry->modules[index].plugin;
}
