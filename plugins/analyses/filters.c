/* cnnlab — analysis `filters` (see filters.h): one pass over the test
 * split in batches, the model run layer to layer through the chosen
 * layers (each chosen layer's output feeds the run to the next), every
 * activation of every chosen filter offered to its top-k list; then
 * filters.csv and one figure per filter. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "selection.h"

static const struct cnn_param_spec filters_params[] = {
    SELECTION_PARAMS,
    {"top", CNN_PARAM_INT, "5", 1, 100, NULL,
     "activations kept per filter (the largest, over the test split)"},
    {"batch", CNN_PARAM_INT, "64", 1, 65536, NULL,
     "test images per forward pass"},
};

int activation_before(const struct activation *a, const struct activation *b)
{
    if (a->response != b->response)
        return a->response > b->response;
    if (a->image != b->image)
        return a->image < b->image;
    if (a->row != b->row)
        return a->row < b->row;
    return a->column < b->column;
}

void top_list_offer(struct top_list *list, struct activation x)
{
    if (isnan(x.response))
        return;
    if (list->count == list->capacity &&
        !activation_before(&x, &list->items[list->count - 1]))
        return;
    int i = list->count < list->capacity ? list->count++ : list->count - 1;
    for (; i > 0 && activation_before(&x, &list->items[i - 1]); i--)
        list->items[i] = list->items[i - 1];
    list->items[i] = x;
}

struct search {
    struct selection selection;
    int lists_count;
    struct top_list *lists;  /* per chosen filter, layer by layer */
    float **outputs;         /* per chosen layer: batch × its output */
};

static void search_free(struct search *s)
{
    for (int i = 0; s->lists && i < s->lists_count; i++)
        free(s->lists[i].items);
    for (int i = 0; s->outputs && i < s->selection.count; i++)
        free(s->outputs[i]);
    free(s->lists);
    free(s->outputs);
    selection_free(&s->selection);
}

static int search_alloc(struct cnn_analysis *a, struct search *s, int top,
                        int batch, struct cnn_error *err)
{
    for (int i = 0; i < s->selection.count; i++)
        s->lists_count += s->selection.layers[i].count;
    s->lists = calloc((size_t)s->lists_count, sizeof *s->lists);
    s->outputs = calloc((size_t)s->selection.count, sizeof *s->outputs);
    if (!s->lists || !s->outputs)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < s->lists_count; i++) {
        s->lists[i].capacity = top;
        s->lists[i].items = malloc((size_t)top * sizeof *s->lists[i].items);
        if (!s->lists[i].items)
            return cnn_error_set(err, "out of memory");
    }
    for (int i = 0; i < s->selection.count; i++) {
        const struct cnn_layer *layer =
            cnn_analysis_layer(a, s->selection.layers[i].layer);
        s->outputs[i] = malloc((size_t)batch * cnn_shape_size(layer->output) *
                               sizeof(float));
        if (!s->outputs[i])
            return cnn_error_set(err, "out of memory for the outputs of %s "
                                      "(lower `batch`)",
                                 layer->name);
    }
    return 0;
}

/* Offers every activation of the layer's chosen filters in n images
 * (the first is test image `first`). */
static void offer_layer(const struct layer_choice *choice,
                        struct cnn_shape shape, const float *out, int n,
                        int first, struct top_list *lists)
{
    size_t plane = (size_t)shape.h * shape.w;
    for (int f = 0; f < choice->count; f++)
        for (int i = 0; i < n; i++) {
            const float *values =
                out + ((size_t)i * shape.c + choice->filters[f]) * plane;
            for (size_t p = 0; p < plane; p++)
                top_list_offer(&lists[f],
                               (struct activation){values[p], first + i,
                                                   (int)(p / shape.w),
                                                   (int)(p % shape.w)});
        }
}

