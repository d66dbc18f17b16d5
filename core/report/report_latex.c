/* cnnlab — report.tex: the report's blocks as a LaTeX article (T1 fonts,
 * booktabs, graphicx, longtable, float) that pdflatex compiles.
 *
 * Every text from a file is escaped (cnn_report_latex_escape). Figures
 * and the experiments' tables are placed where they are written ([H]),
 * so a caption stays beside its picture; a table wider than the text is
 * scaled down to fit; the analyses' tables are longtables, which break
 * across pages, in a font small enough for their width. */
#include <ctype.h>
#include <string.h>

#include "report/markdown_table.h"
#include "report/report_internal.h"

/* The text width of the geometry below (A4, 2.2 cm margins), in points. */
#define TEXT_WIDTH_PT 472.0
/* An analysis's Markdown with at most this many table rows is set in one
 * float, which never breaks; longer ones break across pages. */
#define FLOAT_ROWS 45

static const char preamble[] =
    "% written by `cnnlab report`; compile with pdflatex (twice, for the\n"
    "% contents)\n"
    "\\documentclass[a4paper,10pt]{article}\n"
    "\\usepackage[T1]{fontenc}\n"
    "\\usepackage[utf8]{inputenc}\n"
    "\\IfFileExists{lmodern.sty}{\\usepackage{lmodern}}{}\n"
    "\\usepackage{textcomp}\n"
    "\\usepackage[a4paper,margin=2.2cm]{geometry}\n"
    "\\usepackage{graphicx}\n"
    "\\usepackage{booktabs}\n"
    "\\usepackage{longtable}\n"
    "\\usepackage{float}\n"
    "\\usepackage{alltt}\n"
    "\\usepackage[font=small,labelfont=bf,skip=4pt,"
    "justification=raggedright,singlelinecheck=false]{caption}\n"
    "\\usepackage[hidelinks]{hyperref}\n"
    "\\setlength{\\parindent}{0pt}\n"
    "\\setlength{\\parskip}{0.5\\baselineskip}\n"
    "\\sloppy\n"
    "\\setcounter{tocdepth}{2}\n"
    "% \\cnnfit{BOX}: BOX, scaled down to the line's width when wider.\n"
    "\\newsavebox{\\cnnbox}\n"
    "\\newcommand{\\cnnfit}[1]{\\sbox{\\cnnbox}{#1}%\n"
    "  \\ifdim\\wd\\cnnbox>\\linewidth\\resizebox{\\linewidth}{!}"
    "{\\usebox{\\cnnbox}}\\else\\usebox{\\cnnbox}\\fi}\n"
    "% Listings (the model printouts) are numbered on their own.\n"
    "\\DeclareCaptionType{listing}[Listing][List of Listings]\n"
    "% \\cnnneed{N}: a new page unless N lines are left, so that a\n"
    "% heading does not end a page.\n"
    "\\newcommand{\\cnnneed}[1]{\\par\\vskip 0pt plus #1\\baselineskip"
    "\\penalty-200\\vskip 0pt plus -#1\\baselineskip\\relax}\n"
    "% A note: missing or stale results, a failed analysis.\n"
    "\\newcommand{\\cnnnote}[1]{\\par\\noindent\\fbox{\\parbox{\\dimexpr"
    "\\linewidth-2\\fboxsep-2\\fboxrule\\relax}{\\raggedright\\small #1}}"
    "\\par}\n"
    "\\title{cnnlab report}\n"
    "\\author{}\n"
    "\\date{}\n"
    "\\begin{document}\n"
    "\\maketitle\n"
    "% Long paths in typewriter type would stretch justified lines.\n"
    "\\raggedright\n";

static void escape(FILE *out, const char *text)
{
    cnn_report_latex_escape(out, text, strlen(text), 0);
}

