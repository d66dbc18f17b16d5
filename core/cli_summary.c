/* cnnlab — `cnnlab summary MANIFEST`: the torchsummary table and the
 * PyTorch module repr of each variant's model, without data or training.
 * Only `model:` is built, so a manifest whose loader is not installed
 * still prints. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_validate.h"
#include "summary.h"

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
        0)
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
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    if (cnn_cli_load_manifest(registry, options, &manifest, &err) < 0) {
        cnn_cli_report(&err);
        return CNN_EXIT_USAGE;
    }
    /* Like head(1): a "==> name <==" line before each of several. */
    int several = manifest.variant_count > 1;
    int status = CNN_EXIT_OK;
    for (int i = 0; i < manifest.variant_count; i++) {
        if (print_variant(registry, &manifest, &manifest.variants[i],
                          several ? i + 1 : 0, &err) < 0) {
            cnn_cli_report(&err);
            status = CNN_EXIT_USAGE;
            break;
        }
    }
    if (fflush(stdout) != 0 && status == CNN_EXIT_OK) {
        fprintf(stderr, "cnnlab: writing the summary failed\n");
        status = CNN_EXIT_RUN_FAILED;
    }
    cnn_manifest_free(&manifest);
    return status;
}
