/* cnnlab — checking a resolved manifest against the schemas. The core's own
 * keys are declared as parameter schemas too, so they get the same errors
 * (type, range, did-you-mean) as the plugins'. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/labels_setting.h"
#include "config/params_node.h"
#include "run/run_config.h"

static const struct cnn_param_spec top_level_specs[] = {
    {"seed", CNN_PARAM_INT, "1", 0, 4294967295.0, NULL,
     "seeds every random choice of the run", },
    {"device", CNN_PARAM_CHOICE, "auto", 0, 0, "auto|cpu|cuda",
     "where to train: auto picks cuda when a GPU module and device exist"},
    {"threads", CNN_PARAM_INT, "0", 0, 1024, NULL,
     "CPU threads (0: every core)"},
    {"name", CNN_PARAM_STRING, "", 0, 0, NULL, "experiment name"},
    {"description", CNN_PARAM_STRING, "", 0, 0, NULL, "free text"},
};

static const struct cnn_param_spec data_specs[] = {
    {"mean", CNN_PARAM_FLOAT_LIST, "[0]", -1000, 1000, NULL,
     "per-channel mean subtracted after scaling pixels to [0, 1]"},
    {"std", CNN_PARAM_FLOAT_LIST, "[1]", 1e-6, 1000, NULL,
     "per-channel standard deviation divided by"},
    {"limit", CNN_PARAM_INT, "0", 0, 1e9, NULL,
     "keep at most this many images per split (0: all; idx keeps the "
     "first, imagefolder a class-balanced seeded choice)"},
    /* The default is not this text: a missing split_seed is the run's
     * seed (parse_data), as the loaders were always given. */
    {"split_seed", CNN_PARAM_INT, "1", 0, 4294967295.0, NULL,
     "seeds the data: the loader's split, limit choice and synthesis "
     "(default: the run's seed; with seeds: or repeats: 1, so that every "
     "seed sees the same images)"},
};

static const struct cnn_param_spec train_specs[] = {
    {"epochs", CNN_PARAM_INT, "10", 0, 1e6, NULL,
     "passes over the data (0: evaluate the starting weights only; the "
     "default with model.from)"},
    {"batch", CNN_PARAM_INT, "64", 1, 65536, NULL, "training batch size"},
    {"eval_batch", CNN_PARAM_INT, "256", 1, 65536, NULL,
     "batch size for evaluation"},
    {"select", CNN_PARAM_CHOICE, "best-val", 0, 0, "best-val|last",
     "which epoch's weights are the result"},
    {"lr_reference_batch", CNN_PARAM_INT, "0", 0, 65536, NULL,
     "the linear scaling rule: the optimizer's lr is the rate at this "
     "batch size, and is multiplied by batch / lr_reference_batch (0: "
     "off)"},
    {"freeze", CNN_PARAM_NAME_LIST, "[]", 0, 0, NULL,
     "layers (conv1, fc1, ...) whose parameters training leaves as they "
     "are, as `trainable: false` on each"},
};

/* Settings of the CUDA device, used only when the run is on it. */
static const struct cnn_param_spec cuda_specs[] = {
    {"device", CNN_PARAM_INT, "0", 0, 64, NULL,
     "which GPU (0-based, as CUDA numbers them)"},
    {"deterministic", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "only deterministic cuDNN algorithms: bit-identical reruns, maybe "
     "slower"},
    {"tf32", CNN_PARAM_BOOL, "false", 0, 0, NULL,
     "allow TensorFloat-32 matrix arithmetic (faster, ~1e-3 relative "
     "error)"},
    {"graphs", CNN_PARAM_BOOL, "true", 0, 0, NULL,
     "capture each step as a CUDA graph and replay it"},
};

#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

/* Validates the scalar keys of `node` against `specs`, leaving out
 * `skip` keys, which the caller handles. */
/* A key of `node` that is neither in `specs` nor one of the `skip` keys
 * (sections handled apart): the suggestion and the known keys include
 * both, so a misspelt `shedule` is pointed at `schedule`. */
