/* cnnlab layers module — the kernels shared by the layers with weights
 * (conv2d, linear): four oneDNN primitives per batch size, run on the
 * caller's plain buffers through reorders to whatever layouts the
 * primitives chose. */
#include <stdlib.h>
#include <string.h>

#include "onednn.h"

int cnn_onednn_md_any(dnnl_memory_desc_t *any, const dnnl_memory_desc_t *plain,
                      const struct cnn_layer *layer, struct cnn_error *err)
{
    return CNN_ONEDNN(layer, err, dnnl_memory_desc_init_by_tag, any,
                      plain->ndims, plain->dims, plain->data_type,
                      dnnl_format_tag_any);
}

int cnn_onednn_chosen_md(dnnl_memory_desc_t *md,
                         const struct cnn_onednn_primitive *primitive,
                         dnnl_query_t query, const struct cnn_layer *layer,
                         struct cnn_error *err)
{
    const dnnl_memory_desc_t *chosen =
        dnnl_primitive_desc_query_md(primitive->desc, query, 0);
    if (!chosen || chosen->ndims == 0)
        return cnn_error_set(err, "layer %s (%s): oneDNN "
                             "dnnl_primitive_desc_query_md gave no layout "
                             "for argument %d", layer->name,
                             layer->type->name, (int)query);
    *md = *chosen;
    return 0;
}

static void operand_release(struct cnn_onednn_operand *operand)
{
    cnn_onednn_memory_destroy(&operand->memory);
    cnn_onednn_primitive_destroy(&operand->reorder);
}

/* Sets up an operand for the layout `chosen` of an argument whose caller
 * buffer is `plain`; `input`: the reorder goes plain -> chosen. */
static int operand_create(struct cnn_onednn_operand *operand,
                          const dnnl_memory_desc_t *plain,
                          const dnnl_memory_desc_t *chosen, int input,
                          const char *what, const struct cnn_layer *layer,
                          struct cnn_error *err)
{
    if (dnnl_memory_desc_equal(plain, chosen))
        return 0;
    if (cnn_onednn_memory_owned(&operand->memory, chosen, layer, err))
        return cnn_error_prefix(err, "%s (a smaller batch may fit): ", what);
    return cnn_onednn_reorder_create(&operand->reorder,
                                     input ? plain : chosen,
                                     input ? chosen : plain, what, layer,
                                     err);
}

/* The memory a primitive reads for this operand: the caller's (`plain`,
 * already bound), or the operand's own buffer, filled from it when
 * `refresh`. */
static dnnl_memory_t operand_in(const struct cnn_onednn_operand *operand,
                                dnnl_memory_t plain, int refresh,
                                const char *what,
                                const struct cnn_layer *layer,
                                struct cnn_error *err, int *failed)
{
    if (!operand->memory)
        return plain;
    if (refresh && !*failed) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, plain},
                                  {DNNL_ARG_TO, operand->memory}};
        if (cnn_onednn_execute(&operand->reorder, 2, args, what, layer, err))
            *failed = 1;
    }
    return operand->memory;
}

/* The memory a primitive writes for this operand. */
static dnnl_memory_t operand_target(const struct cnn_onednn_operand *operand,
                                    dnnl_memory_t plain)
{
    return operand->memory ? operand->memory : plain;
}

/* After the primitive ran: its output into the caller's buffer. */
static int operand_out(const struct cnn_onednn_operand *operand,
                       dnnl_memory_t plain, const char *what,
                       const struct cnn_layer *layer, struct cnn_error *err)
{
    if (!operand->memory)
        return 0;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, operand->memory},
                              {DNNL_ARG_TO, plain}};
    return cnn_onednn_execute(&operand->reorder, 2, args, what, layer, err);
}

void cnn_onednn_weighted_release(struct cnn_layer *layer)
{
    struct cnn_onednn_weighted *k = layer->kernel_state;
    if (!k)
        return;
    cnn_onednn_primitive_destroy(&k->forward_training);
    cnn_onednn_primitive_destroy(&k->forward_inference);
    cnn_onednn_primitive_destroy(&k->backward_data);
    cnn_onednn_primitive_destroy(&k->backward_weights);
    dnnl_memory_t *memories[] = {
        &k->src,      &k->weights,      &k->bias_memory, &k->dst,
        &k->diff_src, &k->diff_weights, &k->diff_bias,   &k->diff_dst,
    };
    for (size_t i = 0; i < sizeof memories / sizeof *memories; i++)
        cnn_onednn_memory_destroy(memories[i]);
    struct cnn_onednn_operand *operands[] = {
        &k->forward_src,    &k->forward_weights,  &k->forward_dst,
        &k->weights_src,    &k->weights_diff_dst, &k->weights_diff,
        &k->data_diff_dst,  &k->data_weights,     &k->data_diff_src,
    };
    for (size_t i = 0; i < sizeof operands / sizeof *operands; i++)
        operand_release(operands[i]);
    free(k->masked_dy);
    free(k);
    layer->kernel_state = NULL;
}

