/* cnnlab CUDA module — cuDNN and cuBLAS loaded on demand (libraries.h).
 * Each function of theirs that the module calls is defined here with the
 * header's own prototype (so the compiler checks it) and forwards to the
 * loaded library; before loading it fails with NOT_INITIALIZED. The
 * module exports none of these names: the libraries keep their own. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <cublas_v2.h>
#include <cudnn.h>

#include "libraries.h"

#define STRINGIFY(x) #x
#define TEXT(x) STRINGIFY(x)
#define CUDNN_FILE "libcudnn.so." TEXT(CUDNN_MAJOR)
#define CUBLAS_FILE "libcublas.so." TEXT(CUBLAS_VER_MAJOR)

static struct {
    __typeof__(cudnnCreate) *cudnnCreate;
    __typeof__(cudnnDestroy) *cudnnDestroy;
    __typeof__(cudnnSetStream) *cudnnSetStream;
    __typeof__(cudnnGetErrorString) *cudnnGetErrorString;
    __typeof__(cudnnGetLastErrorString) *cudnnGetLastErrorString;
    __typeof__(cudnnGetProperty) *cudnnGetProperty;
    __typeof__(cudnnCreateTensorDescriptor) *cudnnCreateTensorDescriptor;
    __typeof__(cudnnDestroyTensorDescriptor) *cudnnDestroyTensorDescriptor;
    __typeof__(cudnnSetTensor4dDescriptor) *cudnnSetTensor4dDescriptor;
    __typeof__(cudnnCreateFilterDescriptor) *cudnnCreateFilterDescriptor;
    __typeof__(cudnnDestroyFilterDescriptor) *cudnnDestroyFilterDescriptor;
    __typeof__(cudnnSetFilter4dDescriptor) *cudnnSetFilter4dDescriptor;
    __typeof__(cudnnCreateConvolutionDescriptor)
        *cudnnCreateConvolutionDescriptor;
    __typeof__(cudnnDestroyConvolutionDescriptor)
        *cudnnDestroyConvolutionDescriptor;
    __typeof__(cudnnSetConvolution2dDescriptor)
        *cudnnSetConvolution2dDescriptor;
    __typeof__(cudnnSetConvolutionMathType) *cudnnSetConvolutionMathType;
    __typeof__(cudnnGetConvolution2dForwardOutputDim)
        *cudnnGetConvolution2dForwardOutputDim;
    __typeof__(cudnnFindConvolutionForwardAlgorithm)
        *cudnnFindConvolutionForwardAlgorithm;
    __typeof__(cudnnFindConvolutionBackwardDataAlgorithm)
        *cudnnFindConvolutionBackwardDataAlgorithm;
    __typeof__(cudnnFindConvolutionBackwardFilterAlgorithm)
        *cudnnFindConvolutionBackwardFilterAlgorithm;
    __typeof__(cudnnGetConvolutionForwardAlgorithm_v7)
        *cudnnGetConvolutionForwardAlgorithm_v7;
    __typeof__(cudnnGetConvolutionBackwardDataAlgorithm_v7)
        *cudnnGetConvolutionBackwardDataAlgorithm_v7;
    __typeof__(cudnnGetConvolutionBackwardFilterAlgorithm_v7)
        *cudnnGetConvolutionBackwardFilterAlgorithm_v7;
    __typeof__(cudnnGetConvolutionForwardWorkspaceSize)
        *cudnnGetConvolutionForwardWorkspaceSize;
    __typeof__(cudnnGetConvolutionBackwardDataWorkspaceSize)
        *cudnnGetConvolutionBackwardDataWorkspaceSize;
    __typeof__(cudnnGetConvolutionBackwardFilterWorkspaceSize)
        *cudnnGetConvolutionBackwardFilterWorkspaceSize;
    __typeof__(cudnnConvolutionForward) *cudnnConvolutionForward;
    __typeof__(cudnnConvolutionBackwardData) *cudnnConvolutionBackwardData;
    __typeof__(cudnnConvolutionBackwardFilter)
        *cudnnConvolutionBackwardFilter;
} dnn;

static struct {
    __typeof__(cublasCreate_v2) *cublasCreate_v2;
    __typeof__(cublasDestroy_v2) *cublasDestroy_v2;
    __typeof__(cublasSetStream_v2) *cublasSetStream_v2;
    __typeof__(cublasSetMathMode) *cublasSetMathMode;
    __typeof__(cublasSetWorkspace_v2) *cublasSetWorkspace_v2;
    __typeof__(cublasSgemm_v2) *cublasSgemm_v2;
    __typeof__(cublasGetStatusName) *cublasGetStatusName;
    __typeof__(cublasGetStatusString) *cublasGetStatusString;
    __typeof__(cublasGetProperty) *cublasGetProperty;
} blas;

struct symbol {
    const char *name;
    void *slot;   /* the table entry, a function pointer */
    int optional; /* newer than the oldest library that serves */
};

