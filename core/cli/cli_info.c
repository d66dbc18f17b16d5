/* cnnlab — `cnnlab check` (the resolved plan) and `cnnlab plugins`, as a
 * listing or as the Markdown reference of every component's keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_validate.h"

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
    case CNN_PARAM_NAME_LIST:
        return "name list";
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
    if (variant->repeated) {
        /* One plan for all the variant's seeds (the runs after this one
         * of the same name): only the seed differs. */
        size_t used = 0;
        text[0] = '\0';
        for (const struct cnn_variant *run = variant;
             run < manifest->variants + manifest->variant_count &&
             strcmp(run->name, variant->name) == 0 && used < sizeof text;
             run++)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     "%s%llu", run == variant ? "" : ", ",
                                     (unsigned long long)run->seed);
        printf("variant %s -> %s/%s/%s/seed-<s>/, one run per seed\n",
               variant->name, out_directory, manifest->name, variant->name);
        printf("  seed%s %s", strchr(text, ',') ? "s" : "", text);
    } else {
        printf("variant %s -> %s/%s/%s\n", variant->name, out_directory,
               manifest->name, variant->name);
        printf("  seed %llu", (unsigned long long)config->seed);
    }
    if (variant->repeated || config->split_seed != config->seed)
        printf(" (the data's split seed %llu)",
               (unsigned long long)config->split_seed);
    printf(", device %s, %d threads\n", cnn_device_name(config->device),
           config->threads);
    cnn_params_format(&config->loader_params, text, sizeof text);
    printf("  data: %s {%s}", config->loader->name, text);
    if (config->limit)
        printf(", at most %ld images per split", config->limit);
    printf("\n  model: input [%d, %d, %d]\n", model->input.c, model->input.h,
           model->input.w);
    if (variant->source && variant->source->sibling)
        printf("  weights from variant %s%s: %s/%s/%s%s/model.safetensors\n",
               variant->source->variant,
               variant->source->repeated ? ", the same seed" : "",
               out_directory, variant->source->experiment,
               variant->source->variant,
               variant->source->repeated ? "/seed-<s>" : "");
    else if (variant->source)
        printf("  model from %s (variant %s), weights %s/%s/%s/"
               "model.safetensors\n",
               variant->source->path, variant->source->variant,
               out_directory, variant->source->experiment,
               variant->source->run);
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
        printf("    %-4d %-10s %-12s %-18s %12zu%s\n", i + 1, layer->name,
               layer->type->name, shape, count,
               cnn_model_is_frozen(model, i) ? "  frozen" : "");
    }
    size_t frozen = cnn_model_frozen_parameters(model);
    if (frozen > 0)
        printf("    total parameters: %zu (%zu trainable, %zu frozen)\n",
               total, total - frozen, frozen);
    else
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
    int variants = cnn_manifest_variant_names(&manifest);
    if (manifest.seed_count > 0) {
        /* The runs: every variant once per seed (--variant and --seed
         * may have kept fewer). */
        int seeds = manifest.variant_count / variants;
        printf("%s: experiment %s, %d variant%s x %d seed%s = %d run%s\n",
               manifest.path, manifest.name, variants,
               variants == 1 ? "" : "s", seeds, seeds == 1 ? "" : "s",
               manifest.variant_count,
               manifest.variant_count == 1 ? "" : "s");
    } else {
        printf("%s: experiment %s, %d variant%s\n", manifest.path,
               manifest.name, variants, variants == 1 ? "" : "s");
    }
    int status = CNN_EXIT_OK;
    for (int i = 0; i < manifest.variant_count; i++) {
        struct cnn_run_config config;
        struct cnn_model model;
        if (cnn_cli_validate_variant(registry, &manifest.variants[i], &config,
                                     &model, &err) < 0) {
            if (manifest.variant_count > 1)
                cnn_error_prefix(&err, "variant %s: ",
                                 manifest.variants[i].path);
            cnn_cli_report(&err);
            status = CNN_EXIT_USAGE;
            break;
        }
        if (cnn_manifest_first_of_variant(&manifest, i))
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
        if (spec->type == CNN_PARAM_INT_PAIR && spec->choices)
            printf(" or %s", spec->choices);
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
        if (c->kind == CNN_COMPONENT_LAYER_KERNELS ||
            c->kind == CNN_COMPONENT_LOSS_KERNELS ||
            c->kind == CNN_COMPONENT_OPTIMIZER_KERNELS) {
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

/* ---- `cnnlab plugins --markdown`: docs/reference.md, generated from the
 * schemas so that it cannot drift from what `cnnlab check` accepts. */

/* Where each kind of component appears in a manifest, in section order. */
static const struct {
    enum cnn_component_kind kind;
    const char *title;
    const char *where;
} reference_sections[] = {
    {CNN_COMPONENT_LAYER, "Layers",
     "In `model.layers`, in order: a name alone (`- relu`) takes every "
     "default; `- NAME: {KEY: VALUE, ...}` sets keys. Beside its own keys "
     "every layer with parameters takes the core's `trainable: false`, "
     "which freezes them (see manifest.md)."},
    {CNN_COMPONENT_LOSS, "Losses",
     "`train.loss`: a name, or `{NAME: {KEY: VALUE, ...}}`."},
    {CNN_COMPONENT_OPTIMIZER, "Optimizers",
     "`train.optimizer`: a name, or `{NAME: {KEY: VALUE, ...}}`."},
    {CNN_COMPONENT_LOADER, "Loaders",
     "`data.loader: NAME`, with the loader's keys beside it in `data:` "
     "(next to the core's `mean`, `std`, `limit` and `split_seed`, see "
     "manifest.md)."},
    {CNN_COMPONENT_ANALYSIS, "Analyses",
     "In `analyses:`: a name, or `{NAME: {KEY: VALUE, ...}}`."},
};
#define REFERENCE_SECTION_COUNT \
    ((int)(sizeof reference_sections / sizeof *reference_sections))

static int reference_section(enum cnn_component_kind kind)
{
    for (int i = 0; i < REFERENCE_SECTION_COUNT; i++)
        if (reference_sections[i].kind == kind)
            return i;
    return -1;
}

/* Section, then name, then device (the CPU first): the order does not
 * depend on which modules loaded first, and of a component that several
 * devices implement the CPU's comes first and is the one shown. */
static int compare_components(const void *a, const void *b)
{
    const struct cnn_component *x = *(const struct cnn_component *const *)a;
    const struct cnn_component *y = *(const struct cnn_component *const *)b;
    int order = reference_section(x->kind) - reference_section(y->kind);
    if (order == 0)
        order = strcmp(x->name, y->name);
    if (order == 0)
        order = (int)x->device - (int)y->device;
    return order;
}

/* Text in a Markdown table cell or paragraph: a backslash before what
 * would end the cell or start markup. */
static void print_markdown_text(const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            putchar(' ');
            continue;
        }
        if (strchr("\\`*_[]<>|", *p))
            putchar('\\');
        putchar(*p);
    }
}