/* Marked text (report_internal.h) as LaTeX. */
static void marked(FILE *out, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t span = strcspn(p, "\001\002\003\004");
        if (span) {
            cnn_report_latex_escape(out, p, span, 0);
            p += span;
            continue;
        }
        char mark = *p++;
        if (mark == CNN_REPORT_CODE_ON) {
            size_t length = strcspn(p, "\002");
            fputs("\\texttt{", out);
            cnn_report_latex_escape(out, p, length, 1);
            fputc('}', out);
            p += length + (p[length] != '\0');
        } else if (mark == CNN_REPORT_EMPH_ON) {
            fputs("\\textbf{", out);
        } else if (mark == CNN_REPORT_EMPH_OFF) {
            fputc('}', out);
        }
    }
}

/* Markdown inline text (backslash escapes, `code`, **strong**) as LaTeX;
 * spans left open are closed at the end. */
static void inline_markdown(FILE *out, const char *text, size_t length)
{
    int code = 0, strong = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '\\' && !code && i + 1 < length &&
            ispunct((unsigned char)text[i + 1])) {
            cnn_report_latex_escape(out, &text[++i], 1, 0);
        } else if (c == '`') {
            fputs(code ? "}" : "\\texttt{", out);
            code = !code;
        } else if (!code && c == '*' && i + 1 < length && text[i + 1] == '*') {
            fputs(strong ? "}" : "\\textbf{", out);
            strong = !strong;
            i++;
        } else {
            size_t run = 1;
            /* A UTF-8 character is escaped whole. */
            while (i + run < length &&
                   ((unsigned char)text[i + run] & 0xC0) == 0x80)
                run++;
            cnn_report_latex_escape(out, &text[i], run, code);
            i += run - 1;
        }
    }
    if (code)
        fputc('}', out);
    if (strong)
        fputc('}', out);
}

/* One line of a listing inside alltt: only \ { } are special there. */
static void listing_line(FILE *out, const char *line, size_t length)
{
    for (size_t i = 0; i < length;) {
        char c = line[i];
        if (c == '\\')
            fputs("\\textbackslash{}", out);
        else if (c == '{' || c == '}')
            fprintf(out, "\\%c", c);
        else if (c == '\t')
            fputs("        ", out);
        else if ((unsigned char)c >= 0x80) {
            size_t run = 1;
            while (i + run < length &&
                   ((unsigned char)line[i + run] & 0xC0) == 0x80)
                run++;
            cnn_report_latex_escape(out, &line[i], run, 0);
            i += run;
            continue;
        } else if ((unsigned char)c < 0x20 || c == 0x7f)
            fputc(' ', out);
        else
            fputc(c, out);
        i++;
    }
}

/* ---- an analysis's Markdown -------------------------------------------- */

/* "| :--- | ---: |": 1 and each column's alignment, else 0; a column
 * the row gives no alignment is set left. */
static int separator_row(const char *line, size_t length, char *align)
{
    int is_separator = cnn_md_separator_row(line, length, align);
    for (int i = 0; i < CNN_MD_COLUMNS_MAX; i++)
        if (!align[i])
            align[i] = 'l';
    return is_separator;
}

/* Display width of UTF-8 text: continuation bytes take no column. */
static size_t text_width(const char *text, size_t length)
{
    size_t width = 0;
    for (size_t i = 0; i < length; i++)
        width += ((unsigned char)text[i] & 0xC0) != 0x80;
    return width;
}

/* The largest of \normalsize, \small, \footnotesize, \scriptsize in which
 * `characters` of text and `columns` column gaps fit the line. */
static const char *font_for(size_t characters, int columns)
{
    static const struct {
        const char *command;
        double character_pt; /* a digit's width */
    } sizes[] = {{"\\normalsize", 5.0},
                 {"\\small", 4.5},
                 {"\\footnotesize", 4.1},
                 {"\\scriptsize", 3.5}};
    for (int i = 0; i < 3; i++)
        if ((double)characters * sizes[i].character_pt + columns * 12.0 <=
            TEXT_WIDTH_PT)
            return sizes[i].command;
    return sizes[3].command;
}

struct line {
    const char *text;
    size_t length;
};

