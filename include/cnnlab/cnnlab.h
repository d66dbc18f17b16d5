/* cnnlab — everything a plugin may include, in one header. */
#ifndef CNNLAB_CNNLAB_H
#define CNNLAB_CNNLAB_H

#include "error.h"
#include "atomic_file.h"
#include "input_file.h"
#include "tensor.h"
#include "params.h"
#include "rng.h"
#include "layer.h"
#include "loss.h"
#include "optimizer.h"
#include "builtin_training.h"
#include "loader.h"
#include "plugin.h"

#endif
