/* cnnlab — HTML helpers for the report pages: escaping, links, the page
 * frame, reading files and embedding pictures. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "cnnlab/input_file.h"
#include "report/pages.h"
#include "report/pages_internal.h"

void cnn_pages_text_length(FILE *out, const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        switch (text[i]) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        case '\0':
            /* A NUL in a text file would end the page's text for some
             * readers: show it as the replacement character. */
            fputs("&#xFFFD;", out);
            break;
        default:
            fputc(text[i], out);
        }
    }
}

void cnn_pages_text(FILE *out, const char *text)
{
    cnn_pages_text_length(out, text, strlen(text));
}

void cnn_pages_url(FILE *out, const char *segment)
{
    for (const unsigned char *p = (const unsigned char *)segment; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p))
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

/* Plain and printable: readable on screen and on paper, no web fonts. */
static const char style_sheet[] =
    "body{font-family:sans-serif;max-width:1100px;margin:1em auto;"
    "padding:0 1em;color:#222;background:#fff;line-height:1.4}\n"
    "h1,h2,h3{font-weight:600}h2{border-bottom:1px solid #ccc;"
    "margin-top:2em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #ccc;padding:.2em .6em;vertical-align:top}\n"
    "th{background:#f3f3f3}table.meta th{text-align:left}\n"
    "td.r,th.r{text-align:right}td.r{white-space:nowrap}"
    "td.c,th.c{text-align:center}\n"
    "pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:90%}\n"
    "figure{display:inline-block;margin:.5em;vertical-align:top}\n"
    "figure img{max-width:100%;border:1px solid #ddd}\n"
    "figcaption{font-size:85%;color:#555}\n"
    ".status-bad{color:#a00}.note{color:#a00}.files a{margin-right:.8em}\n";

void cnn_pages_begin(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"cnnlab\">\n<title>",
          out);
    cnn_pages_text(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n",
            style_sheet);
}

void cnn_pages_end(FILE *out)
{
    fputs("</body>\n</html>\n", out);
}

int cnn_pages_read_file(const char *path, size_t limit, char **data,
                        size_t *length, struct cnn_error *err)
{
    *data = NULL;
    *length = 0;
    FILE *file = cnn_input_fopen(path, err);
    if (!file)
        return errno ? cnn_error_set(err, "cannot open '%s': %s", path,
                                     strerror(errno))
                     : -1;
    struct stat info;
    if (fstat(fileno(file), &info) != 0 || info.st_size < 0) {
        fclose(file);
        return cnn_error_set(err, "cannot read '%s': %s", path,
                             strerror(errno));
    }
    if ((unsigned long long)info.st_size > limit) {
        fclose(file);
        return 1;
    }
    size_t size = (size_t)info.st_size;
    char *buffer = malloc(size + 1);
    if (!buffer) {
        fclose(file);
        return cnn_error_set(err, "out of memory reading '%s'", path);
    }
    size_t got = fread(buffer, 1, size, file);
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        free(buffer);
        return cnn_error_set(err, "cannot read '%s'", path);
    }
    /* A file that shrank while being read is taken as it was read. */
    buffer[got] = '\0';
    *data = buffer;
    *length = got;
    return 0;
}

int cnn_pages_is_file(const char *directory, const char *name)
{
    char *path = cnn_path_join(directory, name);
    struct stat info;
    int is_file = path && stat(path, &info) == 0 && S_ISREG(info.st_mode);
    free(path);
    return is_file;
}

static void base64(FILE *out, const unsigned char *data, size_t length)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 3 <= length; i += 3) {
        unsigned long group = (unsigned long)data[i] << 16 |
                              (unsigned long)data[i + 1] << 8 | data[i + 2];
        fputc(digits[group >> 18 & 63], out);
        fputc(digits[group >> 12 & 63], out);
        fputc(digits[group >> 6 & 63], out);
        fputc(digits[group & 63], out);
    }
    if (i < length) {
        unsigned long group = (unsigned long)data[i] << 16;
        if (i + 1 < length)
            group |= (unsigned long)data[i + 1] << 8;
        fputc(digits[group >> 18 & 63], out);
        fputc(digits[group >> 12 & 63], out);
        fputc(i + 1 < length ? digits[group >> 6 & 63] : '=', out);
        fputc('=', out);
    }
}

