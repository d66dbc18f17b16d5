/* cnnlab CUDA module — the device type (device.h): whether a GPU is
 * there, memory, copies through pinned staging, the step counter, and
 * step capture as CUDA graphs. Everything runs on the backend's stream. */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "backend_kernels.h"
#include "libraries.h"

/* Staging slots grow to the largest upload seen, in steps of this. */
#define CUDA_STAGING_ROUND ((size_t)1 << 20)

static void format_bytes(char *buf, size_t size, size_t bytes)
{
    if (bytes >= ((size_t)1 << 30))
        snprintf(buf, size, "%.2f GiB", (double)bytes / (1 << 30));
    else if (bytes >= ((size_t)1 << 20))
        snprintf(buf, size, "%.1f MiB", (double)bytes / (1 << 20));
    else
        snprintf(buf, size, "%zu bytes", bytes);
}

static int cuda_available(struct cnn_error *err)
{
    int driver = 0, runtime = 0, count = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    if (driver == 0) {
        cnn_error_set(err, "no NVIDIA driver found (libcuda.so.1 could not "
                      "be loaded), so there is no GPU to run on: use "
                      "device: cpu");
        return 0;
    }
    cudaError_t status = cudaGetDeviceCount(&count);
    if (status == cudaErrorInsufficientDriver) {
        cnn_error_set(err, "the NVIDIA driver supports CUDA %d.%d, older "
                      "than the CUDA %d.%d runtime the cuda module was "
                      "built with: update the driver, or use device: cpu",
                      driver / 1000, driver % 1000 / 10, runtime / 1000,
                      runtime % 1000 / 10);
        return 0;
    }
    if (status == cudaErrorNoDevice || (status == cudaSuccess && !count)) {
        cnn_error_set(err, "the NVIDIA driver (CUDA %d.%d) finds no GPU: "
                      "use device: cpu", driver / 1000, driver % 1000 / 10);
        return 0;
    }
    if (status != cudaSuccess) {
        cnn_error_set(err, "no usable GPU: cudaGetDeviceCount failed: %s "
                      "(%s): use device: cpu", cudaGetErrorName(status),
                      cudaGetErrorString(status));
        cudaGetLastError();
        return 0;
    }
    return cuda_libraries_load(err) == 0;
}

static void *cuda_alloc(struct cnn_context *ctx, size_t bytes,
                        struct cnn_error *err);
static void cuda_free(struct cnn_context *ctx, void *device_pointer);

static int cuda_open(struct cnn_context *ctx,
                     const struct cnn_device_options *o,
                     struct cnn_error *err)
{
    if (ctx->backend)
        return cnn_error_set(err, "cuda: this context is already open");
    struct cuda_backend *b = cuda_backend_create(o, err);
    if (!b)
        return -1;
    b->services = (struct cnn_cuda_services){
        .stream = b->stream, .alloc = cuda_alloc, .free = cuda_free};
    ctx->backend = b;
    ctx->device_step = b->device_step;
    return 0;
}

static void cuda_close(struct cnn_context *ctx)
{
    cuda_backend_destroy(cuda_backend_of(ctx));
    ctx->backend = NULL;
    ctx->device_step = NULL;
}

/* "NVIDIA H200, 132 SMs, compute 9.0, 139.8 GiB, CUDA runtime 13.0,
 * driver 13.0, cuDNN 9.19.0, cuBLAS 13.1.0". */
static void cuda_describe(struct cnn_context *ctx, char *buf, size_t size)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    struct cudaDeviceProp prop;
    int runtime = 0, driver = 0, dnn[3] = {0}, blas[3] = {0};
    static const libraryPropertyType parts[3] = {MAJOR_VERSION,
                                                 MINOR_VERSION, PATCH_LEVEL};
    char memory[32];
    if (!b || cudaGetDeviceProperties(&prop, b->ordinal) != cudaSuccess) {
        snprintf(buf, size, "CUDA GPU (not open)");
        return;
    }
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    for (int i = 0; i < 3; i++) {
        cudnnGetProperty(parts[i], &dnn[i]);
        cublasGetProperty(parts[i], &blas[i]);
    }
    format_bytes(memory, sizeof memory, prop.totalGlobalMem);
    snprintf(buf, size,
             "%s, %d SMs, compute %d.%d, %s, CUDA runtime %d.%d, driver "
             "%d.%d, cuDNN %d.%d.%d, cuBLAS %d.%d.%d",
             prop.name, prop.multiProcessorCount, prop.major, prop.minor,
             memory, runtime / 1000, runtime % 1000 / 10, driver / 1000,
             driver % 1000 / 10, dnn[0], dnn[1], dnn[2], blas[0], blas[1],
             blas[2]);
}

