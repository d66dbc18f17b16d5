/* cnnlab — the command line's options with values, shared by every
 * command. */
#include <string.h>

#include "cli/cli.h"

int cnn_cli_option_value(int argc, char **argv, int *i, const char *name,
                         const char **value)
{
    size_t length = strlen(name);
    if (strncmp(argv[*i], name, length) != 0)
        return 0;
    if (argv[*i][length] == '=') {
        *value = argv[*i] + length + 1;
        return 1;
    }
    if (argv[*i][length] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}
