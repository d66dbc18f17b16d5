/* cnnlab — torchsummary's table and PyTorch's module repr of a model (see
 * summary.h for the rules). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnnlab/atomic_file.h"
#include "model/summary.h"

/* torchsummary's rule lines are 64 characters wide. */
static const char dashes[] =
    "----------------------------------------------------------------";
static const char equals[] =
    "================================================================";

static int is_listed(const struct cnn_layer *layer)
{
    return layer->type->summary_name != NULL;
}

/* What torchsummary counts for a module: its `weight` and `bias`. */
static long long listed_params(const struct cnn_layer *layer, int *has_weight)
{
    long long count = 0;
    *has_weight = 0;
    for (int t = 0; t < layer->tensor_count; t++) {
        const struct cnn_param_tensor *tensor = &layer->tensors[t];
        int weight = strcmp(tensor->name, "weight") == 0;
        if (weight || strcmp(tensor->name, "bias") == 0)
            count += (long long)tensor->count;
        *has_weight |= weight;
    }
    return count;
}

/* Python's "{0:,}".format(n). */
static void format_grouped(long long value, char *buf, size_t size)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%lld", value < 0 ? -value
                                                                   : value);
    size_t used = 0;
    if (value < 0 && used + 1 < size)
        buf[used++] = '-';
    for (int i = 0; i < length && used + 1 < size; i++) {
        if (i > 0 && (length - i) % 3 == 0 && used + 2 < size)
            buf[used++] = ',';
        buf[used++] = digits[i];
    }
    buf[used] = '\0';
}

/* Whether each layer's output is flat ([-1, N]) in the equivalent Net:
 * layers that mix all positions (linear, flatten, global pooling, which
 * the Net follows by a flatten) make it flat, windowed ones make it an
 * image again, the rest keep what they were given. */
static int output_is_flat(const struct cnn_layer *layer, int input_flat)
{
    if (!layer->type->geometry)
        return input_flat;
    struct cnn_geometry g;
    memset(&g, 0, sizeof g);
    layer->type->geometry(layer, &g);
    if (g.kind == CNN_GEOMETRY_GLOBAL)
        return 1;
    if (g.kind == CNN_GEOMETRY_WINDOW)
        return 0;
    return input_flat;
}

void cnn_summary_totals(const struct cnn_model *model,
                        struct cnn_summary_totals *totals)
{
    memset(totals, 0, sizeof *totals);
    long long total_output = 0; /* negative: torchsummary's batch is -1 */
    for (int i = 0; i < model->layer_count; i++) {
        const struct cnn_layer *layer = &model->layers[i];
        if (!is_listed(layer))
            continue;
        int has_weight;
        long long params = listed_params(layer, &has_weight);
        totals->total_params += params;
        /* torchsummary counts a module's weight and bias as trainable when
         * its weight requires a gradient: a frozen layer's do not. */
        if (has_weight && !cnn_model_is_frozen(model, i))
            totals->trainable_params += params;
        total_output -= (long long)cnn_shape_size(layer->output);
    }
    long long input = (long long)cnn_shape_size(model->input);
    /* The same operations, in the same order, as torchsummary's floats. */
    totals->input_mb = fabs((double)(input * -1) * 4.0 / 1048576.0);
    totals->pass_mb = fabs(2.0 * (double)total_output * 4.0 / 1048576.0);
    totals->params_mb = fabs((double)totals->total_params * 4.0 /
                             1048576.0);
    totals->total_mb = totals->params_mb + totals->pass_mb +
                       totals->input_mb;
}

static int check_stream(FILE *out, struct cnn_error *err)
{
    if (ferror(out))
        return cnn_error_set(err, "writing the model summary failed");
    return 0;
}

int cnn_summary_print_table(const struct cnn_model *model, FILE *out,
                            struct cnn_error *err)
{
    fprintf(out, "%s\n%20s  %25s %15s\n%s\n", dashes, "Layer (type)",
            "Output Shape", "Param #", equals);
    int number = 0, flat = 0;
    for (int i = 0; i < model->layer_count; i++) {
        const struct cnn_layer *layer = &model->layers[i];
        flat = output_is_flat(layer, flat);
        if (!is_listed(layer))
            continue;
        char name[96], shape[96], params[32];
        int has_weight;
        snprintf(name, sizeof name, "%s-%d", layer->type->summary_name,
                 ++number);
        struct cnn_shape s = layer->output;
        if (flat)
            snprintf(shape, sizeof shape, "[-1, %zu]", cnn_shape_size(s));
        else
            snprintf(shape, sizeof shape, "[-1, %d, %d, %d]", s.c, s.h, s.w);
        format_grouped(listed_params(layer, &has_weight), params,
                       sizeof params);
        fprintf(out, "%20s  %25s %15s\n", name, shape, params);
    }
    struct cnn_summary_totals totals;
    cnn_summary_totals(model, &totals);
    char total[32], trainable[32], frozen[32];
    format_grouped(totals.total_params, total, sizeof total);
    format_grouped(totals.trainable_params, trainable, sizeof trainable);
    format_grouped(totals.total_params - totals.trainable_params, frozen,
                   sizeof frozen);
    fprintf(out,
            "%s\nTotal params: %s\nTrainable params: %s\n"
            "Non-trainable params: %s\n%s\n",
            equals, total, trainable, frozen, dashes);
    fprintf(out,
            "Input size (MB): %0.2f\n"
            "Forward/backward pass size (MB): %0.2f\n"
            "Params size (MB): %0.2f\n"
            "Estimated Total Size (MB): %0.2f\n%s\n",
            totals.input_mb, totals.pass_mb, totals.params_mb,
            totals.total_mb, dashes);
    return check_stream(out, err);
}

