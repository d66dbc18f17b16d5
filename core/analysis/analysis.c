/* cnnlab — the core's side of analyses: the handle an analysis gets, its
 * view of the model, data and history, atomic files in the run directory,
 * and predictions through the same evaluation the training uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/path.h"
#include "analysis/analysis.h"
#include "cnnlab/atomic_file.h"
#include "model/summary.h"

struct cnn_analysis {
    char *directory;
    char *variant;
    struct cnn_model *model;
    const struct cnn_data *data;
    const struct cnn_train_config *train;
    int threads;
    char *device_text;
    struct cnn_epoch_record *history;
    int history_count;
    int gpu_known;
    double gpu_mean, gpu_max;
    float *saved_parameters;       /* see analysis_run.c */
    struct cnn_analysis_gradient_buffers gradient; /* analysis_gradient.c */
};

int cnn_analysis_new(struct cnn_analysis **out,
                     const struct cnn_analysis_setup *setup,
                     struct cnn_error *err)
{
    *out = NULL;
    struct cnn_analysis *a = calloc(1, sizeof *a);
    if (!a)
        return cnn_error_set(err, "out of memory");
    a->directory = strdup(setup->directory);
    a->variant = strdup(setup->variant ? setup->variant : "");
    a->device_text = strdup(setup->device_text ? setup->device_text : "");
    if (setup->history_count > 0) {
        size_t bytes = (size_t)setup->history_count * sizeof *a->history;
        a->history = malloc(bytes);
        if (a->history)
            memcpy(a->history, setup->history, bytes);
    }
    if (!a->directory || !a->variant || !a->device_text ||
        (setup->history_count > 0 && !a->history)) {
        cnn_analysis_free(a);
        return cnn_error_set(err, "out of memory");
    }
    a->history_count = setup->history_count;
    a->model = setup->model;
    a->data = setup->data;
    a->train = setup->train;
    a->threads = setup->threads;
    a->gpu_known = setup->gpu_known;
    a->gpu_mean = setup->gpu_mean;
    a->gpu_max = setup->gpu_max;
    *out = a;
    return 0;
}

void cnn_analysis_free(struct cnn_analysis *a)
{
    if (!a)
        return;
    struct cnn_error ignored = {0};
    cnn_analysis_filters_restore(a, &ignored);
    cnn_analysis_gradient_release(a);
    free(a->saved_parameters);
    free(a->directory);
    free(a->variant);
    free(a->device_text);
    free(a->history);
    free(a);
}

float **cnn_analysis_saved_parameters(struct cnn_analysis *a)
{
    return &a->saved_parameters;
}

struct cnn_analysis_gradient_buffers *cnn_analysis_gradient_buffers(
    struct cnn_analysis *a)
{
    return &a->gradient;
}

struct cnn_model *cnn_analysis_model(struct cnn_analysis *a)
{
    return a->model;
}

const struct cnn_train_config *cnn_analysis_train_config(
    const struct cnn_analysis *a)
{
    return a->train;
}

const char *cnn_analysis_directory(const struct cnn_analysis *a)
{
    return a->directory;
}

const char *cnn_analysis_variant(const struct cnn_analysis *a)
{
    return a->variant;
}

/* A file name of the run directory: no directories, nothing hidden. */
static int check_name(const char *name, struct cnn_error *err)
{
    if (!name || !name[0] || name[0] == '.' || strchr(name, '/'))
        return cnn_error_set(err,
                             "an analysis asked to write '%s': a file of the "
                             "run directory is a plain name (no '/', not "
                             "starting with '.')",
                             name ? name : "(null)");
    return 0;
}

int cnn_analysis_write_file(struct cnn_analysis *a, const char *name,
                            const void *bytes, size_t size,
                            struct cnn_error *err)
{
    if (check_name(name, err) < 0)
        return -1;
    char *path = cnn_path_join(a->directory, name);
    if (!path)
        return cnn_error_set(err, "out of memory");
    int status = cnn_atomic_write(path, bytes, size, err);
    free(path);
    return status;
}

/* The temporary of a library-written file: hidden beside its final name,
 * so the rename stays within one filesystem. */
static int temp_name(const struct cnn_analysis *a, const char *name,
                     char *buf, size_t size)
{
    int length = snprintf(buf, size, "%s/.%s.analysis-%ld", a->directory,
                          name, (long)getpid());
    return length >= 0 && (size_t)length < size;
}

const char *cnn_analysis_temp_path(struct cnn_analysis *a, const char *name,
                                   char *buf, size_t size)
{
    struct cnn_error ignored = {0};
    if (check_name(name, &ignored) < 0 || !temp_name(a, name, buf, size))
        return NULL;
    return buf;
}

/* Copies the temporary into place through the atomic writer (which
 * syncs the data and the directory), then removes it. */
