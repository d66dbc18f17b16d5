/* Tests of the model printouts (core/model/summary.c) on a model that exercises
 * every rule: a conv with padding and no bias, functional ReLU layers,
 * two pooling configurations (one used twice: shared as `pool`), dropout
 * before and after flattening (shapes [-1, C, H, W] then [-1, N]), a
 * linear without bias; the same model with two layers frozen. The
 * expected text is what real PyTorch 1.13 printed
 * for the equivalent nn.Module and what torchsummary 1.5's arithmetic
 * gives for it (reproduced with forward hooks); also summary.txt through
 * cnn_summary_write, and the errors of a write that cannot happen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnnlab/node.h"
#include "model/model.h"
#include "model/summary.h"
#include "test-util.h"

static const char edge_model[] =
    "input: [3, 32, 32]\n"
    "layers:\n"
    "  - conv2d: {out: 8, kernel: 3, padding: 1, bias: false}\n"
    "  - relu\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - conv2d: {out: 16, kernel: 3, stride: 2, activation: relu}\n"
    "  - maxpool2d: {kernel: 3, stride: 2}\n"
    "  - maxpool2d: {kernel: 2, stride: 2}\n"
    "  - dropout: {p: 0.25}\n"
    "  - flatten\n"
    "  - linear: {out: 10}\n"
    "  - relu\n"
    "  - dropout: {p: 0.25}\n"
    "  - linear: {out: 5, bias: false}\n";

/* print(summary_text(net, (3, 32, 32))); print(); print(net); and the
 * parameter count, from PyTorch 1.13 with torchsummary's code. */
static const char edge_expected[] =
    "----------------------------------------------------------------\n"
    "        Layer (type)               Output Shape         Param #\n"
    "================================================================\n"
    "            Conv2d-1            [-1, 8, 32, 32]             216\n"
    "         MaxPool2d-2            [-1, 8, 16, 16]               0\n"
    "            Conv2d-3             [-1, 16, 7, 7]           1,168\n"
    "         MaxPool2d-4             [-1, 16, 3, 3]               0\n"
    "         MaxPool2d-5             [-1, 16, 1, 1]               0\n"
    "           Dropout-6             [-1, 16, 1, 1]               0\n"
    "            Linear-7                   [-1, 10]             170\n"
    "           Dropout-8                   [-1, 10]               0\n"
    "            Linear-9                    [-1, 5]              50\n"
    "================================================================\n"
    "Total params: 1,604\n"
    "Trainable params: 1,604\n"
    "Non-trainable params: 0\n"
    "----------------------------------------------------------------\n"
    "Input size (MB): 0.01\n"
    "Forward/backward pass size (MB): 0.09\n"
    "Params size (MB): 0.01\n"
    "Estimated Total Size (MB): 0.10\n"
    "----------------------------------------------------------------\n"
    "\n"
    "Net(\n"
    "  (conv1): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), "
    "padding=(1, 1), bias=False)\n"
    "  (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
    "ceil_mode=False)\n"
    "  (conv2): Conv2d(8, 16, kernel_size=(3, 3), stride=(2, 2))\n"
    "  (pool2): MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, "
    "ceil_mode=False)\n"
    "  (dropout): Dropout(p=0.25, inplace=False)\n"
    "  (fc1): Linear(in_features=16, out_features=10, bias=True)\n"
    "  (fc2): Linear(in_features=10, out_features=5, bias=False)\n"
    ")\n"
    "Number of params : 1604\n";

/* The layers added after the study (issue 21): conv2d's padding: same,
 * with an even kernel and with dilation; avgpool2d; leaky-relu. */
static const char added_model[] =
    "input: [3, 9, 9]\n"
    "layers:\n"
    "  - conv2d: {out: 4, kernel: 4, padding: same, activation: relu}\n"
    "  - avgpool2d: {kernel: 3, stride: 1, padding: 1}\n"
    "  - conv2d: {out: 6, kernel: [3, 2], padding: same, dilation: [2, 1],"
    " bias: false}\n"
    "  - leaky-relu: {slope: 0.2}\n"
    "  - avgpool2d: {kernel: 2, count_include_pad: false}\n"
    "  - leaky-relu\n"
    "  - leaky-relu: {slope: 0.2}\n"
    "  - linear: {out: 5}\n";

