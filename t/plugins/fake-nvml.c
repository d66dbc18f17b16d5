/* A stand-in for libnvidia-ml.so.1 with the few functions cnnlab's GPU
 * monitor uses, so its sampling is tested without a GPU. GPU 0 is always
 * 70% busy, GPU 1 alternates 50% and 90%; there is no GPU 2 or above.
 * Return values follow NVML: 0 success, 2 invalid argument. */
typedef struct fake_device *nvmlDevice_t;
struct fake_device {
    unsigned int index;
    unsigned long reads;
};
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;

static struct fake_device devices[2] = {{0, 0}, {1, 0}};

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
int nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                  nvmlUtilization_t *utilization);
const char *nvmlErrorString(int result);

int nvmlInit_v2(void)
{
    return 0;
}

int nvmlShutdown(void)
{
    return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (index >= 2)
        return 2;
    *device = &devices[index];
    return 0;
}

int nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                  nvmlUtilization_t *utilization)
{
    unsigned long read = device->reads++;
    utilization->gpu = device->index == 0 ? 70 : read % 2 ? 90 : 50;
    utilization->memory = 10;
    return 0;
}

const char *nvmlErrorString(int result)
{
    return result == 2 ? "Invalid Argument" : "Unknown Error";
}