#define NEEDED(table, f) {#f, &table.f, 0}
#define OPTIONAL(table, f) {#f, &table.f, 1}

static const struct symbol cudnn_symbols[] = {
    NEEDED(dnn, cudnnCreate),
    NEEDED(dnn, cudnnDestroy),
    NEEDED(dnn, cudnnSetStream),
    NEEDED(dnn, cudnnGetErrorString),
    OPTIONAL(dnn, cudnnGetLastErrorString),
    NEEDED(dnn, cudnnGetProperty),
    NEEDED(dnn, cudnnCreateTensorDescriptor),
    NEEDED(dnn, cudnnDestroyTensorDescriptor),
    NEEDED(dnn, cudnnSetTensor4dDescriptor),
    NEEDED(dnn, cudnnCreateFilterDescriptor),
    NEEDED(dnn, cudnnDestroyFilterDescriptor),
    NEEDED(dnn, cudnnSetFilter4dDescriptor),
    NEEDED(dnn, cudnnCreateConvolutionDescriptor),
    NEEDED(dnn, cudnnDestroyConvolutionDescriptor),
    NEEDED(dnn, cudnnSetConvolution2dDescriptor),
    NEEDED(dnn, cudnnSetConvolutionMathType),
    NEEDED(dnn, cudnnGetConvolution2dForwardOutputDim),
    NEEDED(dnn, cudnnFindConvolutionForwardAlgorithm),
    NEEDED(dnn, cudnnFindConvolutionBackwardDataAlgorithm),
    NEEDED(dnn, cudnnFindConvolutionBackwardFilterAlgorithm),
    NEEDED(dnn, cudnnGetConvolutionForwardAlgorithm_v7),
    NEEDED(dnn, cudnnGetConvolutionBackwardDataAlgorithm_v7),
    NEEDED(dnn, cudnnGetConvolutionBackwardFilterAlgorithm_v7),
    NEEDED(dnn, cudnnGetConvolutionForwardWorkspaceSize),
    NEEDED(dnn, cudnnGetConvolutionBackwardDataWorkspaceSize),
    NEEDED(dnn, cudnnGetConvolutionBackwardFilterWorkspaceSize),
    NEEDED(dnn, cudnnConvolutionForward),
    NEEDED(dnn, cudnnConvolutionBackwardData),
    NEEDED(dnn, cudnnConvolutionBackwardFilter),
};

static const struct symbol cublas_symbols[] = {
    NEEDED(blas, cublasCreate_v2),
    NEEDED(blas, cublasDestroy_v2),
    NEEDED(blas, cublasSetStream_v2),
    NEEDED(blas, cublasSetMathMode),
    NEEDED(blas, cublasSetWorkspace_v2),
    NEEDED(blas, cublasSgemm_v2),
    NEEDED(blas, cublasGetStatusName),
    NEEDED(blas, cublasGetStatusString),
    NEEDED(blas, cublasGetProperty),
};