static void table_row(FILE *out, const struct line *line, int columns)
{
    struct cnn_md_cell cells[CNN_MD_COLUMNS_MAX];
    int count = cnn_md_split_cells(line->text, line->length, cells);
    for (int c = 0; c < columns; c++) {
        fputs(c ? " & " : "", out);
        if (c < count)
            inline_markdown(out, cells[c].text, cells[c].length);
    }
    fputs(" \\\\\n", out);
}

/* A table read from pipe-table lines: the alignment and the widest
 * cell of each column. */
struct table_shape {
    int header, columns;
    char align[CNN_MD_COLUMNS_MAX];
    size_t characters; /* the widest cells' widths, summed */
};

static void table_shape(const struct line *lines, int count,
                        struct table_shape *shape)
{
    struct cnn_md_cell cells[CNN_MD_COLUMNS_MAX];
    size_t widths[CNN_MD_COLUMNS_MAX] = {0};
    memset(shape, 0, sizeof *shape);
    memset(shape->align, 'l', sizeof shape->align);
    shape->header = count >= 2 && separator_row(lines[1].text, lines[1].length,
                                                shape->align);
    for (int i = 0; i < count; i++) {
        if (shape->header && i == 1)
            continue;
        int n = cnn_md_split_cells(lines[i].text, lines[i].length, cells);
        if (n > shape->columns)
            shape->columns = n;
        for (int c = 0; c < n; c++) {
            size_t w = text_width(cells[c].text, cells[c].length);
            if (w > widths[c])
                widths[c] = w;
        }
    }
    for (int c = 0; c < shape->columns; c++)
        shape->characters += widths[c];
}

static void tabular_part(FILE *out, const struct line *lines,
                         const struct table_shape *shape, int first, int last)
{
    fputs("\\begin{tabular}[t]{@{}", out);
    for (int c = 0; c < shape->columns; c++)
        fputc(shape->align[c], out);
    fputs("@{}}\n\\toprule\n", out);
    if (shape->header) {
        table_row(out, &lines[0], shape->columns);
        fputs("\\midrule\n", out);
    }
    for (int i = first; i < last; i++)
        table_row(out, &lines[i], shape->columns);
    fputs("\\bottomrule\n\\end{tabular}", out);
}

/* One pipe table as a booktabs tabular, scaled down if wider than the
 * line. A long narrow one (the 33 classes of the class-wise table) is
 * set in two halves side by side, each with the header. */
static void tabular(FILE *out, const struct line *lines, int count)
{
    struct table_shape shape;
    table_shape(lines, count, &shape);
    int body = shape.header ? 2 : 0;
    int rows = count - body;
    double width = (double)shape.characters * 4.5 + shape.columns * 12.0;
    int halves = rows > 20 && 2 * width + 24 <= TEXT_WIDTH_PT;
    int middle = body + (rows + 1) / 2;
    fputs("{\\centering\\cnnfit{", out);
    tabular_part(out, lines, &shape, body, halves ? middle : count);
    if (halves) {
        fputs("\\hspace{2em}", out);
        tabular_part(out, lines, &shape, middle, count);
    }
    fputs("}\\par}\n", out);
}

/* One long pipe table as a longtable, which breaks across pages, in a
 * font small enough for its width; with `caption_text`, the block's
 * caption. */
static void longtable(FILE *out, const struct line *lines, int count,
                      const char *caption_text)
{
    struct table_shape shape;
    table_shape(lines, count, &shape);
    fprintf(out, "\\begingroup%s\n\\begin{longtable}{@{}",
            font_for(shape.characters, shape.columns));
    for (int c = 0; c < shape.columns; c++)
        fputc(shape.align[c], out);
    fputs("@{}}\n", out);
    if (caption_text) {
        fputs("\\caption{", out);
        marked(out, caption_text);
        fputs("}\\\\\n", out);
    }
    fputs("\\toprule\n", out);
    int body = 0;
    if (shape.header) {
        table_row(out, &lines[0], shape.columns);
        fputs("\\midrule\n\\endfirsthead\n\\toprule\n", out);
        table_row(out, &lines[0], shape.columns);
        fputs("\\midrule\n\\endhead\n", out);
        body = 2;
    }
    fputs("\\bottomrule\n\\endlastfoot\n", out);
    for (int i = body; i < count; i++)
        table_row(out, &lines[i], shape.columns);
    fputs("\\end{longtable}\n\\endgroup\n\n", out);
}