/* The calls below that wait for the device or allocate would break a
 * capture (or be left out of it): refused while one is open. */
static int refuse_in_capture(struct cuda_backend *b, const char *what,
                             struct cnn_error *err)
{
    if (!b)
        return cnn_error_set(err, "cuda: %s on a context that is not open",
                             what);
    if (b->capturing)
        return cnn_error_set(err, "cuda: %s during a captured step: a step "
                             "may only launch work (prepare allocates, and "
                             "data moves before or after the step)", what);
    return 0;
}

static void *cuda_alloc(struct cnn_context *ctx, size_t bytes,
                        struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    void *memory = NULL;
    if (refuse_in_capture(b, "allocating", err))
        return NULL;
    cudaError_t status = cudaMalloc(&memory, bytes ? bytes : 1);
    if (status == cudaSuccess)
        return memory;
    char want[32], free_text[32], total_text[32];
    size_t free_bytes = 0, total = 0;
    cudaGetLastError();
    cudaMemGetInfo(&free_bytes, &total);
    format_bytes(want, sizeof want, bytes);
    format_bytes(free_text, sizeof free_text, free_bytes);
    format_bytes(total_text, sizeof total_text, total);
    cnn_error_set(err, "cudaMalloc of %s failed: %s (%s); %s of the GPU's "
                  "%s are free%s", want, cudaGetErrorName(status),
                  cudaGetErrorString(status), free_text, total_text,
                  status == cudaErrorMemoryAllocation
                      ? ": use a smaller batch or model"
                      : "");
    return NULL;
}

static void cuda_free(struct cnn_context *ctx, void *device_pointer)
{
    (void)ctx;
    if (device_pointer)
        cudaFree(device_pointer);
}

/* Copies `host` into a pinned slot and sends the slot on the stream, so
 * the caller may reuse `host` at once and the copy overlaps whatever the
 * stream is doing. A slot is reused only once its last copy is done. */
static int cuda_upload(struct cnn_context *ctx, void *device_pointer,
                       const void *host, size_t bytes,
                       struct cnn_error *err)
{
    static const char where[] = "an upload to the GPU";
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (refuse_in_capture(b, "uploading", err))
        return -1;
    if (bytes == 0)
        return 0;
    struct cuda_staging *slot = &b->staging[b->next_staging];
    if (slot->used &&
        CUDA_CHECK(cudaEventSynchronize(slot->done), where, err))
        return -1;
    if (slot->size < bytes) {
        size_t size = (bytes + CUDA_STAGING_ROUND - 1) / CUDA_STAGING_ROUND *
                      CUDA_STAGING_ROUND;
        void *grown = NULL;
        if (CUDA_CHECK(cudaMallocHost(&grown, size), where, err))
            return -1;
        if (slot->host)
            cudaFreeHost(slot->host);
        slot->host = grown;
        slot->size = size;
    }
    memcpy(slot->host, host, bytes);
    if (CUDA_CHECK(cudaMemcpyAsync(device_pointer, slot->host, bytes,
                                   cudaMemcpyHostToDevice, b->stream),
                   where, err) ||
        CUDA_CHECK(cudaEventRecord(slot->done, b->stream), where, err))
        return -1;
    slot->used = 1;
    b->next_staging = (b->next_staging + 1) % CUDA_STAGING_SLOTS;
    return 0;
}

static int cuda_download(struct cnn_context *ctx, void *host,
                         const void *device_pointer, size_t bytes,
                         struct cnn_error *err)
{
    static const char where[] = "a download from the GPU";
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (refuse_in_capture(b, "downloading", err))
        return -1;
    if (bytes == 0)
        return 0;
    return CUDA_CHECK(cudaMemcpyAsync(host, device_pointer, bytes,
                                      cudaMemcpyDeviceToHost, b->stream),
                      where, err) ||
                   CUDA_CHECK(cudaStreamSynchronize(b->stream), where, err)
               ? -1
               : 0;
}

