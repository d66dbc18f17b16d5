/* cnnlab — `cnnlab eval MANIFEST --weights FILE [--split S]`: evaluates
 * given weights (cnnlab's own model.safetensors, or a PyTorch state_dict
 * saved as safetensors) on one split of the manifest's data, training
 * nothing. Prints the accuracy and loss and writes
 * <out>/<experiment>/<variant>/eval-<split>/predictions.csv (index, label,
 * predicted) and eval.json, each atomically. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "analysis/analysis.h"
#include "cnnlab/atomic_file.h"
#include "cli/cli.h"
#include "cli/cli_validate.h"
#include "model/model_weights.h"
#include "run/run_dir.h"
#include "run/runner.h"

struct eval_options {
    struct cnn_cli_options cli;
    const char *weights;
    const char *split;   /* "test", "val" or "train" */
};

static int eval_usage(const char *fmt, const char *detail)
{
    fprintf(stderr, "cnnlab eval: ");
    fprintf(stderr, fmt, detail);
    fprintf(stderr, "\nUsage: cnnlab eval MANIFEST --weights FILE [--split "
                    "test|val|train] [--variant V] [--seed S] [--profile P] "
                    "[--out DIR] [KEY=VALUE ...]\n");
    return CNN_EXIT_USAGE;
}

static int parse_arguments(int argc, char **argv, struct eval_options *o)
{
    static const char *const names[] = {"--profile", "--variant", "--out",
                                        "--weights", "--split", "--seed"};
    const char **targets[] = {&o->cli.profile, &o->cli.variant,
                              &o->cli.out_directory, &o->weights, &o->split,
                              &o->cli.seed};
    o->cli.out_directory = "results";
    o->split = "test";
    o->cli.overrides = calloc((size_t)argc, sizeof(char *));
    if (!o->cli.overrides)
        return eval_usage("%s", "out of memory");
    for (int i = 2; i < argc; i++) {
        int taken = 0;
        for (int k = 0; k < 6 && !taken; k++) {
            taken = cnn_cli_option_value(argc, argv, &i, names[k], targets[k]);
            if (taken < 0)
                return eval_usage("option %s needs a value", names[k]);
        }
        if (taken)
            continue;
        const char *arg = argv[i];
        if (arg[0] == '-')
            return eval_usage("unknown option '%s'", arg);
        if (!o->cli.manifest)
            o->cli.manifest = arg;
        else if (strchr(arg, '='))
            o->cli.overrides[o->cli.override_count++] = arg;
        else
            return eval_usage("'%s' is neither an option nor KEY=VALUE", arg);
    }
    if (!o->cli.manifest)
        return eval_usage("%s", "missing MANIFEST");
    if (!o->cli.out_directory[0])
        return eval_usage("%s", "--out is empty: give the folder for the "
                                "results (an unset shell variable?)");
    if (!o->weights || !o->weights[0])
        return eval_usage("%s", "missing --weights FILE (a safetensors file "
                                "of this model's tensors)");
    if (strcmp(o->split, "test") && strcmp(o->split, "val") &&
        strcmp(o->split, "train"))
        return eval_usage("--split must be test, val or train, not '%s'",
                          o->split);
    return 0;
}

static int make_directories(const char *path, struct cnn_error *err)
{
    char copy[4096];
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
        return cnn_error_set(err, "the directory name '%s' is too long",
                             path);
    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char kept = *p;
        *p = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            return cnn_error_set(err, "cannot create directory '%s': %s",
                                 copy, strerror(errno));
        if (kept == '\0')
            return 0;
        *p = kept;
    }
}

static int write_predictions(const char *path, const struct cnn_dataset *set,
                             const int32_t *predictions,
                             struct cnn_error *err)
{
    struct cnn_atomic_file file;
    if (cnn_atomic_open(&file, path, err) < 0)
        return -1;
    fputs("index,label,predicted\n", file.stream);
    for (int i = 0; i < set->count; i++)
        fprintf(file.stream, "%d,%d,%d\n", i, (int)set->labels[i],
                (int)predictions[i]);
    return cnn_atomic_commit(&file, err);
}

struct eval_result {
    const char *split;
    const char *weights;
    int samples;
    int correct;
    double accuracy; /* % */
    double loss;     /* mean cross-entropy (the manifest's loss) */
};

