/* cnnlab — files written whole or not at all (results, the loaders'
 * caches): written to a temporary name in the same directory and renamed
 * into place, so an interrupted or failed write (ENOSPC) never leaves a
 * half-written file and never damages the previous version. */
#ifndef CNNLAB_ATOMIC_FILE_H
#define CNNLAB_ATOMIC_FILE_H

#include <stdio.h>

#include "error.h"

struct cnn_atomic_file {
    FILE *stream;        /* write here */
    char *path;          /* the final name */
    char *temp_path;     /* "<dir>/.<name>.tmp-<pid>" */
};

int cnn_atomic_open(struct cnn_atomic_file *file, const char *path,
                    struct cnn_error *err);
/* Flushes, fsyncs and renames; any write error seen so far (including
 * ENOSPC at flush) fails here, removes the temporary and names the file. */
int cnn_atomic_commit(struct cnn_atomic_file *file, struct cnn_error *err);
/* Removes the temporary; for error paths. Safe after commit. */
void cnn_atomic_abort(struct cnn_atomic_file *file);

/* Whole-buffer convenience: writes `size` bytes atomically. */
int cnn_atomic_write(const char *path, const void *data, size_t size,
                     struct cnn_error *err);

#endif