static int cuda_copy(struct cnn_context *ctx, void *device_to,
                     const void *device_from, size_t bytes,
                     struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (!b)
        return cnn_error_set(err, "cuda: copy on a context that is not "
                             "open");
    if (bytes == 0 || device_to == device_from)
        return 0;
    return CUDA_CHECK(cudaMemcpyAsync(device_to, device_from, bytes,
                                      cudaMemcpyDeviceToDevice, b->stream),
                      "a copy on the GPU", err);
}

static int cuda_zero(struct cnn_context *ctx, void *device_pointer,
                     size_t bytes, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (!b)
        return cnn_error_set(err, "cuda: zero on a context that is not "
                             "open");
    if (bytes == 0)
        return 0;
    return CUDA_CHECK(cudaMemsetAsync(device_pointer, 0, bytes, b->stream),
                      "zeroing GPU memory", err);
}

static int cuda_synchronize(struct cnn_context *ctx, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (refuse_in_capture(b, "synchronizing", err))
        return -1;
    return CUDA_CHECK(cudaStreamSynchronize(b->stream), "the GPU's stream",
                      err);
}

static int cuda_step_done(struct cnn_context *ctx, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (!b)
        return cnn_error_set(err, "cuda: step_done on a context that is not "
                             "open");
    return CUDA_CHECK(cuda_launch_step_increment(b->device_step, b->stream),
                      "the step counter", err);
}

static int cuda_capture_begin(struct cnn_context *ctx, struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (refuse_in_capture(b, "beginning a capture", err))
        return -1;
    /* Thread-local: a call of this thread that would break the capture
     * (cudaMalloc, a synchronisation) fails at once instead. */
    if (CUDA_CHECK(cudaStreamBeginCapture(b->stream,
                                          cudaStreamCaptureModeThreadLocal),
                   "capturing a step", err))
        return -1;
    b->capturing = 1;
    return 0;
}

static int cuda_capture_end(struct cnn_context *ctx, void **graph,
                            struct cnn_error *err)
{
    static const char where[] = "capturing a step";
    struct cuda_backend *b = cuda_backend_of(ctx);
    cudaGraph_t captured = NULL;
    cudaGraphExec_t exec = NULL;
    *graph = NULL;
    if (!b || !b->capturing)
        return cnn_error_set(err, "cuda: capture_end without "
                             "capture_begin");
    b->capturing = 0;
    cudaError_t status = cudaStreamEndCapture(b->stream, &captured);
    if (status != cudaSuccess) {
        if (captured)
            cudaGraphDestroy(captured);
        cudaGetLastError();
        cuda_check(status, "cudaStreamEndCapture", where, err);
        return cnn_error_prefix(err, "the step could not be captured (a "
                                "call in it waited for the device, "
                                "allocated, or failed): ");
    }
    int failed =
        CUDA_CHECK(cudaGraphInstantiate(&exec, captured, 0), where, err);
    cudaGraphDestroy(captured);
    /* Uploading now keeps that work out of the first replay. */
    if (!failed)
        failed = CUDA_CHECK(cudaGraphUpload(exec, b->stream), where, err);
    if (failed) {
        if (exec)
            cudaGraphExecDestroy(exec);
        return -1;
    }
    *graph = exec;
    return 0;
}

static int cuda_replay(struct cnn_context *ctx, void *graph,
                       struct cnn_error *err)
{
    struct cuda_backend *b = cuda_backend_of(ctx);
    if (refuse_in_capture(b, "replaying a step", err))
        return -1;
    return CUDA_CHECK(cudaGraphLaunch((cudaGraphExec_t)graph, b->stream),
                      "replaying a captured step", err);
}

static void cuda_graph_free(struct cnn_context *ctx, void *graph)
{
    (void)ctx;
    if (graph)
        cudaGraphExecDestroy((cudaGraphExec_t)graph);
}

const struct cnn_device_type cuda_device_type = {
    .name = "cuda",
    .device = CNN_DEVICE_CUDA,
    .help = "NVIDIA GPUs through the CUDA runtime, cuDNN and cuBLAS; steps "
            "captured and replayed as CUDA graphs",
    .available = cuda_available,
    .open = cuda_open,
    .close = cuda_close,
    .describe = cuda_describe,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .upload = cuda_upload,
    .download = cuda_download,
    .copy = cuda_copy,
    .zero = cuda_zero,
    .synchronize = cuda_synchronize,
    .step_done = cuda_step_done,
    .capture_begin = cuda_capture_begin,
    .capture_end = cuda_capture_end,
    .replay = cuda_replay,
    .graph_free = cuda_graph_free,
};
