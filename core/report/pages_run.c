/* cnnlab — a variant's section of an experiment's page: what run.json
 * says of the run, and every file the run's analyses wrote.
 *
 * Files are grouped by analysis through their names: a file belongs to
 * analysis X when its name is "X" followed by '-' or '.' (curves-loss.png,
 * occlusion.png, ablation-fc1.md). The groups are the analyses run.json
 * lists, in its order, then any other prefix with a picture or a text
 * (*.png, *.md, *.txt), by name: so a new analysis appears without code
 * here. Each group shows its *.md as tables, *.txt as preformatted text
 * and *.png as pictures, and links its other files; files of no group
 * (run.json, metrics.csv, the checkpoint, ...) are linked under "Files". */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/json_input.h"
#include "report/pages_internal.h"

/* An analysis's text shown in the page; a larger one is linked. */
#define TEXT_MAX ((size_t)1 << 20)

struct run_files {
    char **names;           /* sorted by cnn_pages_name_compare */
    int count;
};

static int by_name(const void *a, const void *b)
{
    return cnn_pages_name_compare(*(char *const *)a, *(char *const *)b);
}

static void run_files_free(struct run_files *files)
{
    for (int i = 0; i < files->count; i++)
        free(files->names[i]);
    free(files->names);
}

/* The directory's regular files but hidden ones (the atomic writer's
 * temporaries, the lock). A missing directory has none. */
static int list_files(const char *directory, struct run_files *files,
                      struct cnn_error *err)
{
    memset(files, 0, sizeof *files);
    DIR *dir = opendir(directory);
    if (!dir)
        return errno == ENOENT ? 0
                               : cnn_error_set(err, "cannot list '%s': %s",
                                               directory, strerror(errno));
    int status = 0;
    int capacity = 0;
    for (struct dirent *entry; status == 0 && (entry = readdir(dir));) {
        if (entry->d_name[0] == '.' ||
            !cnn_pages_is_file(directory, entry->d_name))
            continue;
        if (files->count == capacity) {
            capacity = capacity ? capacity * 2 : 32;
            char **grown =
                realloc(files->names, (size_t)capacity * sizeof *grown);
            if (!grown) {
                status = cnn_error_set(err, "out of memory");
                break;
            }
            files->names = grown;
        }
        files->names[files->count] = strdup(entry->d_name);
        if (!files->names[files->count])
            status = cnn_error_set(err, "out of memory");
        else
            files->count++;
    }
    closedir(dir);
    if (status < 0) {
        run_files_free(files);
        return -1;
    }
    qsort(files->names, (size_t)files->count, sizeof *files->names, by_name);
    return 0;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

static int is_shown(const char *name)
{
    return has_suffix(name, ".png") || has_suffix(name, ".md") ||
           has_suffix(name, ".txt");
}

/* 1 when `name` belongs to the group `group`. */
static int in_group(const char *name, const char *group)
{
    size_t n = strlen(group);
    return strncmp(name, group, n) == 0 && (name[n] == '-' || name[n] == '.');
}

static int group_section(struct cnn_pages_writer *writer,
                         const char *directory, const char *link_directory,
                         const struct run_files *files, const char *group,
                         const json_t *outcome, struct cnn_error *err)
{
    FILE *out = writer->out;
    fputs("<h3>", out);
    cnn_pages_text(out, group);
    fputs("</h3>\n", out);
    if (outcome && json_is_string(outcome) &&
        strcmp(json_string_value(outcome), "ok") != 0) {
        fputs("<p class=\"note\">", out);
        cnn_pages_text(out, json_string_value(outcome));
        fputs("</p>\n", out);
    }
    for (int i = 0; i < files->count; i++) {
        const char *name = files->names[i];
        if (!in_group(name, group) ||
            !(has_suffix(name, ".md") || has_suffix(name, ".txt")))
            continue;
        char *path = cnn_path_join(directory, name);
        if (!path)
            return cnn_error_set(err, "out of memory");
        char *text = NULL;
        size_t length;
        struct cnn_error read_error = {0};
        int got = cnn_pages_read_file(path, TEXT_MAX, &text, &length,
                                      &read_error);
        free(path);
        if (got != 0) {
            fputs("<p class=\"note\">", out);
            cnn_pages_text(out, got < 0 ? read_error.message
                                        : "too large to show here:");
            fputc(' ', out);
            cnn_pages_file_link(out, link_directory, name);
            fputs("</p>\n", out);
        } else if (has_suffix(name, ".md")) {
            cnn_pages_markdown(out, text);
        } else {
            fputs("<pre>", out);
            cnn_pages_text_length(out, text, length);
            fputs("</pre>\n", out);
        }
        free(text);
    }
    /* The analysis's own picture (occlusion.png, the overview) leads;
     * its details (occlusion-*.png) follow by name. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < files->count; i++) {
            const char *name = files->names[i];
            if (!in_group(name, group) || !has_suffix(name, ".png"))
                continue;
            int is_overview = name[strlen(group)] == '.';
            if (is_overview == (pass == 0) &&
                cnn_pages_figure(writer, directory, link_directory, name,
                                 err) < 0)
                return -1;
        }
    fputs("<p class=\"files\">files: ", out);
    for (int i = 0; i < files->count; i++)
        if (in_group(files->names[i], group)) {
            cnn_pages_file_link(out, link_directory, files->names[i]);
            fputc(' ', out);
        }
    fputs("</p>\n", out);
    return 0;
}

/* The prefix of a shown file that no analysis of run.json claims, in
 * `prefix` (empty when it has one, or is not shown). */
static void unclaimed_prefix(const char *name, const json_t *analyses,
                             char *prefix, size_t size)
{
    prefix[0] = '\0';
    if (!is_shown(name))
        return;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)analyses, key, value) {
        if (in_group(name, key))
            return;
    }
    size_t n = strcspn(name, "-.");
    if (n >= size)
        n = size - 1;
    memcpy(prefix, name, n);
    prefix[n] = '\0';
}

