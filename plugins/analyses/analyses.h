/* cnnlab — the built-in analyses (summary, classwise, curves, timing) and
 * what they share: a growing text buffer with the escapes of each output
 * format. Analyses only write files, through the analysis API, and never
 * print. */
#ifndef CNNLAB_ANALYSES_H
#define CNNLAB_ANALYSES_H

#include <stddef.h>

#include "cnnlab/plugin.h"

extern const struct cnn_analysis_type analyses_summary_type;
extern const struct cnn_analysis_type analyses_classwise_type;
extern const struct cnn_analysis_type analyses_curves_type;
extern const struct cnn_analysis_type analyses_timing_type;
extern const struct cnn_analysis_type analyses_occlusion_type;
extern const struct cnn_analysis_type analyses_filters_type;
extern const struct cnn_analysis_type analyses_ablation_type;
extern const struct cnn_analysis_type analyses_saliency_type;
extern const struct cnn_analysis_type analyses_gradcam_type;
extern const struct cnn_analysis_type analyses_integrated_gradients_type;
extern const struct cnn_analysis_type analyses_faithfulness_type;

/* Text built piece by piece; an allocation failure is remembered and
 * reported once, when the text is written. */
struct analysis_text {
    char *data;
    size_t length, capacity;
    int out_of_memory;
};

void analysis_text_printf(struct analysis_text *text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One CSV field: quoted (doubling quotes) when it holds a comma, a quote,
 * a line break or leading/trailing space (RFC 4180). */
void analysis_text_csv(struct analysis_text *text, const char *field);
/* A Markdown table cell: backslash before what would end the cell or
 * start markup. */
void analysis_text_markdown(struct analysis_text *text, const char *cell);
/* LaTeX text mode: its ten special characters escaped. */
void analysis_text_latex(struct analysis_text *text, const char *cell);
/* A JSON string, quotes included. */
void analysis_text_json(struct analysis_text *text, const char *string);
/* A JSON number, or null when it is not finite. */
void analysis_text_json_number(struct analysis_text *text, double value);

/* Writes the text as file `name` of the run directory and frees it. */
int analysis_text_write(struct analysis_text *text,
                        struct cnn_analysis *analysis, const char *name,
                        struct cnn_error *err);
void analysis_text_free(struct analysis_text *text);

#endif