static int load_library(const char *file, const char *package,
                        const struct symbol *symbols, size_t count,
                        struct cnn_error *err)
{
    void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return cnn_error_set(err, "%s, which device: cuda needs, could not "
                             "be loaded (%s): install it (the pip package "
                             "%s, or NVIDIA's), or add its folder to "
                             "LD_LIBRARY_PATH, or use device: cpu",
                             file, dlerror(), package);
    for (size_t i = 0; i < count; i++) {
        void *function = dlsym(handle, symbols[i].name);
        if (!function && !symbols[i].optional)
            return cnn_error_set(err, "%s has no %s: it is older than the "
                                 "version the cuda module was built with; "
                                 "install a newer %s", file,
                                 symbols[i].name, package);
        /* A data pointer from dlsym into a function pointer: as POSIX
         * allows, through the bytes. */
        memcpy(symbols[i].slot, &function, sizeof function);
    }
    return 0;
}

int cuda_libraries_load(struct cnn_error *err)
{
    static int loaded;
    if (loaded)
        return 0;
    if (load_library(CUDNN_FILE, "nvidia-cudnn-cu" TEXT(CUBLAS_VER_MAJOR),
                     cudnn_symbols,
                     sizeof cudnn_symbols / sizeof *cudnn_symbols, err) ||
        load_library(CUBLAS_FILE, "nvidia-cublas", cublas_symbols,
                     sizeof cublas_symbols / sizeof *cublas_symbols, err)) {
        /* Nothing half loaded: every call fails alike until a retry. */
        memset(&dnn, 0, sizeof dnn);
        memset(&blas, 0, sizeof blas);
        return -1;
    }
    loaded = 1;
    return 0;
}

/* ---- cuDNN ---- */

#define DNN(f, ...)                                                          \
    return dnn.f ? dnn.f(__VA_ARGS__) : CUDNN_STATUS_NOT_INITIALIZED

cudnnStatus_t cudnnCreate(cudnnHandle_t *handle)
{
    DNN(cudnnCreate, handle);
}

cudnnStatus_t cudnnDestroy(cudnnHandle_t handle)
{
    DNN(cudnnDestroy, handle);
}

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream)
{
    DNN(cudnnSetStream, handle, stream);
}

const char *cudnnGetErrorString(cudnnStatus_t status)
{
    return dnn.cudnnGetErrorString ? dnn.cudnnGetErrorString(status)
                                   : "cuDNN is not loaded";
}

void cudnnGetLastErrorString(char *message, size_t max_size)
{
    if (dnn.cudnnGetLastErrorString)
        dnn.cudnnGetLastErrorString(message, max_size);
    else if (max_size)
        message[0] = '\0';
}

cudnnStatus_t cudnnGetProperty(libraryPropertyType type, int *value)
{
    DNN(cudnnGetProperty, type, value);
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *desc)
{
    DNN(cudnnCreateTensorDescriptor, desc);
}

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t desc)
{
    DNN(cudnnDestroyTensorDescriptor, desc);
}

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t desc,
                                         cudnnTensorFormat_t format,
                                         cudnnDataType_t type, int n, int c,
                                         int h, int w)
{
    DNN(cudnnSetTensor4dDescriptor, desc, format, type, n, c, h, w);
}

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *desc)
{
    DNN(cudnnCreateFilterDescriptor, desc);
}

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t desc)
{
    DNN(cudnnDestroyFilterDescriptor, desc);
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t desc,
                                         cudnnDataType_t type,
                                         cudnnTensorFormat_t format, int k,
                                         int c, int h, int w)
{
    DNN(cudnnSetFilter4dDescriptor, desc, type, format, k, c, h, w);
}

cudnnStatus_t
cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *desc)
{
    DNN(cudnnCreateConvolutionDescriptor, desc);
}