int cnn_onednn_weighted_begin(struct cnn_context *ctx,
                              struct cnn_layer *layer, int batch,
                              struct cnn_onednn_weighted **state,
                              struct cnn_error *err)
{
    struct cnn_onednn_weighted *k = layer->kernel_state;
    *state = NULL;
    if (k && k->batch == batch)
        return 1;
    cnn_onednn_weighted_release(layer);
    if (batch < 1)
        return cnn_error_set(err, "layer %s (%s): batch size %d (must be at "
                             "least 1)", layer->name, layer->type->name,
                             batch);
    k = calloc(1, sizeof *k);
    if (!k)
        return cnn_error_set(err, "layer %s: out of memory", layer->name);
    k->batch = batch;
    layer->kernel_state = k;
    /* oneDNN splits the work among threads when it creates a primitive. */
    cnn_onednn_set_threads(ctx);
    *state = k;
    return 0;
}

/* Creates an operand unless `earlier` (NULL: none) already has the chosen
 * layout; returns which one the primitive uses in *use. */
static int operand_share(struct cnn_onednn_operand *operand,
                         struct cnn_onednn_operand *earlier,
                         const dnnl_memory_desc_t *earlier_md,
                         const dnnl_memory_desc_t *plain,
                         const dnnl_memory_desc_t *chosen,
                         struct cnn_onednn_operand **use, const char *what,
                         const struct cnn_layer *layer, struct cnn_error *err)
{
    if (earlier && dnnl_memory_desc_equal(earlier_md, chosen)) {
        *use = earlier;
        return 0;
    }
    *use = operand;
    return operand_create(operand, plain, chosen, 1, what, layer, err);
}

static int weighted_operands(struct cnn_onednn_weighted *k,
                             const dnnl_memory_desc_t *src,
                             const dnnl_memory_desc_t *weights,
                             const dnnl_memory_desc_t *dst,
                             struct cnn_layer *layer, struct cnn_error *err)
{
    dnnl_memory_desc_t f_src, f_weights, f_dst, w_src, w_diff_dst, w_diff;
    dnnl_memory_desc_t d_diff_dst, d_weights, d_diff_src;
    if (cnn_onednn_chosen_md(&f_src, &k->forward_training, dnnl_query_src_md,
                             layer, err) ||
        cnn_onednn_chosen_md(&f_weights, &k->forward_training,
                             dnnl_query_weights_md, layer, err) ||
        cnn_onednn_chosen_md(&f_dst, &k->forward_training, dnnl_query_dst_md,
                             layer, err) ||
        cnn_onednn_chosen_md(&w_src, &k->backward_weights, dnnl_query_src_md,
                             layer, err) ||
        cnn_onednn_chosen_md(&w_diff_dst, &k->backward_weights,
                             dnnl_query_diff_dst_md, layer, err) ||
        cnn_onednn_chosen_md(&w_diff, &k->backward_weights,
                             dnnl_query_diff_weights_md, layer, err) ||
        cnn_onednn_chosen_md(&d_diff_dst, &k->backward_data,
                             dnnl_query_diff_dst_md, layer, err) ||
        cnn_onednn_chosen_md(&d_weights, &k->backward_data,
                             dnnl_query_weights_md, layer, err) ||
        cnn_onednn_chosen_md(&d_diff_src, &k->backward_data,
                             dnnl_query_diff_src_md, layer, err))
        return -1;
    return operand_create(&k->forward_src, src, &f_src, 1, "input reorder",
                          layer, err) ||
           operand_create(&k->forward_weights, weights, &f_weights, 1,
                          "weight reorder", layer, err) ||
           operand_create(&k->forward_dst, dst, &f_dst, 0, "output reorder",
                          layer, err) ||
           operand_share(&k->weights_src, &k->forward_src, &f_src, src,
                         &w_src, &k->src_for_weights, "input reorder",
                         layer, err) ||
           operand_create(&k->weights_diff_dst, dst, &w_diff_dst, 1,
                          "output gradient reorder", layer, err) ||
           operand_create(&k->weights_diff, weights, &w_diff, 0,
                          "weight gradient reorder", layer, err) ||
           operand_share(&k->data_diff_dst, &k->weights_diff_dst,
                         &w_diff_dst, dst, &d_diff_dst,
                         &k->diff_dst_for_data, "output gradient reorder",
                         layer, err) ||
           operand_share(&k->data_weights, &k->forward_weights, &f_weights,
                         weights, &d_weights, &k->weights_for_data,
                         "weight reorder", layer, err) ||
           operand_create(&k->data_diff_src, src, &d_diff_src, 0,
                          "input gradient reorder", layer, err)
               ? -1
               : 0;
}

