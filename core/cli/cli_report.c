/* cnnlab — `cnnlab report [RESULTS_DIR] [--out DIR] [--no-pdf]`: one
 * document for the writeup from everything under the results directory
 * (report/report.h, docs/cli.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "report/report.h"

static const char report_help[] =
    "Usage: cnnlab report [RESULTS_DIR] [--out DIR] [--no-pdf]\n"
    "Writes one document of every experiment under RESULTS_DIR (default:\n"
    "results), in the study's order (Part A, Part B, then the others):\n"
    "DIR/report.md, DIR/report.tex, the pictures in DIR/figures/, and\n"
    "DIR/report.pdf when pdflatex is found (PDFLATEX names another\n"
    "program; --no-pdf skips it). DIR defaults to report. Trains nothing\n"
    "(docs/cli.md).\n";

static int usage(const char *text, const char *detail)
    __attribute__((format(printf, 1, 0)));

static int usage(const char *text, const char *detail)
{
    char message[1024];
    snprintf(message, sizeof message, text, detail);
    fprintf(stderr, "%scnnlab:%s ", cnn_cli_colour(CNN_CLI_ERROR),
            cnn_cli_colour_end());
    /* An argument's control characters are shown, not sent. */
    cnn_cli_print_message(stderr, message);
    fputs("\nTry 'cnnlab report --help'.\n", stderr);
    return CNN_EXIT_USAGE;
}

static void print_written(const struct cnn_report_options *options,
                          const struct cnn_report_summary *summary)
{
    printf("report: %s/report.md, report.tex%s (%d experiment%s, %d table%s, "
           "%d figure%s, %d listing%s)\n",
           options->out, summary->pdf == 1 ? ", report.pdf" : "",
           summary->experiments, summary->experiments == 1 ? "" : "s",
           summary->tables, summary->tables == 1 ? "" : "s", summary->figures,
           summary->figures == 1 ? "" : "s", summary->listings,
           summary->listings == 1 ? "" : "s");
    fflush(stdout);
    char text[512];
    if (summary->missing > 0) {
        snprintf(text, sizeof text,
                 "note: %d of the study's sections have no results under "
                 "'%s'; the document names the manifest that makes each",
                 summary->missing, options->results);
        cnn_cli_warn(text);
    }
    if (summary->stale > 0) {
        snprintf(text, sizeof text,
                 "note: %d experiment%s stale or incomplete variants; the "
                 "document marks them",
                 summary->stale, summary->stale == 1 ? " has" : "s have");
        cnn_cli_warn(text);
    }
    if (summary->pdf < 0) {
        snprintf(text, sizeof text,
                 "note: no report.pdf: %s is not installed (scripts/"
                 "install-deps installs it: texlive-latex-base, "
                 "texlive-latex-recommended, lmodern)",
                 options->pdflatex);
        cnn_cli_warn(text);
    }
}

int cnn_cli_report_document(int argc, char **argv)
{
    struct cnn_report_options options = {"results", "report", 1, "pdflatex",
                                         NULL};
    const char *program = getenv("PDFLATEX");
    if (program && *program)
        options.pdflatex = program;
    int given = 0;
    for (int i = 2; i < argc; i++) {
        const char *value = NULL;
        int found = cnn_cli_option_value(argc, argv, &i, "--out", &value);
        if (found < 0)
            return usage("%s", "--out needs a folder");
        if (found && !value[0])
            return usage("%s", "--out is empty: give the folder for the "
                               "report (an unset shell variable?)");
        if (found) {
            options.out = value;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            fputs(report_help, stdout);
            return CNN_EXIT_OK;
        } else if (strcmp(argv[i], "--no-pdf") == 0) {
            options.pdf = 0;
        } else if (argv[i][0] == '-') {
            return usage("unknown option '%s' for report", argv[i]);
        } else if (given++) {
            return usage("report reads one results directory; '%s' is a "
                         "second",
                         argv[i]);
        } else if (!argv[i][0]) {
            return usage("%s", "the results directory is empty (an unset "
                               "shell variable?)");
        } else {
            options.results = argv[i];
        }
    }
    /* The layer plugins give the receptive fields; without them the
     * document says they could not be computed. */
    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_error err = {0};
    if (registry && cnn_registry_load_default(registry, &err) < 0) {
        char text[CNN_ERROR_MESSAGE_MAX + 64];
        snprintf(text, sizeof text,
                 "warning: no receptive fields in the report: %s",
                 err.message);
        cnn_cli_warn(text);
        cnn_registry_free(registry);
        registry = NULL;
        cnn_error_clear(&err);
    }
    options.registry = registry;
    struct cnn_report_summary summary;
    int status = cnn_report_write(&options, &summary, &err);
    cnn_registry_free(registry);
    if (status < 0) {
        cnn_cli_report(&err);
        return CNN_EXIT_RUN_FAILED;
    }
    print_written(&options, &summary);
    return CNN_EXIT_OK;
}
