/* cnnlab — analyses: what a trained model is and did, written into its run
 * directory (tables, CSV, figures). A manifest lists them:
 *
 *     analyses: [summary, classwise, curves, {timing: {repeats: 20}}]
 *
 * and they run after training, on the selected (best-val) weights, or on
 * existing results through `cnnlab analyse`. An analysis never touches a
 * backend: it asks the core (the functions below) to run the model, so it
 * works on every device. */
#ifndef CNNLAB_ANALYSIS_H
#define CNNLAB_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layer.h"
#include "loader.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The core's handle on one run being analysed (opaque). */
struct cnn_analysis;

enum cnn_split { CNN_SPLIT_TRAIN, CNN_SPLIT_VAL, CNN_SPLIT_TEST };

/* One finished epoch, as metrics.csv and epoch-seconds.csv record it. */
struct cnn_epoch_record {
    int epoch;                          /* 1-based */
    double train_loss, train_accuracy;  /* accuracy in % */
    double val_loss, val_accuracy;
    double seconds;                     /* wall time of the training part */
    double cpu_seconds;                 /* process CPU time in that part
                                           (user + system), or -1 unknown */
};

struct cnn_analysis_type {
    const char *name; /* "classwise" */
    const char *help;
    const struct cnn_param_spec *params;
    int param_count;
    /* Writes the analysis's files (through cnn_analysis_write_file or
     * into cnn_analysis_directory) and returns 0, or fails with an error
     * naming what is missing. */
    int (*run)(struct cnn_analysis *analysis, const struct cnn_params *params,
               struct cnn_error *err);
    /* ABI 2.3 (read only from modules built for 2.3 or later), may be
     * NULL: checks `params` against the model before anything trains
     * (`cnnlab check`, and `cnnlab run` and `cnnlab analyse` before their
     * first variant), so that a parameter that does not fit the model (a
     * layer it lacks, one without filters, a fill colour for the wrong
     * number of channels) is reported at once, not after the training.
     * The handle describes the model as built from the manifest: input
     * shape, layers (names, types, shapes, declared parameter tensors),
     * cnn_analysis_filter_count, the variant, seed, threads and training
     * batch; it has no trained weights, no data (cnn_analysis_data is
     * NULL), no history and no run directory, and being const it cannot
     * run the model or write files. Share the checking code with `run`,
     * so that both report a mistake in the same words. */
    int (*validate)(const struct cnn_analysis *analysis,
                    const struct cnn_params *params, struct cnn_error *err);
};

/* Where the run's files are (results/<experiment>/<variant>). */
const char *cnn_analysis_directory(const struct cnn_analysis *analysis);
/* Writes `size` bytes as file `name` of the run directory, atomically: a
 * reader sees the old file or the new one, never half. */
int cnn_analysis_write_file(struct cnn_analysis *analysis, const char *name,
                            const void *bytes, size_t size,
                            struct cnn_error *err);
/* The full path of file `name` of the run directory, for libraries that
 * write files themselves (cairo): write to it, then call
 * cnn_analysis_commit_file. Returns NULL when it does not fit `size`. */
const char *cnn_analysis_temp_path(struct cnn_analysis *analysis,
                                   const char *name, char *buf, size_t size);
int cnn_analysis_commit_file(struct cnn_analysis *analysis, const char *name,
                             struct cnn_error *err);

/* The variant's name and its resolved manifest's path (for captions). */
const char *cnn_analysis_variant(const struct cnn_analysis *analysis);

/* The model: its input shape, layers in order (names, types, shapes,
 * parameters; see layer.h) and its device. */
struct cnn_shape cnn_analysis_input_shape(const struct cnn_analysis *a);
int cnn_analysis_layer_count(const struct cnn_analysis *analysis);
const struct cnn_layer *cnn_analysis_layer(const struct cnn_analysis *a,
                                           int index);
enum cnn_device cnn_analysis_device(const struct cnn_analysis *analysis);
/* One line naming the device ("2 CPU threads", "NVIDIA H200, ..."). */
const char *cnn_analysis_device_text(const struct cnn_analysis *analysis);
int cnn_analysis_threads(const struct cnn_analysis *analysis);

