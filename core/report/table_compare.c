/* cnnlab — table.compare: each variant's test accuracy against the
 * reference variant's, paired by seed (the runs of one seed saw the same
 * split). With two or more paired seeds, the mean difference and its 95 %
 * Student t interval; with one, McNemar's exact test on the two runs'
 * test-predictions.csv, image by image. docs/statistics.md says what
 * they mean. A variant with no paired seed, or one seed and no usable
 * predictions, gets no number, only why. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json_input.h"
#include "base/path.h"
#include "cnnlab/input_file.h"
#include "report/table.h"
#include "run/run_predictions.h"

#define CONFIDENCE 0.95
#define SIGNIFICANCE 0.05

static void not_possible(struct cnn_table_comparison *compare,
                         const char *why)
{
    compare->kind = CNN_TABLE_COMPARE_NOT_POSSIBLE;
    snprintf(compare->why, sizeof compare->why, "%s", why);
}

/* The reference's complete run of `seed`, or NULL. */
static const struct cnn_table_row *
reference_run(const struct cnn_table *table,
              const struct cnn_table_summary *reference,
              const struct cnn_table_row *row)
{
    for (int r = 0; r < reference->count; r++) {
        const struct cnn_table_row *other =
            &table->rows[reference->first + r];
        if (other->status == CNN_TABLE_COMPLETE && other->repeated &&
            other->seed == row->seed)
            return other;
    }
    return NULL;
}

/* A run's test-predictions.csv: labels and predictions, *count lines
 * (the arrays start NULL; the caller frees them whatever the result).
 * 0 when read; 1 when missing or malformed; -1 out of memory. */
static int read_predictions(const struct cnn_table *table,
                            const struct cnn_table_row *row, int **labels,
                            int **predicted, long *count,
                            struct cnn_error *err)
{
    char *directory = cnn_path_join(table->directory, row->path);
    char *path = directory ? cnn_path_join(directory, CNN_RUN_PREDICTIONS_FILE)
                           : NULL;
    free(directory);
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct cnn_error ignored = {0};
    FILE *file = cnn_input_fopen(path, &ignored);
    free(path);
    if (!file)
        return 1;
    char line[128];
    int status = fgets(line, sizeof line, file) &&
                 strcmp(line, "index,label,predicted\n") == 0 ? 0 : 1;
    long capacity = 0, index;
    int label, prediction;
    while (status == 0 && fgets(line, sizeof line, file)) {
        char end;
        if (sscanf(line, "%ld,%d,%d%c", &index, &label, &prediction, &end) !=
                4 ||
            end != '\n' || index != *count) {
            status = 1;
            break;
        }
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 1024;
            size_t size = (size_t)capacity * sizeof(int);
            int *grown_labels = realloc(*labels, size);
            if (grown_labels)
                *labels = grown_labels;
            int *grown = realloc(*predicted, size);
            if (grown)
                *predicted = grown;
            if (!grown_labels || !grown) {
                status = cnn_error_set(err, "out of memory");
                break;
            }
        }
        (*labels)[*count] = label;
        (*predicted)[(*count)++] = prediction;
    }
    fclose(file);
    return status;
}

/* The fingerprint of a run's data (run.json's split.fingerprint) into
 * `out`; "" when it has none (runs from before it). */
static void split_fingerprint(const struct cnn_table *table,
                              const struct cnn_table_row *row, char *out,
                              size_t size)
{
    out[0] = '\0';
    char *directory = cnn_path_join(table->directory, row->path);
    char *path = directory ? cnn_path_join(directory, "run.json") : NULL;
    json_t *info = path ? cnn_json_load_regular(path, 0, NULL) : NULL;
    const char *text = json_string_value(
        json_object_get(json_object_get(info, "split"), "fingerprint"));
    if (text)
        snprintf(out, size, "%s", text);
    json_decref(info);
    free(path);
    free(directory);
}

/* 1 when two runs of a seed were tested on other images: their data's
 * fingerprints differ (a variant on other classes: transfer.yaml's
 * pretrain, whose labels may even read the same, renumbered), or their
 * test-predictions.csv list other labels; 0 when nothing says so (a run
 * from before those records included); -1 out of memory. */
static int other_test_images(const struct cnn_table *table,
                             const struct cnn_table_row *a,
                             const struct cnn_table_row *b,
                             struct cnn_error *err)
{
    char fingerprint[2][64];
    split_fingerprint(table, a, fingerprint[0], sizeof fingerprint[0]);
    split_fingerprint(table, b, fingerprint[1], sizeof fingerprint[1]);
    if (fingerprint[0][0] && fingerprint[1][0] &&
        strcmp(fingerprint[0], fingerprint[1]) != 0)
        return 1;
    int *labels[2] = {NULL, NULL}, *predicted[2] = {NULL, NULL};
    long count[2] = {0, 0};
    int read[2];
    read[0] = read_predictions(table, a, &labels[0], &predicted[0],
                               &count[0], err);
    read[1] = read[0] < 0 ? -1
                          : read_predictions(table, b, &labels[1],
                                             &predicted[1], &count[1], err);
    int differ = read[0] == 0 && read[1] == 0 &&
                 (count[0] != count[1] ||
                  memcmp(labels[0], labels[1],
                         (size_t)count[0] * sizeof(int)) != 0);
    for (int k = 0; k < 2; k++) {
        free(labels[k]);
        free(predicted[k]);
    }
    return read[0] < 0 || read[1] < 0 ? -1 : differ;
}

