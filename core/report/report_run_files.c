/* cnnlab — a run's files in the report: an analysis's Markdown (its
 * first paragraph or heading becomes the caption), a text such as
 * summary.txt (a listing), and the receptive fields of the run's model. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "report/pages_internal.h"
#include "report/report_blocks.h"

/* An analysis's text shown in the document; a larger one is named. */
#define TEXT_MAX ((size_t)1 << 20)

/* Reads a text file to show; 1 when too large, -1 unreadable. */
static int read_text(const char *directory, const char *name, char **text,
                     char *why, size_t why_size)
{
    char *path = cnn_path_join(directory, name);
    size_t length;
    struct cnn_error read_error = {0};
    int got =
        path ? cnn_pages_read_file(path, TEXT_MAX, text, &length, &read_error)
             : -1;
    if (got < 0)
        snprintf(why, why_size, "%s",
                 path ? read_error.message : "out of memory");
    free(path);
    return got;
}

static void add_markdown_inline(struct cnn_report_text *text,
                                const char *source, size_t length)
{
    char *plain = malloc(length + 1);
    if (!plain) {
        text->failed = 1;
        return;
    }
    size_t used = 0;
    int code = 0, strong = 0;
    for (size_t i = 0; i <= length; i++) {
        char c = i < length ? source[i] : '\0';
        int toggle_code = c == '`';
        int toggle_strong =
            !code && c == '*' && i + 1 < length && source[i + 1] == '*';
        if (c && !toggle_code && !toggle_strong) {
            if (c == '\\' && !code && i + 1 < length &&
                ispunct((unsigned char)source[i + 1]))
                c = source[++i];
            plain[used++] = c;
            continue;
        }
        plain[used] = '\0';
        if (used && code)
            cnn_report_text_code(text, plain);
        else if (used && strong)
            cnn_report_text_emph(text, plain);
        else if (used)
            cnn_report_text_plain(text, plain);
        used = 0;
        if (toggle_code)
            code = !code;
        if (toggle_strong) {
            strong = !strong;
            i++;
        }
    }
    free(plain);
}

/* The caption an analysis's Markdown gives itself (its first paragraph,
 * or its first heading), removed from `content` in place. */
static void take_markdown_caption(char *content, struct cnn_report_text *text)
{
    char *p = content;
    while (*p == '\n' || *p == ' ')
        p++;
    char *end = p;
    if (*p == '#') {
        char *line_end = strchr(p, '\n');
        end = line_end ? line_end : p + strlen(p);
        char *title = p + strspn(p, "#");
        title += strspn(title, " ");
        add_markdown_inline(text, title, (size_t)(end - title));
    } else if (*p && *p != '|' && strncmp(p, "```", 3) != 0) {
        /* The paragraph: lines up to a blank line or another block. */
        while (*end) {
            char *line_end = strchr(end, '\n');
            char *next = line_end ? line_end + 1 : end + strlen(end);
            end = line_end ? line_end : end + strlen(end);
            if (!*next || *next == '\n' || *next == '|' || *next == '#' ||
                strncmp(next, "```", 3) == 0)
                break;
            end = next;
        }
        for (char *q = p; q < end; q++)
            if (*q == '\n')
                *q = ' ';
        add_markdown_inline(text, p, (size_t)(end - p));
    } else {
        return;
    }
    char last = text->length ? text->data[text->length - 1] : '.';
    if (!strchr(".!?:", last))
        cnn_report_text_plain(text, ".");
    memmove(content, end, strlen(end) + 1);
}

static int has_table(const char *content)
{
    for (const char *p = content; p; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (*p == '|')
            return 1;
    }
    return 0;
}

