/* cnnlab — the progress line `cnnlab run` redraws on a terminal: a bar
 * sized to the terminal and ETAs from the measured rate. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli_output.h"

int cnn_cli_terminal_columns(void)
{
    struct winsize size;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    return 80;
}

/* "m:ss", or "h:mm:ss" from an hour on; "--:--" while unknown. */
static void format_duration(char *text, size_t size, double seconds)
{
    if (seconds < 0 || seconds > 360000.0) {
        snprintf(text, size, "--:--");
        return;
    }
    long total = (long)(seconds + 0.5);
    if (total >= 3600)
        snprintf(text, size, "%ld:%02ld:%02ld", total / 3600,
                 total / 60 % 60, total % 60);
    else
        snprintf(text, size, "%ld:%02ld", total / 60, total % 60);
}

void cnn_cli_progress_format(struct cnn_cli_progress *state, char *text,
                             size_t size, int columns, const char *label,
                             int epoch, int epochs, long done, long total,
                             double loss, double accuracy, double now)
{
    if (state->epoch != epoch) {
        state->epoch = epoch;
        state->first_done = done;
        state->first_time = now;
    }
    /* The first report of an epoch only starts the clock: its time holds
     * start-up (threads, the first batch's data) that later batches do
     * not pay. */
    double rate = -1;
    if (done > state->first_done && now > state->first_time)
        rate = (double)(done - state->first_done) / (now - state->first_time);
    double epoch_left = rate > 0 ? (double)(total - done) / rate : -1;
    /* Later epochs cost what the last whole one did (its evaluation
     * included); before one has ended, the training rate alone. */
    double per_epoch = state->last_epoch_seconds > 0
                           ? state->last_epoch_seconds
                           : (rate > 0 ? (double)total / rate : -1);
    double run_left = epoch_left >= 0 && per_epoch >= 0
                          ? epoch_left + per_epoch * (epochs - epoch)
                          : -1;
    char epoch_eta[16], run_eta[16], rate_text[32];
    format_duration(epoch_eta, sizeof epoch_eta, epoch_left);
    format_duration(run_eta, sizeof run_eta, run_left);
    if (rate > 0)
        snprintf(rate_text, sizeof rate_text, "%.0f", rate);
    else
        snprintf(rate_text, sizeof rate_text, "-");
    int percent = total > 0 ? (int)(100 * done / total) : 0;

    char head[320], tails[3][192];
    snprintf(head, sizeof head, "%s epoch %d/%d ", label, epoch, epochs);
    /* Fixed widths keep the line, and so the bar, from changing size as
     * the numbers change. */
    int digits = snprintf(NULL, 0, "%ld", total);
    snprintf(tails[0], sizeof tails[0],
             " %3d%% %*ld/%ld loss %7.4f acc %6.2f%% %6s img/s ETA %5s run "
             "%5s",
             percent, digits, done, total, loss, accuracy, rate_text,
             epoch_eta, run_eta);
    snprintf(tails[1], sizeof tails[1],
             " %3d%% loss %6.4f acc %5.1f%% ETA %5s run %5s", percent, loss,
             accuracy, epoch_eta, run_eta);
    snprintf(tails[2], sizeof tails[2], " %3d%% ETA %5s run %5s", percent,
             epoch_eta, run_eta);
    /* The line must fit: a wrapped line would not be redrawn in place.
     * The bar takes what the words leave, within 10..40 cells, and the
     * words give up the counts, then loss and accuracy, to keep it; on a
     * terminal too narrow even then, the bar goes and the line is cut. */
    const char *tail = tails[2];
    int width = 0;
    for (int k = 0; k < 3; k++) {
        int room = columns - 1 - (int)strlen(head) - (int)strlen(tails[k]) -
                   2;
        if (room >= 10 || k == 2) {
            tail = tails[k];
            width = room > 40 ? 40 : room;
            break;
        }
    }
    char bar[48] = "";
    if (width >= 10) {
        int filled = total > 0 ? (int)((long)width * done / total) : 0;
        bar[0] = '[';
        for (int i = 0; i < width; i++)
            bar[i + 1] = i < filled ? '=' : (i == filled ? '>' : ' ');
        bar[width + 1] = ']';
        bar[width + 2] = '\0';
    }
    snprintf(text, size, "%s%s%s", head, bar, tail);
    if (columns > 1 && (size_t)columns - 1 < size)
        text[columns - 1] = '\0';
}