static int unknown_key(const struct cnn_param_spec *specs, int count,
                       const struct cnn_node *node,
                       const char *const *skip, int skip_count,
                       const char *component, struct cnn_error *err)
{
    const char *names[64];
    int known_count = 0;
    char known[1024] = "";
    size_t used = 0;
    for (int i = 0; i < count + skip_count && known_count < 64; i++) {
        names[known_count] = i < count ? specs[i].name : skip[i - count];
        int n = snprintf(known + used, sizeof known - used, "%s%s",
                         used ? ", " : "", names[known_count]);
        if (n > 0 && (size_t)n < sizeof known - used)
            used += (size_t)n;
        known_count++;
    }
    for (int k = 0; node && k < node->count; k++) {
        int found = 0;
        for (int i = 0; i < known_count; i++)
            found |= strcmp(node->keys[k], names[i]) == 0;
        if (found)
            continue;
        const char *guess = cnn_did_you_mean(node->keys[k], names,
                                             known_count);
        return cnn_error_at(err, node->key_marks[k],
                            "unknown parameter '%s' for %s%s%s%s (known: %s)",
                            node->keys[k], component,
                            guess ? "; did you mean '" : "",
                            guess ? guess : "", guess ? "'?" : "", known);
    }
    return 0;
}

static int params_except(struct cnn_params *params,
                         const struct cnn_param_spec *specs, int count,
                         const struct cnn_node *node,
                         const char *const *skip, int skip_count,
                         const char *component, struct cnn_mark where,
                         struct cnn_error *err)
{
    if (node && node->kind != CNN_NODE_MAP)
        return cnn_error_at(err, node->mark, "'%s' must be a mapping",
                            component);
    if (unknown_key(specs, count, node, skip, skip_count, component, err) < 0)
        return -1;
    struct cnn_node *copy = node ? cnn_node_clone(node) : NULL;
    if (node && !copy)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; copy && i < skip_count; i++)
        cnn_node_map_remove(copy, skip[i]);
    int status = cnn_params_from_node(params, specs, count, copy,
                                      node ? node->mark : where, component,
                                      err);
    cnn_node_free(copy);
    return status;
}

/* `sgd` or `{sgd: {lr: 0.1}}`. */
static int component_reference(const struct cnn_node *node, const char *what,
                               const char **name,
                               const struct cnn_node **params,
                               struct cnn_mark *mark, struct cnn_error *err)
{
    *mark = node->mark;
    *params = NULL;
    if (node->kind == CNN_NODE_SCALAR) {
        *name = node->text;
        return 0;
    }
    if (node->kind == CNN_NODE_MAP && node->count == 1) {
        *name = node->keys[0];
        *mark = node->key_marks[0];
        *params = node->items[0];
        if ((*params)->kind == CNN_NODE_SCALAR && !(*params)->text[0])
            *params = NULL;
        return 0;
    }
    return cnn_error_at(err, node->mark,
                        "%s is a name (`sgd`) or a mapping with one key "
                        "(`sgd: {lr: 0.01}`)",
                        what);
}

/* Splits data's keys into the core's (normalisation, limit; augment has
 * its own parser) and the loader's. */
static int split_data_keys(const struct cnn_node *data,
                           struct cnn_node *core_part,
                           struct cnn_node *loader_part, struct cnn_error *err)
{
    for (int i = 0; i < data->count; i++) {
        const char *key = data->keys[i];
        if (strcmp(key, "loader") == 0 || strcmp(key, "augment") == 0)
            continue;
        int is_core = 0;
        for (int k = 0; k < COUNT(data_specs); k++)
            is_core |= strcmp(key, data_specs[k].name) == 0;
        struct cnn_node *value = cnn_node_clone(data->items[i]);
        if (!value ||
            cnn_node_map_set(is_core ? core_part : loader_part, key,
                             data->key_marks[i], value) != 0)
            return cnn_error_set(err, "out of memory");
    }
    return 0;
}

