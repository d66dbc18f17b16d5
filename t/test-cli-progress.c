/* The terminal progress line (core/cli/cli_progress.c): ETAs from the rate
 * measured since an epoch's first report, the bar fitting the terminal. */
#include <string.h>

#include "cli/cli_output.h"
#include "tap.h"

static char line[1024];

static void draw(struct cnn_cli_progress *state, int columns, int epoch,
                 long done, double now)
{
    cnn_cli_progress_format(state, line, sizeof line, columns, "exp/main",
                            epoch, 3, done, 1000, 0.5, 80.0, now);
}

int main(void)
{
    struct cnn_cli_progress state = {0};
    /* The epoch's first report starts the clock: no rate, no ETA yet. */
    draw(&state, 200, 1, 100, 10.0);
    ok(strstr(line, "ETA --:-- run --:--") != NULL,
       "no ETA before a rate is measured: %s", line);
    /* 100 images in 1 s: 8 s left in the epoch, and two more epochs of
     * 1000 images at that rate, 20 s: 28 s in all. Exact: no tolerance,
     * the times are given, not measured. */
    draw(&state, 200, 1, 200, 11.0);
    ok(strstr(line, "ETA  0:08 run  0:28") != NULL,
       "ETA of the epoch and the run from the batch rate: %s", line);
    ok(strstr(line, "100 img/s") != NULL, "rate shown: %s", line);
    ok(strstr(line, "200/1000") != NULL, "counts shown: %s", line);
    /* 200 columns leave the bar its most, 40 cells: 8 of them done. */
    ok(strstr(line, "[========>       ") != NULL, "bar 20%% filled: %s",
       line);
    /* After a whole epoch of 50 s (evaluation included), later epochs
     * are taken to cost that. */
    state.last_epoch_seconds = 50;
    draw(&state, 200, 2, 0, 100.0);
    draw(&state, 200, 2, 500, 105.0);
    ok(strstr(line, "ETA  0:05 run  0:55") != NULL,
       "later epochs cost the last whole epoch's time: %s", line);
    /* An hour and more shows hours: 1 image in 10 s, 999 left. */
    draw(&state, 200, 3, 0, 300.0);
    draw(&state, 200, 3, 1, 310.0);
    ok(strstr(line, "ETA 2:46:30") != NULL, "hours shown: %s", line);
    /* Narrow terminals: the words give way, the line never wraps. */
    int widths[] = {120, 80, 60, 40, 20};
    for (int i = 0; i < 5; i++) {
        draw(&state, widths[i], 2, 600, 210.0);
        ok((int)strlen(line) <= widths[i] - 1,
           "fits %d columns (%zu chars): %s", widths[i], strlen(line),
           line);
    }
    draw(&state, 80, 2, 600, 210.0);
    ok(strchr(line, '[') != NULL && strstr(line, "ETA") != NULL,
       "80 columns keep the bar and the ETA: %s", line);
    return done_testing();
}
