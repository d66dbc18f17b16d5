/* cnnlab CUDA module — cuDNN and cuBLAS, loaded when a CUDA context is
 * first wanted rather than when the module is: they take a second or more
 * to load, which every CPU run would otherwise pay (the core loads every
 * module it finds), and a machine without them can still load the module
 * and be told what is missing. libraries.c defines the functions of
 * cudnn.h and cublas_v2.h that the module calls, each forwarding to the
 * library once loaded. */
#ifndef CNNLAB_CUDA_LIBRARIES_H
#define CNNLAB_CUDA_LIBRARIES_H

#include "cnnlab/error.h"

/* Loads libcudnn.so.<major> and libcublas.so.<major> (the versions the
 * module was built against) and resolves what the module calls; once
 * loaded, stays loaded. -1 with `err` naming the library, the loader's
 * message and what to do. */
int cuda_libraries_load(struct cnn_error *err);

#endif
