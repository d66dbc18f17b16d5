/* cnnlab — analysis `timing`: how long training took and where the time
 * went. timing.md for the writeup and timing.json for scripts: epoch wall
 * time (mean ± sample std), training images per second, how busy the
 * device was (CPU time over wall time against the thread count; GPU
 * utilisation where NVML measured it), and each layer's forward and
 * backward time with its share of a step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyses.h"

static const struct cnn_param_spec timing_params[] = {
    {"batch", CNN_PARAM_INT, "0", 0, 65536, NULL,
     "batch size of the per-layer timing (0: the training batch)"},
    {"repeats", CNN_PARAM_INT, "20", 1, 100000, NULL,
     "timed forward and backward passes per layer (after one warm-up)"},
};

/* Over the whole run; NAN where unknown. */
struct run_times {
    int epochs;
    double mean, std;          /* seconds per epoch; std: sample (n - 1) */
    double images_per_second;  /* training images over training time */
    double cpu_ratio;          /* CPU seconds over wall seconds */
    int gpu_known;
    double gpu_mean, gpu_max;  /* % */
};

struct layer_times {
    int count, batch, repeats;
    double *forward, *backward; /* seconds per call */
    double step;                /* their sum over every layer */
};

static void summarise_run(struct cnn_analysis *analysis,
                          struct run_times *t)
{
    int count;
    const struct cnn_epoch_record *history =
        cnn_analysis_history(analysis, &count);
    const struct cnn_data *data = cnn_analysis_data(analysis);
    double sum = 0, cpu = 0, squares = 0;
    int cpu_known = count > 0;
    for (int i = 0; i < count; i++) {
        sum += history[i].seconds;
        cpu += history[i].cpu_seconds;
        cpu_known &= history[i].cpu_seconds >= 0;
    }
    t->epochs = count;
    t->mean = count > 0 ? sum / count : NAN;
    for (int i = 0; i < count; i++)
        squares += (history[i].seconds - t->mean) *
                   (history[i].seconds - t->mean);
    t->std = count > 1 ? sqrt(squares / (count - 1)) : count == 1 ? 0 : NAN;
    t->images_per_second = data && sum > 0
                               ? (double)data->train.count * count / sum
                               : NAN;
    t->cpu_ratio = cpu_known && sum > 0 ? cpu / sum : NAN;
    t->gpu_known = cnn_analysis_gpu_utilization(analysis, &t->gpu_mean,
                                                &t->gpu_max);
}

static int time_layers(struct cnn_analysis *analysis,
                       const struct cnn_params *params, struct layer_times *l,
                       struct cnn_error *err)
{
    l->count = cnn_analysis_layer_count(analysis);
    l->batch = (int)cnn_param_int(params, "batch");
    if (l->batch == 0)
        l->batch = cnn_analysis_train_batch(analysis);
    l->repeats = (int)cnn_param_int(params, "repeats");
    l->forward = calloc((size_t)l->count, sizeof *l->forward);
    l->backward = calloc((size_t)l->count, sizeof *l->backward);
    if (!l->forward || !l->backward)
        return cnn_error_set(err, "out of memory");
    if (cnn_analysis_time_layers(analysis, l->batch, l->repeats, l->forward,
                                 l->backward, err) < 0)
        return -1;
    l->step = 0;
    for (int i = 0; i < l->count; i++)
        l->step += l->forward[i] + l->backward[i];
    return 0;
}

static double share(const struct layer_times *l, int i)
{
    return l->step > 0 ? 100.0 * (l->forward[i] + l->backward[i]) / l->step
                       : 0;
}

static void markdown_run(struct analysis_text *text,
                         struct cnn_analysis *analysis,
                         const struct run_times *t)
{
    int threads = cnn_analysis_threads(analysis);
    analysis_text_printf(text, "# Timing: ");
    analysis_text_markdown(text, cnn_analysis_variant(analysis));
    analysis_text_printf(text, "\n\nDevice: ");
    analysis_text_markdown(text, cnn_analysis_device_text(analysis));
    analysis_text_printf(text, "\n\n| measure | value |\n|---|---|\n"
                               "| epochs | %d |\n",
                         t->epochs);
    if (t->epochs > 0)
        analysis_text_printf(text,
                             "| epoch wall time | %.3f s ± %.3f s (mean ± "
                             "sample std) |\n",
                             t->mean, t->std);
    if (isfinite(t->images_per_second))
        analysis_text_printf(text, "| training images per second | %.1f |\n",
                             t->images_per_second);
    if (isfinite(t->cpu_ratio))
        analysis_text_printf(text,
                             "| CPU time / wall time | %.2f of %d thread%s "
                             "(%.0f%% busy) |\n",
                             t->cpu_ratio, threads, threads == 1 ? "" : "s",
                             100.0 * t->cpu_ratio / threads);
    if (t->gpu_known)
        analysis_text_printf(text,
                             "| GPU utilisation (NVML) | mean %.1f%%, max "
                             "%.1f%% |\n",
                             t->gpu_mean, t->gpu_max);
    else if (cnn_analysis_device(analysis) != CNN_DEVICE_CPU)
        analysis_text_printf(text, "| GPU utilisation | unknown (no NVML) "
                                   "|\n");
}