int cnn_report_add_markdown(struct cnn_report_document *doc,
                            const struct cnn_report_experiment *e,
                            const struct cnn_report_run *run, const char *name,
                            struct cnn_error *err)
{
    char *content = NULL, why[CNN_ERROR_MESSAGE_MAX];
    int got = read_text(run->directory, name, &content, why, sizeof why);
    if (got != 0) {
        free(content);
        return cnn_report_add_note(
            doc, "Not shown:", got > 0 ? "a table over 1 MiB" : why, err);
    }
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, run->label);
    cnn_report_text_plain(&text, ": ");
    size_t before = text.length;
    take_markdown_caption(content, &text);
    if (text.length == before)
        cnn_report_text_plain(&text, "the table.");
    cnn_report_text_plain(&text, " From ");
    cnn_report_text_code(&text, name);
    cnn_report_text_plain(&text, ".");
    cnn_report_run_provenance(&text, run, e);
    int numbered = has_table(content);
    if (cnn_report_add_text_block(doc, CNN_REPORT_MARKDOWN, &text, err) < 0) {
        free(content);
        return -1;
    }
    struct cnn_report_block *block = &doc->blocks[doc->count - 1];
    block->content = content;
    block->number = numbered ? ++doc->tables : 0;
    return 0;
}

int cnn_report_add_listing(struct cnn_report_document *doc,
                           const struct cnn_report_experiment *e,
                           const struct cnn_report_run *run, const char *name,
                           struct cnn_error *err)
{
    char *content = NULL, why[CNN_ERROR_MESSAGE_MAX];
    int got = read_text(run->directory, name, &content, why, sizeof why);
    if (got != 0) {
        free(content);
        return cnn_report_add_note(
            doc, "Not shown:", got > 0 ? "a text over 1 MiB" : why, err);
    }
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, run->label);
    if (strcmp(name, "summary.txt") == 0)
        cnn_report_text_plain(&text, ": the model as torchsummary prints it, "
                                     "and its PyTorch module repr (");
    else
        cnn_report_text_plain(&text, ": the text (");
    cnn_report_text_code(&text, name);
    cnn_report_text_plain(&text, ").");
    cnn_report_run_provenance(&text, run, e);
    if (cnn_report_add_text_block(doc, CNN_REPORT_LISTING, &text, err) < 0) {
        free(content);
        return -1;
    }
    doc->blocks[doc->count - 1].content = content;
    doc->blocks[doc->count - 1].number = ++doc->listings;
    return 0;
}

int cnn_report_add_fields(struct cnn_report_document *doc,
                          const struct cnn_report_experiment *e,
                          const struct cnn_report_run *run,
                          const struct cnn_registry *registry,
                          struct cnn_error *err)
{
    struct cnn_report_field *fields;
    int count;
    char input[64];
    struct cnn_error why = {0};
    if (cnn_report_fields(registry, run->directory, &fields, &count, input,
                          sizeof input, &why) < 0) {
        char message[CNN_ERROR_MESSAGE_MAX + 64];
        snprintf(message, sizeof message, "the receptive fields of %s: %s",
                 run->label, why.message);
        return cnn_report_add_note(doc, "Not computed:", message, err);
    }
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, run->label);
    cnn_report_text_printf(&text,
                           ": the receptive field of each layer's "
                           "outputs in input pixels, for the input "
                           "%s: its size, the jump between "
                           "neighbouring outputs and the start of "
                           "output (0, 0)'s field (",
                           input);
    cnn_report_text_code(&text, "cnnlab rf");
    cnn_report_text_plain(&text, ", from the run's ");
    cnn_report_text_code(&text, "manifest.yaml");
    cnn_report_text_plain(&text, ").");
    cnn_report_run_provenance(&text, run, e);
    if (cnn_report_add_text_block(doc, CNN_REPORT_FIELDS, &text, err) < 0) {
        free(fields);
        return -1;
    }
    struct cnn_report_block *block = &doc->blocks[doc->count - 1];
    block->fields = fields;
    block->field_count = count;
    block->fields_input = strdup(input);
    block->number = ++doc->tables;
    return block->fields_input ? 0 : cnn_error_set(err, "out of memory");
}
