/* cnnlab — the pieces of `cnnlab report` (report.h): what is found under
 * the results directory (report_discover.c), the document as a list of
 * blocks with their numbers and captions (report_blocks.c), and the two
 * writers that render the same blocks (report_markdown.c, report_latex.c),
 * so that Markdown and LaTeX number every table and figure alike. */
#ifndef CNNLAB_REPORT_INTERNAL_H
#define CNNLAB_REPORT_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "cnnlab/error.h"
#include "cnnlab/registry.h"
#include "report/table.h"

/* ---- text with marks ----------------------------------------------------
 * The document's own sentences are built as one string in which these
 * bytes mark spans; everything taken from a file is added through
 * cnn_report_text_plain/code, which turn control characters into spaces,
 * so a file can never forge a mark. Each writer escapes the spans for its
 * format. */
#define CNN_REPORT_CODE_ON '\001' /* `code` / \texttt */
#define CNN_REPORT_CODE_OFF '\002'
#define CNN_REPORT_EMPH_ON '\003' /* **strong** / \textbf */
#define CNN_REPORT_EMPH_OFF '\004'

struct cnn_report_text {
    char *data; /* '\0'-terminated; NULL until written */
    size_t length, capacity;
    int failed; /* out of memory */
};

void cnn_report_text_plain(struct cnn_report_text *text, const char *plain);
void cnn_report_text_code(struct cnn_report_text *text, const char *code);
void cnn_report_text_emph(struct cnn_report_text *text, const char *plain);
void cnn_report_text_printf(struct cnn_report_text *text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The string (the caller owns it), or NULL when out of memory. */
char *cnn_report_text_take(struct cnn_report_text *text);

/* ---- what the results hold ---------------------------------------------- */

/* A section of the study (REPORT-SPEC). */
struct cnn_report_spec {
    char part;            /* 'A' or 'B' */
    const char *section;  /* "A.1" */
    const char *title;    /* "Number of conv layers" */
    const char *manifest; /* "experiments/part-a/conv-layers.yaml" */
};

extern const struct cnn_report_spec cnn_report_specs[];
extern const int cnn_report_spec_count;

/* One run directory: <experiment>/<variant>, or with seeds
 * <experiment>/<variant>/seed-<s>. */
struct cnn_report_run {
    char *directory;  /* the path */
    char *label;      /* "conv-layers/1-conv[/seed-2]" */
    json_t *info;     /* run.json; NULL when missing or unreadable */
    char *info_error; /* why run.json could not be read */
    char **files;     /* regular files, by cnn_pages_name_compare */
    int file_count;
};

struct cnn_report_variant {
    struct cnn_report_run *runs;
    int run_count;
};

/* One experiment: the results of one manifest in results/<name>/. */
struct cnn_report_experiment {
    const struct cnn_report_spec *spec; /* NULL: not a section of the study */
    char *name;                         /* the directory's name */
    char *directory;                    /* results/<name> */
    char *manifest;         /* the manifest's path as recorded; NULL */
    char *description;      /* the manifest's description; NULL */
    char *error;            /* why the table could not be read; NULL */
    struct cnn_table table; /* rows in table order */
    struct cnn_report_variant *variants; /* one per table row */
    /* Not NULL: results/<name> also holds another manifest's runs (two
     * manifests with the same name), said in the document. */
    char *shared_with;
    int rebuilt; /* 1: this table is rebuilt from run.json
                    files, not from experiment.yaml */
};

struct cnn_report_results {
    struct cnn_report_experiment *experiments; /* in document order */
    int count;
};

/* Reads every experiment under `results`, in the document's order. */
int cnn_report_discover(const char *results, struct cnn_report_results *found,
                        struct cnn_error *err);
void cnn_report_results_free(struct cnn_report_results *found);

/* ---- the document ------------------------------------------------------- */

enum cnn_report_block_kind {
    CNN_REPORT_PART,       /* text: "Part A: ..." */
    CNN_REPORT_SECTION,    /* an experiment or a missing section */
    CNN_REPORT_SUBSECTION, /* a run */
    CNN_REPORT_PARAGRAPH,  /* text */
    CNN_REPORT_NOTE,       /* text: missing, stale, failed, ... */
    CNN_REPORT_RESULTS,    /* the experiment's table */
    CNN_REPORT_MARKDOWN,   /* an analysis's *.md */
    CNN_REPORT_LISTING,    /* an analysis's *.txt (the model printout) */
    CNN_REPORT_FIGURE,     /* pictures */
    CNN_REPORT_FIELDS,     /* receptive fields of a model's layers */
};

struct cnn_report_picture {
    char *source;      /* the run's file */
    char *name;        /* its file name */
    char *copy;        /* "figures/007-curves-loss.png" */
    int width, height; /* pixels (PNG header) */
};

/* One row of a receptive-field table, as `cnnlab rf` prints it. */
struct cnn_report_field {
    char name[64], type[64], output[48], size[32], jump[32], start[32];
};

struct cnn_report_block {
    enum cnn_report_block_kind kind;
    int number;                    /* Table/Figure/Listing number; 0: none */
    char *text;                    /* heading, paragraph or caption (marked) */
    char *anchor;                  /* headings: the Markdown anchor */
    char *content;                 /* MARKDOWN, LISTING: the file's text */
    const struct cnn_table *table; /* RESULTS */
    struct cnn_report_picture *pictures; /* FIGURE */
    int picture_count;
    struct cnn_report_field *fields; /* FIELDS */
    int field_count;
    char *fields_input; /* FIELDS: "[3, 84, 84]" */
};

struct cnn_report_document {
    const char *results;
    struct cnn_report_block *blocks;
    int count, capacity;
    int tables, figures, listings, pictures, missing, stale, experiments;
};

/* Builds the blocks for what was found; reads the analyses' texts and the
 * pictures' sizes, and computes receptive fields with `registry` (NULL:
 * a note says they could not be). */
int cnn_report_build(struct cnn_report_document *document, const char *results,
                     const struct cnn_report_results *found,
                     const struct cnn_registry *registry,
                     struct cnn_error *err);
void cnn_report_document_free(struct cnn_report_document *document);

/* A run's receptive fields from its manifest.yaml's model: 0 and the
 * rows (free them), or -1 with err saying why. */
int cnn_report_fields(const struct cnn_registry *registry,
                      const char *run_directory,
                      struct cnn_report_field **fields, int *count,
                      char *input, size_t input_size, struct cnn_error *err);

/* The writers: the whole document to `out`. */
int cnn_report_write_markdown(const struct cnn_report_document *document,
                              FILE *out);
int cnn_report_write_latex(const struct cnn_report_document *document,
                           FILE *out);

/* LaTeX text: the special characters escaped, "--" kept apart, and a
 * character pdflatex (T1, utf8) cannot set shown as "?". `breakable`
 * allows a line break after '/', '_' and a '-' inside a word (paths in
 * \texttt). */
void cnn_report_latex_escape(FILE *out, const char *text, size_t length,
                             int breakable);
/* Markdown text: what could start markup backslash-escaped. */
void cnn_report_markdown_escape(FILE *out, const char *text, size_t length);

/* report.pdf from report.tex in `out`: pdflatex twice in a scratch
 * folder, then the PDF renamed into place. 1: pdflatex not found. */
int cnn_report_pdf(const char *out, const char *pdflatex,
                   struct cnn_error *err);

#endif
