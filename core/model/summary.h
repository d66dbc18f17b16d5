/* cnnlab — a model's printouts in the formats of the PyTorch tools people
 * paste into reports:
 *
 * 1. the table of torchsummary.summary(model, (C, H, W)) (torchsummary
 *    1.5): one row per module call, "Conv2d-1", "MaxPool2d-2", ...,
 *    output shapes [-1, C, H, W] ([-1, N] once the tensor is flat),
 *    parameter counts with thousands separators, totals, and the four
 *    size lines in MB computed as torchsummary computes them;
 * 2. print(net) of an equivalent nn.Module `Net`, then
 *    "Number of params : N".
 *
 * Layer types whose summary_name is NULL (ReLU, global pooling, flatten)
 * stand for functions the equivalent Net calls in forward (F.relu, ...):
 * they appear in neither printout and take no number.
 *
 * Attribute names of Net: a layer with parameters or buffers (batch
 * norm) keeps its model name
 * (conv1, conv2, fc1, ...); parameterless modules with the same repr are
 * one shared attribute, as the PyTorch tutorial's `self.pool`: the first
 * configuration of a kind is named by the type's prefix ("pool"), the next
 * different ones "pool2", "pool3", ... Attributes are listed in the order
 * of their first use. */
#ifndef CNNLAB_SUMMARY_H
#define CNNLAB_SUMMARY_H

#include <stdio.h>

#include "model/model.h"

/* torchsummary's totals. The MB figures are its arithmetic exactly
 * (4 bytes per value, batch -1, absolute values):
 *   input  = |prod(input) * -1 * 4 / 1024^2|
 *   pass   = |2 * sum over listed outputs of -prod(shape) * 4 / 1024^2|
 *   params = total_params * 4 / 1024^2
 *   total  = params + pass + input */
struct cnn_summary_totals {
    long long total_params;      /* weight and bias of listed layers */
    long long trainable_params;  /* those of layers with a weight that
                                    is not frozen (requires_grad) */
    double input_mb;
    double pass_mb;              /* "Forward/backward pass size" */
    double params_mb;
    double total_mb;             /* "Estimated Total Size" */
};

/* Needs only a built model (cnn_model_build): nothing is allocated or
 * run. */
void cnn_summary_totals(const struct cnn_model *model,
                        struct cnn_summary_totals *totals);

/* The torchsummary table, from its first dashed line to its last. */
int cnn_summary_print_table(const struct cnn_model *model, FILE *out,
                            struct cnn_error *err);

/* Net( ... ) and "Number of params : N". */
int cnn_summary_print_module(const struct cnn_model *model, FILE *out,
                             struct cnn_error *err);

/* Both, the table first, separated by an empty line: the text of
 * summary.txt. */
int cnn_summary_print(const struct cnn_model *model, FILE *out,
                      struct cnn_error *err);

/* Writes cnn_summary_print's text to `path` atomically (a temporary name,
 * then rename). Errors name the file. */
int cnn_summary_write(const struct cnn_model *model, const char *path,
                      struct cnn_error *err);

#endif
