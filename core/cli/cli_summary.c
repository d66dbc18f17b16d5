/* cnnlab — `cnnlab summary MANIFEST`: the torchsummary table and the
 * PyTorch module repr of each variant's model, without data or training.
 * Only `model:` is built (and train.freeze read, for the trainable
 * counts), so a manifest whose loader is not installed still prints. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_validate.h"
#include "model/summary.h"
#include "run/run_config.h"

/* train.freeze, so that torchsummary's trainable counts are the run's.
 * Frees the model when it fails. */
static int apply_freeze(struct cnn_model *model,
                        const struct cnn_node *resolved,
                        struct cnn_error *err)
{
    struct cnn_params train = {0};
    int status = cnn_run_config_train_keys(&train, resolved, err);
    if (status == 0) {
        const char *const *names;
        const struct cnn_mark *marks;
        int count = cnn_param_names(&train, "freeze", &names, &marks);
        status = cnn_model_freeze(model, names, marks, count, err);
    }
    cnn_params_free(&train);
    if (status < 0)
        cnn_model_free(model);
    return status;
}

static int print_variant(const struct cnn_registry *registry,
                         const struct cnn_manifest *manifest,
                         const struct cnn_variant *variant, int heading,
                         struct cnn_error *err)
{
    const struct cnn_node *model_node = cnn_node_get(variant->resolved,
                                                     "model");
    if (!model_node)
        return cnn_error_at(err, variant->resolved->mark,
                            "variant '%s' has no 'model: {input: [...], "
                            "layers: [...]}'",
                            variant->name);
    struct cnn_model model;
    if (cnn_model_build(&model, registry, model_node, CNN_DEVICE_CPU, err) <
            0 ||
        apply_freeze(&model, variant->resolved, err) < 0)
        return cnn_error_prefix(err, "variant '%s': ", variant->name);
    if (heading)
        printf("%s==> %s/%s <==\n", heading > 1 ? "\n" : "", manifest->name,
               variant->name);
    int status = cnn_summary_print(&model, stdout, err);
    cnn_model_free(&model);
    return status;
}

int cnn_cli_summary(struct cnn_registry *registry,
                    const struct cnn_cli_options *options)
{
    return cnn_cli_print_variants(registry, options, print_variant,
                                  "summary");
}