/* PyTorch 1.13's print for the equivalent nn.Module (t/summary-reference.py's
 * torchsummary_text, then print(net)): conv1 = nn.Conv2d(3, 4, 4,
 * padding='same'), avgpool = nn.AvgPool2d(3, stride=1, padding=1), conv2 =
 * nn.Conv2d(4, 6, (3, 2), padding='same', dilation=(2, 1), bias=False),
 * leaky = nn.LeakyReLU(0.2), avgpool2 = nn.AvgPool2d(2,
 * count_include_pad=False), leaky2 = nn.LeakyReLU(), fc1 =
 * nn.Linear(96, 5), called in the model's order (leaky twice: a
 * parameterless module is shared, as cnnlab's printout shares it). */
static const char added_expected[] =
    "----------------------------------------------------------------\n"
    "        Layer (type)               Output Shape         Param #\n"
    "================================================================\n"
    "            Conv2d-1              [-1, 4, 9, 9]             196\n"
    "         AvgPool2d-2              [-1, 4, 9, 9]               0\n"
    "            Conv2d-3              [-1, 6, 9, 9]             144\n"
    "         LeakyReLU-4              [-1, 6, 9, 9]               0\n"
    "         AvgPool2d-5              [-1, 6, 4, 4]               0\n"
    "         LeakyReLU-6              [-1, 6, 4, 4]               0\n"
    "         LeakyReLU-7              [-1, 6, 4, 4]               0\n"
    "            Linear-8                    [-1, 5]             485\n"
    "================================================================\n"
    "Total params: 825\n"
    "Trainable params: 825\n"
    "Non-trainable params: 0\n"
    "----------------------------------------------------------------\n"
    "Input size (MB): 0.00\n"
    "Forward/backward pass size (MB): 0.01\n"
    "Params size (MB): 0.00\n"
    "Estimated Total Size (MB): 0.02\n"
    "----------------------------------------------------------------\n"
    "\n"
    "Net(\n"
    "  (conv1): Conv2d(3, 4, kernel_size=(4, 4), stride=(1, 1), padding"
    "=same)\n"
    "  (avgpool): AvgPool2d(kernel_size=3, stride=1, padding=1)\n"
    "  (conv2): Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), padding"
    "=same, dilation=(2, 1), bias=False)\n"
    "  (leaky): LeakyReLU(negative_slope=0.2)\n"
    "  (avgpool2): AvgPool2d(kernel_size=2, stride=2, padding=0)\n"
    "  (leaky2): LeakyReLU(negative_slope=0.01)\n"
    "  (fc1): Linear(in_features=96, out_features=5, bias=True)\n"
    ")\n"
    "Number of params : 825\n";

/* The edge model with conv1 (no bias) frozen in its entry and fc1 by
 * train.freeze. PyTorch 1.13 printed the expected lines for the Net above
 * after conv1's and fc1's parameters were given requires_grad_(False)
 * (t/summary-reference.py's torchsummary hooks): a module's weight and
 * bias count as trainable when its weight requires a gradient. */
static const char frozen_counts[] =
    "================================================================\n"
    "Total params: 1,604\n"
    "Trainable params: 1,218\n"
    "Non-trainable params: 386\n"
    "----------------------------------------------------------------\n"
    "Input size (MB): 0.01\n"
    "Forward/backward pass size (MB): 0.09\n"
    "Params size (MB): 0.01\n"
    "Estimated Total Size (MB): 0.10\n"
    "----------------------------------------------------------------\n"
    "\n"
    "Net(\n";

static int build(struct cnn_registry *registry, const char *text,
                 struct cnn_model *model)
{
    struct cnn_node *node = NULL;
    struct cnn_error err = {0};
    int status = cnn_node_load_string(text, "model.yaml", &node, &err);
    if (status == 0)
        status = cnn_model_build(model, registry, node, CNN_DEVICE_CPU, &err);
    cnn_node_free(node);
    if (!ok(status == 0, "the model builds"))
        diag("%s", err.message);
    return status;
}

/* The printout as a string (NULL on failure, with a failing check). */
static char *printed(const struct cnn_model *model)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&text, &size);
    struct cnn_error err = {0};
    int status = stream ? cnn_summary_print(model, stream, &err) : -1;
    if (stream)
        fclose(stream);
    if (!ok(status == 0, "cnn_summary_print succeeds")) {
        diag("%s", err.message);
        free(text);
        return NULL;
    }
    return text;
}

static char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    static char buffer[16384];
    size_t length = fread(buffer, 1, sizeof buffer - 1, file);
    fclose(file);
    buffer[length] = '\0';
    return buffer;
}

