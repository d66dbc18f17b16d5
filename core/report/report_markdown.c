/* cnnlab — report.md: the report's blocks as GitHub Markdown. Pictures are
 * relative links to the copies in figures/; tables are pipe tables (the
 * experiment's as table.md has it, an analysis's as its file has it);
 * captions come before tables and listings and after figures. */
#include <string.h>

#include "report/report_internal.h"

/* A code span that holds `code` as it is: fenced by more backticks than
 * it contains in a row, padded when it starts or ends with one. */
static void code_span(FILE *out, const char *code, size_t length)
{
    int longest = 0, run = 0;
    for (size_t i = 0; i < length; i++) {
        run = code[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    int pad = length > 0 && (code[0] == '`' || code[length - 1] == '`');
    for (int i = 0; i <= longest; i++)
        fputc('`', out);
    fputs(pad ? " " : "", out);
    fwrite(code, 1, length, out);
    fputs(pad ? " " : "", out);
    for (int i = 0; i <= longest; i++)
        fputc('`', out);
}

/* Marked text (report_internal.h) as Markdown. */
static void marked(FILE *out, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t span = strcspn(p, "\001\002\003\004");
        if (span) {
            cnn_report_markdown_escape(out, p, span);
            p += span;
            continue;
        }
        char mark = *p++;
        if (mark == CNN_REPORT_CODE_ON) {
            size_t length = strcspn(p, "\002");
            code_span(out, p, length);
            p += length + (p[length] != '\0');
        } else if (mark == CNN_REPORT_EMPH_ON || mark == CNN_REPORT_EMPH_OFF) {
            fputs("**", out);
        }
    }
}

static void caption(FILE *out, const char *label, int number, const char *text)
{
    if (number > 0)
        fprintf(out, "**%s %d.** ", label, number);
    marked(out, text);
    fputs("\n\n", out);
}

/* An analysis's Markdown: its headings become strong lines (the report's
 * own headings stay the only ones), the rest is as written. */
static void analysis_markdown(FILE *out, const char *content)
{
    const char *p = content;
    while (*p == '\n')
        p++;
    while (*p) {
        size_t length = strcspn(p, "\n");
        if (*p == '#') {
            const char *title = p + strspn(p, "#");
            title += strspn(title, " ");
            fputs("**", out);
            fwrite(title, 1, length - (size_t)(title - p), out);
            fputs("**\n", out);
        } else {
            fwrite(p, 1, length, out);
            fputc('\n', out);
        }
        p += length + (p[length] == '\n');
    }
    fputc('\n', out);
}

/* A fence longer than any run of backticks at the start of a line. */
static void listing(FILE *out, const char *content)
{
    int fence = 3;
    for (const char *p = content; p; p = strchr(p, '\n')) {
        p += *p == '\n';
        int run = (int)strspn(p, "`");
        if (run >= fence)
            fence = run + 1;
    }
    for (int i = 0; i < fence; i++)
        fputc('`', out);
    fputs("text\n", out);
    fputs(content, out);
    if (content[0] && content[strlen(content) - 1] != '\n')
        fputc('\n', out);
    for (int i = 0; i < fence; i++)
        fputc('`', out);
    fputs("\n\n", out);
}

static void fields_table(FILE *out, const struct cnn_report_block *block)
{
    fputs("| layer | type | output | rf size | jump | start |\n"
          "|---|---|---|---:|---:|---:|\n",
          out);
    for (int i = 0; i < block->field_count; i++) {
        const struct cnn_report_field *f = &block->fields[i];
        fputs("| ", out);
        cnn_report_markdown_escape(out, f->name, strlen(f->name));
        fputs(" | ", out);
        cnn_report_markdown_escape(out, f->type, strlen(f->type));
        fprintf(out, " | %s | %s | %s | %s |\n", f->output, f->size, f->jump,
                f->start);
    }
    fputc('\n', out);
}

static void contents(FILE *out, const struct cnn_report_document *doc)
{
    fputs("## Contents\n\n", out);
    for (int i = 0; i < doc->count; i++) {
        const struct cnn_report_block *block = &doc->blocks[i];
        if (block->kind != CNN_REPORT_PART &&
            block->kind != CNN_REPORT_SECTION)
            continue;
        fputs(block->kind == CNN_REPORT_PART ? "- [" : "  - [", out);
        marked(out, block->text);
        fprintf(out, "](#%s)\n", block->anchor);
    }
    fputc('\n', out);
}

static void block_markdown(FILE *out, const struct cnn_report_block *block)
{
    static const char *const hashes[] = {"## ", "### ", "#### "};
    switch (block->kind) {
    case CNN_REPORT_PART:
    case CNN_REPORT_SECTION:
    case CNN_REPORT_SUBSECTION:
        fputs(hashes[block->kind - CNN_REPORT_PART], out);
        marked(out, block->text);
        fputs("\n\n", out);
        break;
    case CNN_REPORT_PARAGRAPH:
        marked(out, block->text);
        fputs("\n\n", out);
        break;
    case CNN_REPORT_NOTE:
        fputs("> ", out);
        marked(out, block->text);
        fputs("\n\n", out);
        break;
    case CNN_REPORT_RESULTS:
        caption(out, "Table", block->number, block->text);
        cnn_table_format_markdown(block->table, out);
        fputc('\n', out);
        break;
    case CNN_REPORT_MARKDOWN:
        caption(out, "Table", block->number, block->text);
        analysis_markdown(out, block->content);
        break;
    case CNN_REPORT_LISTING:
        caption(out, "Listing", block->number, block->text);
        listing(out, block->content);
        break;
    case CNN_REPORT_FIGURE:
        for (int i = 0; i < block->picture_count; i++) {
            fputs(i ? " ![" : "![", out);
            cnn_report_markdown_escape(out, block->pictures[i].name,
                                       strlen(block->pictures[i].name));
            fprintf(out, "](%s)", block->pictures[i].copy);
        }
        fputs("\n\n", out);
        caption(out, "Figure", block->number, block->text);
        break;
    case CNN_REPORT_FIELDS:
        caption(out, "Table", block->number, block->text);
        fields_table(out, block);
        break;
    }
}

int cnn_report_write_markdown(const struct cnn_report_document *doc, FILE *out)
{
    fputs("# cnnlab report\n\n", out);
    int first = 0;
    if (doc->count > 0 && doc->blocks[0].kind == CNN_REPORT_PARAGRAPH) {
        block_markdown(out, &doc->blocks[0]);
        first = 1;
    }
    contents(out, doc);
    for (int i = first; i < doc->count; i++)
        block_markdown(out, &doc->blocks[i]);
    return ferror(out) ? -1 : 0;
}