cudnnStatus_t
cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t desc)
{
    DNN(cudnnDestroyConvolutionDescriptor, desc);
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(
    cudnnConvolutionDescriptor_t desc, int pad_h, int pad_w, int u, int v,
    int dilation_h, int dilation_w, cudnnConvolutionMode_t mode,
    cudnnDataType_t type)
{
    DNN(cudnnSetConvolution2dDescriptor, desc, pad_h, pad_w, u, v,
        dilation_h, dilation_w, mode, type);
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t desc,
                                          cudnnMathType_t math)
{
    DNN(cudnnSetConvolutionMathType, desc, math);
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(
    const cudnnConvolutionDescriptor_t conv,
    const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w, int *n,
    int *c, int *h, int *width)
{
    DNN(cudnnGetConvolution2dForwardOutputDim, conv, x, w, n, c, h, width);
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x,
    const cudnnFilterDescriptor_t w, const cudnnConvolutionDescriptor_t conv,
    const cudnnTensorDescriptor_t y, const int requested, int *returned,
    cudnnConvolutionFwdAlgoPerf_t *perf)
{
    DNN(cudnnFindConvolutionForwardAlgorithm, handle, x, w, conv, y,
        requested, returned, perf);
}

cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t w,
    const cudnnTensorDescriptor_t dy, const cudnnConvolutionDescriptor_t conv,
    const cudnnTensorDescriptor_t dx, const int requested, int *returned,
    cudnnConvolutionBwdDataAlgoPerf_t *perf)
{
    DNN(cudnnFindConvolutionBackwardDataAlgorithm, handle, w, dy, conv, dx,
        requested, returned, perf);
}

cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x,
    const cudnnTensorDescriptor_t dy, const cudnnConvolutionDescriptor_t conv,
    const cudnnFilterDescriptor_t dw, const int requested, int *returned,
    cudnnConvolutionBwdFilterAlgoPerf_t *perf)
{
    DNN(cudnnFindConvolutionBackwardFilterAlgorithm, handle, x, dy, conv, dw,
        requested, returned, perf);
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x,
    const cudnnFilterDescriptor_t w, const cudnnConvolutionDescriptor_t conv,
    const cudnnTensorDescriptor_t y, const int requested, int *returned,
    cudnnConvolutionFwdAlgoPerf_t *perf)
{
    DNN(cudnnGetConvolutionForwardAlgorithm_v7, handle, x, w, conv, y,
        requested, returned, perf);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t w,
    const cudnnTensorDescriptor_t dy, const cudnnConvolutionDescriptor_t conv,
    const cudnnTensorDescriptor_t dx, const int requested, int *returned,
    cudnnConvolutionBwdDataAlgoPerf_t *perf)
{
    DNN(cudnnGetConvolutionBackwardDataAlgorithm_v7, handle, w, dy, conv, dx,
        requested, returned, perf);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x,
    const cudnnTensorDescriptor_t dy, const cudnnConvolutionDescriptor_t conv,
    const cudnnFilterDescriptor_t dw, const int requested, int *returned,
    cudnnConvolutionBwdFilterAlgoPerf_t *perf)
{
    DNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7, handle, x, dy, conv,
        dw, requested, returned, perf);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x,
    const cudnnFilterDescriptor_t w, const cudnnConvolutionDescriptor_t conv,
    const cudnnTensorDescriptor_t y, cudnnConvolutionFwdAlgo_t algo,
    size_t *bytes)
{
    DNN(cudnnGetConvolutionForwardWorkspaceSize, handle, x, w, conv, y, algo,
        bytes);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t w,
    const cudnnTensorDescriptor_t dy, const cudnnConvolutionDescriptor_t conv,
    const cudnnTensorDescriptor_t dx, cudnnConvolutionBwdDataAlgo_t algo,
    size_t *bytes)
{
    DNN(cudnnGetConvolutionBackwardDataWorkspaceSize, handle, w, dy, conv,
        dx, algo, bytes);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x,
    const cudnnTensorDescriptor_t dy, const cudnnConvolutionDescriptor_t conv,
    const cudnnFilterDescriptor_t dw, cudnnConvolutionBwdFilterAlgo_t algo,
    size_t *bytes)
{
    DNN(cudnnGetConvolutionBackwardFilterWorkspaceSize, handle, x, dy, conv,
        dw, algo, bytes);
}