static void print_reference_values(const struct cnn_param_spec *spec)
{
    if (spec->type == CNN_PARAM_CHOICE && spec->choices) {
        const char *choice = spec->choices;
        while (*choice) {
            size_t length = strcspn(choice, "|");
            printf("%s`%.*s`", choice == spec->choices ? "" : ", ",
                   (int)length, choice);
            choice += length + (choice[length] == '|');
        }
    } else if (spec->type == CNN_PARAM_BOOL)
        printf("`true`, `false`");
    else if (spec->type == CNN_PARAM_NAME_LIST)
        printf("distinct names, `[a, b]`");
    else if (spec->min != 0 || spec->max != 0)
        printf("%.15g to %.15g", spec->min, spec->max);
    else
        printf("any");
    /* The words an INT_PAIR takes instead of numbers (padding: same). */
    if (spec->type == CNN_PARAM_INT_PAIR && spec->choices) {
        const char *word = spec->choices;
        while (*word) {
            size_t length = strcspn(word, "|");
            printf(", or `%.*s`", (int)length, word);
            word += length + (word[length] == '|');
        }
    }
}

static void print_reference_component(const struct cnn_component *c)
{
    const char *file = strrchr(c->module_path, '/');
    printf("### `%s`\n\n", c->name);
    print_markdown_text(c->help);
    printf("\n\nModule `%s` %s (`%s`).\n\n", c->module_name,
           c->module_version, file ? file + 1 : c->module_path);
    if (c->param_count == 0) {
        printf("No keys.\n\n");
        return;
    }
    printf("| key | type | default | values | meaning |\n"
           "| --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < c->param_count; i++) {
        const struct cnn_param_spec *spec = &c->params[i];
        printf("| `%s` | %s | ", spec->name, param_type_name(spec->type));
        if (!spec->default_value)
            printf("required");
        else if (!spec->default_value[0])
            printf("`\"\"`"); /* an empty text: show that it is one */
        else
            printf("`%s`", spec->default_value);
        printf(" | ");
        print_reference_values(spec);
        printf(" | ");
        print_markdown_text(spec->help ? spec->help : "");
        printf(" |\n");
    }
    printf("\n");
}

