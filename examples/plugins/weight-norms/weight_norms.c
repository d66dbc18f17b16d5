/* An out-of-tree cnnlab analysis: a table of every parameter tensor of
 * the trained model with its size and norms, written as weight-norms.md
 * and weight-norms.csv into the run directory. It shows the whole of an
 * analysis plugin: a parameter schema, reading the model through the
 * analysis API, writing files atomically, and errors instead of output.
 *
 * Build: make (see Makefile; needs `pkg-config cnnlab`). Use: list it in
 * a manifest's `analyses:` and run with CNNLAB_PLUGIN_PATH=$PWD. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cnnlab/plugin.h>

static const struct cnn_param_spec weight_norms_params[] = {
    {"digits", CNN_PARAM_INT, "4", 1, 9, NULL,
     "significant digits of the Markdown table (the CSV keeps 9)"},
};

/* A growing text; an allocation failure is remembered and reported once,
 * when the text is written. */
struct text {
    char *data;
    size_t length, capacity;
    int out_of_memory;
};

static void text_printf(struct text *text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int needed = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (needed < 0 || text->out_of_memory)
        return;
    if (text->length + (size_t)needed + 1 > text->capacity) {
        size_t capacity = text->capacity ? text->capacity : 1024;
        while (capacity < text->length + (size_t)needed + 1)
            capacity *= 2;
        char *grown = realloc(text->data, capacity);
        if (!grown) {
            text->out_of_memory = 1;
            return;
        }
        text->data = grown;
        text->capacity = capacity;
    }
    va_start(ap, fmt);
    vsnprintf(text->data + text->length, (size_t)needed + 1, fmt, ap);
    va_end(ap);
    text->length += (size_t)needed;
}

static int text_write(struct text *text, struct cnn_analysis *analysis,
                      const char *name, struct cnn_error *err)
{
    int status;
    if (text->out_of_memory)
        status = cnn_error_set(err, "weight-norms: out of memory writing %s",
                               name);
    else
        status = cnn_analysis_write_file(analysis, name, text->data,
                                         text->length, err);
    free(text->data);
    *text = (struct text){0};
    return status;
}

struct norms {
    double sum, l2, max_abs;
};

/* Accumulated in double: a float sum of a million weights would lose the
 * digits the table shows. */
static struct norms tensor_norms(const struct cnn_param_tensor *tensor)
{
    struct norms n = {0, 0, 0};
    for (size_t i = 0; i < tensor->count; i++) {
        double v = tensor->data[i];
        n.sum += v;
        n.l2 += v * v;
        if (fabs(v) > n.max_abs)
            n.max_abs = fabs(v);
    }
    n.l2 = sqrt(n.l2);
    return n;
}

static void format_shape(const struct cnn_param_tensor *tensor, char *buf,
                         size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < tensor->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%d",
                                 d ? ", " : "", tensor->dims[d]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

static int weight_norms_run(struct cnn_analysis *analysis,
                            const struct cnn_params *params,
                            struct cnn_error *err)
{
    /* The parameters live in the device's memory on a GPU, and the
     * analysis API has no call to fetch them: refuse rather than read a
     * device pointer. */
    if (cnn_analysis_device(analysis) != CNN_DEVICE_CPU)
        return cnn_error_set(err,
                             "weight-norms reads the weights in host "
                             "memory and this run is on %s: run it with "
                             "device: cpu",
                             cnn_device_name(cnn_analysis_device(analysis)));
    int digits = (int)cnn_param_int(params, "digits");
    struct text markdown = {0}, csv = {0};
    text_printf(&markdown,
                "| tensor | layer | type | shape | count | mean | L2 norm "
                "| max abs |\n"
                "| :----- | :---- | :--- | :---- | ----: | ---: | ------: "
                "| ------: |\n");
    text_printf(&csv, "tensor,layer,type,shape,count,sum,mean,l2,max_abs\n");
    int layer_count = cnn_analysis_layer_count(analysis);
    for (int i = 0; i < layer_count; i++) {
        const struct cnn_layer *layer = cnn_analysis_layer(analysis, i);
        for (int t = 0; t < layer->tensor_count; t++) {
            const struct cnn_param_tensor *tensor = &layer->tensors[t];
            struct norms n = tensor_norms(tensor);
            double mean = tensor->count ? n.sum / (double)tensor->count : 0;
            char shape[96];
            format_shape(tensor, shape, sizeof shape);
            /* Tensors are named as in model.safetensors and PyTorch's
             * state_dict: "<layer index>.<tensor>". */
            text_printf(&markdown,
                        "| %d.%s | %s | %s | %s | %zu | %.*g | %.*g | %.*g "
                        "|\n",
                        i, tensor->name, layer->name, layer->type->name,
                        shape, tensor->count, digits, mean, digits, n.l2,
                        digits, n.max_abs);
            text_printf(&csv, "%d.%s,%s,%s,\"%s\",%zu,%.9g,%.9g,%.9g,%.9g\n",
                        i, tensor->name, layer->name, layer->type->name,
                        shape, tensor->count, n.sum, mean, n.l2, n.max_abs);
        }
    }
    int status = text_write(&markdown, analysis, "weight-norms.md", err);
    if (status < 0) {
        free(csv.data);
        return -1;
    }
    return text_write(&csv, analysis, "weight-norms.csv", err);
}

static const struct cnn_analysis_type weight_norms_type = {
    .name = "weight-norms",
    .help = "weight-norms.md, weight-norms.csv: each parameter tensor's "
            "shape, mean, L2 norm and largest magnitude (example plugin)",
    .params = weight_norms_params,
    .param_count = sizeof weight_norms_params / sizeof *weight_norms_params,
    .run = weight_norms_run,
};

static int weight_norms_init(struct cnn_registry *registry,
                             struct cnn_error *err)
{
    return cnn_register_analysis(registry, &weight_norms_type, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    .abi_major = CNN_ABI_MAJOR,
    .abi_minor = CNN_ABI_MINOR,
    .name = "weight-norms",
    .version = "1.0.0",
    .init = weight_norms_init,
};