/* The layer's module repr in a malloc'ed string. */
static char *describe_layer(const struct cnn_layer *layer,
                            struct cnn_error *err)
{
    if (!layer->type->describe) {
        size_t size = strlen(layer->type->summary_name) + 3;
        char *text = malloc(size);
        if (text)
            snprintf(text, size, "%s()", layer->type->summary_name);
        else
            cnn_error_set(err, "out of memory");
        return text;
    }
    char first[256];
    int length = layer->type->describe(layer, first, sizeof first);
    if (length < 0) {
        cnn_error_set(err, "layer %s (%s): describe failed", layer->name,
                      layer->type->name);
        return NULL;
    }
    char *text = malloc((size_t)length + 1);
    if (!text) {
        cnn_error_set(err, "out of memory");
        return NULL;
    }
    if ((size_t)length < sizeof first)
        memcpy(text, first, (size_t)length + 1);
    else
        layer->type->describe(layer, text, (size_t)length + 1);
    return text;
}

/* A parameterless module already listed under the same repr. */
struct shared_module {
    const char *prefix;
    char *repr;
};

/* The attribute for a shared module: its prefix for the first
 * configuration of that prefix, prefix2, prefix3, ... for later ones. */
static void shared_name(const struct shared_module *shared, int count,
                        const char *prefix, char *buf, size_t size)
{
    int same_prefix = 0;
    for (int i = 0; i < count; i++)
        same_prefix += strcmp(shared[i].prefix, prefix) == 0;
    if (same_prefix == 0)
        snprintf(buf, size, "%s", prefix);
    else
        snprintf(buf, size, "%s%d", prefix, same_prefix + 1);
}

int cnn_summary_print_module(const struct cnn_model *model, FILE *out,
                             struct cnn_error *err)
{
    struct shared_module *shared =
        calloc((size_t)model->layer_count + 1, sizeof *shared);
    if (!shared)
        return cnn_error_set(err, "out of memory");
    int shared_count = 0, listed = 0, status = 0;
    long long parameters = 0;
    for (int i = 0; i < model->layer_count && status == 0; i++) {
        const struct cnn_layer *layer = &model->layers[i];
        for (int t = 0; t < layer->tensor_count; t++)
            parameters += (long long)layer->tensors[t].count;
        if (!is_listed(layer))
            continue;
        char *repr = describe_layer(layer, err);
        if (!repr) {
            status = -1;
            break;
        }
        char attribute[CNN_LAYER_NAME_MAX + 16];
        /* A module with buffers has state of its own (batch norm's
         * running statistics): never shared, even without parameters. */
        int own_state = layer->tensor_count > 0 || layer->buffer_count > 0;
        if (own_state) {
            snprintf(attribute, sizeof attribute, "%s", layer->name);
        } else {
            const char *prefix = layer->type->name_prefix
                                     ? layer->type->name_prefix
                                     : layer->type->name;
            int seen = 0;
            for (int s = 0; s < shared_count && !seen; s++)
                seen = strcmp(shared[s].prefix, prefix) == 0 &&
                       strcmp(shared[s].repr, repr) == 0;
            if (seen) {
                free(repr);
                continue;
            }
            shared_name(shared, shared_count, prefix, attribute,
                        sizeof attribute);
            shared[shared_count++] = (struct shared_module){prefix, repr};
        }
        fprintf(out, "%s  (%s): %s", listed++ ? "\n" : "Net(\n", attribute,
                repr);
        if (own_state)
            free(repr);
    }
    for (int s = 0; s < shared_count; s++)
        free(shared[s].repr);
    free(shared);
    if (status < 0)
        return -1;
    fprintf(out, "%s\nNumber of params : %lld\n", listed ? "\n)" : "Net()",
            parameters);
    return check_stream(out, err);
}

int cnn_summary_print(const struct cnn_model *model, FILE *out,
                      struct cnn_error *err)
{
    if (cnn_summary_print_table(model, out, err) < 0)
        return -1;
    fputc('\n', out);
    return cnn_summary_print_module(model, out, err);
}

int cnn_summary_write(const struct cnn_model *model, const char *path,
                      struct cnn_error *err)
{
    struct cnn_atomic_file file;
    if (cnn_atomic_open(&file, path, err) < 0)
        return -1;
    if (cnn_summary_print(model, file.stream, err) < 0) {
        cnn_atomic_abort(&file);
        return cnn_error_prefix(err, "%s: ", path);
    }
    return cnn_atomic_commit(&file, err);
}
