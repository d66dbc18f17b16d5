/* cnnlab layers module — oneDNN helpers shared by the CPU kernels. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <oneapi/dnnl/dnnl_debug.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "onednn.h"

/* One engine and one stream for the whole process: oneDNN primitives are
 * tied to an engine, and creating one per layer would only waste memory. */
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static dnnl_engine_t process_engine;
static dnnl_stream_t process_stream;
static dnnl_status_t engine_status = dnnl_success;
static const char *engine_call = "";

static void engine_create(void)
{
    engine_call = "dnnl_engine_create";
    engine_status = dnnl_engine_create(&process_engine, dnnl_cpu, 0);
    if (engine_status != dnnl_success)
        return;
    engine_call = "dnnl_stream_create";
    engine_status = dnnl_stream_create(&process_stream, process_engine,
                                       dnnl_stream_default_flags);
    if (engine_status != dnnl_success) {
        dnnl_engine_destroy(process_engine);
        process_engine = NULL;
    }
}

/* Every layer has released its primitives by the time the core unloads
 * the module, so the engine can go with it. */
__attribute__((destructor)) static void engine_destroy(void)
{
    if (process_stream)
        dnnl_stream_destroy(process_stream);
    if (process_engine)
        dnnl_engine_destroy(process_engine);
    process_stream = NULL;
    process_engine = NULL;
}

int cnn_onednn_engine(dnnl_engine_t *engine, dnnl_stream_t *stream,
                      const struct cnn_layer *layer, struct cnn_error *err)
{
    pthread_once(&engine_once, engine_create);
    if (engine_status != dnnl_success)
        return cnn_onednn_check(engine_status, engine_call, layer, err);
    if (engine)
        *engine = process_engine;
    if (stream)
        *stream = process_stream;
    return 0;
}

int cnn_onednn_check(dnnl_status_t status, const char *call,
                     const struct cnn_layer *layer, struct cnn_error *err)
{
    if (status == dnnl_success)
        return 0;
    const char *hint = "";
    if (status == dnnl_out_of_memory)
        hint = " (use a smaller batch or model)";
    else if (status == dnnl_unimplemented)
        hint = " (this oneDNN build has no implementation for these sizes)";
    return cnn_error_set(err, "layer %s (%s): oneDNN %s failed: %s%s",
                         layer->name, layer->type ? layer->type->name : "?",
                         call, dnnl_status2str(status), hint);
}

void cnn_onednn_set_threads(const struct cnn_context *ctx)
{
#ifdef _OPENMP
    if (ctx && ctx->threads > 0)
        omp_set_num_threads(ctx->threads);
#else
    (void)ctx;
#endif
}

static int md_init(dnnl_memory_desc_t *md, int ndims, const dnnl_dims_t dims,
                   dnnl_format_tag_t tag, const struct cnn_layer *layer,
                   struct cnn_error *err)
{
    return CNN_ONEDNN(layer, err, dnnl_memory_desc_init_by_tag, md, ndims,
                      dims, dnnl_f32, tag);
}

int cnn_onednn_md_nchw(dnnl_memory_desc_t *md, int n, struct cnn_shape shape,
                       const struct cnn_layer *layer, struct cnn_error *err)
{
    dnnl_dims_t dims = {n, shape.c, shape.h, shape.w};
    return md_init(md, 4, dims, dnnl_nchw, layer, err);
}

int cnn_onednn_md_nc(dnnl_memory_desc_t *md, int n, size_t features,
                     const struct cnn_layer *layer, struct cnn_error *err)
{
    dnnl_dims_t dims = {n, (dnnl_dim_t)features};
    return md_init(md, 2, dims, dnnl_nc, layer, err);
}

int cnn_onednn_md_oihw(dnnl_memory_desc_t *md, int out, int in, int kh,
                       int kw, const struct cnn_layer *layer,
                       struct cnn_error *err)
{
    dnnl_dims_t dims = {out, in, kh, kw};
    return md_init(md, 4, dims, dnnl_oihw, layer, err);
}

int cnn_onednn_md_oi(dnnl_memory_desc_t *md, int out, size_t in,
                     const struct cnn_layer *layer, struct cnn_error *err)
{
    dnnl_dims_t dims = {out, (dnnl_dim_t)in};
    return md_init(md, 2, dims, dnnl_oi, layer, err);
}

int cnn_onednn_md_vector(dnnl_memory_desc_t *md, int count,
                         const struct cnn_layer *layer,
                         struct cnn_error *err)
{
    dnnl_dims_t dims = {count};
    return md_init(md, 1, dims, dnnl_a, layer, err);
}

int cnn_onednn_memory(dnnl_memory_t *memory, const dnnl_memory_desc_t *md,
                      const struct cnn_layer *layer, struct cnn_error *err)
{
    dnnl_engine_t engine;
    *memory = NULL;
    if (cnn_onednn_engine(&engine, NULL, layer, err))
        return -1;
    return CNN_ONEDNN(layer, err, dnnl_memory_create, memory, md, engine,
                      DNNL_MEMORY_NONE);
}

int cnn_onednn_memory_owned(dnnl_memory_t *memory,
                            const dnnl_memory_desc_t *md,
                            const struct cnn_layer *layer,
                            struct cnn_error *err)
{
    dnnl_engine_t engine;
    *memory = NULL;
    if (cnn_onednn_engine(&engine, NULL, layer, err))
        return -1;
    return CNN_ONEDNN(layer, err, dnnl_memory_create, memory, md, engine,
                      DNNL_MEMORY_ALLOCATE);
}