static int search_run(struct cnn_analysis *a, struct search *s,
                      const struct cnn_dataset *test, int batch,
                      struct cnn_error *err)
{
    size_t per_image = cnn_shape_size(test->shape);
    for (int start = 0; start < test->count; start += batch) {
        int n = test->count - start < batch ? test->count - start : batch;
        struct top_list *lists = s->lists;
        for (int k = 0; k < s->selection.count; k++) {
            const struct layer_choice *choice = &s->selection.layers[k];
            int status =
                k == 0 ? cnn_analysis_forward_images(
                             a, test->pixels + (size_t)start * per_image, n,
                             choice->layer, s->outputs[k], err)
                       : cnn_analysis_forward_from(
                             a, s->selection.layers[k - 1].layer + 1,
                             s->outputs[k - 1], n, choice->layer,
                             s->outputs[k], err);
            if (status < 0)
                return -1;
            offer_layer(choice, cnn_analysis_layer(a, choice->layer)->output,
                        s->outputs[k], n, start, lists);
            lists += choice->count;
        }
    }
    return 0;
}

static int write_csv(struct cnn_analysis *a, const struct search *s,
                     const struct cnn_receptive_field *fields,
                     struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    struct cnn_shape input = cnn_analysis_input_shape(a);
    struct analysis_text text = {0};
    analysis_text_printf(&text, "layer,filter,rank,response,image,label,"
                                "label_name,row,column,top,left,bottom,"
                                "right\n");
    const struct top_list *list = s->lists;
    for (int k = 0; k < s->selection.count; k++) {
        const struct layer_choice *choice = &s->selection.layers[k];
        const struct cnn_layer *layer = cnn_analysis_layer(a, choice->layer);
        for (int f = 0; f < choice->count; f++, list++)
            for (int r = 0; r < list->count; r++) {
                const struct activation *x = &list->items[r];
                int label = data->test.labels[x->image];
                int top, left, bottom, right;
                cnn_receptive_patch(&fields[choice->layer], input.h, input.w,
                                    x->row, x->column, &top, &left, &bottom,
                                    &right);
                analysis_text_csv(&text, layer->name);
                /* %.9g: a float's exact value survives the round trip. */
                analysis_text_printf(&text, ",%d,%d,%.9g,%d,%d,",
                                     choice->filters[f], r + 1,
                                     (double)x->response, x->image, label);
                analysis_text_csv(&text, data->class_names[label]);
                analysis_text_printf(&text, ",%d,%d,%d,%d,%d,%d\n", x->row,
                                     x->column, top, left, bottom, right);
            }
    }
    return analysis_text_write(&text, a, "filters.csv", err);
}

static int filters_run(struct cnn_analysis *a,
                       const struct cnn_params *params, struct cnn_error *err)
{
    const struct cnn_data *data = cnn_analysis_data(a);
    if (!data || data->test.count == 0)
        return cnn_error_set(err, "filters needs test images, and %s",
                             data ? "the test split is empty"
                                  : "no data is loaded");
    struct search s = {0};
    int top = (int)cnn_param_int(params, "top");
    int batch = (int)cnn_param_int(params, "batch");
    if (batch > data->test.count)
        batch = data->test.count;
    int count = cnn_analysis_layer_count(a);
    struct cnn_receptive_field *fields = calloc((size_t)count,
                                                sizeof *fields);
    int status = fields ? 0 : cnn_error_set(err, "out of memory");
    if (status == 0)
        status = selection_parse(a, params, "filters", &s.selection, err);
    if (status == 0)
        status = search_alloc(a, &s, top, batch, err);
    if (status == 0)
        status = search_run(a, &s, &data->test, batch, err);
    if (status == 0) {
        cnn_receptive_fields(cnn_analysis_layer(a, 0), count, fields);
        status = write_csv(a, &s, fields, err);
    }
    const struct top_list *list = s.lists;
    for (int k = 0; status == 0 && k < s.selection.count; k++) {
        const struct layer_choice *choice = &s.selection.layers[k];
        for (int f = 0; status == 0 && f < choice->count; f++, list++)
            status = filters_figure(a, choice->layer, choice->filters[f],
                                    list, &fields[choice->layer], err);
    }
    search_free(&s);
    free(fields);
    picture_release_caches();
    return status;
}

static int filters_validate(const struct cnn_analysis *a,
                            const struct cnn_params *params,
                            struct cnn_error *err)
{
    return selection_validate(a, params, "filters", err);
}

const struct cnn_analysis_type analyses_filters_type = {
    .name = "filters",
    .help = "filter identification: the top-k activations of chosen "
            "filters over the test split, with receptive-field patches: "
            "filters.csv, filters-<layer>-<filter>.png",
    .params = filters_params,
    .param_count = sizeof filters_params / sizeof *filters_params,
    .run = filters_run,
    .validate = filters_validate,
};