cudnnStatus_t cudnnConvolutionForward(
    cudnnHandle_t handle, const void *alpha, const cudnnTensorDescriptor_t xd,
    const void *x, const cudnnFilterDescriptor_t wd, const void *w,
    const cudnnConvolutionDescriptor_t conv, cudnnConvolutionFwdAlgo_t algo,
    void *workspace, size_t workspace_bytes, const void *beta,
    const cudnnTensorDescriptor_t yd, void *y)
{
    DNN(cudnnConvolutionForward, handle, alpha, xd, x, wd, w, conv, algo,
        workspace, workspace_bytes, beta, yd, y);
}

cudnnStatus_t cudnnConvolutionBackwardData(
    cudnnHandle_t handle, const void *alpha, const cudnnFilterDescriptor_t wd,
    const void *w, const cudnnTensorDescriptor_t dyd, const void *dy,
    const cudnnConvolutionDescriptor_t conv,
    cudnnConvolutionBwdDataAlgo_t algo, void *workspace,
    size_t workspace_bytes, const void *beta,
    const cudnnTensorDescriptor_t dxd, void *dx)
{
    DNN(cudnnConvolutionBackwardData, handle, alpha, wd, w, dyd, dy, conv,
        algo, workspace, workspace_bytes, beta, dxd, dx);
}

cudnnStatus_t cudnnConvolutionBackwardFilter(
    cudnnHandle_t handle, const void *alpha, const cudnnTensorDescriptor_t xd,
    const void *x, const cudnnTensorDescriptor_t dyd, const void *dy,
    const cudnnConvolutionDescriptor_t conv,
    cudnnConvolutionBwdFilterAlgo_t algo, void *workspace,
    size_t workspace_bytes, const void *beta,
    const cudnnFilterDescriptor_t dwd, void *dw)
{
    DNN(cudnnConvolutionBackwardFilter, handle, alpha, xd, x, dyd, dy, conv,
        algo, workspace, workspace_bytes, beta, dwd, dw);
}

/* ---- cuBLAS (cublas_v2.h maps cublasCreate to cublasCreate_v2 etc.) ---- */

#define BLAS(f, ...)                                                         \
    return blas.f ? blas.f(__VA_ARGS__) : CUBLAS_STATUS_NOT_INITIALIZED

cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)
{
    BLAS(cublasCreate_v2, handle);
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
{
    BLAS(cublasDestroy_v2, handle);
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream)
{
    BLAS(cublasSetStream_v2, handle, stream);
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
{
    BLAS(cublasSetMathMode, handle, mode);
}

cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace,
                                     size_t bytes)
{
    BLAS(cublasSetWorkspace_v2, handle, workspace, bytes);
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t handle,
                              cublasOperation_t transa,
                              cublasOperation_t transb, int m, int n, int k,
                              const float *alpha, const float *a, int lda,
                              const float *b, int ldb, const float *beta,
                              float *c, int ldc)
{
    BLAS(cublasSgemm_v2, handle, transa, transb, m, n, k, alpha, a, lda, b,
         ldb, beta, c, ldc);
}

const char *cublasGetStatusName(cublasStatus_t status)
{
    return blas.cublasGetStatusName ? blas.cublasGetStatusName(status)
                                    : "CUBLAS_STATUS_NOT_INITIALIZED";
}

const char *cublasGetStatusString(cublasStatus_t status)
{
    return blas.cublasGetStatusString ? blas.cublasGetStatusString(status)
                                      : "cuBLAS is not loaded";
}

cublasStatus_t cublasGetProperty(libraryPropertyType type, int *value)
{
    BLAS(cublasGetProperty, type, value);
}
