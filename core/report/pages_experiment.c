/* cnnlab — results/<experiment>/index.html and results/index.html. The
 * pages carry no date or host: the same results give the same bytes. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "cnnlab/atomic_file.h"
#include "report/pages.h"
#include "report/pages_internal.h"

static const char *const table_files[] = {"table.md", "table.tex",
                                          "table.csv", "experiment.yaml"};
#define TABLE_FILE_COUNT (int)(sizeof table_files / sizeof table_files[0])

static int table_section(FILE *out, const struct cnn_table *table,
                         struct cnn_error *err)
{
    fputs("<h2>Table</h2>\n", out);
    char *path = cnn_path_join(table->directory, "table.md");
    if (!path)
        return cnn_error_set(err, "out of memory");
    char *text = NULL;
    size_t length;
    struct cnn_error read_error = {0};
    int got = cnn_pages_read_file(path, (size_t)1 << 20, &text, &length,
                                  &read_error);
    free(path);
    if (got == 0) {
        cnn_pages_markdown(out, text);
    } else {
        fputs("<p class=\"note\">", out);
        cnn_pages_text(out, got < 0 ? read_error.message
                                    : "table.md is too large to show here");
        fputs("</p>\n", out);
    }
    free(text);
    fputs("<p class=\"files\">files: ", out);
    for (int i = 0; i < TABLE_FILE_COUNT; i++)
        if (cnn_pages_is_file(table->directory, table_files[i])) {
            cnn_pages_file_link(out, NULL, table_files[i]);
            fputc(' ', out);
        }
    fputs("</p>\n", out);
    return 0;
}

/* Without seeds: each variant linked to its section, with its status. */
static void variant_list(FILE *out, const struct cnn_table *table)
{
    fputs("<h2>Variants</h2>\n<ul>\n", out);
    char label[512];
    for (int i = 0; i < table->row_count; i++) {
        fprintf(out, "<li><a href=\"#variant-%d\">", i + 1);
        cnn_table_row_label(&table->rows[i], label, sizeof label);
        cnn_pages_text(out, label);
        fputs("</a>: ", out);
        cnn_pages_text(out, cnn_table_status_name(table->rows[i].status));
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

static int experiment_page(struct cnn_pages_writer *writer,
                           const struct cnn_table *table,
                           struct cnn_error *err)
{
    FILE *out = writer->out;
    char title[512];
    snprintf(title, sizeof title, "cnnlab: %s", table->experiment);
    cnn_pages_begin(out, title);
    fputs("<p><a href=\"../index.html\">all experiments</a></p>\n<h1>", out);
    cnn_pages_text(out, table->experiment);
    fputs("</h1>\n", out);
    if (table_section(out, table, err) < 0)
        return -1;
    char label[512];
    if (cnn_table_has_seeds(table)) {
        cnn_pages_seed_runs(out, table);
        if (cnn_pages_seed_curves(writer, table, err) < 0)
            return -1;
    } else {
        variant_list(out, table);
    }
    for (int i = 0; i < table->row_count; i++) {
        /* Ids by position: a variant name need not be a valid id. */
        fprintf(out, "<section id=\"variant-%d\">\n<h2>", i + 1);
        cnn_table_row_label(&table->rows[i], label, sizeof label);
        cnn_pages_text(out, label);
        fputs("</h2>\n", out);
        if (cnn_pages_variant(writer, table, &table->rows[i], err) < 0)
            return -1;
        fputs("</section>\n", out);
    }
    cnn_pages_end(out);
    return 0;
}

/* Writes <directory>/index.html through `write`. */
static int write_page(const char *directory,
                      int (*write)(struct cnn_pages_writer *, const void *,
                                   struct cnn_error *),
                      const void *what, struct cnn_error *err)
{
    char *path = cnn_path_join(directory, "index.html");
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct cnn_atomic_file file;
    int status = cnn_atomic_open(&file, path, err);
    if (status == 0) {
        struct cnn_pages_writer writer = {.out = file.stream};
        if (write(&writer, what, err) < 0) {
            cnn_atomic_abort(&file);
            status = cnn_error_prefix(err, "cannot write '%s': ", path);
        } else {
            status = cnn_atomic_commit(&file, err);
        }
    }
    free(path);
    return status;
}

static int write_experiment(struct cnn_pages_writer *writer,
                            const void *table, struct cnn_error *err)
{
    return experiment_page(writer, table, err);
}

int cnn_pages_write_experiment(const struct cnn_table *table,
                               struct cnn_error *err)
{
    return write_page(table->directory, write_experiment, table, err);
}

/* One row of the index: the experiment's variants and best test. */
static void index_row(FILE *out, const char *results_directory,
                      const char *name)
{
    char *directory = cnn_path_join(results_directory, name);
    struct cnn_table table;
    struct cnn_error err = {0};
    int readable = directory && cnn_table_read(&table, directory, &err) == 0;
    int has_page = directory && cnn_pages_is_file(directory, "index.html");
    fputs("<tr><td>", out);
    if (has_page) {
        fputs("<a href=\"", out);
        cnn_pages_url(out, name);
        fputs("/index.html\">", out);
    }
    cnn_pages_text(out, name);
    fputs(has_page ? "</a></td>" : "</td>", out);
    if (!readable) {
        fputs("<td colspan=\"3\" class=\"status-bad\">", out);
        cnn_pages_text(out, directory ? err.message : "out of memory");
        fputs("</td></tr>\n", out);
        free(directory);
        return;
    }
    int complete = 0, best = -1;
    for (int i = 0; i < table.row_count; i++) {
        const struct cnn_table_row *row = &table.rows[i];
        if (row->status != CNN_TABLE_COMPLETE)
            continue;
        complete++;
        if (!isnan(row->test) && (best < 0 || row->test > table.rows[best].test))
            best = i;
    }
    if (cnn_table_has_seeds(&table)) {
        /* Runs of several seeds: the variants, and the runs complete. */
        int variants = 0;
        for (int i = 0; i < table.row_count; i++)
            variants += i == 0 || strcmp(table.rows[i].variant,
                                         table.rows[i - 1].variant) != 0;
        fprintf(out, "<td class=\"r\">%d</td><td class=\"r\">%d of %d "
                     "runs</td><td>",
                variants, complete, table.row_count);
    } else {
        fprintf(out, "<td class=\"r\">%d</td><td class=\"r\">%d</td><td>",
                table.row_count, complete);
    }
    if (cnn_table_has_seeds(&table)) {
        cnn_pages_seed_best(out, &table); /* means, not the luckiest run */
    } else if (best >= 0) {
        char label[512];
        cnn_table_row_label(&table.rows[best], label, sizeof label);
        fprintf(out, "%.1f (", table.rows[best].test);
        cnn_pages_text(out, label);
        fputc(')', out);
    }
    fputs("</td></tr>\n", out);
    cnn_table_free(&table);
    free(directory);
}

static int is_experiment(const char *results_directory, const char *name)
{
    if (name[0] == '.')
        return 0;
    char *directory = cnn_path_join(results_directory, name);
    int yes = directory && (cnn_pages_is_file(directory, "experiment.yaml") ||
                            cnn_pages_is_file(directory, "table.md"));
    free(directory);
    return yes;
}

static int by_name(const void *a, const void *b)
{
    return cnn_pages_name_compare(*(char *const *)a, *(char *const *)b);
}

static int write_index(struct cnn_pages_writer *writer, const void *what,
                       struct cnn_error *err)
{
    const char *results_directory = what;
    DIR *dir = opendir(results_directory);
    if (!dir)
        return cnn_error_set(err, "cannot list '%s': %s", results_directory,
                             strerror(errno));
    char **names = NULL;
    int count = 0, status = 0;
    for (struct dirent *entry; status == 0 && (entry = readdir(dir));) {
        if (!is_experiment(results_directory, entry->d_name))
            continue;
        char **grown = realloc(names, (size_t)(count + 1) * sizeof *names);
        char *name = grown ? strdup(entry->d_name) : NULL;
        if (grown)
            names = grown;
        if (!name)
            status = cnn_error_set(err, "out of memory");
        else
            names[count++] = name;
    }
    closedir(dir);
    FILE *out = writer->out;
    if (status == 0) {
        qsort(names, (size_t)count, sizeof *names, by_name);
        cnn_pages_begin(out, "cnnlab: experiments");
        fputs("<h1>Experiments</h1>\n", out);
        if (count == 0)
            fputs("<p>No experiment has results here yet.</p>\n", out);
        else
            fputs("<table>\n<thead><tr><th>experiment</th>"
                  "<th class=\"r\">variants</th><th class=\"r\">complete</th>"
                  "<th>best test accuracy (%)</th></tr></thead>\n<tbody>\n",
                  out);
        for (int i = 0; i < count; i++)
            index_row(out, results_directory, names[i]);
        if (count > 0)
            fputs("</tbody>\n</table>\n", out);
        cnn_pages_end(out);
    }
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return status;
}

int cnn_pages_write_index(const char *results_directory,
                          struct cnn_error *err)
{
    return write_page(results_directory, write_index, results_directory,
                      err);
}

int cnn_pages_write(const struct cnn_table *table, struct cnn_error *err)
{
    if (cnn_pages_write_experiment(table, err) < 0)
        return -1;
    char *parent = cnn_pages_parent(table->directory);
    if (!parent)
        return cnn_error_set(err, "out of memory");
    int status = cnn_pages_write_index(parent, err);
    free(parent);
    return status;
}
