/* cnnlab — a run's starting weights from model.weights or model.from (see
 * run_source.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "base/sha256.h"
#include "model/model_weights.h"
#include "run/run_source.h"

static int is_file(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

int cnn_run_source_weights(const struct cnn_model_source *source,
                           const char *out_directory, char *path, size_t size,
                           struct cnn_error *err)
{
    int length = snprintf(path, size, "%s/%s/%s/model.safetensors",
                          out_directory, source->experiment, source->run);
    if (length < 0 || (size_t)length >= size)
        return cnn_error_at(err, source->mark,
                            "model.from: the checkpoint's path under '%s' "
                            "is too long",
                            out_directory);
    return 0;
}

static void note(const struct cnn_run_options *options, const char *text)
{
    if (options->observer && options->observer->note)
        options->observer->note(options->observer->user, text);
}

/* Runs the source's variant into the same results directory. --force is
 * for the manifest given, not its sources: a source runs only because its
 * checkpoint is missing, and then a complete-looking run without it is
 * not complete. */
static int run_source(const struct cnn_registry *registry,
                      struct cnn_manifest *source,
                      const struct cnn_run_options *options,
                      struct cnn_error *err)
{
    struct cnn_run_options source_options = *options;
    source_options.force = 1;
    struct cnn_run_summary summary;
    return cnn_run_variant(registry, source, &source->variants[0],
                           &source_options, &summary, err);
}

/* The source as this run resolves it (same profile, no overrides). */
static int load_source(const struct cnn_manifest *manifest,
                       const struct cnn_model_source *record,
                       struct cnn_manifest *source, struct cnn_error *err)
{
    if (cnn_manifest_load(source, record->path, manifest->profile, NULL, 0,
                          err) < 0)
        return -1;
    if (cnn_manifest_select_variant(source, record->variant, err) < 0 ||
        (record->repeated &&
         cnn_manifest_select_seed(source, record->seed, err) < 0)) {
        cnn_manifest_free(source);
        return -1;
    }
    return 0;
}

static int ensure_checkpoint(const struct cnn_registry *registry,
                             const struct cnn_manifest *manifest,
                             const struct cnn_variant *variant,
                             const struct cnn_run_options *options,
                             const char *weights, struct cnn_error *err)
{
    const struct cnn_model_source *record = variant->source;
    struct cnn_manifest source;
    if (load_source(manifest, record, &source, err) < 0)
        return cnn_error_prefix(err, "model.from: ");
    char text[2048];
    char directory[1024];
    if (cnn_path_format(directory, sizeof directory, err, "%s/%s/%s",
                        options->out_directory, record->experiment,
                        record->run) < 0) {
        cnn_manifest_free(&source);
        return cnn_error_prefix(err, "model.from: ");
    }
    int status = 0;
    if (!is_file(weights)) {
        snprintf(text, sizeof text,
                 "%s/%s: model.from: %s is missing: running %s (variant "
                 "%s%s%s) first",
                 manifest->name, variant->path, weights, record->path,
                 record->run, manifest->profile ? ", profile " : "",
                 manifest->profile ? manifest->profile : "");
        note(options, text);
        status = run_source(registry, &source, options, err);
        if (status < 0)
            cnn_error_prefix(err, "model.from: running %s first failed: ",
                             record->path);
        else if (!is_file(weights))
            status = cnn_error_at(err, record->mark,
                                  "model.from: %s ran but left no %s",
                                  record->path, weights);
    } else if (!cnn_run_dir_is_trained(directory,
                                       source.variants[0].resolved)) {
        /* Not an error: the weights may be exactly what the user wants
         * (trained with an override, say), but they should know. */
        snprintf(text, sizeof text,
                 "%s/%s: model.from: %s was not trained by %s as this run "
                 "resolves it (another --profile, overrides, or an edit "
                 "since); using its weights anyway (`cnnlab run %s%s%s "
                 "--force` retrains it)",
                 manifest->name, variant->path, directory, record->path,
                 record->path, manifest->profile ? " --profile " : "",
                 manifest->profile ? manifest->profile : "");
        note(options, text);
    }
    cnn_manifest_free(&source);
    return status;
}

/* The variant a sibling record names, as this manifest resolved it: what
 * runs when its checkpoint is missing (--variant left it out of the
 * manifest, or its results were removed). Its own starting weights come
 * from its record's `next`. */
