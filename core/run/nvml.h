/* cnnlab — how busy the GPU was while a run trained, through NVML, the
 * library that ships with NVIDIA's driver. It is opened at run time
 * (dlopen), so cnnlab neither links it nor needs it: without it the
 * utilisation is simply unknown. */
#ifndef CNNLAB_NVML_H
#define CNNLAB_NVML_H

#include <stddef.h>

#define CNN_NVML_LIBRARY "libnvidia-ml.so.1"

struct cnn_gpu_monitor;

struct cnn_gpu_usage {
    long samples;
    double mean, max;   /* % of time a kernel ran, over the samples */
};

/* Starts a thread that reads GPU `ordinal`'s utilisation from NVML every
 * `interval` seconds (0.1 for runs). `library` is CNN_NVML_LIBRARY but
 * for tests. The ordinal is CUDA's, mapped through CUDA_VISIBLE_DEVICES
 * when that lists indices. Returns NULL and says why in `why` when NVML
 * cannot be used (no library, no such GPU, no memory). */
struct cnn_gpu_monitor *cnn_gpu_monitor_start(const char *library,
                                              int ordinal, double interval,
                                              char *why, size_t why_size);

/* Stops the thread, fills *usage (samples 0: no reading succeeded) and
 * frees the monitor. */
void cnn_gpu_monitor_stop(struct cnn_gpu_monitor *monitor,
                          struct cnn_gpu_usage *usage);

#endif