/* The core's data settings: normalisation, limit, split seed. */
static int read_core_data(struct cnn_run_config *config,
                          const struct cnn_node *data,
                          const struct cnn_params *core_params,
                          struct cnn_error *err)
{
    const double *mean, *std;
    int means = cnn_param_floats(core_params, "mean", &mean);
    int stds = cnn_param_floats(core_params, "std", &std);
    if (means > CNN_NORMALIZE_MAX || stds > CNN_NORMALIZE_MAX ||
        (means != stds && means != 1 && stds != 1))
        return cnn_error_at(err, data->mark,
                            "data.mean and data.std need one value, or one "
                            "per channel (up to %d)",
                            CNN_NORMALIZE_MAX);
    struct cnn_normalization *norm = &config->train.normalization;
    norm->count = means > stds ? means : stds;
    for (int c = 0; c < norm->count; c++) {
        norm->mean[c] = mean[means == 1 ? 0 : c];
        norm->std[c] = std[stds == 1 ? 0 : c];
    }
    config->limit = cnn_param_int(core_params, "limit");
    /* A repeated experiment's runs have it set (manifest.c); a single run
     * draws its data from its own seed, as it always did. */
    config->split_seed =
        cnn_node_get(data, "split_seed")
            ? (uint64_t)cnn_param_int(core_params, "split_seed")
            : config->seed;
    return 0;
}

static int parse_data(struct cnn_run_config *config,
                      const struct cnn_registry *registry,
                      const struct cnn_node *resolved, struct cnn_error *err)
{
    const struct cnn_node *data = cnn_node_get(resolved, "data");
    if (!data || data->kind != CNN_NODE_MAP)
        return cnn_error_at(err, data ? data->mark : resolved->mark,
                            "the manifest needs 'data: {loader: ..., ...}'");
    const struct cnn_node *loader_node = cnn_node_get(data, "loader");
    const char *loader_name;
    if (!loader_node)
        return cnn_error_at(err, data->mark,
                            "data: missing 'loader' (e.g. loader: idx)");
    if (cnn_node_to_string(loader_node, &loader_name, err) < 0)
        return -1;
    config->loader = cnn_registry_loader(registry, loader_name);
    if (!config->loader)
        return cnn_registry_unknown(registry, CNN_COMPONENT_LOADER,
                                    loader_name, loader_node->mark, err);

    struct cnn_node *core_part = cnn_node_new_map(data->mark);
    struct cnn_node *loader_part = cnn_node_new_map(data->mark);
    int status = core_part && loader_part
                     ? split_data_keys(data, core_part, loader_part, err)
                     : cnn_error_set(err, "out of memory");
    struct cnn_params core_params = {0};
    char component[128];
    snprintf(component, sizeof component, "data (loader %s)", loader_name);
    if (status == 0)
        status = cnn_params_from_node(&core_params, data_specs,
                                      COUNT(data_specs), core_part,
                                      data->mark, "data", err);
    if (status == 0)
        status = cnn_params_from_node(
            &config->loader_params, config->loader->params,
            config->loader->param_count, loader_part, data->mark, component,
            err);
    if (status == 0)
        status = cnn_labels_setting_check(data, config->loader->params,
                                          config->loader->param_count,
                                          component, err);
    if (status == 0)
        status = cnn_augment_settings_parse(cnn_node_get(data, "augment"),
                                            &config->train.augmentation, err);
    if (status == 0)
        status = read_core_data(config, data, &core_params, err);
    cnn_params_free(&core_params);
    cnn_node_free(core_part);
    cnn_node_free(loader_part);
    return status;
}

/* A settings parse's error, placed at the component's manifest entry. */
static int settings_error(struct cnn_mark mark, struct cnn_error *err)
{
    struct cnn_error unplaced = *err;
    return cnn_error_at(err, mark, "%s", unplaced.message);
}

/* The message when the run's device lacks a component's kernels;
 * `on_cpu` says whether the CPU has them. */
static int no_kernels(const char *kind, const char *name, int on_cpu,
                      const struct cnn_run_config *config,
                      struct cnn_mark mark, struct cnn_error *err)
{
    if (on_cpu)
        return cnn_error_at(err, mark,
                            "%s '%s' has only a CPU implementation in the "
                            "loaded modules, but the run is on %s: use "
                            "device: cpu, or another %s",
                            kind, name, cnn_device_name(config->device),
                            kind);
    return cnn_error_at(err, mark,
                        "%s '%s' has no kernels for %s in the loaded "
                        "modules (its module defines it but no module "
                        "implements it there): load the module with its "
                        "kernels, or use another %s",
                        kind, name, cnn_device_name(config->device), kind);
}

