/* cnnlab — table.csv of an experiment with seeds: every number as read,
 * in rows of three kinds named by the first column, `row`:
 *   seed  one run (a variant's seed), as a table without seeds has it;
 *   mean  the variant's means over its n complete seeds (and the pooled
 *         epoch times' mean and std);
 *   std   their sample standard deviations (empty for n < 2).
 * With table.compare, the last columns compare each variant's test
 * accuracy to the reference's: per seed the difference; on the mean row
 * the mean difference with its interval or McNemar's counts and p; on the
 * std row the differences' standard deviation. */
#include <math.h>
#include <stdio.h>

#include "report/table.h"
#include "report/table_format.h"

static void header(const struct cnn_table *table, FILE *out)
{
    const struct cnn_table_settings *settings = &table->settings;
    fputs("row,variant,seed,n,train,val,test,parameters", out);
    for (int i = 0; i < settings->epoch_count; i++)
        fprintf(out, ",train_epoch_%d,val_epoch_%d", settings->epochs[i],
                settings->epochs[i]);
    if (settings->epoch_seconds)
        fputs(",epoch_seconds_mean,epoch_seconds_std", out);
    fputs(",selected_epoch,epochs_run,status", out);
    if (settings->compare[0])
        fputs(",reference,comparison,test_difference,test_difference_low,"
              "test_difference_high,excludes_zero,mcnemar_only_reference,"
              "mcnemar_only_variant,mcnemar_p",
              out);
    fputc('\n', out);
}

static void seed_row(const struct cnn_table *table,
                     const struct cnn_table_row *row, FILE *out)
{
    int complete = row->status == CNN_TABLE_COMPLETE;
    fputs("seed,", out);
    cnn_table_csv_text(out, row->variant);
    if (row->repeated)
        fprintf(out, ",%llu", row->seed);
    else
        fputc(',', out);
    fprintf(out, ",%d", complete);
    cnn_table_csv_run_fields(table, row, out);
}

static const char *comparison_name(const struct cnn_table_comparison *c)
{
    switch (c->kind) {
    case CNN_TABLE_COMPARE_REFERENCE:
        return "reference";
    case CNN_TABLE_COMPARE_INTERVAL:
        return "paired interval";
    case CNN_TABLE_COMPARE_MCNEMAR:
        return "McNemar";
    case CNN_TABLE_COMPARE_NOT_POSSIBLE:
        return c->why;
    case CNN_TABLE_COMPARE_NONE:
        break;
    }
    return "";
}

/* The comparison columns: `what` 0 for a seed's row (its difference),
 * 1 for the mean row, 2 for the std row. */
static void compare_columns(const struct cnn_table *table,
                            const struct cnn_table_summary *summary,
                            const struct cnn_table_row *row, int what,
                            FILE *out)
{
    if (!table->settings.compare[0])
        return;
    const struct cnn_table_comparison *c = &summary->compare;
    int reference = c->kind == CNN_TABLE_COMPARE_REFERENCE;
    fputc(',', out);
    cnn_table_csv_text(out, table->settings.compare);
    fputc(',', out);
    cnn_table_csv_text(out, what == 1 ? comparison_name(c) : "");
    int interval = c->kind == CNN_TABLE_COMPARE_INTERVAL;
    int mcnemar = c->kind == CNN_TABLE_COMPARE_MCNEMAR;
    double difference = what == 0   ? row->test_difference
                        : what == 1 ? c->interval.mean
                                    : c->interval.std;
    cnn_table_csv_number(out, !reference && (what == 0 || interval ||
                                             (what == 1 && mcnemar)),
                         difference);
    cnn_table_csv_number(out, what == 1 && interval, c->interval.low);
    cnn_table_csv_number(out, what == 1 && interval, c->interval.high);
    if (what == 1 && interval)
        fprintf(out, ",%d", c->interval.excludes_zero);
    else
        fputc(',', out);
    if (what == 1 && mcnemar)
        fprintf(out, ",%ld,%ld", c->only_reference, c->only_variant);
    else
        fputs(",,", out);
    cnn_table_csv_number(out, what == 1 && mcnemar, c->p);
}

/* The mean (what 1) or std (what 2) row of a variant. */
static void summary_row(const struct cnn_table *table,
                        const struct cnn_table_summary *summary, int what,
                        FILE *out)
{
    const struct cnn_table_settings *settings = &table->settings;
    const double *values = what == 1 ? summary->mean : summary->std;
    fputs(what == 1 ? "mean," : "std,", out);
    cnn_table_csv_text(out, summary->variant);
    fprintf(out, ",,%d", summary->n);
    for (int c = 0; c < 3; c++)
        cnn_table_csv_number(out, 1, values[c]);
    fputc(',', out);
    if (what == 1 && summary->parameters >= 0)
        fprintf(out, "%ld", summary->parameters);
    for (int i = 0; i < settings->epoch_count; i++)
        for (int part = 0; part < 2; part++)
            cnn_table_csv_number(out, 1,
                                 what == 1 ? summary->epoch_mean[part][i]
                                           : summary->epoch_std[part][i]);
    if (settings->epoch_seconds) {
        int pooled = what == 1 && summary->seconds_count > 0;
        cnn_table_csv_number(out, pooled, summary->seconds_mean);
        cnn_table_csv_number(out, pooled, summary->seconds_std);
    }
    char status[64];
    cnn_table_summary_status(table, summary, status, sizeof status);
    fputs(",,,", out);
    cnn_table_csv_text(out, status);
}

int cnn_table_write_seeds_csv(const struct cnn_table *table, FILE *out)
{
    header(table, out);
    for (int i = 0; i < table->summary_count; i++) {
        const struct cnn_table_summary *summary = &table->summaries[i];
        for (int r = 0; r < summary->count; r++) {
            const struct cnn_table_row *row =
                &table->rows[summary->first + r];
            seed_row(table, row, out);
            compare_columns(table, summary, row, 0, out);
            fputc('\n', out);
        }
        for (int what = 1; what <= 2; what++) {
            summary_row(table, summary, what, out);
            compare_columns(table, summary, NULL, what, out);
            fputc('\n', out);
        }
    }
    return 0;
}
