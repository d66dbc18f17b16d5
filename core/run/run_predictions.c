/* cnnlab — test-predictions.csv of a repeated run (run_predictions.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/path.h"
#include "cnnlab/atomic_file.h"
#include "run/run_predictions.h"

int cnn_run_write_predictions(struct cnn_run_dir *dir,
                              const struct cnn_run_config *config,
                              struct cnn_model *model,
                              const struct cnn_data *data,
                              struct cnn_error *err)
{
    const struct cnn_dataset *test = &data->test;
    if (test->count == 0)
        return 0;
    int32_t *predictions = malloc((size_t)test->count * sizeof *predictions);
    char *path = cnn_path_join(dir->path, CNN_RUN_PREDICTIONS_FILE);
    double loss, accuracy;
    int status = predictions && path ? 0 : cnn_error_set(err, "out of memory");
    if (status == 0)
        status = cnn_evaluate(model, test, &config->train, &loss, &accuracy,
                              predictions, err);
    struct cnn_atomic_file file;
    if (status == 0)
        status = cnn_atomic_open(&file, path, err);
    if (status == 0) {
        fputs("index,label,predicted\n", file.stream);
        for (int i = 0; i < test->count; i++)
            fprintf(file.stream, "%d,%d,%d\n", i, (int)test->labels[i],
                    (int)predictions[i]);
        status = cnn_atomic_commit(&file, err);
    }
    if (status < 0)
        cnn_error_prefix(err, "%s: ", CNN_RUN_PREDICTIONS_FILE);
    free(path);
    free(predictions);
    return status;
}
