/* cnnlab — the registry: every component the loaded modules registered,
 * looked up by kind, name and device. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/plugin.h"
#include "cnnlab/registry.h"
#include "plugin/registry_internal.h"

const char *cnn_component_kind_name(enum cnn_component_kind kind)
{
    static const char *const names[CNN_COMPONENT_KIND_COUNT] = {
        "layer", "kernels", "loss", "optimizer", "loader", "device",
        "analysis", "kernels", "kernels",
    };
    return kind < CNN_COMPONENT_KIND_COUNT ? names[kind] : "component";
}

struct cnn_registry *cnn_registry_new(void)
{
    return calloc(1, sizeof(struct cnn_registry));
}

void cnn_registry_free(struct cnn_registry *registry)
{
    if (!registry)
        return;
    cnn_registry_close_modules(registry);
    free(registry->components);
    free(registry);
}

static const struct cnn_component *find(const struct cnn_registry *registry,
                                        enum cnn_component_kind kind,
                                        const char *name,
                                        enum cnn_device device)
{
    for (int i = 0; i < registry->count; i++) {
        const struct cnn_component *c = &registry->components[i];
        if (c->kind == kind && c->device == device &&
            strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static int add(struct cnn_registry *registry, enum cnn_component_kind kind,
               const char *name, enum cnn_device device, const char *help,
               const struct cnn_param_spec *params, int param_count,
               const void *definition, struct cnn_error *err)
{
    const char *module = registry->loading_path ? registry->loading_path
                                                : "(built in)";
    if (!name || !*name)
        return cnn_error_set(err, "%s: a %s was registered without a name",
                             module, cnn_component_kind_name(kind));
    /* First registration wins; the clash fails the later module's init. */
    const struct cnn_component *existing = find(registry, kind, name, device);
    if (existing)
        return cnn_error_set(err,
                             "%s: %s '%s' (%s) is already registered by %s; "
                             "the first module keeps it",
                             module, cnn_component_kind_name(kind), name,
                             cnn_device_name(device), existing->module_path);
    if (registry->count == registry->capacity) {
        int capacity = registry->capacity ? registry->capacity * 2 : 32;
        struct cnn_component *grown = realloc(
            registry->components, (size_t)capacity * sizeof *grown);
        if (!grown)
            return cnn_error_set(err, "out of memory in the registry");
        registry->components = grown;
        registry->capacity = capacity;
    }
    struct cnn_component *c = &registry->components[registry->count++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->name = name;
    c->device = device;
    c->module_path = module;
    c->module_name = registry->loading_plugin ? registry->loading_plugin->name
                                              : "core";
    c->module_version = registry->loading_plugin
                            ? registry->loading_plugin->version
                            : "";
    c->help = help ? help : "";
    c->params = params;
    c->param_count = param_count;
    c->definition = definition;
    return 0;
}

int cnn_register_layer(struct cnn_registry *registry,
                       const struct cnn_layer_type *type,
                       struct cnn_error *err)
{
    if (!type->setup)
        return cnn_error_set(err, "layer '%s' has no setup function",
                             type->name);
    return add(registry, CNN_COMPONENT_LAYER, type->name, CNN_DEVICE_CPU,
               type->help, type->params, type->param_count, type, err);
}

int cnn_register_layer_kernels(struct cnn_registry *registry,
                               const struct cnn_layer_kernels *kernels,
                               struct cnn_error *err)
{
    if (!kernels->forward || !kernels->backward)
        return cnn_error_set(err, "kernels for '%s' lack forward/backward",
                             kernels->layer);
    return add(registry, CNN_COMPONENT_LAYER_KERNELS, kernels->layer,
               kernels->device, "", NULL, 0, kernels, err);
}

int cnn_register_loss(struct cnn_registry *registry,
                      const struct cnn_loss_type *type, struct cnn_error *err)
{
    if (!type->parse || type->settings_size == 0)
        return cnn_error_set(err, "loss '%s' has no parse function or no "
                             "settings size", type->name);
    return add(registry, CNN_COMPONENT_LOSS, type->name, CNN_DEVICE_CPU,
               type->help, type->params, type->param_count, type, err);
}

int cnn_register_loss_kernels(struct cnn_registry *registry,
                              const struct cnn_loss_kernels *kernels,
                              struct cnn_error *err)
{
    if (!kernels->compute)
        return cnn_error_set(err, "kernels for loss '%s' lack compute",
                             kernels->loss);
    return add(registry, CNN_COMPONENT_LOSS_KERNELS, kernels->loss,
               kernels->device, "", NULL, 0, kernels, err);
}

int cnn_register_optimizer(struct cnn_registry *registry,
                           const struct cnn_optimizer_type *type,
                           struct cnn_error *err)
{
    if (!type->parse || type->settings_size == 0)
        return cnn_error_set(err, "optimizer '%s' has no parse function or "
                             "no settings size", type->name);
    return add(registry, CNN_COMPONENT_OPTIMIZER, type->name, CNN_DEVICE_CPU,
               type->help, type->params, type->param_count, type, err);
}