static int write_record(const char *path, const struct cnn_manifest *manifest,
                        const struct cnn_variant *variant,
                        const struct cnn_run_config *config,
                        const char *device_text,
                        const struct eval_result *r, struct cnn_error *err)
{
    char finished[32];
    cnn_utc_timestamp(finished, sizeof finished);
    json_t *record = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:s, s:s, s:s, s:s}",
        "experiment", manifest->name, "variant", variant->name, "manifest",
        manifest->path, "weights", r->weights, "split", r->split, "samples",
        r->samples, "correct", r->correct, "accuracy", r->accuracy, "loss",
        r->loss, "device", cnn_device_name(config->device), "device_name",
        device_text, "cnnlab_version", PACKAGE_VERSION, "finished",
        finished);
    if (record && variant->repeated)
        json_object_set_new(record, "seed",
                            json_integer((json_int_t)variant->seed));
    char *text = record ? json_dumps(record, JSON_INDENT(2) |
                                                 JSON_PRESERVE_ORDER |
                                                 JSON_REAL_PRECISION(10))
                        : NULL;
    json_decref(record);
    if (!text)
        return cnn_error_set(err, "cannot format '%s'", path);
    struct cnn_atomic_file file;
    int status = cnn_atomic_open(&file, path, err);
    if (status == 0) {
        fprintf(file.stream, "%s\n", text);
        status = cnn_atomic_commit(&file, err);
    }
    free(text);
    return status;
}

static const struct cnn_dataset *chosen_split(const struct cnn_data *data,
                                              const char *split)
{
    if (strcmp(split, "train") == 0)
        return &data->train;
    return strcmp(split, "val") == 0 ? &data->val : &data->test;
}

/* Evaluates the loaded model and writes the files; returns an exit
 * status. */
static int evaluate_and_write(const struct eval_options *o,
                              const struct cnn_manifest *manifest,
                              const struct cnn_variant *variant,
                              const struct cnn_run_config *config,
                              struct cnn_model *model,
                              const struct cnn_data *data,
                              struct cnn_error *err)
{
    const struct cnn_dataset *set = chosen_split(data, o->split);
    if (set->count == 0) {
        cnn_error_set(err,
                      "the %s split of %s is empty: evaluate another "
                      "--split, or give the loader a %s split",
                      o->split, manifest->path, o->split);
        return CNN_EXIT_USAGE;
    }
    int32_t *predictions = malloc((size_t)set->count * sizeof *predictions);
    if (!predictions) {
        cnn_error_set(err, "out of memory for %d predictions", set->count);
        return CNN_EXIT_RUN_FAILED;
    }
    struct eval_result r = {o->split, o->weights, set->count, 0, 0, 0};
    int status = cnn_evaluate(model, set, &config->train, &r.loss,
                              &r.accuracy, predictions, err);
    for (int i = 0; status == 0 && i < set->count; i++)
        r.correct += predictions[i] == set->labels[i];

    char variant_directory[4096], directory[4200], path[4300];
    char device_text[256];
    if (status == 0)
        status = cnn_path_format(variant_directory, sizeof variant_directory,
                                 err, "%s/%s/%s", o->cli.out_directory,
                                 manifest->name, variant->path);
    if (status == 0)
        status = cnn_path_format(directory, sizeof directory, err,
                                 "%s/eval-%s", variant_directory, o->split);
    cnn_describe_device(model, config->threads, device_text,
                        sizeof device_text);
    /* The variant's lock, as a run or analyse takes it: no run writes
     * there while eval does (and its killed temporaries are cleared). */
    struct cnn_run_dir lock = {.lock_fd = -1};
    if (status == 0)
        status = cnn_run_dir_open(&lock, variant_directory, err);
    if (status == 0)
        status = make_directories(directory, err);
    if (status == 0) {
        status = cnn_path_format(path, sizeof path, err,
                                 "%s/predictions.csv", directory);
    }
    if (status == 0) {
        status = write_predictions(path, set, predictions, err);
    }
    if (status == 0) {
        status = cnn_path_format(path, sizeof path, err, "%s/eval.json",
                                 directory);
    }
    if (status == 0) {
        status = write_record(path, manifest, variant, config, device_text,
                              &r, err);
    }
    cnn_run_dir_close(&lock);
    free(predictions);
    if (status < 0)
        return CNN_EXIT_RUN_FAILED;
    printf("%s/%s: %s accuracy %.2f%% (%d of %d), loss %.4f, weights %s\n"
           "wrote %s/predictions.csv and eval.json\n",
           manifest->name, variant->path, o->split, r.accuracy, r.correct,
           r.samples, r.loss, o->weights, directory);
    return fflush(stdout) == 0 ? CNN_EXIT_OK : CNN_EXIT_RUN_FAILED;
}