int cnn_onednn_bind(dnnl_memory_t memory, const void *data,
                    const struct cnn_layer *layer, struct cnn_error *err)
{
    /* oneDNN takes a non-const handle for every argument; the primitives
     * only read their inputs. */
    return CNN_ONEDNN(layer, err, dnnl_memory_set_data_handle, memory,
                      (void *)data);
}

void cnn_onednn_memory_destroy(dnnl_memory_t *memory)
{
    if (*memory)
        dnnl_memory_destroy(*memory);
    *memory = NULL;
}

int cnn_onednn_primitive_create(struct cnn_onednn_primitive *primitive,
                                const_dnnl_op_desc_t op_desc,
                                const_dnnl_primitive_attr_t attr,
                                const struct cnn_onednn_primitive *hint,
                                const char *what,
                                const struct cnn_layer *layer,
                                struct cnn_error *err)
{
    dnnl_engine_t engine;
    primitive->desc = NULL;
    primitive->primitive = NULL;
    if (cnn_onednn_engine(&engine, NULL, layer, err))
        return -1;
    if (CNN_ONEDNN(layer, err, dnnl_primitive_desc_create, &primitive->desc,
                   op_desc, attr, engine, hint ? hint->desc : NULL))
        return cnn_error_prefix(err, "%s: ", what);
    if (CNN_ONEDNN(layer, err, dnnl_primitive_create, &primitive->primitive,
                   primitive->desc)) {
        cnn_onednn_primitive_destroy(primitive);
        return cnn_error_prefix(err, "%s: ", what);
    }
    return 0;
}

int cnn_onednn_reorder_create(struct cnn_onednn_primitive *primitive,
                              const dnnl_memory_desc_t *from,
                              const dnnl_memory_desc_t *to, const char *what,
                              const struct cnn_layer *layer,
                              struct cnn_error *err)
{
    dnnl_engine_t engine;
    primitive->desc = NULL;
    primitive->primitive = NULL;
    if (cnn_onednn_engine(&engine, NULL, layer, err))
        return -1;
    if (CNN_ONEDNN(layer, err, dnnl_reorder_primitive_desc_create,
                   &primitive->desc, from, engine, to, engine, NULL))
        return cnn_error_prefix(err, "%s: ", what);
    if (CNN_ONEDNN(layer, err, dnnl_primitive_create, &primitive->primitive,
                   primitive->desc)) {
        cnn_onednn_primitive_destroy(primitive);
        return cnn_error_prefix(err, "%s: ", what);
    }
    return 0;
}

void cnn_onednn_primitive_destroy(struct cnn_onednn_primitive *primitive)
{
    if (primitive->primitive)
        dnnl_primitive_destroy(primitive->primitive);
    if (primitive->desc)
        dnnl_primitive_desc_destroy(primitive->desc);
    primitive->primitive = NULL;
    primitive->desc = NULL;
}

int cnn_onednn_execute(const struct cnn_onednn_primitive *primitive,
                       int nargs, const dnnl_exec_arg_t *args,
                       const char *what, const struct cnn_layer *layer,
                       struct cnn_error *err)
{
    dnnl_stream_t stream;
    if (!primitive->primitive)
        return cnn_error_set(err, "layer %s (%s): %s was not prepared "
                             "(call prepare before forward/backward)",
                             layer->name, layer->type->name, what);
    if (cnn_onednn_engine(NULL, &stream, layer, err))
        return -1;
    if (CNN_ONEDNN(layer, err, dnnl_primitive_execute, primitive->primitive,
                   stream, nargs, args) ||
        CNN_ONEDNN(layer, err, dnnl_stream_wait, stream))
        return cnn_error_prefix(err, "%s: ", what);
    return 0;
}

int cnn_onednn_relu_attr(dnnl_primitive_attr_t *attr, int relu,
                         const struct cnn_layer *layer,
                         struct cnn_error *err)
{
    dnnl_post_ops_t post_ops = NULL;
    *attr = NULL;
    if (!relu)
        return 0;
    if (CNN_ONEDNN(layer, err, dnnl_post_ops_create, &post_ops))
        return -1;
    if (CNN_ONEDNN(layer, err, dnnl_post_ops_append_eltwise, post_ops, 1.0f,
                   dnnl_eltwise_relu, 0.0f, 0.0f) ||
        CNN_ONEDNN(layer, err, dnnl_primitive_attr_create, attr) ||
        CNN_ONEDNN(layer, err, dnnl_primitive_attr_set_post_ops, *attr,
                   post_ops)) {
        if (*attr)
            dnnl_primitive_attr_destroy(*attr);
        *attr = NULL;
        dnnl_post_ops_destroy(post_ops);
        return -1;
    }
    /* The attributes keep their own copy of the post-ops. */
    dnnl_post_ops_destroy(post_ops);
    return 0;
}

void cnn_relu_mask_gradient(float *masked, const float *dy, const float *y,
                            size_t count)
{
    /* dy is read whatever the sign: a load under the condition keeps the
     * compiler from vectorising, and the branch it leaves mispredicts on
     * every other element. */
    CNN_PARALLEL_FOR_SIMD(count)
    for (size_t i = 0; i < count; i++) {
        float gradient = dy[i];
        masked[i] = y[i] > 0.0f ? gradient : 0.0f;
    }
}

