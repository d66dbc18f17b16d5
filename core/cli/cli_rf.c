/* cnnlab — `cnnlab rf MANIFEST`: each variant's receptive fields, layer by
 * layer (receptive_field.h), without data or training. Like summary, only
 * `model:` is built. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_validate.h"
#include "cnnlab/receptive_field.h"

/* "3" for a square field, "3x5" (rows x columns) otherwise. */
static const char *pair_text(char *buf, size_t size, int h, int w,
                             char separator)
{
    if (h == w)
        snprintf(buf, size, "%d", h);
    else
        snprintf(buf, size, "%d%c%d", h, separator, w);
    return buf;
}

static void print_table(const struct cnn_model *model,
                        const struct cnn_receptive_field *fields)
{
    printf("input [%d, %d, %d]\n", model->input.c, model->input.h,
           model->input.w);
    printf("%5s  %-12s %-12s %-18s %10s %6s %7s\n", "index", "name", "type",
           "output", "rf size", "jump", "start");
    for (int k = 0; k < model->layer_count; k++) {
        const struct cnn_layer *layer = &model->layers[k];
        const struct cnn_receptive_field *f = &fields[k];
        char shape[64], size[32], jump[32], start[32];
        snprintf(shape, sizeof shape, "[%d, %d, %d]", layer->output.c,
                 layer->output.h, layer->output.w);
        if (f->global) {
            /* Every output sees the whole input: no position to step. */
            snprintf(size, sizeof size, "all %s",
                     pair_text(jump, sizeof jump, f->size_h, f->size_w,
                               'x'));
            snprintf(jump, sizeof jump, "-");
            snprintf(start, sizeof start, "-");
        } else {
            pair_text(size, sizeof size, f->size_h, f->size_w, 'x');
            pair_text(jump, sizeof jump, f->jump_h, f->jump_w, 'x');
            pair_text(start, sizeof start, f->start_h, f->start_w, ',');
        }
        printf("%5d  %-12s %-12s %-18s %10s %6s %7s\n", k, layer->name,
               layer->type->name, shape, size, jump, start);
    }
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
        0)
        return cnn_error_prefix(err, "variant '%s': ", variant->name);
    struct cnn_receptive_field *fields =
        calloc((size_t)model.layer_count, sizeof *fields);
    if (!fields) {
        cnn_model_free(&model);
        return cnn_error_set(err, "out of memory");
    }
    cnn_receptive_fields(model.layers, model.layer_count, fields);
    if (heading)
        printf("%s==> %s/%s <==\n", heading > 1 ? "\n" : "", manifest->name,
               variant->name);
    print_table(&model, fields);
    free(fields);
    cnn_model_free(&model);
    return 0;
}

int cnn_cli_rf(struct cnn_registry *registry,
               const struct cnn_cli_options *options)
{
    return cnn_cli_print_variants(registry, options, print_variant,
                                  "table");
}