static void test_edge_model(struct cnn_registry *registry)
{
    struct cnn_model model;
    if (build(registry, edge_model, &model) < 0)
        return;
    char *text = printed(&model);
    is_str(text, edge_expected,
           "table and module repr equal torchsummary's and PyTorch's");
    free(text);

    struct cnn_summary_totals totals;
    cnn_summary_totals(&model, &totals);
    /* Exact: torchsummary's figures are sums of multiples of 4 / 2^20. */
    is_int(totals.total_params, 1604, "total parameters");
    is_int(totals.trainable_params, 1604, "trainable parameters");
    ok(totals.input_mb == 3072.0 * 4 / 1048576 &&
           totals.pass_mb == 2.0 * 11225 * 4 / 1048576 &&
           totals.params_mb == 1604.0 * 4 / 1048576,
       "the MB figures are torchsummary's products");

    char directory[] = "/tmp/cnnlab-summary-XXXXXX";
    if (!mkdtemp(directory)) {
        ok(0, "a scratch directory");
        cnn_model_free(&model);
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/summary.txt", directory);
    struct cnn_error err = {0};
    ok(cnn_summary_write(&model, path, &err) == 0,
       "cnn_summary_write succeeds");
    is_str(read_file(path), edge_expected, "summary.txt has the same text");

    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-dir/summary.txt",
             directory);
    cnn_error_clear(&err);
    ok(cnn_summary_write(&model, missing, &err) == -1,
       "writing into a missing directory fails");
    like(err.message, "no-such-dir/summary.txt",
         "the error names the file");
    unlink(path);
    rmdir(directory);
    cnn_model_free(&model);
}

static void test_added_layers(struct cnn_registry *registry)
{
    struct cnn_model model;
    if (build(registry, added_model, &model) < 0)
        return;
    char *text = printed(&model);
    is_str(text, added_expected,
           "padding: same, avgpool2d, leaky-relu: table and module repr "
           "equal PyTorch's");
    free(text);
    cnn_model_free(&model);
}

/* The edge model's text with conv1 marked `trainable: false`. */
static char *frozen_model_text(void)
{
    static const char from[] = "bias: false}\n";
    static const char to[] = "bias: false, trainable: false}\n";
    const char *at = strstr(edge_model, from);
    size_t head = at ? (size_t)(at - edge_model) : 0;
    char *text = malloc(sizeof edge_model + sizeof to);
    if (!at || !text) {
        free(text);
        return NULL;
    }
    snprintf(text, sizeof edge_model + sizeof to, "%.*s%s%s", (int)head,
             edge_model, to, at + strlen(from));
    return text;
}

static void test_frozen_model(struct cnn_registry *registry)
{
    char *source = frozen_model_text();
    struct cnn_model model;
    if (!ok(source != NULL, "the frozen model's text") ||
        build(registry, source, &model) < 0) {
        free(source);
        return;
    }
    free(source);
    static const char *const names[] = {"fc1"};
    struct cnn_error err = {0};
    if (!ok(cnn_model_freeze(&model, names, NULL, 1, &err) == 0,
            "train.freeze's fc1 applies"))
        diag("%s", err.message);
    char *text = printed(&model);
    like(text, frozen_counts,
         "Trainable / Non-trainable params follow PyTorch's for "
         "requires_grad=False layers");
    /* Everything else is the unfrozen model's: its rows, its repr. */
    static const char counts[] =
        "Trainable params: 1,604\nNon-trainable params: 0\n";
    const char *at = strstr(edge_expected, counts);
    size_t size = sizeof edge_expected + 16;
    char *unfrozen = malloc(size);
    if (at && unfrozen)
        snprintf(unfrozen, size, "%.*s%s%s", (int)(at - edge_expected),
                 edge_expected,
                 "Trainable params: 1,218\nNon-trainable params: 386\n",
                 at + strlen(counts));
    is_str(text, unfrozen, "the rest of the printout does not change");
    free(unfrozen);
    free(text);
    struct cnn_summary_totals totals;
    cnn_summary_totals(&model, &totals);
    is_int(totals.trainable_params, 1218,
           "frozen conv1 (216) and fc1 (170) are not trainable");
    cnn_model_free(&model);
}

static void test_functional_only(struct cnn_registry *registry)
{
    struct cnn_model model;
    if (build(registry,
              "input: [2, 4, 4]\nlayers: [relu, globalpool, flatten]\n",
              &model) < 0)
        return;
    char *text = printed(&model);
    like(text,
         "================================================================\n"
         "================================================================\n"
         "Total params: 0\n",
         "functional layers are not listed");
    like(text, "\nNet()\nNumber of params : 0\n",
         "a Net without modules prints as PyTorch does");
    free(text);
    cnn_model_free(&model);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "layers.so") == 1) {
        test_edge_model(registry);
        test_added_layers(registry);
        test_frozen_model(registry);
        test_functional_only(registry);
    }
    cnn_registry_free(registry);
    return done_testing();
}
