/* cnnlab — a repeated run's test predictions, test-predictions.csv in its
 * directory: the class the selected weights predict for every test image,
 * in the loader's order. Two runs on the same split (every seed of an
 * experiment with `seeds:` shares one) list the same images in the same
 * order, so the table compares two models image by image with McNemar's
 * test (report/table_compare.c). */
#ifndef CNNLAB_RUN_PREDICTIONS_H
#define CNNLAB_RUN_PREDICTIONS_H

#include "run/run_dir.h"
#include "run/run_config.h"

#define CNN_RUN_PREDICTIONS_FILE "test-predictions.csv"

/* Evaluates the model's weights on the test split (every image decoded:
 * after cnn_data_wait_all) and writes <dir>/test-predictions.csv
 * atomically as "index,label,predicted" lines. Nothing is written for an
 * empty test split. */
int cnn_run_write_predictions(struct cnn_run_dir *dir,
                              const struct cnn_run_config *config,
                              struct cnn_model *model,
                              const struct cnn_data *data,
                              struct cnn_error *err);

#endif