/* Builds the model, loads the weights (before any data: a file of another
 * model costs nothing), loads the data, evaluates. Returns an exit
 * status. */
static int evaluate_variant(const struct cnn_registry *registry,
                            const struct eval_options *o,
                            const struct cnn_manifest *manifest,
                            const struct cnn_variant *variant,
                            struct cnn_error *err)
{
    struct cnn_run_config config;
    struct cnn_model model;
    if (cnn_cli_validate_variant(registry, variant, &config, &model, err) < 0)
        return CNN_EXIT_USAGE;
    model.context.threads = config.threads;
    int exit_status = CNN_EXIT_OK;
    if (config.device_type &&
        cnn_model_use_device(&model, config.device_type,
                             &config.device_options, err) < 0)
        exit_status = CNN_EXIT_RUN_FAILED;
    if (exit_status == CNN_EXIT_OK &&
        cnn_model_allocate(&model, config.seed, err) < 0)
        exit_status = CNN_EXIT_RUN_FAILED;
    if (exit_status == CNN_EXIT_OK &&
        cnn_model_load_weights(&model, o->weights, err) < 0)
        exit_status = CNN_EXIT_USAGE;
    struct cnn_data data;
    if (exit_status == CNN_EXIT_OK &&
        cnn_run_load_data(manifest, variant, &config, &model, &data, err) <
            0)
        exit_status = CNN_EXIT_RUN_FAILED;
    else if (exit_status == CNN_EXIT_OK) {
        exit_status = evaluate_and_write(o, manifest, variant, &config,
                                         &model, &data, err);
        cnn_data_free(&data);
    }
    cnn_model_free(&model);
    cnn_run_config_free(&config);
    return exit_status;
}

static int eval_manifest(struct cnn_registry *registry,
                         const struct eval_options *o,
                         struct cnn_error *err)
{
    struct cnn_manifest manifest;
    if (cnn_cli_load_manifest(registry, &o->cli, &manifest, err) < 0)
        return CNN_EXIT_USAGE;
    int status;
    int variants = cnn_manifest_variant_names(&manifest);
    if (variants != 1) {
        char names[1024] = "";
        size_t used = 0;
        for (int i = 0; i < manifest.variant_count && used < sizeof names;
             i++)
            if (cnn_manifest_first_of_variant(&manifest, i))
                used += (size_t)snprintf(names + used, sizeof names - used,
                                         "%s%s", i ? ", " : "",
                                         manifest.variants[i].name);
        cnn_error_set(err,
                      "%s has %d variants (%s): weights fit one model, so "
                      "choose it with --variant NAME",
                      manifest.path, variants, names);
        status = CNN_EXIT_USAGE;
    } else if (manifest.variant_count != 1) {
        char seeds[512];
        cnn_manifest_format_seeds(&manifest, seeds, sizeof seeds);
        cnn_error_set(err,
                      "%s runs %s once per seed (%s): say which seed's run "
                      "directory gets eval-%s/ with --seed S",
                      manifest.path, manifest.variants[0].name, seeds,
                      o->split);
        status = CNN_EXIT_USAGE;
    } else {
        status = evaluate_variant(registry, o, &manifest,
                                  &manifest.variants[0], err);
    }
    cnn_manifest_free(&manifest);
    return status;
}

int cnn_cli_eval(int argc, char **argv)
{
    struct eval_options o;
    memset(&o, 0, sizeof o);
    if (parse_arguments(argc, argv, &o) != 0) {
        free(o.cli.overrides);
        return CNN_EXIT_USAGE;
    }
    struct cnn_error err = {0};
    struct cnn_registry *registry = cnn_registry_new();
    int status;
    if (!registry) {
        cnn_error_set(&err, "out of memory");
        status = CNN_EXIT_USAGE;
    } else if (cnn_registry_load_default(registry, &err) < 0) {
        status = CNN_EXIT_USAGE;
    } else {
        status = eval_manifest(registry, &o, &err);
    }
    if (status != CNN_EXIT_OK && err.failed)
        cnn_cli_report(&err);
    if (registry)
        cnn_registry_free(registry);
    free(o.cli.overrides);
    return status;
}
