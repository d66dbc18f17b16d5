/* cnnlab — the receptive fields of a run's model for the report, as
 * `cnnlab rf` prints them: built from the run's manifest.yaml (the model
 * the run trained or evaluated), with the layer plugins' geometry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "cnnlab/receptive_field.h"
#include "model/model.h"
#include "report/report_internal.h"

/* "3" for a square field, "3x5" (rows x columns) otherwise. */
static void pair_text(char *buf, size_t size, int h, int w, char separator)
{
    if (h == w)
        snprintf(buf, size, "%d", h);
    else
        snprintf(buf, size, "%d%c%d", h, separator, w);
}

static void field_row(const struct cnn_layer *layer,
                      const struct cnn_receptive_field *f,
                      struct cnn_report_field *row)
{
    snprintf(row->name, sizeof row->name, "%s", layer->name);
    snprintf(row->type, sizeof row->type, "%s", layer->type->name);
    snprintf(row->output, sizeof row->output, "[%d, %d, %d]", layer->output.c,
             layer->output.h, layer->output.w);
    if (f->global) {
        char size[24];
        pair_text(size, sizeof size, f->size_h, f->size_w, 'x');
        snprintf(row->size, sizeof row->size, "all %s", size);
        snprintf(row->jump, sizeof row->jump, "-");
        snprintf(row->start, sizeof row->start, "-");
    } else {
        pair_text(row->size, sizeof row->size, f->size_h, f->size_w, 'x');
        pair_text(row->jump, sizeof row->jump, f->jump_h, f->jump_w, 'x');
        pair_text(row->start, sizeof row->start, f->start_h, f->start_w, ',');
    }
}

int cnn_report_fields(const struct cnn_registry *registry,
                      const char *run_directory,
                      struct cnn_report_field **fields, int *count,
                      char *input, size_t input_size, struct cnn_error *err)
{
    *fields = NULL;
    *count = 0;
    if (!registry)
        return cnn_error_set(err, "the layer plugins could not be loaded");
    char *path = cnn_path_join(run_directory, "manifest.yaml");
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct cnn_node *root = NULL;
    int status = cnn_node_load_file(path, &root, err);
    const struct cnn_node *model_node =
        status == 0 ? cnn_node_get(root, "model") : NULL;
    if (status == 0 && !model_node)
        status = cnn_error_set(err, "%s has no model", path);
    struct cnn_model model;
    int built = 0;
    if (status == 0) {
        status =
            cnn_model_build(&model, registry, model_node, CNN_DEVICE_CPU, err);
        built = status == 0;
        if (status < 0)
            cnn_error_prefix(err, "%s: ", path);
    }
    struct cnn_receptive_field *computed = NULL;
    if (built && model.layer_count > 0) {
        computed = calloc((size_t)model.layer_count, sizeof *computed);
        *fields = calloc((size_t)model.layer_count, sizeof **fields);
        if (!computed || !*fields)
            status = cnn_error_set(err, "out of memory");
    }
    if (built && status == 0) {
        cnn_receptive_fields(model.layers, model.layer_count, computed);
        for (int k = 0; k < model.layer_count; k++)
            field_row(&model.layers[k], &computed[k], &(*fields)[k]);
        *count = model.layer_count;
        snprintf(input, input_size, "[%d, %d, %d]", model.input.c,
                 model.input.h, model.input.w);
    }
    if (status < 0) {
        free(*fields);
        *fields = NULL;
    }
    free(computed);
    if (built)
        cnn_model_free(&model);
    cnn_node_free(root);
    free(path);
    return status;
}