int cnn_onednn_weighted_finish(struct cnn_onednn_weighted *k,
                               const dnnl_memory_desc_t *src,
                               const dnnl_memory_desc_t *weights,
                               const dnnl_memory_desc_t *bias,
                               const dnnl_memory_desc_t *dst, int relu,
                               struct cnn_layer *layer,
                               struct cnn_error *err)
{
    k->bias = bias != NULL;
    k->relu = relu;
    if (cnn_onednn_memory(&k->src, src, layer, err) ||
        cnn_onednn_memory(&k->weights, weights, layer, err) ||
        cnn_onednn_memory(&k->dst, dst, layer, err) ||
        cnn_onednn_memory(&k->diff_src, src, layer, err) ||
        cnn_onednn_memory(&k->diff_weights, weights, layer, err) ||
        cnn_onednn_memory(&k->diff_dst, dst, layer, err) ||
        (bias && (cnn_onednn_memory(&k->bias_memory, bias, layer, err) ||
                  cnn_onednn_memory(&k->diff_bias, bias, layer, err))) ||
        weighted_operands(k, src, weights, dst, layer, err))
        goto fail;
    if (relu) {
        size_t count = (size_t)k->batch * cnn_shape_size(layer->output);
        k->masked_dy = malloc(count * sizeof(float));
        if (!k->masked_dy) {
            cnn_error_set(err, "layer %s: out of memory for a batch of %d "
                          "(try a smaller batch)", layer->name, k->batch);
            goto fail;
        }
    }
    return 0;
fail:
    cnn_onednn_weighted_release(layer);
    return -1;
}

static struct cnn_onednn_weighted *weighted_state(struct cnn_layer *layer,
                                                  struct cnn_error *err)
{
    if (!layer->kernel_state)
        cnn_error_set(err, "layer %s (%s): forward/backward before prepare",
                      layer->name, layer->type->name);
    return layer->kernel_state;
}

int cnn_onednn_weighted_forward(struct cnn_context *ctx,
                                struct cnn_layer *layer,
                                const struct cnn_tensor *x,
                                struct cnn_tensor *y, int training,
                                struct cnn_error *err)
{
    struct cnn_onednn_weighted *k = weighted_state(layer, err);
    if (!k ||
        cnn_check_tensor(x, layer->input, k->batch, "input", layer, err) ||
        cnn_check_tensor(y, layer->output, k->batch, "output", layer, err))
        return -1;
    const struct cnn_param_tensor *weight = &layer->tensors[0];
    const struct cnn_param_tensor *bias = k->bias ? &layer->tensors[1] : NULL;

    cnn_onednn_set_threads(ctx);
    k->kept = 0;
    if (cnn_onednn_bind(k->src, x->data, layer, err) ||
        cnn_onednn_bind(k->weights, weight->data, layer, err) ||
        cnn_onednn_bind(k->dst, y->data, layer, err) ||
        (bias && cnn_onednn_bind(k->bias_memory, bias->data, layer, err)))
        return -1;
    int failed = 0;
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, operand_in(&k->forward_src, k->src, 1,
                                  "input reorder", layer, err, &failed)},
        {DNNL_ARG_WEIGHTS, operand_in(&k->forward_weights, k->weights, 1,
                                      "weight reorder", layer, err,
                                      &failed)},
        {DNNL_ARG_DST, operand_target(&k->forward_dst, k->dst)},
        {DNNL_ARG_BIAS, k->bias_memory},
    };
    if (failed ||
        cnn_onednn_execute(
            training ? &k->forward_training : &k->forward_inference,
            bias ? 4 : 3, args, training ? "forward" : "inference", layer,
            err) ||
        operand_out(&k->forward_dst, k->dst, "output reorder", layer, err))
        return -1;
    if (training) {
        k->kept = 1;
        k->kept_src = x->data;
        k->kept_weights = weight->data;
    }
    return 0;
}

