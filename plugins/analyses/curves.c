/* cnnlab — analysis `curves`: loss and accuracy per epoch, train and
 * validation, as curves-loss.{png,svg} and curves-accuracy.{png,svg}. */
#include <stdio.h>
#include <stdlib.h>

#include "analyses.h"
#include "plot.h"

static const struct cnn_param_spec curves_params[] = {
    {"width", CNN_PARAM_INT, "800", 320, 4000, NULL,
     "width of each chart (PNG pixels, SVG points)"},
    {"height", CNN_PARAM_INT, "500", 200, 4000, NULL,
     "height of each chart (PNG pixels, SVG points)"},
};

static int write_chart(struct cnn_analysis *analysis, const struct plot *plot,
                       const char *stem, int width, int height,
                       struct cnn_error *err)
{
    static const struct {
        enum plot_format format;
        const char *extension;
    } formats[] = {{PLOT_PNG, "png"}, {PLOT_SVG, "svg"}};
    for (int i = 0; i < 2; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s.%s", stem, formats[i].extension);
        unsigned char *bytes;
        size_t length;
        if (plot_render(plot, formats[i].format, width, height, &bytes,
                        &length, err) < 0)
            return cnn_error_prefix(err, "%s: ", name);
        int status = cnn_analysis_write_file(analysis, name, bytes, length,
                                             err);
        free(bytes);
        if (status < 0)
            return -1;
    }
    return 0;
}

static int curves_run(struct cnn_analysis *analysis,
                      const struct cnn_params *params, struct cnn_error *err)
{
    int count;
    const struct cnn_epoch_record *history =
        cnn_analysis_history(analysis, &count);
    if (count == 0)
        return cnn_error_set(err, "no epochs in the history "
                                  "(metrics.csv has no rows): nothing to "
                                  "plot");
    /* Columns: epoch, train loss, val loss, train accuracy, val accuracy. */
    double *values = malloc((size_t)count * 5 * sizeof *values);
    if (!values)
        return cnn_error_set(err, "out of memory");
    double *epochs = values, *train_loss = values + count;
    double *val_loss = values + 2 * count;
    double *train_accuracy = values + 3 * count;
    double *val_accuracy = values + 4 * count;
    for (int i = 0; i < count; i++) {
        epochs[i] = history[i].epoch;
        train_loss[i] = history[i].train_loss;
        val_loss[i] = history[i].val_loss;
        train_accuracy[i] = history[i].train_accuracy;
        val_accuracy[i] = history[i].val_accuracy;
    }
    const char *variant = cnn_analysis_variant(analysis);
    char loss_title[256], accuracy_title[256];
    snprintf(loss_title, sizeof loss_title, "%s: loss per epoch", variant);
    snprintf(accuracy_title, sizeof accuracy_title,
             "%s: accuracy per epoch", variant);
    struct plot loss = {
        .title = loss_title,
        .x_label = "epoch",
        .y_label = "loss",
        .integer_x = 1,
        .series_count = 2,
        .series = {{"train", epochs, train_loss, count},
                   {"validation", epochs, val_loss, count}},
    };
    struct plot accuracy = {
        .title = accuracy_title,
        .x_label = "epoch",
        .y_label = "accuracy (%)",
        .integer_x = 1,
        .series_count = 2,
        .series = {{"train", epochs, train_accuracy, count},
                   {"validation", epochs, val_accuracy, count}},
    };
    int width = (int)cnn_param_int(params, "width");
    int height = (int)cnn_param_int(params, "height");
    int status = write_chart(analysis, &loss, "curves-loss", width, height,
                             err);
    if (status == 0)
        status = write_chart(analysis, &accuracy, "curves-accuracy", width,
                             height, err);
    free(values);
    plot_release_caches();
    return status;
}

const struct cnn_analysis_type analyses_curves_type = {
    .name = "curves",
    .help = "loss and accuracy per epoch, train and validation: "
            "curves-loss.{png,svg}, curves-accuracy.{png,svg}",
    .params = curves_params,
    .param_count = 2,
    .run = curves_run,
};
