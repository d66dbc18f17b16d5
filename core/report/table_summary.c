/* cnnlab — an experiment with seeds summarised per variant: over the
 * complete runs of its seeds, the mean and sample standard deviation of
 * every accuracy column, and the epoch times of all of them pooled. A
 * run that is not complete adds nothing: its variant's n is smaller and
 * its status says so ("2 of 3 seeds (1 failed)"). No number is made up:
 * one run has a mean and no standard deviation (NAN, shown as none). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/table.h"

/* Mean and sample std of value(row, index) over the complete rows; a NAN
 * value (an epoch some run did not reach) makes both NAN. */
static void summarise_column(const struct cnn_table *table,
                             const struct cnn_table_summary *summary,
                             double (*value)(const struct cnn_table_row *,
                                             int),
                             int index, double *mean, double *std)
{
    double *values = malloc((size_t)summary->count * sizeof *values);
    int n = 0, missing = 0;
    for (int r = 0; values && r < summary->count; r++) {
        const struct cnn_table_row *row = &table->rows[summary->first + r];
        if (row->status != CNN_TABLE_COMPLETE)
            continue;
        values[n] = value(row, index);
        missing |= isnan(values[n]);
        n++;
    }
    *mean = values && !missing ? cnn_stats_mean(values, n) : NAN;
    *std = values && !missing ? cnn_stats_sample_std(values, n) : NAN;
    free(values);
}

static double accuracy(const struct cnn_table_row *row, int index)
{
    return index == 0 ? row->train : index == 1 ? row->val : row->test;
}

static double epoch_train(const struct cnn_table_row *row, int index)
{
    return row->epoch_train[index];
}

static double epoch_val(const struct cnn_table_row *row, int index)
{
    return row->epoch_val[index];
}

/* Every epoch time of every complete run, as one sample. */
static int pool_seconds(const struct cnn_table *table,
                        struct cnn_table_summary *summary,
                        struct cnn_error *err)
{
    int total = 0;
    for (int r = 0; r < summary->count; r++) {
        const struct cnn_table_row *row = &table->rows[summary->first + r];
        if (row->status == CNN_TABLE_COMPLETE)
            total += row->seconds_count;
    }
    double *values = malloc((size_t)(total > 0 ? total : 1) * sizeof *values);
    if (!values)
        return cnn_error_set(err, "out of memory");
    int n = 0;
    for (int r = 0; r < summary->count; r++) {
        const struct cnn_table_row *row = &table->rows[summary->first + r];
        if (row->status != CNN_TABLE_COMPLETE)
            continue;
        for (int i = 0; i < row->seconds_count; i++)
            values[n++] = row->seconds[i];
    }
    summary->seconds_count = n;
    summary->seconds_mean = cnn_stats_mean(values, n);
    summary->seconds_std = cnn_stats_sample_std(values, n);
    free(values);
    return 0;
}

static int summarise_variant(const struct cnn_table *table,
                             struct cnn_table_summary *summary,
                             struct cnn_error *err)
{
    summary->parameters = -1;
    for (int r = 0; r < summary->count; r++) {
        const struct cnn_table_row *row = &table->rows[summary->first + r];
        if (row->status != CNN_TABLE_COMPLETE)
            continue;
        summary->n++;
        if (summary->parameters < 0)
            summary->parameters = row->parameters;
    }
    for (int c = 0; c < 3; c++)
        summarise_column(table, summary, accuracy, c, &summary->mean[c],
                         &summary->std[c]);
    for (int i = 0; i < table->settings.epoch_count; i++) {
        summarise_column(table, summary, epoch_train, i,
                         &summary->epoch_mean[0][i],
                         &summary->epoch_std[0][i]);
        summarise_column(table, summary, epoch_val, i,
                         &summary->epoch_mean[1][i],
                         &summary->epoch_std[1][i]);
    }
    return table->settings.epoch_seconds ? pool_seconds(table, summary, err)
                                         : 0;
}

int cnn_table_summarise(struct cnn_table *table, struct cnn_error *err)
{
    free(table->summaries);
    table->summaries = NULL;
    table->summary_count = 0;
    for (int i = 0; i < table->row_count;) {
        int end = i + 1;
        while (end < table->row_count &&
               strcmp(table->rows[end].variant, table->rows[i].variant) == 0)
            end++;
        struct cnn_table_summary *grown =
            realloc(table->summaries,
                    (size_t)(table->summary_count + 1) * sizeof *grown);
        if (!grown)
            return cnn_error_set(err, "out of memory");
        table->summaries = grown;
        struct cnn_table_summary *summary =
            &table->summaries[table->summary_count++];
        memset(summary, 0, sizeof *summary);
        summary->variant = table->rows[i].variant;
        summary->first = i;
        summary->count = end - i;
        if (summarise_variant(table, summary, err) < 0)
            return -1;
        i = end;
    }
    return 0;
}

/* "1 of 3 seeds (2 failed)": what became of the seeds that add nothing,
 * so that a seed that diverged is not mistaken for one not yet run. */
static void partial_status(const struct cnn_table_row *rows,
                           const struct cnn_table_summary *summary,
                           char *text, size_t size)
{
    size_t used = (size_t)snprintf(text, size, "%d of %d seeds",
                                   summary->n, summary->count);
    const char *separator = " (";
    for (int status = CNN_TABLE_RUNNING; status <= CNN_TABLE_STALE;
         status++) {
        int count = 0;
        for (int r = 0; r < summary->count; r++)
            count += rows[r].status == (enum cnn_table_status)status;
        if (count == 0 || used >= size)
            continue;
        used += (size_t)snprintf(
            text + used, size - used, "%s%d %s", separator, count,
            cnn_table_status_name((enum cnn_table_status)status));
        separator = ", ";
    }
    if (used < size && separator[0] == ',')
        snprintf(text + used, size - used, ")");
}

void cnn_table_summary_status(const struct cnn_table *table,
                              const struct cnn_table_summary *summary,
                              char *text, size_t size)
{
    const struct cnn_table_row *rows = &table->rows[summary->first];
    int shared = 1;
    for (int r = 1; r < summary->count; r++)
        shared &= rows[r].status == rows[0].status;
    if (summary->n == summary->count)
        snprintf(text, size, "complete");
    else if (summary->n == 0 && shared)
        snprintf(text, size, "%s", cnn_table_status_name(rows[0].status));
    else
        partial_status(rows, summary, text, size);
}
