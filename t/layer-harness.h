/* Helpers for the layer tests: build a layer by hand the way the core
 * does (params, setup, parameter buffers), run its CPU kernels, compare
 * against float64 references and check gradients by central differences. */
#ifndef CNNLAB_T_LAYER_HARNESS_H
#define CNNLAB_T_LAYER_HARNESS_H

#include <stddef.h>

#include "cnnlab/cnnlab.h"
#include "cnnlab/registry.h"

/* The registry with layers.so loaded, the context every kernel call gets,
 * and the test's seeded RNG (set up by harness_init). */
extern struct cnn_registry *harness_registry;
extern struct cnn_context harness_context;
extern struct cnn_rng harness_rng;

/* Loads $CNNLAB_BUILD_PLUGIN_DIR/layers.so; -1 with a message on failure. */
int harness_init(struct cnn_error *err);
void harness_finish(void);

struct test_layer {
    struct cnn_layer layer;
    const struct cnn_layer_kernels *kernels;
    float *values;    /* every parameter tensor's data, one buffer */
    float *gradients; /* and their gradients */
    size_t parameter_count;
    /* The layer's buffers (batch norm's running statistics), placed and
     * initialised as the core does: float values, then int64 ones. */
    void *buffers;
    struct cnn_error err; /* the last failure */
};

/* Builds a layer of `type` for `input` from NULL-terminated name, value
 * text pairs, and fills its parameters with U(-1, 1). Returns setup's
 * status; t->err says why it failed. Free with test_layer_free either way. */
int test_layer_make(struct test_layer *t, const char *type,
                    struct cnn_shape input, ...)
    __attribute__((sentinel));
/* The same with the pairs in a NULL-terminated array. */
int test_layer_make_list(struct test_layer *t, const char *type,
                         struct cnn_shape input,
                         const char *const *settings);
void test_layer_free(struct test_layer *t);

/* Kernel calls through the registered CPU kernels; print a TAP diagnostic
 * on failure. */
int test_layer_prepare(struct test_layer *t, int batch);
int test_layer_forward(struct test_layer *t, const struct cnn_tensor *x,
                       struct cnn_tensor *y, int training);
int test_layer_backward(struct test_layer *t, const struct cnn_tensor *x,
                        const struct cnn_tensor *y,
                        const struct cnn_tensor *dy, struct cnn_tensor *dx);

/* A CPU tensor of n samples with its own (uninitialised) data. */
struct cnn_tensor tensor_new(int n, struct cnn_shape shape);
void tensor_free(struct cnn_tensor *t);

/* U(lo, hi) values from harness_rng. */
void fill_uniform(float *values, size_t count, float lo, float hi);
/* Distinct values `spacing` apart, centred on 0, in random order: no two
 * are within a central-difference step of each other, so max pooling
 * never meets a tie. */
void fill_distinct(float *values, size_t count, float spacing);
void fill_constant(float *values, size_t count, float value);
/* Fills gradient buffers with garbage (1e6), so a kernel that adds to
 * them instead of overwriting them fails its comparison. */
void poison(float *values, size_t count);
/* count zeroed doubles; exits on no memory (a test has nothing to free). */
double *doubles_new(size_t count);

/* The outcome of a comparison: the test program reports it with ok()
 * (tap.h keeps its counters per program file, so only the test calls it). */
struct check_result {
    int passed;
    char message[256]; /* what was checked and how close it came */
    char detail[256];  /* where it failed, when it did */
};

/* A failed result for a check whose kernel call failed (the call printed
 * why). */
struct check_result check_not_run(const char *what);

/* Passes when max |got - want| <= tolerance * max(1, max |want|): the
 * scale is the array's largest finite reference value, so a sum that
 * cancels to near zero is judged against the size of its terms. A NaN
 * matches an expected NaN, an infinity the same infinity. */
struct check_result compare(const float *got, const double *want,
                            size_t count, double tolerance,
                            const char *what);
/* Passes when the two arrays hold the same bits (two runs of a kernel
 * that must not depend on the path taken). */
struct check_result compare_bits(const float *got, const float *want,
                                 size_t count, const char *what);

/* Caffe-style central-difference check of L = sum(y .* r), r ~ U(-1, 1),
 * over the input and every parameter (at most `limit` elements of each,
 * evenly spread): step `step`, passing when |analytic - numeric| <=
 * threshold * max(|analytic|, |numeric|, 1). With `kinks`, an element
 * whose +-step changes which outputs are positive (a ReLU kink) is
 * skipped. */
struct check_result gradient_check(struct test_layer *t,
                                   struct cnn_tensor *x, float step,
                                   double threshold, int limit, int kinks,
                                   const char *what);

#endif
