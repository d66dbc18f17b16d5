/* cnnlab — paths made with snprintf are checked: a path cut to fit its
 * buffer names another file (a variant's directory cut to its sibling's
 * name), so a path that does not fit is an error, never a shorter path. */
#ifndef CNNLAB_CORE_PATH_H
#define CNNLAB_CORE_PATH_H

#include <stddef.h>

#include "cnnlab/error.h"

/* snprintf into `buf`; 0, or -1 with `err` set (the beginning of the
 * path, its length and the limit) when it would not fit or is empty. */
int cnn_path_format(char *buf, size_t size, struct cnn_error *err,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "directory/name", allocated (free it); NULL when out of memory. For
 * paths with no fixed limit. */
char *cnn_path_join(const char *directory, const char *name);

#endif
