/* cnnlab — `cnnlab report`: one document for the writeup, made from
 * everything under a results directory (docs/cli.md, "cnnlab report").
 *
 * The experiments come in the order of the study (REPORT-SPEC: Part A
 * A.1-A.7, then Part B B.1-B.3, each recognised by the manifest its
 * results record), then any other experiment by name. Each shows its
 * manifest's description, its table, and for every run the analyses'
 * tables, texts (the model printout) and pictures, the receptive fields
 * of its model, with numbered captions naming the manifest, profile and
 * seeds behind them. A section of the study without results says so and
 * names the manifest that makes it; stale or incomplete variants are
 * marked as the table marks them.
 *
 * It writes <out>/report.md (GitHub Markdown), <out>/report.tex (article,
 * booktabs, graphicx), copies of the pictures in <out>/figures/ (both
 * documents link those), and <out>/report.pdf when pdflatex is found;
 * every file atomically. The documents depend only on the files on disk:
 * the same results give the same bytes. */
#ifndef CNNLAB_REPORT_H
#define CNNLAB_REPORT_H

#include "cnnlab/error.h"
#include "cnnlab/registry.h"

struct cnn_report_options {
    const char *results;  /* the results directory */
    const char *out;      /* where the documents go (made if need be) */
    int pdf;              /* 1: build report.pdf when pdflatex is found */
    const char *pdflatex; /* the program: a name looked up in PATH or a
                             path */
    /* The layer types, for the receptive fields; NULL: the document says
     * they could not be computed. */
    const struct cnn_registry *registry;
};

struct cnn_report_summary {
    int experiments; /* experiments shown */
    int missing;     /* sections of the study without results */
    int stale;       /* experiments with a stale or incomplete
                        variant */
    int tables, figures, listings;
    int pdf; /* 1 built, 0 not asked, -1 pdflatex not
                found */
};

/* Writes the documents. Errors (an unreadable results directory, a file
 * that cannot be written, pdflatex failing) name the file and what would
 * fix it. */
int cnn_report_write(const struct cnn_report_options *options,
                     struct cnn_report_summary *summary,
                     struct cnn_error *err);

#endif
