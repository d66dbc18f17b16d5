/* t/pages-check FILE.html...: checks that report pages stand alone.
 *
 * Every <img src> is a data:image/png;base64 URI whose bytes decode to a
 * PNG signature, or a relative path to an existing PNG; every <a href> is
 * "#id" with that id in the same page, or a relative path to an existing
 * file; nothing is loaded from elsewhere (no scheme but data:, no
 * absolute path, no <script>, <link>, <iframe> or <object>). Prints one
 * line per problem ("FILE: ...") and a count line
 *   FILE: N images (E embedded, L linked), M links
 * and exits 1 when there was a problem, 2 on usage. */
#define _GNU_SOURCE /* strcasestr */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const unsigned char png_signature[8] = {0x89, 'P',  'N',  'G',
                                               '\r', '\n', 0x1a, '\n'};
static int problems;

static void problem(const char *file, const char *what, const char *value)
{
    problems++;
    printf("%s: %s: %.200s\n", file, what, value);
}

static char *read_all(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    size_t length = 0, capacity = 1 << 16;
    char *text = malloc(capacity);
    size_t got;
    while (text && (got = fread(text + length, 1, capacity - length - 1,
                                file)) > 0) {
        length += got;
        if (length + 1 == capacity) {
            char *grown = realloc(text, capacity *= 2);
            if (!grown)
                free(text);
            text = grown;
        }
    }
    fclose(file);
    if (text)
        text[length] = '\0';
    return text;
}

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes all of `text` (checking every character and the padding) and
 * compares the first bytes with the PNG signature. */
static int is_png_base64(const char *text)
{
    size_t length = strlen(text);
    if (length == 0 || length % 4 != 0)
        return 0;
    unsigned char head[8];
    size_t out = 0;
    for (size_t i = 0; i < length; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            int pad_ok = i + 4 == length && k >= 2 && text[i + k] == '=' &&
                         (k == 3 || text[i + 3] == '=');
            v[k] = pad_ok ? 0 : base64_value((unsigned char)text[i + k]);
            if (v[k] < 0)
                return 0;
        }
        unsigned long group = (unsigned long)v[0] << 18 | v[1] << 12 |
                              v[2] << 6 | v[3];
        for (int k = 0; k < 3 && out < sizeof head; k++)
            head[out++] = (unsigned char)(group >> (16 - 8 * k));
    }
    return out == sizeof head && memcmp(head, png_signature, 8) == 0;
}

/* The attribute value as the browser sees it: &amp; &quot; &#39; &lt;
 * &gt; undone, then (for paths) %XX undone. */
static void unescape(char *value, int percent)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {{"&amp;", '&'}, {"&quot;", '"'}, {"&#39;", '\''},
                    {"&lt;", '<'},  {"&gt;", '>'}};
    char *out = value;
    for (char *p = value; *p;) {
        int done = 0;
        for (size_t k = 0; !done && k < sizeof entities / sizeof *entities;
             k++) {
            size_t n = strlen(entities[k].entity);
            if (strncmp(p, entities[k].entity, n) == 0) {
                *out++ = entities[k].c;
                p += n;
                done = 1;
            }
        }
        if (done)
            continue;
        if (percent && p[0] == '%' && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], 0};
            *out++ = (char)strtol(hex, NULL, 16);
            p += 3;
            continue;
        }
        *out++ = *p++;
    }
    *out = '\0';
}

/* The value of attribute `name` in the tag [tag, end), malloc'd. */
static char *attribute(const char *tag, const char *end, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = tag + 1; p + n + 2 < end; p++) {
        if (!isspace((unsigned char)p[-1]) || strncasecmp(p, name, n) != 0 ||
            p[n] != '=')
            continue;
        char quote = p[n + 1];
        const char *start = p + n + 2;
        const char *stop = quote == '"' || quote == '\''
                               ? memchr(start, quote, (size_t)(end - start))
                               : NULL;
        if (!stop)
            return NULL;
        return strndup(start, (size_t)(stop - start));
    }
    return NULL;
}

static int is_local(const char *value)
{
    return value[0] != '/' && !strstr(value, "://") &&
           strncasecmp(value, "data:", 5) != 0 && !strchr(value, ':');
}

/* The file `value` names relative to the page's directory. */
static int local_file(const char *directory, const char *value,
                      int want_png)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", directory, value);
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode))
        return 0;
    if (!want_png)
        return 1;
    unsigned char head[8] = {0};
    FILE *file = fopen(path, "rb");
    size_t got = file ? fread(head, 1, 8, file) : 0;
    if (file)
        fclose(file);
    return got == 8 && memcmp(head, png_signature, 8) == 0;
}

static int has_id(const char *text, const char *id)
{
    char needle[1024];
    snprintf(needle, sizeof needle, "id=\"%s\"", id);
    return strstr(text, needle) != NULL;
}

static void check_page(const char *file)
{
    char *text = read_all(file);
    if (!text) {
        problem(file, "cannot read", file);
        return;
    }
    char directory[4096];
    snprintf(directory, sizeof directory, "%s", file);
    char *slash = strrchr(directory, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(directory, sizeof directory, ".");
    static const char *const forbidden[] = {"<script", "<link", "<iframe",
                                            "<object", "<embed", "@import"};
    for (size_t k = 0; k < sizeof forbidden / sizeof *forbidden; k++)
        if (strcasestr(text, forbidden[k]))
            problem(file, "loads something else", forbidden[k]);
    int images = 0, embedded = 0, linked = 0, links = 0;
    for (const char *p = text; (p = strchr(p, '<')); p++) {
        int is_img = strncasecmp(p, "<img", 4) == 0 && isspace((unsigned char)p[4]);
        int is_a = strncasecmp(p, "<a", 2) == 0 && isspace((unsigned char)p[2]);
        if (!is_img && !is_a)
            continue;
        const char *end = strchr(p, '>');
        if (!end) {
            problem(file, "unterminated tag", p);
            break;
        }
        char *value = attribute(p, end, is_img ? "src" : "href");
        if (!value) {
            if (is_img)
                problem(file, "an <img> without src", p);
            continue;
        }
        if (is_img) {
            images++;
            const char *prefix = "data:image/png;base64,";
            if (strncmp(value, prefix, strlen(prefix)) == 0) {
                embedded++;
                if (!is_png_base64(value + strlen(prefix)))
                    problem(file, "a data: picture that is not a PNG", value);
            } else {
                linked++;
                unescape(value, 1);
                if (!is_local(value) || !local_file(directory, value, 1))
                    problem(file, "a picture that is missing or not a PNG",
                            value);
            }
        } else {
            links++;
            if (value[0] == '#') {
                if (!has_id(text, value + 1))
                    problem(file, "a link to a missing id", value);
            } else {
                /* "file#id": the fragment goes before %23 is undone. */
                char *fragment = strchr(value, '#');
                if (fragment)
                    *fragment = '\0';
                unescape(value, 1);
                if (!is_local(value) || !local_file(directory, value, 0))
                    problem(file, "a link to a missing file", value);
            }
        }
        free(value);
    }
    printf("%s: %d images (%d embedded, %d linked), %d links\n", file,
           images, embedded, linked, links);
    free(text);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.html...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        check_page(argv[i]);
    return problems ? 1 : 0;
}