/* The data: every split, class count and names. NULL when the analysis
 * runs without data (cnnlab summary). */
const struct cnn_data *cnn_analysis_data(const struct cnn_analysis *a);

/* The epochs trained so far, in order (count may be 0). */
const struct cnn_epoch_record *cnn_analysis_history(
    const struct cnn_analysis *analysis, int *count);

/* Predicted classes (arg-max of the model's output in evaluation mode) of
 * every image of `split`, in the split's order, with the selected weights:
 * `predictions` holds the split's count. */
int cnn_analysis_predict(struct cnn_analysis *analysis, enum cnn_split split,
                         int32_t *predictions, struct cnn_error *err);

/* Mean seconds per call of each layer's forward and backward (arrays of
 * layer_count) over `repeats` forward and backward passes in training
 * mode on `batch` images of the training split, after one warm-up pass;
 * waits for the device around each layer, so the times are the layers'
 * own. No update is made: the weights stay as they are. */
int cnn_analysis_time_layers(struct cnn_analysis *analysis, int batch,
                             int repeats, double *forward, double *backward,
                             struct cnn_error *err);

/* The manifest's training batch size (train.batch). */
int cnn_analysis_train_batch(const struct cnn_analysis *analysis);

/* The mean and highest GPU utilisation (%, as NVML reports it) sampled
 * while the run trained: returns 1 and fills both when known, 0 when not
 * (a CPU run, or no NVML library). */
int cnn_analysis_gpu_utilization(const struct cnn_analysis *analysis,
                                 double *mean, double *max);

/* The model's printouts as `cnnlab summary` shows them: the torchsummary
 * table, an empty line, the PyTorch module repr. *text is malloc'd and
 * NUL-terminated (the caller frees it); *length excludes the NUL. */
int cnn_analysis_summary_text(const struct cnn_analysis *analysis,
                              char **text, size_t *length,
                              struct cnn_error *err);


/* ---- Running the model in pieces (Part B: occlusion, filters, ablation).
 * Layers are numbered from 0 as cnn_analysis_layer numbers them; "the
 * output of layer k" is what layer k writes (after an activation fused
 * into it, so a conv2d's output with `activation: relu` is post-ReLU).
 * Everything runs in evaluation mode with the selected weights, on the
 * model's device; tensors cross as float NCHW arrays in host memory, so
 * an analysis never touches a backend. Any n >= 1 works: the core grows
 * its buffers as needed (memory: n times the largest activations). */

/* Normalises n images as training does (8-bit pixel space, NCHW, as a
 * loader gives them, through the manifest's mean/std) into `out` (n × the
 * input size floats), e.g. to pass to cnn_analysis_forward_from(a, 0,...). */
void cnn_analysis_normalize(const struct cnn_analysis *analysis,
                            const uint8_t *pixels, int n, float *out);

/* Runs n images (8-bit pixel space, NCHW) through layers 0..last and copies
 * layer last's output (n × layer last's output size floats) into `out`.
 * last = layer_count - 1 gives the logits. */
int cnn_analysis_forward_images(struct cnn_analysis *analysis,
                                const uint8_t *pixels, int n, int last,
                                float *out, struct cnn_error *err);

/* Runs n samples of layer first's input (`x`: n × its input size floats;
 * for first = 0 normalised images, else layer first-1's outputs) through
 * layers first..last and copies layer last's output into `out`. With
 * cnn_analysis_forward_images(..., k, ...) this splits the model at any
 * layer: the two together equal one full forward. */
int cnn_analysis_forward_from(struct cnn_analysis *analysis, int first,
                              const float *x, int n, int last, float *out,
                              struct cnn_error *err);

/* The number of filters of layer `layer` that cnn_analysis_filter_off can
 * switch: output channels of a conv2d, outputs of a linear layer (rows of
 * its weight); 0 for layers without parameters. */
int cnn_analysis_filter_count(const struct cnn_analysis *analysis,
                              int layer);