/* `train.loss`: the definition, its settings parsed once, the device's
 * kernels. */
static int parse_loss(struct cnn_run_config *config,
                      const struct cnn_registry *registry,
                      const struct cnn_node *reference, struct cnn_error *err)
{
    const char *name;
    const struct cnn_node *component_params;
    struct cnn_mark mark;
    if (component_reference(reference, "train.loss", &name,
                            &component_params, &mark, err) < 0)
        return -1;
    const struct cnn_loss_type *loss = cnn_registry_loss(registry, name);
    if (!loss)
        return cnn_registry_unknown(registry, CNN_COMPONENT_LOSS, name, mark,
                                    err);
    config->train.loss = loss;
    config->train.loss_kernels =
        cnn_registry_loss_kernels(registry, name, config->device);
    if (!config->train.loss_kernels)
        return no_kernels("loss", name,
                          cnn_registry_loss_kernels(registry, name,
                                                    CNN_DEVICE_CPU) != NULL,
                          config, mark, err);
    if (cnn_params_from_node(&config->loss_params, loss->params,
                             loss->param_count, component_params, mark, name,
                             err) < 0)
        return -1;
    config->loss_settings =
        cnn_loss_parse_settings(loss, &config->loss_params, err);
    if (!config->loss_settings)
        return settings_error(mark, err);
    config->train.loss_settings = config->loss_settings;
    return 0;
}

/* `train.optimizer`, as parse_loss. */
static int parse_optimizer(struct cnn_run_config *config,
                           const struct cnn_registry *registry,
                           const struct cnn_node *reference,
                           struct cnn_error *err)
{
    const char *name;
    const struct cnn_node *component_params;
    struct cnn_mark mark;
    if (component_reference(reference, "train.optimizer", &name,
                            &component_params, &mark, err) < 0)
        return -1;
    const struct cnn_optimizer_type *optimizer =
        cnn_registry_optimizer(registry, name);
    if (!optimizer)
        return cnn_registry_unknown(registry, CNN_COMPONENT_OPTIMIZER, name,
                                    mark, err);
    config->train.optimizer = optimizer;
    config->train.optimizer_kernels =
        cnn_registry_optimizer_kernels(registry, name, config->device);
    if (!config->train.optimizer_kernels)
        return no_kernels("optimizer", name,
                          cnn_registry_optimizer_kernels(
                              registry, name, CNN_DEVICE_CPU) != NULL,
                          config, mark, err);
    if (cnn_params_from_node(&config->optimizer_params, optimizer->params,
                             optimizer->param_count, component_params, mark,
                             name, err) < 0)
        return -1;
    config->optimizer_settings = cnn_optimizer_parse_settings(
        optimizer, &config->optimizer_params, err);
    if (!config->optimizer_settings)
        return settings_error(mark, err);
    config->train.optimizer_settings = config->optimizer_settings;
    return 0;
}

int cnn_run_config_train_keys(struct cnn_params *params,
                              const struct cnn_node *resolved,
                              struct cnn_error *err)
{
    static const char *const components[] = {"loss", "optimizer",
                                             "schedule"};
    return params_except(params, train_specs, COUNT(train_specs),
                         cnn_node_get(resolved, "train"), components,
                         COUNT(components), "train", resolved->mark, err);
}