static int run_sibling(const struct cnn_registry *registry,
                       const struct cnn_manifest *manifest,
                       const struct cnn_model_source *record,
                       const struct cnn_run_options *options,
                       struct cnn_error *err)
{
    struct cnn_variant sibling = {
        .name = record->variant, .resolved = record->resolved,
        .source = record->next, .repeated = record->repeated,
        .seed = record->seed, .path = record->run};
    struct cnn_run_options sibling_options = *options;
    sibling_options.force = 1;
    struct cnn_run_summary summary;
    /* The manifest's name, path and profile are the sibling's too. */
    return cnn_run_variant(registry, manifest,
                           &sibling, &sibling_options, &summary, err);
}

/* For `weights: {variant: V}`: V's checkpoint of this seed, trained
 * first when it is missing; a note when it was trained for another
 * resolved manifest (an earlier --profile or override). */
static int ensure_sibling(const struct cnn_registry *registry,
                          const struct cnn_manifest *manifest,
                          const struct cnn_variant *variant,
                          const struct cnn_run_options *options,
                          const char *weights, struct cnn_error *err)
{
    const struct cnn_model_source *record = variant->source;
    char text[2048], directory[1024];
    if (cnn_path_format(directory, sizeof directory, err, "%s/%s/%s",
                        options->out_directory, record->experiment,
                        record->run) < 0)
        return cnn_error_prefix(err, "model.weights: ");
    if (is_file(weights)) {
        if (!cnn_run_dir_is_trained(directory, record->resolved)) {
            snprintf(text, sizeof text,
                     "%s/%s: model.weights: %s was not trained as this run "
                     "resolves variant %s (another --profile, overrides, "
                     "or an edit since); using its weights anyway (`cnnlab "
                     "run %s --variant %s --force` retrains it)",
                     manifest->name, variant->path, directory,
                     record->variant, manifest->path, record->variant);
            note(options, text);
        }
        return 0;
    }
    snprintf(text, sizeof text,
             "%s/%s: model.weights: %s is missing: training variant %s "
             "first",
             manifest->name, variant->path, weights, record->run);
    note(options, text);
    if (run_sibling(registry, manifest, record, options, err) < 0)
        return cnn_error_prefix(err, "model.weights: training %s first "
                                     "failed: ",
                                record->run);
    if (!is_file(weights))
        return cnn_error_at(err, record->mark,
                            "model.weights: variant %s ran but left no %s",
                            record->run, weights);
    return 0;
}

int cnn_run_load_start_weights(const struct cnn_registry *registry,
                               const struct cnn_manifest *manifest,
                               const struct cnn_variant *variant,
                               const struct cnn_run_options *options,
                               const struct cnn_node *model_node,
                               struct cnn_model *model,
                               struct cnn_new_head *head,
                               struct cnn_error *err)
{
    if (cnn_model_new_head_wanted(model_node, &head->requested, err) < 0)
        return -1;
    if (head->requested && !head->allowed)
        return cnn_error_at(err, cnn_node_get(model_node, "new_head")->mark,
                            "model.new_head starts the head afresh to "
                            "fine-tune it, but this run trains nothing "
                            "(train.epochs: 0): set train.epochs, or "
                            "remove model.new_head");
    if (!variant->source)
        return cnn_model_load_node_weights(model, model_node, head, err);
    const struct cnn_model_source *source = variant->source;
    char weights[4096];
    if (cnn_run_source_weights(source, options->out_directory, weights,
                               sizeof weights, err) < 0 ||
        (source->sibling
             ? ensure_sibling(registry, manifest, variant, options, weights,
                              err)
             : ensure_checkpoint(registry, manifest, variant, options,
                                 weights, err)) < 0)
        return -1;
    if (cnn_model_load_start_weights(model, weights, head, err) == 0)
        return 0;
    struct cnn_error unplaced = *err;
    if (source->sibling)
        return cnn_error_at(err, source->mark,
                            "model.weights: variant %s's weights: %s",
                            source->run, unplaced.message);
    return cnn_error_at(err, source->mark, "model.from: %s (variant %s): %s",
                        source->path, source->variant, unplaced.message);
}

