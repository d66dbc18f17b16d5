/* cnnlab — a variant's curves across seeds (table_curves.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "cnnlab/atomic_file.h"
#include "report/table_curves.h"
#include "report/table_format.h"

/* Mean, lowest and highest of column c at epoch index e. */
static int epoch_statistics(const struct cnn_table *table,
                            const struct cnn_table_summary *summary, int c,
                            int e, double *mean, double *low, double *high)
{
    double sum = 0;
    int n = 0;
    *low = INFINITY;
    *high = -INFINITY;
    for (int r = 0; r < summary->count; r++) {
        const struct cnn_table_row *row = &table->rows[summary->first + r];
        if (row->status != CNN_TABLE_COMPLETE || e >= row->history_count)
            continue;
        double value = row->history[c][e];
        sum += value;
        n++;
        *low = fmin(*low, value);
        *high = fmax(*high, value);
    }
    *mean = n ? sum / n : NAN;
    if (!n)
        *low = *high = NAN;
    return n;
}

static int allocate(struct cnn_table_curves *curves)
{
    size_t size = (size_t)curves->epochs * sizeof(double);
    curves->epoch = malloc(size);
    curves->seeds = malloc((size_t)curves->epochs * sizeof(int));
    int ok = curves->epoch && curves->seeds;
    for (int c = 0; c < 4; c++) {
        curves->mean[c] = malloc(size);
        curves->low[c] = malloc(size);
        curves->high[c] = malloc(size);
        ok &= curves->mean[c] && curves->low[c] && curves->high[c];
    }
    return ok;
}

int cnn_table_curves_of(const struct cnn_table *table,
                        const struct cnn_table_summary *summary,
                        struct cnn_table_curves *curves,
                        struct cnn_error *err)
{
    memset(curves, 0, sizeof *curves);
    for (int r = 0; r < summary->count; r++) {
        const struct cnn_table_row *row = &table->rows[summary->first + r];
        if (row->status != CNN_TABLE_COMPLETE)
            continue;
        curves->n++;
        if (row->history_count > curves->epochs)
            curves->epochs = row->history_count;
    }
    if (curves->n == 0 || curves->epochs == 0) {
        curves->n = 0;
        return 0;
    }
    if (!allocate(curves)) {
        cnn_table_curves_free(curves);
        return cnn_error_set(err, "out of memory");
    }
    for (int e = 0; e < curves->epochs; e++) {
        curves->epoch[e] = e + 1;
        for (int c = 0; c < 4; c++)
            curves->seeds[e] = epoch_statistics(
                table, summary, c, e, &curves->mean[c][e],
                &curves->low[c][e], &curves->high[c][e]);
    }
    return 0;
}

void cnn_table_curves_free(struct cnn_table_curves *curves)
{
    free(curves->epoch);
    free(curves->seeds);
    for (int c = 0; c < 4; c++) {
        free(curves->mean[c]);
        free(curves->low[c]);
        free(curves->high[c]);
    }
    memset(curves, 0, sizeof *curves);
}

int cnn_table_curves_write_csv(const struct cnn_table_curves *curves,
                               const char *directory, struct cnn_error *err)
{
    static const char *const names[] = {"train_loss", "val_loss",
                                        "train_accuracy", "val_accuracy"};
    char *path = cnn_path_join(directory, "curves.csv");
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct cnn_atomic_file file;
    int status = cnn_atomic_open(&file, path, err);
    free(path);
    if (status < 0)
        return -1;
    fputs("epoch,seeds", file.stream);
    for (int c = 0; c < 4; c++)
        fprintf(file.stream, ",%s_mean,%s_low,%s_high", names[c], names[c],
                names[c]);
    fputc('\n', file.stream);
    for (int e = 0; e < curves->epochs; e++) {
        fprintf(file.stream, "%d,%d", e + 1, curves->seeds[e]);
        for (int c = 0; c < 4; c++) {
            cnn_table_csv_number(file.stream, 1, curves->mean[c][e]);
            cnn_table_csv_number(file.stream, 1, curves->low[c][e]);
            cnn_table_csv_number(file.stream, 1, curves->high[c][e]);
        }
        fputc('\n', file.stream);
    }
    return cnn_atomic_commit(&file, err);
}