/* Rows of the file's tables (separator rows not counted). */
static int table_rows(const char *content)
{
    int rows = 0;
    for (const char *p = content; *p;) {
        size_t length = strcspn(p, "\n");
        const char *q = cnn_md_skip_spaces(p);
        size_t rest = length - (size_t)(q - p);
        rows += *q == '|' && strspn(q, "|:- \t") < rest;
        p += length + (p[length] == '\n');
    }
    return rows;
}

/* The analysis's Markdown: headings as bold lines, paragraphs in a small
 * font, ``` blocks as typewriter text, tables as booktabs tables. When
 * its tables are short enough for a page, the caption and what comes up
 * to the first table stay together on one page and each table is kept
 * whole (the rest may break between them); a longer table is a
 * longtable, which breaks across pages, with the caption on top. */
static void analysis_markdown(FILE *out, const struct cnn_report_block *block)
{
    const char *caption_text = block->number > 0 ? block->text : NULL;
    int kept = caption_text && table_rows(block->content) <= FLOAT_ROWS;
    fputs("\\par\\begingroup\\small\n", out);
    if (!caption_text) {
        fputs("\\textbf{", out);
        marked(out, block->text);
        fputs("}\\par\n", out);
    } else if (kept) {
        fputs("\\noindent\\begin{minipage}{\\linewidth}\n"
              "\\setlength{\\parskip}{0.5\\baselineskip}\n"
              "\\captionof{table}{",
              out);
        marked(out, caption_text);
        fputs("}\n", out);
    }
    int open = kept; /* the minipage of the caption */
    const char *p = block->content;
    struct line lines[512];
    while (*p) {
        size_t length = strcspn(p, "\n");
        const char *content = cnn_md_skip_spaces(p);
        if (*content == '|') {
            int count = 0;
            while (*p && *cnn_md_skip_spaces(p) == '|' && count < 512) {
                lines[count].text = p;
                lines[count++].length = strcspn(p, "\n");
                p += lines[count - 1].length;
                p += *p == '\n';
            }
            if (kept) {
                fputs("\\par\\smallskip\n", out);
                tabular(out, lines, count);
                fputs(open ? "\\end{minipage}\\par\n" : "\\par\n", out);
                open = 0;
            } else {
                longtable(out, lines, count, caption_text);
                caption_text = NULL;
            }
            continue;
        }
        if (strncmp(content, "```", 3) == 0) {
            fputs("\\begin{alltt}\n", out);
            p += length + (p[length] == '\n');
            while (*p && strncmp(cnn_md_skip_spaces(p), "```", 3) != 0) {
                length = strcspn(p, "\n");
                listing_line(out, p, length);
                fputc('\n', out);
                p += length + (p[length] == '\n');
            }
            fputs("\\end{alltt}\n", out);
            length = strcspn(p, "\n");
        } else if (*content == '#') {
            const char *title = content + strspn(content, "#");
            title = cnn_md_skip_spaces(title);
            fputs("\\par\\textbf{", out);
            inline_markdown(out, title, length - (size_t)(title - p));
            fputs("}\\nopagebreak\\par\n", out);
        } else if (*content) {
            inline_markdown(out, content, length - (size_t)(content - p));
            fputc('\n', out);
        } else {
            fputs("\\par\n", out);
        }
        p += length + (p[length] == '\n');
    }
    fputs(open ? "\\end{minipage}\\par\n" : "", out);
    fputs("\\par\\endgroup\n\n", out);
}

/* ---- texts, figures, tables -------------------------------------------- */