static int parse_train(struct cnn_run_config *config,
                       const struct cnn_registry *registry,
                       const struct cnn_node *resolved, struct cnn_error *err)
{
    const struct cnn_node *train = cnn_node_get(resolved, "train");
    /* Kept with the config: train.freeze's names point into them. */
    struct cnn_params *params = &config->train_params;
    if (cnn_run_config_train_keys(params, resolved, err) < 0)
        return -1;
    config->train.epochs = (int)cnn_param_int(params, "epochs");
    config->train.batch = (int)cnn_param_int(params, "batch");
    config->train.eval_batch = (int)cnn_param_int(params, "eval_batch");
    config->train.select_best =
        strcmp(cnn_param_string(params, "select"), "best-val") == 0;
    long reference = cnn_param_int(params, "lr_reference_batch");
    config->train.lr_batch_factor =
        reference > 0 ? (double)config->train.batch / (double)reference : 1;
    config->train.freeze_count =
        cnn_param_names(params, "freeze", &config->train.freeze,
                        &config->train.freeze_marks);

    const struct cnn_node *loss_node = cnn_node_get(train, "loss");
    const struct cnn_node *optimizer_node = cnn_node_get(train, "optimizer");
    struct cnn_mark mark = train ? train->mark : resolved->mark;
    struct cnn_node default_loss = {.kind = CNN_NODE_SCALAR, .mark = mark,
                                    .text = "cross-entropy"};
    struct cnn_node default_optimizer = {.kind = CNN_NODE_SCALAR,
                                         .mark = mark, .text = "sgd"};
    if (parse_loss(config, registry, loss_node ? loss_node : &default_loss,
                   err) < 0 ||
        parse_optimizer(config, registry,
                        optimizer_node ? optimizer_node : &default_optimizer,
                        err) < 0)
        return -1;
    if (cnn_schedule_parse(&config->train.schedule,
                           cnn_node_get(train, "schedule"),
                           train ? train->mark : resolved->mark, err) < 0)
        return -1;
    config->train.optimizer_params = &config->optimizer_params;
    config->train.seed = config->seed;
    return 0;
}

static int parse_cuda(struct cnn_run_config *config,
                      const struct cnn_node *resolved, struct cnn_error *err)
{
    struct cnn_params params = {0};
    if (params_except(&params, cuda_specs, COUNT(cuda_specs),
                      cnn_node_get(resolved, "cuda"), NULL, 0, "cuda",
                      resolved->mark, err) < 0)
        return -1;
    config->device_options = (struct cnn_device_options){
        .ordinal = (int)cnn_param_int(&params, "device"),
        .deterministic = cnn_param_bool(&params, "deterministic"),
        .allow_tf32 = cnn_param_bool(&params, "tf32"),
        .graphs = cnn_param_bool(&params, "graphs"),
    };
    cnn_params_free(&params);
    return 0;
}

/* The component a reference (`sgd` or `{sgd: {...}}`) names, `fallback`
 * when there is none, or NULL when it is malformed (its own check reports
 * that later). */
static const char *reference_name(const struct cnn_node *node,
                                  const char *fallback)
{
    if (!node)
        return fallback;
    const char *name = NULL;
    const struct cnn_node *params;
    struct cnn_mark mark;
    struct cnn_error ignored = {0};
    return component_reference(node, "", &name, &params, &mark,
                               &ignored) == 0
               ? name
               : NULL;
}

/* Whether every part of the run that needs a device implementation has a
 * CUDA one: the loss, the optimizer and each layer's kernels. Names that
 * do not resolve count as served: their own checks report them. */
static int cuda_serves(const struct cnn_registry *registry,
                       const struct cnn_node *resolved)
{
    const struct cnn_node *train = cnn_node_get(resolved, "train");
    const char *loss = reference_name(
        train ? cnn_node_get(train, "loss") : NULL, "cross-entropy");
    const char *optimizer = reference_name(
        train ? cnn_node_get(train, "optimizer") : NULL, "sgd");
    if (loss && cnn_registry_loss(registry, loss) &&
        !cnn_registry_loss_kernels(registry, loss, CNN_DEVICE_CUDA))
        return 0;
    if (optimizer && cnn_registry_optimizer(registry, optimizer) &&
        !cnn_registry_optimizer_kernels(registry, optimizer,
                                        CNN_DEVICE_CUDA))
        return 0;
    const struct cnn_node *layers =
        cnn_node_get_path(resolved, "model.layers");
    for (int i = 0; layers && layers->kind == CNN_NODE_SEQUENCE &&
                    i < layers->count; i++) {
        const char *type = reference_name(layers->items[i], NULL);
        if (type && cnn_registry_layer(registry, type) &&
            !cnn_registry_layer_kernels(registry, type, CNN_DEVICE_CUDA))
            return 0;
    }
    return 1;
}

/* `threads: 0` means every core, unless CNNLAB_THREADS says how many this
 * process may have: `cnnlab run --jobs N` shares the cores out among its
 * workers this way, and a Slurm task gets the CPUs of its allocation. A
 * number in the manifest always wins. */