int cnn_analysis_commit_file(struct cnn_analysis *a, const char *name,
                             struct cnn_error *err)
{
    if (check_name(name, err) < 0)
        return -1;
    char temp[4096];
    if (!temp_name(a, name, temp, sizeof temp))
        return cnn_error_set(err, "the path of '%s' is too long", name);
    FILE *in = fopen(temp, "rb");
    if (!in)
        return cnn_error_set(err, "cannot write '%s/%s': its temporary "
                             "'%s' cannot be read: %s",
                             a->directory, name, temp, strerror(errno));
    char *bytes = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&bytes, &length);
    int status = memory ? 0 : cnn_error_set(err, "out of memory");
    char chunk[65536];
    size_t got;
    while (status == 0 && (got = fread(chunk, 1, sizeof chunk, in)) > 0)
        if (fwrite(chunk, 1, got, memory) != got)
            status = cnn_error_set(err, "out of memory");
    if (status == 0 && ferror(in))
        status = cnn_error_set(err, "cannot read '%s': %s", temp,
                               strerror(errno));
    fclose(in);
    if (memory && fclose(memory) != 0 && status == 0)
        status = cnn_error_set(err, "out of memory");
    if (status == 0)
        status = cnn_analysis_write_file(a, name, bytes, length, err);
    free(bytes);
    unlink(temp);
    return status;
}

struct cnn_shape cnn_analysis_input_shape(const struct cnn_analysis *a)
{
    return a->model->input;
}

int cnn_analysis_layer_count(const struct cnn_analysis *a)
{
    return a->model->layer_count;
}

const struct cnn_layer *cnn_analysis_layer(const struct cnn_analysis *a,
                                           int index)
{
    if (index < 0 || index >= a->model->layer_count)
        return NULL;
    return &a->model->layers[index];
}

enum cnn_device cnn_analysis_device(const struct cnn_analysis *a)
{
    return a->model->device;
}

const char *cnn_analysis_device_text(const struct cnn_analysis *a)
{
    return a->device_text;
}

int cnn_analysis_threads(const struct cnn_analysis *a)
{
    return a->threads;
}

int cnn_analysis_train_batch(const struct cnn_analysis *a)
{
    return a->train->batch;
}

const struct cnn_data *cnn_analysis_data(const struct cnn_analysis *a)
{
    return a->data;
}

const struct cnn_epoch_record *cnn_analysis_history(
    const struct cnn_analysis *a, int *count)
{
    *count = a->history_count;
    return a->history;
}

int cnn_analysis_gpu_utilization(const struct cnn_analysis *a, double *mean,
                                 double *max)
{
    if (!a->gpu_known)
        return 0;
    *mean = a->gpu_mean;
    *max = a->gpu_max;
    return 1;
}

int cnn_analysis_predict(struct cnn_analysis *a, enum cnn_split split,
                         int32_t *predictions, struct cnn_error *err)
{
    if (!a->data)
        return cnn_error_set(err, "predictions need the data, and this "
                                  "run has none loaded");
    const struct cnn_dataset *set = split == CNN_SPLIT_TRAIN ? &a->data->train
                                    : split == CNN_SPLIT_VAL ? &a->data->val
                                                             : &a->data->test;
    double loss, accuracy;
    return cnn_evaluate(a->model, set, a->train, &loss, &accuracy,
                        predictions, err);
}

int cnn_analysis_summary_text(const struct cnn_analysis *a, char **text,
                              size_t *length, struct cnn_error *err)
{
    *text = NULL;
    *length = 0;
    FILE *memory = open_memstream(text, length);
    if (!memory)
        return cnn_error_set(err, "out of memory");
    int status = cnn_summary_print(a->model, memory, err);
    if (fclose(memory) != 0 && status == 0)
        status = cnn_error_set(err, "out of memory");
    if (status < 0) {
        free(*text);
        *text = NULL;
        *length = 0;
    }
    return status;
}

/* The first "model name" of /proc/cpuinfo (x86; absent on some ARM
 * kernels, which leaves `buf` empty). */
static void cpu_model_name(char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *info = fopen("/proc/cpuinfo", "r");
    if (!info)
        return;
    char line[512];
    while (fgets(line, sizeof line, info)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *value = strchr(line, ':');
        if (!value)
            continue;
        value++;
        value += strspn(value, " \t");
        snprintf(buf, size, "%.*s", (int)strcspn(value, "\n"), value);
        break;
    }
    fclose(info);
}

void cnn_describe_device(struct cnn_model *model, int threads, char *buf,
                         size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    if (model->device_type && model->device_type->describe) {
        model->device_type->describe(&model->context, buf, size);
        return;
    }
    char name[256];
    cpu_model_name(name, sizeof name);
    snprintf(buf, size, "%d CPU thread%s%s%s", threads,
             threads == 1 ? "" : "s", name[0] ? ", " : "", name);
}
