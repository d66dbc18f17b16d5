/* cnnlab — analysis `summary`: summary.txt, the model's torchsummary table
 * and PyTorch module repr (the text of `cnnlab summary`). */
#include <stdlib.h>

#include "analyses.h"

static int summary_run(struct cnn_analysis *analysis,
                       const struct cnn_params *params, struct cnn_error *err)
{
    (void)params;
    char *text;
    size_t length;
    if (cnn_analysis_summary_text(analysis, &text, &length, err) < 0)
        return cnn_error_prefix(err, "summary.txt: ");
    int status = cnn_analysis_write_file(analysis, "summary.txt", text,
                                         length, err);
    free(text);
    return status;
}

const struct cnn_analysis_type analyses_summary_type = {
    .name = "summary",
    .help = "summary.txt: the torchsummary table and the PyTorch module "
            "repr of the model",
    .params = NULL,
    .param_count = 0,
    .run = summary_run,
};
