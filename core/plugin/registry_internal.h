/* cnnlab — the registry's insides, shared by registry.c and
 * module_loader.c only. */
#ifndef CNNLAB_REGISTRY_INTERNAL_H
#define CNNLAB_REGISTRY_INTERNAL_H

#include "cnnlab/registry.h"

struct cnn_loaded_module {
    char *path;
    void *handle; /* from dlopen */
    const struct cnn_plugin *plugin;
};

struct cnn_registry {
    struct cnn_component *components;
    int count, capacity;
    struct cnn_loaded_module *modules;
    int module_count, module_capacity;
    /* While a module's init runs: whose registrations these are. */
    const char *loading_path;
    const struct cnn_plugin *loading_plugin;
};

void cnn_registry_close_modules(struct cnn_registry *registry);

#endif