/* McNemar's exact test of `row` against the reference's run of its seed. */
static int mcnemar(const struct cnn_table *table,
                   const struct cnn_table_row *reference,
                   const struct cnn_table_row *row,
                   struct cnn_table_comparison *compare,
                   struct cnn_error *err)
{
    int *labels[2] = {NULL, NULL}, *predicted[2] = {NULL, NULL};
    long count[2] = {0, 0};
    int status = read_predictions(table, reference, &labels[0],
                                  &predicted[0], &count[0], err);
    int other = status < 0 ? -1
                           : read_predictions(table, row, &labels[1],
                                              &predicted[1], &count[1], err);
    int same_images = status == 0 && other == 0 && count[0] == count[1] &&
                      count[0] > 0;
    for (long i = 0; same_images && i < count[0]; i++)
        same_images = labels[0][i] == labels[1][i];
    if (same_images) {
        compare->kind = CNN_TABLE_COMPARE_MCNEMAR;
        for (long i = 0; i < count[0]; i++) {
            int right_reference = predicted[0][i] == labels[0][i];
            int right_variant = predicted[1][i] == labels[1][i];
            compare->only_reference += right_reference && !right_variant;
            compare->only_variant += right_variant && !right_reference;
        }
        compare->p = cnn_stats_mcnemar_exact(compare->only_reference,
                                             compare->only_variant);
        compare->marked = compare->p < SIGNIFICANCE;
    } else if (status >= 0 && other >= 0) {
        not_possible(compare, status == 0 && other == 0
                                  ? "other test images"
                                  : "no test predictions");
    }
    for (int k = 0; k < 2; k++) {
        free(labels[k]);
        free(predicted[k]);
    }
    return status < 0 || other < 0 ? -1 : 0;
}

/* One variant against the reference: the per-seed differences go into
 * the rows, their summary into the comparison. */
static int compare_variant(struct cnn_table *table,
                           const struct cnn_table_summary *reference,
                           struct cnn_table_summary *summary,
                           struct cnn_error *err)
{
    struct cnn_table_comparison *compare = &summary->compare;
    double *a = malloc((size_t)summary->count * sizeof *a);
    double *b = malloc((size_t)summary->count * sizeof *b);
    const struct cnn_table_row *pair[2] = {NULL, NULL};
    int n = 0, other_images = 0,
        status = a && b ? 0 : cnn_error_set(err, "out of memory");
    for (int r = 0; status == 0 && r < summary->count; r++) {
        struct cnn_table_row *row = &table->rows[summary->first + r];
        const struct cnn_table_row *other =
            row->status == CNN_TABLE_COMPLETE && row->repeated
                ? reference_run(table, reference, row)
                : NULL;
        if (!other)
            continue;
        /* A difference of accuracies on other images measures nothing. */
        int differ = other_test_images(table, other, row, err);
        if (differ < 0)
            status = -1;
        if (differ) {
            other_images = 1;
            continue;
        }
        row->test_difference = row->test - other->test;
        a[n] = other->test;
        b[n++] = row->test;
        pair[0] = other;
        pair[1] = row;
    }
    compare->interval = cnn_stats_paired_interval(a, b, n, CONFIDENCE);
    if (status == 0 && other_images) {
        not_possible(compare, "other test images");
    } else if (status == 0 && n >= 2) {
        compare->kind = CNN_TABLE_COMPARE_INTERVAL;
        compare->marked = compare->interval.excludes_zero;
    } else if (status == 0 && n == 1) {
        status = mcnemar(table, pair[0], pair[1], compare, err);
    } else if (status == 0) {
        not_possible(compare, "no paired seed");
    }
    free(a);
    free(b);
    return status;
}

int cnn_table_compare(struct cnn_table *table, struct cnn_error *err)
{
    const char *name = table->settings.compare;
    if (!name[0])
        return 0;
    const struct cnn_table_summary *reference = NULL;
    for (int i = 0; i < table->summary_count; i++)
        if (strcmp(table->summaries[i].variant, name) == 0)
            reference = &table->summaries[i];
    for (int i = 0; i < table->summary_count; i++) {
        struct cnn_table_summary *summary = &table->summaries[i];
        if (summary == reference)
            summary->compare.kind = CNN_TABLE_COMPARE_REFERENCE;
        else if (!reference)
            not_possible(&summary->compare, "no reference run");
        else if (compare_variant(table, reference, summary, err) < 0)
            return -1;
    }
    return 0;
}
