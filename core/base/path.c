/* cnnlab — checked path formatting: see path.h. */
#include "base/path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cnn_path_format(char *buf, size_t size, struct cnn_error *err,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int length = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (length < 0)
        return cnn_error_set(err, "cannot make a path from '%s'", fmt);
    if (length == 0)
        return cnn_error_set(err, "a path came out empty: give a file or "
                                  "folder name");
    if ((size_t)length >= size) {
        /* buf holds the path's beginning, cut: name it, and say so. */
        return cnn_error_set(err,
                             "the path '%.200s...' would be %d bytes long; "
                             "cnnlab takes paths of up to %zu bytes here: "
                             "use a shorter --out, data.root or file name",
                             size ? buf : "", length, size ? size - 1 : 0);
    }
    return 0;
}

char *cnn_path_join(const char *directory, const char *name)
{
    size_t size = strlen(directory) + strlen(name) + 2;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%s/%s", directory, name);
    return path;
}