void cnn_run_note_new_head(const struct cnn_run_options *options,
                           const char *label, const struct cnn_model *model,
                           const struct cnn_new_head *head)
{
    if (head->layer < 0)
        return;
    const struct cnn_layer *layer = &model->layers[head->layer];
    char text[1024];
    if (head->requested)
        snprintf(text, sizeof text,
                 "%s: model.new_head: layer %s (%s) starts from the seed's "
                 "initialisation, every other layer from the weights "
                 "(run.json records it as new_head)",
                 label, layer->name, layer->type->name);
    else
        snprintf(text, sizeof text,
                 "%s: the starting weights' head does not fit this model's "
                 "class count (%s): layer %s (%s) starts from the seed's "
                 "initialisation, every other layer from the weights (a "
                 "new head for fine-tuning; run.json records it as "
                 "new_head)",
                 label, head->detail, layer->name, layer->type->name);
    note(options, text);
}

int cnn_run_record_new_head(struct cnn_run_dir *dir,
                            const struct cnn_model *model,
                            const struct cnn_new_head *head,
                            struct cnn_error *err)
{
    if (head->layer < 0)
        return 0;
    return cnn_run_dir_set(dir, "new_head",
                           json_pack("{s:s, s:i, s:s}", "layer",
                                     model->layers[head->layer].name,
                                     "index", head->layer, "detail",
                                     head->detail),
                           err);
}

int cnn_run_record_source(struct cnn_run_dir *dir,
                          const struct cnn_variant *variant,
                          const char *out_directory, struct cnn_error *err)
{
    const struct cnn_model_source *source = variant->source;
    if (!source)
        return 0;
    char weights[4096];
    if (cnn_run_source_weights(source, out_directory, weights,
                               sizeof weights, err) < 0)
        return -1;
    json_t *record =
        source->sibling
            ? json_pack("{s:s, s:s}", "variant", source->variant, "weights",
                        weights)
            : json_pack("{s:s, s:s, s:s, s:s}", "manifest", source->path,
                        "experiment", source->experiment, "variant",
                        source->variant, "weights", weights);
    if (record && source->repeated)
        json_object_set_new(record, "seed",
                            json_integer((json_int_t)source->seed));
    return cnn_run_dir_set(dir, source->sibling ? "weights_from"
                                                : "model_from",
                           record, err);
}

int cnn_run_record_start_weights(struct cnn_run_dir *dir,
                                 const struct cnn_variant *variant,
                                 const char *out_directory,
                                 const struct cnn_node *model_node,
                                 struct cnn_error *err)
{
    char file[4096];
    int status =
        variant->source
            ? cnn_run_source_weights(variant->source, out_directory, file,
                                     sizeof file, err)
            : cnn_model_weights_path(model_node, file, sizeof file, err);
    if (status < 0 || !file[0])
        return status;
    char digest[CNN_SHA256_HEX_SIZE];
    if (cnn_sha256_file(file, digest, err) < 0)
        return cnn_error_prefix(err, "the starting weights' digest: ");
    return cnn_run_dir_set(dir, "start_weights",
                           json_pack("{s:s, s:s}", "file", file, "sha256",
                                     digest),
                           err);
}

int cnn_run_untrained(struct cnn_model *model, const struct cnn_data *data,
                      const struct cnn_train_config *config,
                      struct cnn_run_dir *dir,
                      struct cnn_train_result *result,
                      struct cnn_error *err)
{
    memset(result, 0, sizeof *result);
    double ignored;
    int status = cnn_evaluate(model, &data->train, config, &ignored,
                              &result->train_accuracy, NULL, err);
    if (status == 0 && data->val.count > 0)
        status = cnn_evaluate(model, &data->val, config, &ignored,
                              &result->val_accuracy, NULL, err);
    if (status == 0 && data->test.count > 0)
        status = cnn_evaluate(model, &data->test, config, &result->test_loss,
                              &result->test_accuracy, NULL, err);
    /* The weights evaluated are the run's result, as a trained run's
     * selected epoch is: `cnnlab analyse` and a further model.from read
     * them here. */
    if (status == 0)
        status = cnn_run_dir_add_epochs(dir, NULL, 0, 0, err);
    if (status == 0)
        status = cnn_model_parameters_to_host(model, err);
    if (status == 0)
        status = cnn_run_dir_save_model(dir, "model.safetensors", model, 0,
                                        err);
    return status;
}