int cnn_register_optimizer_kernels(struct cnn_registry *registry,
                                   const struct cnn_optimizer_kernels *kernels,
                                   struct cnn_error *err)
{
    if (!kernels->step)
        return cnn_error_set(err, "kernels for optimizer '%s' lack step",
                             kernels->optimizer);
    return add(registry, CNN_COMPONENT_OPTIMIZER_KERNELS, kernels->optimizer,
               kernels->device, "", NULL, 0, kernels, err);
}

int cnn_register_loader(struct cnn_registry *registry,
                        const struct cnn_loader_type *type,
                        struct cnn_error *err)
{
    return add(registry, CNN_COMPONENT_LOADER, type->name, CNN_DEVICE_CPU,
               type->help, type->params, type->param_count, type, err);
}

int cnn_register_device(struct cnn_registry *registry,
                        const struct cnn_device_type *type,
                        struct cnn_error *err)
{
    if (type->device == CNN_DEVICE_CPU)
        return cnn_error_set(err, "device module '%s' claims the CPU, which "
                             "is built into the core", type->name);
    return add(registry, CNN_COMPONENT_DEVICE, type->name, type->device,
               type->help, NULL, 0, type, err);
}

const struct cnn_layer_type *cnn_registry_layer(
    const struct cnn_registry *registry, const char *name)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_LAYER, name, CNN_DEVICE_CPU);
    return c ? c->definition : NULL;
}

const struct cnn_layer_kernels *cnn_registry_layer_kernels(
    const struct cnn_registry *registry, const char *layer,
    enum cnn_device device)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_LAYER_KERNELS, layer, device);
    return c ? c->definition : NULL;
}

const struct cnn_loss_type *cnn_registry_loss(
    const struct cnn_registry *registry, const char *name)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_LOSS, name, CNN_DEVICE_CPU);
    return c ? c->definition : NULL;
}

const struct cnn_loss_kernels *cnn_registry_loss_kernels(
    const struct cnn_registry *registry, const char *loss,
    enum cnn_device device)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_LOSS_KERNELS, loss, device);
    return c ? c->definition : NULL;
}

const struct cnn_optimizer_type *cnn_registry_optimizer(
    const struct cnn_registry *registry, const char *name)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_OPTIMIZER, name, CNN_DEVICE_CPU);
    return c ? c->definition : NULL;
}

const struct cnn_optimizer_kernels *cnn_registry_optimizer_kernels(
    const struct cnn_registry *registry, const char *optimizer,
    enum cnn_device device)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_OPTIMIZER_KERNELS, optimizer, device);
    return c ? c->definition : NULL;
}

const struct cnn_loader_type *cnn_registry_loader(
    const struct cnn_registry *registry, const char *name)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_LOADER, name, CNN_DEVICE_CPU);
    return c ? c->definition : NULL;
}

int cnn_register_analysis(struct cnn_registry *registry,
                          const struct cnn_analysis_type *type,
                          struct cnn_error *err)
{
    return add(registry, CNN_COMPONENT_ANALYSIS, type->name, CNN_DEVICE_CPU,
               type->help, type->params, type->param_count, type, err);
}

const struct cnn_analysis_type *cnn_registry_analysis(
    const struct cnn_registry *registry, const char *name)
{
    const struct cnn_component *c =
        find(registry, CNN_COMPONENT_ANALYSIS, name, CNN_DEVICE_CPU);
    return c ? c->definition : NULL;
}

const struct cnn_device_type *cnn_registry_device(
    const struct cnn_registry *registry, enum cnn_device device)
{
    for (int i = 0; i < registry->count; i++)
        if (registry->components[i].kind == CNN_COMPONENT_DEVICE &&
            registry->components[i].device == device)
            return registry->components[i].definition;
    return NULL;
}

int cnn_registry_count(const struct cnn_registry *registry)
{
    return registry->count;
}

const struct cnn_component *cnn_registry_at(
    const struct cnn_registry *registry, int index)
{
    return index >= 0 && index < registry->count
               ? &registry->components[index]
               : NULL;
}

int cnn_registry_unknown(const struct cnn_registry *registry,
                         enum cnn_component_kind kind, const char *name,
                         struct cnn_mark mark, struct cnn_error *err)
{
    const char *names[256] = {0};
    int count = 0;
    char known[1024] = "";
    size_t used = 0;

    for (int i = 0; i < registry->count && count < 256; i++) {
        const struct cnn_component *c = &registry->components[i];
        if (c->kind != kind)
            continue;
        int seen = 0;
        for (int j = 0; j < count; j++)
            seen |= strcmp(names[j], c->name) == 0;
        if (seen)
            continue;
        names[count++] = c->name;
        int n = snprintf(known + used, sizeof known - used, "%s%s",
                         used ? ", " : "", c->name);
        if (n > 0 && (size_t)n < sizeof known - used)
            used += (size_t)n;
    }
    const char *suggestion = cnn_did_you_mean(name, names, count);
    return cnn_error_at(err, mark, "unknown %s '%s'%s%s%s (known: %s)",
                        cnn_component_kind_name(kind), name,
                        suggestion ? "; did you mean '" : "",
                        suggestion ? suggestion : "", suggestion ? "'?" : "",
                        count ? known : "none: no plugin module loaded");
}
