/* cnnlab — a variant's curves across seeds: per epoch, the mean and the
 * lowest and highest value over its complete seeds of each metrics.csv
 * column the curves analysis draws (train and validation loss and
 * accuracy). `cnnlab table` draws them with a band (core/cli/
 * cli_curves.c); this part only computes them and writes their numbers,
 * so the core stays free of drawing libraries. */
#ifndef CNNLAB_TABLE_CURVES_H
#define CNNLAB_TABLE_CURVES_H

#include "report/table.h"

struct cnn_table_curves {
    int epochs;          /* the most epochs a complete seed ran */
    int n;               /* the complete seeds */
    double *epoch;       /* 1 .. epochs */
    /* [CNN_TABLE_HISTORY_*][epoch - 1]: over the seeds that reached the
     * epoch (NAN where none did). */
    double *mean[4], *low[4], *high[4];
    int *seeds;          /* [epoch - 1]: the seeds that reached it */
};

/* Fills `curves` for a summary of table->summaries; n = 0 (and nothing
 * allocated) when the variant has no complete seed. */
int cnn_table_curves_of(const struct cnn_table *table,
                        const struct cnn_table_summary *summary,
                        struct cnn_table_curves *curves,
                        struct cnn_error *err);
void cnn_table_curves_free(struct cnn_table_curves *curves);

/* The numbers behind the charts, as <directory>/curves.csv (atomically):
 * epoch, seeds, then mean, low and high of train_loss, val_loss,
 * train_accuracy and val_accuracy, each number exact. */
int cnn_table_curves_write_csv(const struct cnn_table_curves *curves,
                               const char *directory, struct cnn_error *err);

#endif