/* Switches filter `filter` of `layer` off: its weights, and its bias when
 * `with_bias`, become 0 on the model's device, so its output is 0 (or
 * the bias alone) for every input. cnn_analysis_filter_on restores the
 * selected weights exactly (bit for bit). Several filters may be off at
 * once. Errors name the layer and the valid range. */
int cnn_analysis_filter_off(struct cnn_analysis *analysis, int layer,
                            int filter, int with_bias, struct cnn_error *err);
int cnn_analysis_filter_on(struct cnn_analysis *analysis, int layer,
                           int filter, struct cnn_error *err);

/* The manifest's seed (for seeded choices: random filters, misses shown). */
uint64_t cnn_analysis_seed(const struct cnn_analysis *analysis);

/* ---- Gradients (attributions: saliency, Grad-CAM, integrated
 * gradients). The gradient of one output per sample, a class's logit or
 * its softmax probability, with respect to the model's input or to any
 * layer's output, taken through the model's own kernels in evaluation
 * mode (dropout off, max pooling's backward finding its maxima again)
 * with the model's current weights: the selected ones unless a filter is
 * switched off. Nothing changes the weights, and the parameter
 * gradients the kernels' backward overwrites are put back as they were,
 * so training state is never disturbed. Any n >= 1 works (batched). */

enum cnn_gradient_output {
    CNN_GRADIENT_LOGIT,       /* z_c, the class's logit */
    CNN_GRADIENT_PROBABILITY, /* softmax(z)_c */
};

struct cnn_gradient_request {
    enum cnn_gradient_output output;
    const int32_t *classes; /* n: the class c whose output each sample
                               differentiates */
    int layer;              /* -1: with respect to the model's input (the
                               normalised x); k: to layer k's output */
};

/* What cnn_analysis_gradient fills; NULL leaves a field out. */
struct cnn_gradient_result {
    float *gradient;   /* n × the size of what it is taken with respect
                          to (input size, or layer k's output size) */
    float *activation; /* n × the same: the values themselves (layer k's
                          output; x itself for the input) */
    float *value;      /* n: each sample's differentiated output */
};

/* Runs x (n normalised images, as for cnn_analysis_forward_from(a, 0,
 * ...)) through the whole model and back to `request->layer`. Errors
 * name the layer or class that is out of range and the valid range. */
int cnn_analysis_gradient(struct cnn_analysis *analysis, const float *x,
                          int n, const struct cnn_gradient_request *request,
                          const struct cnn_gradient_result *result,
                          struct cnn_error *err);

/* ---- One layer on a crop of its input (incremental analyses: an input
 * change reaches only a cone of positions, so only that part of each
 * layer needs recomputing). cnn_analysis_crop_open sets layer `layer` up
 * as if its input were `height` × `width` positions (its channels
 * unchanged) and gives that output shape; cnn_analysis_crop_forward then
 * runs it in evaluation mode with the model's current weights (filters
 * switched off included) on n crops (x: n × channels × height × width
 * floats, NCHW in host memory) into y (n × the output shape). The layer's
 * own padding applies at every edge of the crop, so an output equals the
 * full layer's where its window lies inside the crop, or reaches past the
 * crop only at an edge that is also the full input's edge. Meaningful for
 * layers whose geometry (layer.h) is a window or the identity. A crop is
 * one layer's, for one size, and is closed with cnn_analysis_crop_close
 * (NULL is fine) before the analysis ends. */
struct cnn_analysis_crop;
int cnn_analysis_crop_open(struct cnn_analysis *analysis, int layer,
                           int height, int width,
                           struct cnn_analysis_crop **crop,
                           struct cnn_shape *output, struct cnn_error *err);
int cnn_analysis_crop_forward(struct cnn_analysis *analysis,
                              struct cnn_analysis_crop *crop, const float *x,
                              int n, float *y, struct cnn_error *err);
void cnn_analysis_crop_close(struct cnn_analysis *analysis,
                             struct cnn_analysis_crop *crop);

#ifdef __cplusplus
}
#endif
#endif