static void listing(FILE *out, const struct cnn_report_block *block)
{
    size_t widest = 0;
    int lines = 0;
    for (const char *p = block->content; *p;) {
        size_t length = strcspn(p, "\n");
        size_t width = text_width(p, length);
        if (width > widest)
            widest = width;
        lines++;
        p += length + (p[length] == '\n');
    }
    /* A typewriter character is 0.525 em wide. */
    const char *font = widest * 0.525 * 8 <= TEXT_WIDTH_PT   ? "\\footnotesize"
                       : widest * 0.525 * 7 <= TEXT_WIDTH_PT ? "\\scriptsize"
                                                             : "\\tiny";
    /* A short text stays on one page with its caption. */
    int keep = lines <= 60;
    if (keep)
        fputs("\\par\\noindent\\begin{minipage}{\\linewidth}\n", out);
    fputs("\\captionof{listing}{", out);
    marked(out, block->text);
    fprintf(out, "}\n{%s\\begin{alltt}\n", font);
    for (const char *p = block->content; *p;) {
        size_t length = strcspn(p, "\n");
        listing_line(out, p, length);
        fputc('\n', out);
        p += length + (p[length] == '\n');
    }
    fputs("\\end{alltt}}\n", out);
    if (keep)
        fputs("\\end{minipage}\n", out);
    fputs("\n", out);
}

/* Pictures in rows of two (three when all are narrow), each with its file
 * name under it; one alone keeps its own size up to the line's width. */
static void figure(FILE *out, const struct cnn_report_block *block)
{
    int count = block->picture_count;
    int columns = 3;
    for (int i = 0; i < count; i++)
        if (block->pictures[i].width > 480)
            columns = 2;
    fputs("\\begin{figure}[H]\n\\centering\n", out);
    if (count == 1) {
        double fraction = block->pictures[0].width / 800.0;
        fprintf(out,
                "\\includegraphics[width=%.2f\\linewidth,height=0.45"
                "\\textheight,keepaspectratio]{%s}\n",
                fraction > 1 ? 1.0 : fraction, block->pictures[0].copy);
    }
    for (int i = 0; count > 1 && i < count; i++) {
        double width = columns == 3 ? 0.31 : 0.48;
        fprintf(out,
                "\\begin{minipage}[t]{%.2f\\linewidth}\\centering\n"
                "\\includegraphics[width=\\linewidth,height=0.26\\textheight,"
                "keepaspectratio]{%s}\\\\\n{\\scriptsize\\texttt{",
                width, block->pictures[i].copy);
        cnn_report_latex_escape(out, block->pictures[i].name,
                                strlen(block->pictures[i].name), 1);
        fputs("}}\n\\end{minipage}", out);
        fputs((i + 1) % columns == 0 && i + 1 < count ? "\n\n\\medskip\n"
              : i + 1 < count ? "\\hspace{0.02\\linewidth}"
                                "%\n"
                              : "\n",
              out);
    }
    fputs("\\caption{", out);
    marked(out, block->text);
    fputs("}\n\\end{figure}\n\n", out);
}

static void results_table(FILE *out, const struct cnn_report_block *block)
{
    fputs("\\begin{table}[H]\n\\centering\n\\caption{", out);
    marked(out, block->text);
    fputs("}\n\\cnnfit{%\n", out);
    cnn_table_format_latex(block->table, out);
    fputs("}\n\\end{table}\n\n", out);
}

