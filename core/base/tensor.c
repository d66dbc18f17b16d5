/* cnnlab — tensor helpers. */
#include "cnnlab/tensor.h"

const char *cnn_device_name(enum cnn_device device)
{
    switch (device) {
    case CNN_DEVICE_CPU:
        return "cpu";
    case CNN_DEVICE_CUDA:
        return "cuda";
    }
    return "unknown";
}
