/* cnnlab — `cnnlab report` (report.h): find the experiments, build the
 * document, copy its pictures into <out>/figures/, write report.md and
 * report.tex, and build report.pdf. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "cnnlab/atomic_file.h"
#include "report/pages_internal.h"
#include "report/report.h"
#include "report/report_internal.h"

/* A picture copied into the report: at most this large. */
#define PICTURE_MAX ((size_t)64 << 20)

static int make_directories(const char *path, struct cnn_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return cnn_error_set(err, "out of memory");
    int status = 0;
    for (char *p = copy + 1; status == 0; p++) {
        if (*p && *p != '/')
            continue;
        char saved = *p;
        *p = '\0';
        struct stat info;
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            status = cnn_error_set(err, "cannot create the folder '%s': %s",
                                   copy, strerror(errno));
        else if (stat(copy, &info) != 0 || !S_ISDIR(info.st_mode))
            status = cnn_error_set(err,
                                   "'%s' is not a folder: give --out a "
                                   "folder for the report",
                                   copy);
        *p = saved;
        if (!saved)
            break;
    }
    free(copy);
    return status;
}

static int copy_picture(const char *out, const struct cnn_report_picture *p,
                        struct cnn_error *err)
{
    char *data = NULL;
    size_t length;
    int got = cnn_pages_read_file(p->source, PICTURE_MAX, &data, &length, err);
    if (got == 1)
        got = cnn_error_set(err,
                            "'%s' is over 64 MiB: too large for the "
                            "report",
                            p->source);
    char *target = got == 0 ? cnn_path_join(out, p->copy) : NULL;
    if (got == 0 && !target)
        got = cnn_error_set(err, "out of memory");
    if (got == 0)
        got = cnn_atomic_write(target, data, length, err);
    free(target);
    free(data);
    return got;
}

/* The copies this document links, and removes the copies an earlier
 * report left that it does not ("NNN-name.png": only cnnlab's own). */
static int write_pictures(const char *out,
                          const struct cnn_report_document *doc,
                          struct cnn_error *err)
{
    char *figures = cnn_path_join(out, "figures");
    if (!figures)
        return cnn_error_set(err, "out of memory");
    int status = make_directories(figures, err);
    for (int i = 0; status == 0 && i < doc->count; i++)
        for (int p = 0; status == 0 && p < doc->blocks[i].picture_count; p++)
            status = copy_picture(out, &doc->blocks[i].pictures[p], err);
    DIR *dir = status == 0 ? opendir(figures) : NULL;
    for (struct dirent *entry; dir && (entry = readdir(dir));) {
        const char *name = entry->d_name;
        size_t digits = strspn(name, "0123456789");
        size_t length = strlen(name);
        if (digits < 3 || name[digits] != '-' || length < 4 ||
            strcmp(name + length - 4, ".png") != 0)
            continue;
        int linked = 0;
        for (int i = 0; !linked && i < doc->count; i++)
            for (int p = 0; !linked && p < doc->blocks[i].picture_count; p++)
                linked = strcmp(doc->blocks[i].pictures[p].copy +
                                    strlen("figures/"),
                                name) == 0;
        char *path = linked ? NULL : cnn_path_join(figures, name);
        if (path)
            unlink(path);
        free(path);
    }
    if (dir)
        closedir(dir);
    free(figures);
    return status;
}

static int write_document(const char *out, const char *name,
                          const struct cnn_report_document *doc,
                          int (*writer)(const struct cnn_report_document *,
                                        FILE *),
                          struct cnn_error *err)
{
    char *path = cnn_path_join(out, name);
    if (!path)
        return cnn_error_set(err, "out of memory");
    struct cnn_atomic_file file;
    int status = cnn_atomic_open(&file, path, err);
    if (status == 0 && writer(doc, file.stream) < 0) {
        cnn_atomic_abort(&file);
        status = cnn_error_set(err, "cannot write '%s'", path);
    } else if (status == 0) {
        status = cnn_atomic_commit(&file, err);
    }
    free(path);
    return status;
}

int cnn_report_write(const struct cnn_report_options *options,
                     struct cnn_report_summary *summary, struct cnn_error *err)
{
    memset(summary, 0, sizeof *summary);
    struct cnn_report_results found;
    if (cnn_report_discover(options->results, &found, err) < 0)
        return -1;
    struct cnn_report_document doc;
    int status = cnn_report_build(&doc, options->results, &found,
                                  options->registry, err);
    if (status == 0) {
        status = make_directories(options->out, err);
        if (status == 0)
            status = write_pictures(options->out, &doc, err);
        if (status == 0)
            status = write_document(options->out, "report.md", &doc,
                                    cnn_report_write_markdown, err);
        if (status == 0)
            status = write_document(options->out, "report.tex", &doc,
                                    cnn_report_write_latex, err);
        summary->experiments = doc.experiments;
        summary->missing = doc.missing;
        summary->stale = doc.stale;
        summary->tables = doc.tables;
        summary->figures = doc.figures;
        summary->listings = doc.listings;
        cnn_report_document_free(&doc);
    }
    cnn_report_results_free(&found);
    if (status == 0 && options->pdf) {
        int built = cnn_report_pdf(options->out, options->pdflatex, err);
        if (built < 0)
            return -1;
        summary->pdf = built == 1 ? -1 : 1;
    }
    return status;
}