int cnn_cli_plugins_markdown(const struct cnn_registry *registry)
{
    int count = cnn_registry_count(registry);
    const struct cnn_component **shown = calloc((size_t)count + 1,
                                                sizeof *shown);
    if (!shown) {
        fprintf(stderr, "cnnlab: out of memory\n");
        return CNN_EXIT_RUN_FAILED;
    }
    int shown_count = 0;
    for (int i = 0; i < count; i++) {
        const struct cnn_component *c = cnn_registry_at(registry, i);
        if (reference_section(c->kind) >= 0)
            shown[shown_count++] = c;
    }
    if (shown_count == 0) {
        free(shown);
        fprintf(stderr, "cnnlab: no plugin module found (the build's plugin "
                        "directory is missing; set CNNLAB_PLUGIN_PATH)\n");
        return CNN_EXIT_USAGE;
    }
    qsort(shown, (size_t)shown_count, sizeof *shown, compare_components);
    printf("# Component reference\n\n"
           "<!-- Generated by `cnnlab plugins --markdown` from the "
           "parameter schemas the\n"
           "     plugins declare: do not edit. `make update-reference` "
           "rewrites it. -->\n\n"
           "Every layer, loss, optimizer, loader and analysis a manifest "
           "can name, with\n"
           "the keys each accepts, as its plugin declares them. `cnnlab "
           "check` validates a\n"
           "manifest against exactly these: an unknown key, a value of "
           "another type or\n"
           "outside its values is an error at its `file:line:column`. "
           "Keys marked\n"
           "required have no default. The manifest's own keys (`seed`, "
           "`data`, `model`,\n"
           "`train`, `variants`, ...) are in [manifest.md](manifest.md); "
           "`cnnlab plugins`\n"
           "also lists which devices implement each layer.\n\n");
    int section = -1;
    for (int i = 0; i < shown_count; i++) {
        const struct cnn_component *c = shown[i];
        if (i > 0 && c->kind == shown[i - 1]->kind &&
            strcmp(c->name, shown[i - 1]->name) == 0)
            continue; /* another device's implementation: the same keys */
        if (reference_section(c->kind) != section) {
            section = reference_section(c->kind);
            printf("## %s\n\n%s\n\n", reference_sections[section].title,
                   reference_sections[section].where);
        }
        print_reference_component(c);
    }
    free(shown);
    return CNN_EXIT_OK;
}
