/* cnnlab — sampling GPU utilisation through NVML, opened with dlopen.
 * The few NVML declarations needed are restated here (their C ABI is
 * stable: plain ints, an opaque handle, a struct of two unsigned ints), so
 * building needs no NVIDIA headers. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run/nvml.h"

typedef void *nvml_device;
struct nvml_utilization {
    unsigned int gpu;    /* % of the sample period a kernel was running */
    unsigned int memory;
};

struct nvml_functions {
    int (*init)(void);
    int (*shutdown)(void);
    int (*by_index)(unsigned int index, nvml_device *device);
    int (*by_uuid)(const char *uuid, nvml_device *device); /* may be NULL */
    int (*utilization)(nvml_device device, struct nvml_utilization *u);
    const char *(*error_string)(int result);               /* may be NULL */
};

struct cnn_gpu_monitor {
    void *library;
    struct nvml_functions nvml;
    nvml_device device;
    double interval;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    long samples;
    double sum, max;
};

static const char *nvml_error(const struct nvml_functions *nvml, int result,
                              char *buf, size_t size)
{
    if (nvml->error_string)
        return nvml->error_string(result);
    snprintf(buf, size, "NVML error %d", result);
    return buf;
}

/* NULL, or the name of a required function the library lacks. */
static const char *resolve(void *library, struct nvml_functions *nvml)
{
    /* Assigning a dlsym result to a function pointer goes through memcpy:
     * ISO C has no conversion between object and function pointers. */
    struct {
        const char *name;
        void *slot;
        size_t size;
        int required;
    } symbols[] = {
        {"nvmlInit_v2", &nvml->init, sizeof nvml->init, 1},
        {"nvmlShutdown", &nvml->shutdown, sizeof nvml->shutdown, 1},
        {"nvmlDeviceGetHandleByIndex_v2", &nvml->by_index,
         sizeof nvml->by_index, 1},
        {"nvmlDeviceGetHandleByUUID", &nvml->by_uuid, sizeof nvml->by_uuid,
         0},
        {"nvmlDeviceGetUtilizationRates", &nvml->utilization,
         sizeof nvml->utilization, 1},
        {"nvmlErrorString", &nvml->error_string, sizeof nvml->error_string,
         0},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *address = dlsym(library, symbols[i].name);
        if (!address && symbols[i].required)
            return symbols[i].name;
        memcpy(symbols[i].slot, &address, symbols[i].size);
    }
    return NULL;
}

/* CUDA_VISIBLE_DEVICES renumbers GPUs for CUDA but not for NVML: entry
 * `ordinal` of the list is the GPU CUDA calls `ordinal`. */
static int find_device(struct cnn_gpu_monitor *m, int ordinal, char *why,
                       size_t why_size)
{
    const char *visible = getenv("CUDA_VISIBLE_DEVICES");
    char entry[128] = "";
    if (visible && visible[0]) {
        const char *p = visible;
        for (int i = 0; i < ordinal && p; i++) {
            p = strchr(p, ',');
            p = p ? p + 1 : NULL;
        }
        if (p)
            snprintf(entry, sizeof entry, "%.*s", (int)strcspn(p, ","), p);
    }
    char number[64];
    int result;
    if (entry[0] && (entry[0] < '0' || entry[0] > '9') && m->nvml.by_uuid)
        result = m->nvml.by_uuid(entry, &m->device);
    else
        result = m->nvml.by_index(entry[0] ? (unsigned)atoi(entry)
                                           : (unsigned)ordinal,
                                  &m->device);
    if (result != 0)
        snprintf(why, why_size, "NVML has no GPU %d%s%s: %s", ordinal,
                 entry[0] ? " (CUDA_VISIBLE_DEVICES entry " : "", entry,
                 nvml_error(&m->nvml, result, number, sizeof number));
    return result == 0 ? 0 : -1;
}

static struct timespec deadline_after(double seconds)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long nanoseconds = t.tv_nsec + (long)(seconds * 1e9);
    t.tv_sec += nanoseconds / 1000000000L;
    t.tv_nsec = nanoseconds % 1000000000L;
    return t;
}

/* Waits first, so the idle time before training is not sampled. */
static void *sample(void *user)
{
    struct cnn_gpu_monitor *m = user;
    pthread_mutex_lock(&m->lock);
    while (!m->stop) {
        struct timespec deadline = deadline_after(m->interval);
        while (!m->stop &&
               pthread_cond_timedwait(&m->wake, &m->lock, &deadline) == 0)
            ;
        if (m->stop)
            break;
        struct nvml_utilization u;
        if (m->nvml.utilization(m->device, &u) == 0) {
            m->samples++;
            m->sum += u.gpu;
            if (u.gpu > m->max)
                m->max = u.gpu;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static void release(struct cnn_gpu_monitor *m, int initialised)
{
    if (initialised)
        m->nvml.shutdown();
    if (m->library)
        dlclose(m->library);
    free(m);
}

struct cnn_gpu_monitor *cnn_gpu_monitor_start(const char *library,
                                              int ordinal, double interval,
                                              char *why, size_t why_size)
{
    struct cnn_gpu_monitor *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    m->interval = interval;
    m->library = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!m->library) {
        const char *text = dlerror();
        snprintf(why, why_size, "NVML is not available (%s)",
                 text ? text : library);
        release(m, 0);
        return NULL;
    }
    const char *missing = resolve(m->library, &m->nvml);
    if (missing) {
        snprintf(why, why_size, "%s has no %s: not a usable NVML", library,
                 missing);
        release(m, 0);
        return NULL;
    }
    char number[64];
    int result = m->nvml.init();
    if (result != 0) {
        snprintf(why, why_size, "NVML did not start: %s",
                 nvml_error(&m->nvml, result, number, sizeof number));
        release(m, 0);
        return NULL;
    }
    if (find_device(m, ordinal, why, why_size) < 0) {
        release(m, 1);
        return NULL;
    }
    pthread_condattr_t attributes;
    int ready = pthread_condattr_init(&attributes) == 0;
    if (ready) {
        ready = pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0 &&
                pthread_cond_init(&m->wake, &attributes) == 0;
        pthread_condattr_destroy(&attributes);
    }
    if (ready && pthread_mutex_init(&m->lock, NULL) != 0) {
        pthread_cond_destroy(&m->wake);
        ready = 0;
    }
    if (ready && pthread_create(&m->thread, NULL, sample, m) != 0) {
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->wake);
        ready = 0;
    }
    if (!ready) {
        snprintf(why, why_size, "cannot start the GPU sampling thread");
        release(m, 1);
        return NULL;
    }
    return m;
}

void cnn_gpu_monitor_stop(struct cnn_gpu_monitor *m,
                          struct cnn_gpu_usage *usage)
{
    memset(usage, 0, sizeof *usage);
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stop = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    usage->samples = m->samples;
    usage->mean = m->samples ? m->sum / (double)m->samples : 0;
    usage->max = m->max;
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->wake);
    release(m, 1);
}
