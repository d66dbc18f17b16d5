/* cnnlab — how errors and warnings reach the terminal: restrained colour
 * (only the "cnnlab:" of an error, red, or a warning, yellow; only on a
 * terminal, never with NO_COLOR, https://no-color.org, or TERM=dumb; the
 * words are the same with and without it), and the text with its control
 * characters shown, never sent (cnn_cli_print_message). */
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
    fprintf(stderr, "%scnnlab:%s ", cnn_cli_colour(CNN_CLI_WARNING),
            cnn_cli_colour_end());
    cnn_cli_print_message(stderr, text);
    fputc('\n', stderr);
}

/* Messages carry file names, tensor names and manifest values as they
 * were given: a name holding an escape sequence could clear the screen or
 * a newline fake a log line. Control characters (C0, DEL, and C1 as UTF-8
 * C2 80..C2 9F) are written as \xNN / \u00NN; everything else as it is. */
void cnn_cli_print_message(FILE *stream, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            fprintf(stream, "\\x%02x", *c);
        else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
            fprintf(stream, "\\u00%02x", *++c);
        else
            fputc(*c, stream);
    }
}
