/* cnnlab — restrained colour: only the "cnnlab:" of an error (red) or a
 * warning (yellow), only on a terminal, never with NO_COLOR
 * (https://no-color.org) or TERM=dumb. The words are the same with and
 * without colour, so nothing that reads them depends on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_output.h"

static int colour_wanted(void)
{
    static int decided = -1;
    if (decided < 0) {
        const char *no_colour = getenv("NO_COLOR");
        const char *term = getenv("TERM");
        decided = isatty(STDERR_FILENO) &&
                  !(no_colour && no_colour[0] != '\0') &&
                  !(term && strcmp(term, "dumb") == 0);
    }
    return decided;
}

const char *cnn_cli_colour(enum cnn_cli_tone tone)
{
    if (!colour_wanted())
        return "";
    return tone == CNN_CLI_ERROR ? "\033[1;31m" : "\033[1;33m";
}

const char *cnn_cli_colour_end(void)
{
    return colour_wanted() ? "\033[0m" : "";
}

void cnn_cli_warn(const char *text)
{
    if (cnn_cli_events_enabled()) {
        cnn_cli_event_note(text);
        return;
    }
    fflush(stdout);
    fprintf(stderr, "%scnnlab:%s %s\n", cnn_cli_colour(CNN_CLI_WARNING),
            cnn_cli_colour_end(), text);
}
