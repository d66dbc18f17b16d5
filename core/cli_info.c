/* cnnlab — `cnnlab check` (the resolved plan) and `cnnlab plugins`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_validate.h"

static const char *param_type_name(enum cnn_param_type type)
{
    switch (type) {
    case CNN_PARAM_INT:
        return "int";
    case CNN_PARAM_FLOAT:
        return "float";
    case CNN_PARAM_BOOL:
        return "bool";
    case CNN_PARAM_STRING:
        return "string";
    case CNN_PARAM_CHOICE:
        return "choice";
    case CNN_PARAM_INT_PAIR:
        return "int or [int, int]";
    case CNN_PARAM_FLOAT_LIST:
        return "float list";
    }
    return "?";
}

static size_t layer_parameters(const struct cnn_layer *layer)
{
    size_t total = 0;
    for (int t = 0; t < layer->tensor_count; t++)
        total += layer->tensors[t].count;
    return total;
}

static void print_plan(const struct cnn_manifest *manifest,
                       const struct cnn_variant *variant,
                       const struct cnn_run_config *config,
                       const struct cnn_model *model,
                       const char *out_directory)
{
    char text[1024];
    printf("variant %s -> %s/%s/%s\n", variant->name, out_directory,
           manifest->name, variant->name);
    printf("  seed %llu, device %s, %d threads\n",
           (unsigned long long)config->seed, cnn_device_name(config->device),
           config->threads);
    cnn_params_format(&config->loader_params, text, sizeof text);
    printf("  data: %s {%s}", config->loader->name, text);
    if (config->limit)
        printf(", at most %ld images per split", config->limit);
    printf("\n  model: input [%d, %d, %d]\n", model->input.c, model->input.h,
           model->input.w);
    printf("    %-4s %-10s %-12s %-18s %12s\n", "#", "name", "type",
           "output", "parameters");
    size_t total = 0;
    for (int i = 0; i < model->layer_count; i++) {
        const struct cnn_layer *layer = &model->layers[i];
        char shape[64];
        snprintf(shape, sizeof shape, "[%d, %d, %d]", layer->output.c,
                 layer->output.h, layer->output.w);
        size_t count = layer_parameters(layer);
        total += count;
        printf("    %-4d %-10s %-12s %-18s %12zu\n", i + 1, layer->name,
               layer->type->name, shape, count);
    }
    printf("    total parameters: %zu\n", total);
    cnn_params_format(config->train.optimizer_params, text, sizeof text);
    printf("  train: %d epochs, batch %d, loss %s, optimizer %s {%s}, "
           "select %s\n",
           config->train.epochs, config->train.batch,
           config->train.loss->name, config->train.optimizer->name, text,
           config->train.select_best ? "best-val" : "last");
    for (int i = 0; i < config->analyses.count; i++) {
        const struct cnn_analysis_request *item = &config->analyses.items[i];
        cnn_params_format(&item->params, text, sizeof text);
        printf("%s%s%s%s%s", i ? ", " : "  analyses: ", item->type->name,
               text[0] ? " {" : "", text, text[0] ? "}" : "");
    }
    if (config->analyses.count > 0)
        printf("\n");
}

int cnn_cli_check(struct cnn_registry *registry,
                  const struct cnn_cli_options *options)
{
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    if (cnn_cli_load_manifest(registry, options, &manifest, &err) < 0) {
        cnn_cli_report(&err);
        return CNN_EXIT_USAGE;
    }
    printf("%s: experiment %s, %d variant%s\n", manifest.path, manifest.name,
           manifest.variant_count, manifest.variant_count == 1 ? "" : "s");
    int status = CNN_EXIT_OK;
    for (int i = 0; i < manifest.variant_count; i++) {
        struct cnn_run_config config;
        struct cnn_model model;
        if (cnn_cli_validate_variant(registry, &manifest.variants[i], &config,
                                     &model, &err) < 0) {
            if (manifest.variant_count > 1)
                cnn_error_prefix(&err, "variant %s: ",
                                 manifest.variants[i].name);
            cnn_cli_report(&err);
            status = CNN_EXIT_USAGE;
            break;
        }
        print_plan(&manifest, &manifest.variants[i], &config, &model,
                   options->out_directory);
        cnn_model_free(&model);
        cnn_run_config_free(&config);
    }
    if (status == CNN_EXIT_OK)
        printf("ok: nothing was run\n");
    cnn_manifest_free(&manifest);
    return status;
}

static void print_params(const struct cnn_component *c)
{
    for (int i = 0; i < c->param_count; i++) {
        const struct cnn_param_spec *spec = &c->params[i];
        printf("      %-14s %-18s default %-10s", spec->name,
               spec->type == CNN_PARAM_CHOICE ? spec->choices
                                              : param_type_name(spec->type),
               spec->default_value ? spec->default_value : "(required)");
        if (spec->min != 0 || spec->max != 0)
            printf(" range %.15g..%.15g", spec->min, spec->max);
        printf("  %s\n", spec->help ? spec->help : "");
    }
}

int cnn_cli_plugins(const struct cnn_registry *registry)
{
    int count = cnn_registry_count(registry);
    if (count == 0) {
        fprintf(stderr, "cnnlab: no plugin module found (the build's plugin "
                        "directory is missing; set CNNLAB_PLUGIN_PATH)\n");
        return CNN_EXIT_USAGE;
    }
    for (int i = 0; i < count; i++) {
        const struct cnn_component *c = cnn_registry_at(registry, i);
        if (c->kind == CNN_COMPONENT_LAYER_KERNELS) {
            printf("  kernels  %-14s %-5s %s (%s %s)\n", c->name,
                   cnn_device_name(c->device), c->module_path,
                   c->module_name, c->module_version);
            continue;
        }
        printf("%-9s  %-14s %s (%s %s)\n    %s\n",
               cnn_component_kind_name(c->kind), c->name, c->module_path,
               c->module_name, c->module_version, c->help);
        print_params(c);
    }
    return CNN_EXIT_OK;
}