static void markdown_layers(struct analysis_text *text,
                            struct cnn_analysis *analysis,
                            const struct layer_times *l)
{
    analysis_text_printf(text,
                         "\n## Time per layer\n\nBatch %d, mean of %d "
                         "forward and backward passes in training mode "
                         "after a warm-up, the device drained around each "
                         "layer. A step's share leaves out the loss and the "
                         "optimizer.\n\n"
                         "| layer | type | output | forward (ms) | backward "
                         "(ms) | share of step (%%) |\n"
                         "|---|---|---|---:|---:|---:|\n",
                         l->batch, l->repeats);
    double forward = 0, backward = 0;
    for (int i = 0; i < l->count; i++) {
        const struct cnn_layer *layer = cnn_analysis_layer(analysis, i);
        analysis_text_printf(text, "| ");
        analysis_text_markdown(text, layer->name);
        analysis_text_printf(text, " | ");
        analysis_text_markdown(text, layer->type->name);
        analysis_text_printf(text, " | %d×%d×%d | %.3f | %.3f | %.1f |\n",
                             layer->output.c, layer->output.h,
                             layer->output.w, 1e3 * l->forward[i],
                             1e3 * l->backward[i], share(l, i));
        forward += l->forward[i];
        backward += l->backward[i];
    }
    analysis_text_printf(text, "| **all** | | | %.3f | %.3f | 100.0 |\n",
                         1e3 * forward, 1e3 * backward);
}

static void json_member(struct analysis_text *text, const char *name,
                        double value)
{
    analysis_text_printf(text, "  \"%s\": ", name);
    analysis_text_json_number(text, value);
    analysis_text_printf(text, ",\n");
}

/* One layer per line, so line tools can count them. */
static void json_file(struct analysis_text *text,
                      struct cnn_analysis *analysis,
                      const struct run_times *t, const struct layer_times *l)
{
    analysis_text_printf(text, "{\n  \"variant\": ");
    analysis_text_json(text, cnn_analysis_variant(analysis));
    analysis_text_printf(text, ",\n  \"device\": ");
    analysis_text_json(text, cnn_analysis_device_text(analysis));
    analysis_text_printf(text, ",\n  \"threads\": %d,\n  \"epochs\": %d,\n",
                         cnn_analysis_threads(analysis), t->epochs);
    json_member(text, "epoch_seconds_mean", t->mean);
    json_member(text, "epoch_seconds_std", t->std);
    json_member(text, "images_per_second", t->images_per_second);
    json_member(text, "cpu_time_over_wall_time", t->cpu_ratio);
    json_member(text, "gpu_utilization_mean",
                t->gpu_known ? t->gpu_mean : NAN);
    json_member(text, "gpu_utilization_max", t->gpu_known ? t->gpu_max : NAN);
    analysis_text_printf(text,
                         "  \"layer_batch\": %d,\n  \"layer_repeats\": %d,\n"
                         "  \"layers\": [\n",
                         l->batch, l->repeats);
    for (int i = 0; i < l->count; i++) {
        const struct cnn_layer *layer = cnn_analysis_layer(analysis, i);
        analysis_text_printf(text, "    {\"name\": ");
        analysis_text_json(text, layer->name);
        analysis_text_printf(text, ", \"type\": ");
        analysis_text_json(text, layer->type->name);
        analysis_text_printf(text, ", \"forward_seconds\": ");
        analysis_text_json_number(text, l->forward[i]);
        analysis_text_printf(text, ", \"backward_seconds\": ");
        analysis_text_json_number(text, l->backward[i]);
        analysis_text_printf(text, ", \"share\": ");
        analysis_text_json_number(text, share(l, i) / 100);
        analysis_text_printf(text, "}%s\n", i + 1 < l->count ? "," : "");
    }
    analysis_text_printf(text, "  ]\n}\n");
}

static int timing_run(struct cnn_analysis *analysis,
                      const struct cnn_params *params, struct cnn_error *err)
{
    struct run_times t;
    summarise_run(analysis, &t);
    struct layer_times l = {0};
    int status = time_layers(analysis, params, &l, err);
    if (status == 0) {
        struct analysis_text text = {0};
        markdown_run(&text, analysis, &t);
        markdown_layers(&text, analysis, &l);
        status = analysis_text_write(&text, analysis, "timing.md", err);
    }
    if (status == 0) {
        struct analysis_text text = {0};
        json_file(&text, analysis, &t, &l);
        status = analysis_text_write(&text, analysis, "timing.json", err);
    }
    free(l.forward);
    free(l.backward);
    return status;
}

const struct cnn_analysis_type analyses_timing_type = {
    .name = "timing",
    .help = "timing.md, timing.json: epoch wall time (mean ± std), images/s, "
            "CPU or GPU busy, time per layer forward and backward",
    .params = timing_params,
    .param_count = 2,
    .run = timing_run,
};
