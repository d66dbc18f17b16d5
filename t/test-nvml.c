/* GPU utilisation sampling (core/run/nvml.c) without a GPU: NVML missing or
 * unusable gives "unknown" with the reason, and a stand-in NVML library
 * (t/plugins/fake-nvml.c) is sampled, averaged and stopped promptly. */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "run/nvml.h"
#include "tap.h"
#include "test-util.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void unusable_libraries(const char *test_directory_path)
{
    char why[512] = "";
    struct cnn_gpu_monitor *m = cnn_gpu_monitor_start(
        "libcnnlab-no-such-nvml.so.1", 0, 0.01, why, sizeof why);
    ok(m == NULL, "a missing NVML library gives no monitor");
    like(why, "NVML is not available", "and says NVML is not available");
    like(why, "libcnnlab-no-such-nvml.so.1", "naming the library");

    /* A shared object that is no NVML (a test module of this build). */
    char path[4096];
    snprintf(path, sizeof path, "%s/no-entry.so", test_directory_path);
    why[0] = '\0';
    m = cnn_gpu_monitor_start(path, 0, 0.01, why, sizeof why);
    ok(m == NULL, "a library without NVML's functions gives no monitor");
    like(why, "has no nvmlInit_v2", "and names the missing function");

    struct cnn_gpu_usage usage = {5, 1, 1};
    cnn_gpu_monitor_stop(NULL, &usage);
    ok(usage.samples == 0 && usage.mean == 0 && usage.max == 0,
       "stopping no monitor gives an empty usage");

    /* This machine's own NVML, when there is none: unknown, not a crash. */
    void *real = dlopen(CNN_NVML_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (real) {
        dlclose(real);
        skip("this machine has NVML", "no NVML on this machine: unknown");
    } else {
        why[0] = '\0';
        m = cnn_gpu_monitor_start(CNN_NVML_LIBRARY, 0, 0.01, why, sizeof why);
        ok(m == NULL && strstr(why, "NVML is not available"),
           "without NVML here the utilisation is unknown (%s)", why);
    }
}

static void fake_library(const char *path)
{
    char why[512] = "";
    unsetenv("CUDA_VISIBLE_DEVICES");
    struct cnn_gpu_monitor *m = cnn_gpu_monitor_start(path, 0, 0.005, why,
                                                      sizeof why);
    ok(m != NULL, "the stand-in NVML gives a monitor (%s)", why);
    if (!m)
        return;
    usleep(100 * 1000);
    struct cnn_gpu_usage usage;
    cnn_gpu_monitor_stop(m, &usage);
    /* 100 ms at 5 ms: about 20 samples; 3 is a floor for a loaded host. */
    ok(usage.samples >= 3, "it samples while running (%ld samples)",
       usage.samples);
    is_near(usage.mean, 70, 1e-9, "GPU 0's mean utilisation is 70%%");
    is_near(usage.max, 70, 1e-9, "and its highest 70%%");

    /* CUDA_VISIBLE_DEVICES=1: CUDA's GPU 0 is NVML's GPU 1 (50%, 90%). */
    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    m = cnn_gpu_monitor_start(path, 0, 0.005, why, sizeof why);
    unsetenv("CUDA_VISIBLE_DEVICES");
    ok(m != NULL, "a monitor through CUDA_VISIBLE_DEVICES (%s)", why);
    if (m) {
        usleep(100 * 1000);
        cnn_gpu_monitor_stop(m, &usage);
        ok(usage.samples >= 3, "it samples (%ld samples)", usage.samples);
        is_near(usage.max, 90, 1e-9,
                "CUDA_VISIBLE_DEVICES maps CUDA's GPU 0 to NVML's GPU 1");
        /* Alternating 50 and 90: the mean of n samples is within
         * 40/n of 70. */
        is_near(usage.mean, 70, 40.0 / (double)usage.samples + 1e-9,
                "the mean is the samples' mean (%.3f)", usage.mean);
    }

    why[0] = '\0';
    m = cnn_gpu_monitor_start(path, 5, 0.005, why, sizeof why);
    ok(m == NULL, "a GPU NVML does not have gives no monitor");
    like(why, "NVML has no GPU 5", "and says which");
    like(why, "Invalid Argument", "with NVML's reason");

    /* A long interval must not delay stopping: the thread is woken. */
    m = cnn_gpu_monitor_start(path, 0, 30, why, sizeof why);
    double started = now_seconds();
    cnn_gpu_monitor_stop(m, &usage);
    double took = now_seconds() - started;
    ok(m != NULL && took < 1.0, "stopping is prompt (%.3f s)", took);
    is_int(usage.samples, 0, "stopped before the first interval: no sample");
}

int main(void)
{
    const char *directory = test_directory("CNNLAB_TEST_PLUGIN_DIR",
                                           "GPU utilisation sampling");
    if (directory) {
        unusable_libraries(directory);
        char path[4096];
        snprintf(path, sizeof path, "%s/fake-nvml.so", directory);
        fake_library(path);
    }
    return done_testing();
}