static void fields_table(FILE *out, const struct cnn_report_block *block)
{
    fputs("\\begin{table}[H]\n\\caption{", out);
    marked(out, block->text);
    fputs("}\n\\small\\centering\n\\begin{tabular}{@{}lllrrr@{}}\n"
          "\\toprule\nlayer & type & output & rf size & jump & start "
          "\\\\\n\\midrule\n",
          out);
    for (int i = 0; i < block->field_count; i++) {
        const struct cnn_report_field *f = &block->fields[i];
        const char *cells[] = {f->name, f->type, f->output,
                               f->size, f->jump, f->start};
        for (int c = 0; c < 6; c++) {
            fputs(c ? " & " : "", out);
            escape(out, cells[c]);
        }
        fputs(" \\\\\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n\n", out);
}

static void heading(FILE *out, const char *command, const char *level,
                    const char *text)
{
    fprintf(out, "\\%s*{", command);
    marked(out, text);
    fputs("}\n", out);
    if (level) {
        fprintf(out, "\\phantomsection\\addcontentsline{toc}{%s}{", level);
        marked(out, text);
        fputs("}\n", out);
    }
}

/* About how many lines a block takes (paragraphs and notes two, a
 * listing its lines, a table its rows, a figure a third of a page). */
static int block_lines(const struct cnn_report_block *block)
{
    int lines = 0;
    switch (block->kind) {
    case CNN_REPORT_LISTING:
        for (const char *p = block->content; *p; p++)
            lines += *p == '\n';
        return lines * 4 / 5 + 4; /* \\footnotesize lines */
    case CNN_REPORT_MARKDOWN: return table_rows(block->content) + 6;
    case CNN_REPORT_RESULTS: return block->table->row_count + 8;
    case CNN_REPORT_FIELDS: return block->field_count + 8;
    case CNN_REPORT_FIGURE: return 22;
    default: return 2;
    }
}

/* Before a heading: a new page unless what follows it up to its first
 * table, listing or figure fits, so that a heading and the lines under
 * it never end a page apart from what they introduce. */
static void keep_with_next(FILE *out, const struct cnn_report_block *blocks,
                           int count)
{
    int lines = 3;
    for (int i = 1; i < count; i++) {
        lines += block_lines(&blocks[i]);
        if (blocks[i].kind != CNN_REPORT_PARAGRAPH &&
            blocks[i].kind != CNN_REPORT_NOTE)
            break;
    }
    /* Over a page's lines, no page would do: the text breaks anyway. */
    if (lines > 56)
        lines = 10;
    fprintf(out, "\\cnnneed{%d}\n", lines);
}

static void block_latex(FILE *out, const struct cnn_report_block *block)
{
    switch (block->kind) {
    case CNN_REPORT_PART:
        fputs("\\clearpage\n", out);
        heading(out, "section", "section", block->text);
        break;
    case CNN_REPORT_SECTION:
        heading(out, "subsection", "subsection", block->text);
        break;
    case CNN_REPORT_SUBSECTION:
        heading(out, "subsubsection", NULL, block->text);
        break;
    case CNN_REPORT_PARAGRAPH:
        marked(out, block->text);
        fputs("\n\n", out);
        break;
    case CNN_REPORT_NOTE:
        fputs("\\cnnnote{", out);
        marked(out, block->text);
        fputs("}\n\n", out);
        break;
    case CNN_REPORT_RESULTS: results_table(out, block); break;
    case CNN_REPORT_MARKDOWN: analysis_markdown(out, block); break;
    case CNN_REPORT_LISTING: listing(out, block); break;
    case CNN_REPORT_FIGURE: figure(out, block); break;
    case CNN_REPORT_FIELDS: fields_table(out, block); break;
    }
}

int cnn_report_write_latex(const struct cnn_report_document *doc, FILE *out)
{
    fputs(preamble, out);
    int first = 0;
    if (doc->count > 0 && doc->blocks[0].kind == CNN_REPORT_PARAGRAPH) {
        block_latex(out, &doc->blocks[0]);
        first = 1;
    }
    fputs("\\tableofcontents\n\n", out);
    for (int i = first; i < doc->count; i++) {
        enum cnn_report_block_kind kind = doc->blocks[i].kind;
        if (kind == CNN_REPORT_SECTION || kind == CNN_REPORT_SUBSECTION)
            keep_with_next(out, &doc->blocks[i], doc->count - i);
        block_latex(out, &doc->blocks[i]);
    }
    fputs("\\end{document}\n", out);
    return ferror(out) ? -1 : 0;
}