/* dL/dw (and dL/db) from x and the (masked) dy bound to k->diff_dst. */
static int weighted_backward_weights(struct cnn_onednn_weighted *k,
                                     struct cnn_layer *layer,
                                     const struct cnn_tensor *x,
                                     struct cnn_error *err)
{
    const struct cnn_param_tensor *weight = &layer->tensors[0];
    const struct cnn_param_tensor *bias = k->bias ? &layer->tensors[1] : NULL;
    /* Both primitives write (never add to) their outputs, which is what
     * the contract asks of parameter gradients. */
    if (cnn_onednn_bind(k->src, x->data, layer, err) ||
        cnn_onednn_bind(k->diff_weights, weight->grad, layer, err) ||
        (bias && cnn_onednn_bind(k->diff_bias, bias->grad, layer, err)))
        return -1;
    /* The forward's reordered x serves when it was this x. */
    int src_kept = k->src_for_weights == &k->forward_src && k->kept &&
                   k->kept_src == x->data;
    /* Reordering this x overwrites the kept one: record whose it is now. */
    if (k->kept && !src_kept && k->src_for_weights == &k->forward_src)
        k->kept_src = x->data;
    int failed = 0;
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, operand_in(k->src_for_weights, k->src, !src_kept,
                                  "input reorder", layer, err, &failed)},
        {DNNL_ARG_DIFF_DST, operand_in(&k->weights_diff_dst, k->diff_dst, 1,
                                       "output gradient reorder", layer, err,
                                       &failed)},
        {DNNL_ARG_DIFF_WEIGHTS,
         operand_target(&k->weights_diff, k->diff_weights)},
        {DNNL_ARG_DIFF_BIAS, k->diff_bias},
    };
    if (failed ||
        cnn_onednn_execute(&k->backward_weights, bias ? 4 : 3, args,
                           "backward weights", layer, err))
        return -1;
    return operand_out(&k->weights_diff, k->diff_weights,
                       "weight gradient reorder", layer, err);
}

/* dL/dx from w and the dy that backward weights already bound (and, when
 * the layouts agree, reordered). */
static int weighted_backward_data(struct cnn_onednn_weighted *k,
                                  struct cnn_layer *layer,
                                  struct cnn_tensor *dx,
                                  struct cnn_error *err)
{
    const struct cnn_param_tensor *weight = &layer->tensors[0];
    if (cnn_onednn_bind(k->weights, weight->data, layer, err) ||
        cnn_onednn_bind(k->diff_src, dx->data, layer, err))
        return -1;
    int weights_kept = k->weights_for_data == &k->forward_weights &&
                       k->kept && k->kept_weights == weight->data;
    int diff_dst_ready = k->diff_dst_for_data == &k->weights_diff_dst;
    int failed = 0;
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_DIFF_DST,
         operand_in(k->diff_dst_for_data, k->diff_dst, !diff_dst_ready,
                    "output gradient reorder", layer, err, &failed)},
        {DNNL_ARG_WEIGHTS,
         operand_in(k->weights_for_data, k->weights, !weights_kept,
                    "weight reorder", layer, err, &failed)},
        {DNNL_ARG_DIFF_SRC, operand_target(&k->data_diff_src, k->diff_src)},
    };
    if (failed || cnn_onednn_execute(&k->backward_data, 3, args,
                                     "backward data", layer, err))
        return -1;
    return operand_out(&k->data_diff_src, k->diff_src,
                       "input gradient reorder", layer, err);
}

int cnn_onednn_weighted_check_backward(const struct cnn_onednn_weighted *k,
                                       const struct cnn_layer *layer,
                                       const struct cnn_tensor *x,
                                       const struct cnn_tensor *y,
                                       const struct cnn_tensor *dy,
                                       const struct cnn_tensor *dx,
                                       struct cnn_error *err)
{
    return cnn_layer_check_backward(layer, CNN_DEVICE_CPU, k->batch, x, y,
                                    dy, dx, err);
}

const float *cnn_onednn_weighted_masked_gradient(
    struct cnn_onednn_weighted *k, const struct cnn_tensor *y,
    const struct cnn_tensor *dy)
{
    if (!k->relu)
        return dy->data;
    cnn_relu_mask_gradient(k->masked_dy, dy->data, y->data,
                           cnn_tensor_count(dy));
    return k->masked_dy;
}

int cnn_onednn_weighted_backward(struct cnn_context *ctx,
                                 struct cnn_layer *layer,
                                 const struct cnn_tensor *x,
                                 const struct cnn_tensor *y,
                                 const struct cnn_tensor *dy,
                                 struct cnn_tensor *dx,
                                 struct cnn_error *err)
{
    struct cnn_onednn_weighted *k = weighted_state(layer, err);
    if (!k ||
        cnn_onednn_weighted_check_backward(k, layer, x, y, dy, dx, err))
        return -1;

    cnn_onednn_set_threads(ctx);
    const float *diff_dst = cnn_onednn_weighted_masked_gradient(k, y, dy);
    if (cnn_onednn_bind(k->diff_dst, diff_dst, layer, err) ||
        weighted_backward_weights(k, layer, x, err))
        return -1;
    return dx ? weighted_backward_data(k, layer, dx, err) : 0;
}