static int threads_from_environment(int *threads, struct cnn_error *err)
{
    const char *text = getenv("CNNLAB_THREADS");
    if (!text || !text[0])
        return 0;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < 1 || value > 1024)
        return cnn_error_set(err,
                             "the environment's CNNLAB_THREADS='%s' is not a "
                             "thread count from 1 to 1024: set one, or unset "
                             "it to use every core",
                             text);
    *threads = (int)value;
    return 0;
}

/* auto: CUDA when a CUDA module is loaded, says a GPU is usable and
 * implements everything the run uses (else the CPU, which has it all). */
static int choose_device(struct cnn_run_config *config,
                         const struct cnn_registry *registry,
                         const struct cnn_node *resolved,
                         const char *requested, struct cnn_mark mark,
                         struct cnn_error *err)
{
    config->device = CNN_DEVICE_CPU;
    if (strcmp(requested, "cpu") == 0)
        return 0;
    const struct cnn_device_type *cuda =
        cnn_registry_device(registry, CNN_DEVICE_CUDA);
    struct cnn_error why = {0};
    if (!cuda)
        cnn_error_set(&why, "no CUDA plugin module is loaded (this build "
                      "has no CUDA backend: configure found no CUDA)");
    else if (cuda->available(&why))
        why.message[0] = '\0';
    if (strcmp(requested, "cuda") == 0 && why.message[0])
        return cnn_error_at(err, mark, "device: cuda, but %s%s", why.message,
                            strstr(why.message, "use device:")
                                ? ""
                                : "; use device: cpu or auto");
    if (!why.message[0] &&
        (strcmp(requested, "cuda") == 0 || cuda_serves(registry, resolved))) {
        config->device = CNN_DEVICE_CUDA;
        config->device_type = cuda;
    }
    return 0;
}

int cnn_run_config_parse(struct cnn_run_config *config,
                         const struct cnn_registry *registry,
                         const struct cnn_node *resolved,
                         struct cnn_error *err)
{
    memset(config, 0, sizeof *config);
    static const char *const sections[] = {
        "data", "model", "train", "analyses", "plugins", "cuda", "table",
    };
    struct cnn_params top = {0};
    if (params_except(&top, top_level_specs, COUNT(top_level_specs), resolved,
                      sections, COUNT(sections), "the manifest",
                      resolved->mark, err) < 0)
        return -1;
    config->seed = (uint64_t)cnn_param_int(&top, "seed");
    config->threads = (int)cnn_param_int(&top, "threads");
    if (config->threads == 0 &&
        threads_from_environment(&config->threads, err) < 0) {
        cnn_params_free(&top);
        return -1;
    }
    if (config->threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        config->threads = cores > 0 ? (int)cores : 1;
    }
    int status = choose_device(config, registry, resolved,
                               cnn_param_string(&top, "device"),
                               cnn_node_key_mark(resolved, "device"), err);
    cnn_params_free(&top);
    if (status == 0)
        status = parse_cuda(config, resolved, err);
    if (status == 0)
        status = parse_data(config, registry, resolved, err);
    if (status == 0) {
        config->model_node = cnn_node_get(resolved, "model");
        if (!config->model_node)
            status = cnn_error_at(err, resolved->mark,
                                  "the manifest needs 'model: {input: [...], "
                                  "layers: [...]}'");
    }
    if (status == 0)
        status = parse_train(config, registry, resolved, err);
    if (status == 0)
        status = cnn_analysis_list_parse(&config->analyses, registry,
                                         cnn_node_get(resolved, "analyses"),
                                         err);
    if (status < 0)
        cnn_run_config_free(config);
    return status;
}

void cnn_run_config_free(struct cnn_run_config *config)
{
    cnn_params_free(&config->loader_params);
    cnn_params_free(&config->train_params);
    cnn_params_free(&config->loss_params);
    cnn_params_free(&config->optimizer_params);
    free(config->loss_settings);
    free(config->optimizer_settings);
    cnn_analysis_list_free(&config->analyses);
    memset(config, 0, sizeof *config);
}