/* link_directory may have several segments ("v/seed-1"): each is encoded,
 * the slashes kept. */
static void relative_path(FILE *out, const char *link_directory,
                          const char *file)
{
    for (const char *segment = link_directory; segment;) {
        const char *slash = strchr(segment, '/');
        size_t length = slash ? (size_t)(slash - segment) : strlen(segment);
        char part[1024];
        snprintf(part, sizeof part, "%.*s", (int)length, segment);
        cnn_pages_url(out, part);
        fputc('/', out);
        segment = slash ? slash + 1 : NULL;
    }
    cnn_pages_url(out, file);
}

void cnn_pages_file_link(FILE *out, const char *link_directory,
                         const char *file)
{
    fputs("<a href=\"", out);
    relative_path(out, link_directory, file);
    fputs("\">", out);
    cnn_pages_text(out, file);
    fputs("</a>", out);
}

static const unsigned char png_signature[8] = {0x89, 'P',  'N',  'G',
                                               '\r', '\n', 0x1a, '\n'};

int cnn_pages_figure(struct cnn_pages_writer *writer, const char *directory,
                     const char *link_directory, const char *file,
                     struct cnn_error *err)
{
    FILE *out = writer->out;
    char *path = cnn_path_join(directory, file);
    if (!path)
        return cnn_error_set(err, "out of memory");
    size_t budget = writer->embedded < CNN_PAGES_EMBED_PAGE_MAX
                        ? CNN_PAGES_EMBED_PAGE_MAX - writer->embedded
                        : 0;
    size_t limit = budget < CNN_PAGES_EMBED_IMAGE_MAX
                       ? budget
                       : CNN_PAGES_EMBED_IMAGE_MAX;
    char *data = NULL;
    size_t length = 0;
    struct cnn_error read_error = {0};
    int got = cnn_pages_read_file(path, limit, &data, &length, &read_error);
    free(path);
    int is_png = got == 0 && length >= sizeof png_signature &&
                 memcmp(data, png_signature, sizeof png_signature) == 0;
    if (got != 1 && !is_png) {
        /* Unreadable or not a PNG: say so rather than show a broken
         * picture. */
        fputs("<p class=\"note\">", out);
        cnn_pages_text(out, got < 0 ? read_error.message
                                    : "not a PNG picture:");
        fputc(' ', out);
        cnn_pages_file_link(out, link_directory, file);
        fputs("</p>\n", out);
        free(data);
        return 0;
    }
    fputs("<figure><img alt=\"", out);
    cnn_pages_text(out, file);
    fputs("\" src=\"", out);
    if (is_png) {
        fputs("data:image/png;base64,", out);
        base64(out, (const unsigned char *)data, length);
        writer->embedded += length;
    } else {
        relative_path(out, link_directory, file);
    }
    fputs("\"><figcaption>", out);
    cnn_pages_file_link(out, link_directory, file);
    fputs("</figcaption></figure>\n", out);
    free(data);
    return ferror(out) ? cnn_error_set(err, "cannot write the page") : 0;
}

int cnn_pages_name_compare(const char *a, const char *b)
{
    /* Names equal but for leading zeros keep a fixed order, whatever
     * order readdir gave. */
    const char *start_a = a, *start_b = b;
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t digits_a = 0, digits_b = 0;
            while (isdigit((unsigned char)a[digits_a]))
                digits_a++;
            while (isdigit((unsigned char)b[digits_b]))
                digits_b++;
            if (digits_a != digits_b)
                return digits_a < digits_b ? -1 : 1;
            int order = strncmp(a, b, digits_a);
            if (order != 0)
                return order;
            a += digits_a;
            b += digits_b;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    if (*a != *b)
        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
    return strcmp(start_a, start_b);
}

char *cnn_pages_parent(const char *experiment_directory)
{
    const char *slash = strrchr(experiment_directory, '/');
    if (!slash)
        return strdup(".");
    if (slash == experiment_directory)
        return strdup("/");
    return strndup(experiment_directory,
                   (size_t)(slash - experiment_directory));
}