static int analysis_sections(struct cnn_pages_writer *writer,
                             const char *directory,
                             const char *link_directory,
                             const struct run_files *files,
                             const json_t *analyses, struct cnn_error *err)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)analyses, key, value) {
        if (group_section(writer, directory, link_directory, files, key,
                          value, err) < 0)
            return -1;
    }
    /* Files sorted by name put each unclaimed prefix's files together. */
    char previous[256] = "";
    for (int i = 0; i < files->count; i++) {
        char prefix[256];
        unclaimed_prefix(files->names[i], analyses, prefix, sizeof prefix);
        if (!prefix[0] || strcmp(prefix, previous) == 0)
            continue;
        snprintf(previous, sizeof previous, "%s", prefix);
        if (group_section(writer, directory, link_directory, files, prefix,
                          NULL, err) < 0)
            return -1;
    }
    return 0;
}

static void run_file_links(FILE *out, const char *link_directory,
                           const struct run_files *files,
                           const json_t *analyses)
{
    fputs("<p class=\"files\">Files: ", out);
    for (int i = 0; i < files->count; i++) {
        const char *name = files->names[i];
        char prefix[256];
        unclaimed_prefix(name, analyses, prefix, sizeof prefix);
        int claimed = prefix[0] != '\0';
        const char *key;
        const json_t *value;
        json_object_foreach((json_t *)analyses, key, value) {
            claimed |= in_group(name, key);
        }
        if (!claimed) {
            cnn_pages_file_link(out, link_directory, name);
            fputc(' ', out);
        }
    }
    fputs("</p>\n", out);
}

int cnn_pages_variant(struct cnn_pages_writer *writer,
                      const struct cnn_table *table,
                      const struct cnn_table_row *row, struct cnn_error *err)
{
    FILE *out = writer->out;
    const char *status = cnn_table_status_name(row->status);
    fprintf(out, "<p>status: <span class=\"%s\">",
            row->status == CNN_TABLE_COMPLETE ? "status-ok" : "status-bad");
    cnn_pages_text(out, status);
    fputs("</span></p>\n", out);
    if (row->note) {
        fputs("<p class=\"note\">", out);
        cnn_pages_text(out, row->note);
        fputs("</p>\n", out);
    }
    char *directory = cnn_path_join(table->directory, row->path);
    char *info_path = directory ? cnn_path_join(directory, "run.json") : NULL;
    if (!info_path) {
        free(directory);
        return cnn_error_set(err, "out of memory");
    }
    json_error_t json_error;
    json_t *info = cnn_pages_is_file(directory, "run.json")
                       ? cnn_json_load_regular(info_path, 0, &json_error)
                       : NULL;
    if (info && !json_is_object(info)) {
        json_decref(info);
        info = NULL;
        snprintf(json_error.text, sizeof json_error.text,
                 "not a JSON object");
        json_error.line = 1;
    }
    /* The table's note already says what is wrong with run.json, when
     * it read it; otherwise say it here. */
    if (!info && !row->note && cnn_pages_is_file(directory, "run.json")) {
        fputs("<p class=\"note\">", out);
        cnn_pages_text(out, row->path);
        fprintf(out, "/run.json:%d: ", json_error.line);
        cnn_pages_text(out, json_error.text);
        fputs("</p>\n", out);
    }
    if (info)
        cnn_pages_metadata(out, info);
    const json_t *analyses = json_object_get(info, "analyses");
    json_t *empty = json_object();
    if (!json_is_object(analyses))
        analyses = empty;
    struct run_files files;
    int result = empty ? list_files(directory, &files, err)
                       : cnn_error_set(err, "out of memory");
    if (result == 0) {
        cnn_pages_outcomes(out, analyses);
        run_file_links(out, row->path, &files, analyses);
        result = analysis_sections(writer, directory, row->path, &files,
                                   analyses, err);
        run_files_free(&files);
    }
    json_decref(empty);
    json_decref(info);
    free(info_path);
    free(directory);
    return result;
}
