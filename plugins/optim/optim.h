/* cnnlab — the optim module's components besides sgd (sgd.c registers
 * them with its own). */
#ifndef CNNLAB_PLUGINS_OPTIM_H
#define CNNLAB_PLUGINS_OPTIM_H

#include "cnnlab/plugin.h"

/* Adam and AdamW (PyTorch's torch.optim.Adam / AdamW), with AMSGrad. */
extern const struct cnn_optimizer_type optim_adam_type;
extern const struct cnn_optimizer_kernels optim_adam_cpu;

#endif
