/* cnnlab — how the command speaks besides its results: colour for errors
 * and warnings on a terminal (cli_colour.c), the --json event stream
 * (cli_events.c) and the progress line on a terminal (cli_progress.c).
 * docs/cli.md describes all three. */
#ifndef CNNLAB_CLI_OUTPUT_H
#define CNNLAB_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "run/runner.h"

/* --- colour (stderr only) --- */

enum cnn_cli_tone { CNN_CLI_ERROR, CNN_CLI_WARNING };

/* The escape that starts the tone's colour on stderr, or "" when stderr
 * is not a terminal, NO_COLOR is set (to anything but "") or TERM is
 * "dumb". cnn_cli_colour_end() is the matching reset, or "". */
const char *cnn_cli_colour(enum cnn_cli_tone tone);
const char *cnn_cli_colour_end(void);
/* Writes `text` with its control characters shown as \xNN (or \u00NN for
 * C1 ones) rather than sent to the terminal. */
void cnn_cli_print_message(FILE *stream, const char *text);

/* A warning: "cnnlab: TEXT" on stderr (the prefix coloured), or a "note"
 * event with --json. */
void cnn_cli_warn(const char *text);

/* --- --json events (one JSON object a line on stdout) --- */

/* From here on stdout carries events only; set before anything prints. */
void cnn_cli_events_enable(void);
int cnn_cli_events_enabled(void);

/* Each writes one event line and flushes; out of memory drops the event
 * rather than the run. */
void cnn_cli_event_error(const char *message);
void cnn_cli_event_note(const char *message);
/* The seed of the run whose events follow, for a manifest with `seeds:`:
 * run_start, epoch_end, analysis and run_end then carry "seed" beside
 * "variant". `repeated` 0: they carry none (a manifest without seeds). */
void cnn_cli_event_run_seed(int repeated, unsigned long long seed);
void cnn_cli_event_run_start(const char *experiment, const char *variant,
                             const char *directory, long parameters,
                             int threads);
void cnn_cli_event_epoch_end(const char *experiment, const char *variant,
                             const struct cnn_epoch_metrics *metrics,
                             int epochs, int is_selected);
/* One "analysis" event for each outcome in DIRECTORY/run.json's
 * "analyses", then "run_end"; status is "complete", "skipped" or
 * "failed". */
void cnn_cli_event_run_end(const char *experiment, const char *variant,
                           const char *status,
                           const struct cnn_run_summary *summary);
void cnn_cli_event_table(const char *directory, int complete, int variants);
void cnn_cli_event_exit(int exit_status);

/* --- progress line (terminal only) --- */

struct cnn_cli_progress {
    int epoch;                 /* the epoch the rate below belongs to */
    long first_done;           /* images done at the epoch's first report */
    double first_time;         /* and when (seconds, monotonic) */
    double last_epoch_seconds; /* wall time of the last whole epoch, its
                                  evaluation included; 0: none yet */
};

/* Writes the line for `done` of `total` training images of `epoch` at
 * time `now` into text (at most `columns` characters shown): label,
 * epoch, a bar, the counts, running loss and accuracy, images per second
 * and the ETA of the epoch and of the whole run, both from the rate
 * measured since the epoch's first report, so they exclude start-up and
 * a resumed epoch's earlier part. */
void cnn_cli_progress_format(struct cnn_cli_progress *state, char *text,
                             size_t size, int columns, const char *label,
                             int epoch, int epochs, long done, long total,
                             double loss, double accuracy, double now);

/* The terminal's width on stderr; 80 when unknown. */
int cnn_cli_terminal_columns(void);

#endif
