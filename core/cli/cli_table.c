/* cnnlab — `cnnlab table DIR...` (tables from results, no training) and
 * the tables `cnnlab run` refreshes when its variants are done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "config/manifest.h"
#include "report/pages.h"
#include "report/table.h"

/* A variant the table could not use is a warning, not a failure: the
 * table is written, with that row marked. */
static void print_notes(const struct cnn_table *table)
{
    fflush(stdout);
    for (int i = 0; i < table->row_count; i++)
        if (table->rows[i].note) {
            char text[2048];
            snprintf(text, sizeof text, "note: %s", table->rows[i].note);
            cnn_cli_warn(text);
        }
}

static void print_written(const struct cnn_table *table)
{
    int complete = 0;
    for (int i = 0; i < table->row_count; i++)
        complete += table->rows[i].status == CNN_TABLE_COMPLETE;
    if (cnn_cli_events_enabled()) {
        cnn_cli_event_table(table->directory, complete, table->row_count);
        return;
    }
    printf("table: %s/table.md, table.tex, table.csv (%d of %d %s "
           "complete)\n",
           table->directory, complete, table->row_count,
           cnn_table_has_seeds(table) ? "runs" : "variants");
}

static int regenerate(const char *directory, struct cnn_error *err)
{
    struct cnn_table table;
    if (cnn_table_read(&table, directory, err) < 0)
        return -1;
    print_notes(&table);
    int status = cnn_table_write(&table, err);
    if (status == 0)
        print_written(&table);
    /* The curves across seeds, before the pages that show them. */
    if (status == 0 && cnn_table_has_seeds(&table))
        status = cnn_cli_draw_seed_curves(&table, err);
    /* The report pages show the table: rewritten with it. */
    if (status == 0)
        status = cnn_pages_write(&table, err);
    cnn_table_free(&table);
    return status;
}

int cnn_cli_table(int argc, char **argv)
{
    int directories = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("Usage: cnnlab table DIR [DIR ...]\n"
                 "Writes DIR/table.md, table.tex and table.csv from the "
                 "results in DIR\n(results/<experiment>, as `cnnlab run` "
                 "wrote it), without training, and the report\npages "
                 "DIR/index.html and DIR/../index.html (docs/pages.md). "
                 "With seeds, also\neach variant's curves across seeds, "
                 "DIR/<variant>/curves-{loss,accuracy}.{png,svg}\nand "
                 "curves.csv.");
            return CNN_EXIT_OK;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "cnnlab: unknown option '%s' for table\n"
                            "Try 'cnnlab --help'.\n",
                    argv[i]);
            return CNN_EXIT_USAGE;
        }
        directories++;
    }
    if (directories == 0) {
        fprintf(stderr, "cnnlab: table needs a results directory, e.g. "
                        "`cnnlab table results/quickstart`\n"
                        "Try 'cnnlab --help'.\n");
        return CNN_EXIT_USAGE;
    }
    int status = CNN_EXIT_OK;
    for (int i = 2; i < argc; i++) {
        struct cnn_error err = {0};
        if (regenerate(argv[i], &err) < 0) {
            cnn_cli_report(&err);
            status = CNN_EXIT_RUN_FAILED;
        }
    }
    return status;
}

int cnn_cli_update_tables(const struct cnn_cli_options *options,
                          const struct cnn_manifest *manifest)
{
    const char *out_directory = options->out_directory;
    size_t length = strlen(out_directory) + strlen(manifest->name) + 2;
    char *directory = malloc(length);
    if (!directory) {
        fprintf(stderr, "cnnlab: out of memory\n");
        return -1;
    }
    snprintf(directory, length, "%s/%s", out_directory, manifest->name);
    /* No variant got as far as its run directory: nothing to tabulate. */
    struct stat info;
    int status = 0;
    if (stat(directory, &info) == 0 && S_ISDIR(info.st_mode)) {
        struct cnn_error err = {0};
        /* After --variant or --seed the manifest holds some runs only;
         * the table and the staleness check need every one resolved. */
        struct cnn_manifest every = {0};
        int reloaded = options->variant != NULL || options->seed != NULL;
        if (reloaded)
            status = cnn_manifest_load(&every, options->manifest,
                                       options->profile, options->overrides,
                                       options->override_count, &err);
        if (status == 0)
            status = cnn_table_write_experiment(reloaded ? &every : manifest,
                                                out_directory, &err);
        if (status == 0)
            status = regenerate(directory, &err);
        if (status < 0) {
            cnn_error_prefix(&err, "cannot write the table: ");
            cnn_cli_report(&err);
        }
        if (reloaded)
            cnn_manifest_free(&every);
    }
    free(directory);
    return status;
}
