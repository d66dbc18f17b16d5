/* cnnlab — opening input files: only regular files are read.
 *
 * A FIFO, a device, a socket or a folder where a file is expected would
 * block an open() or read() forever (a FIFO with no writer) or feed it
 * endless bytes (/dev/zero), so every reader of a file named by a user
 * (manifests, data, checkpoints, caches, plugins, results) opens it here:
 * without blocking, checked with fstat, then switched back to blocking.
 * A refusal names the file and its kind: "'x.jpg' is a FIFO, not a
 * regular file: ...". errno is left as the failing call set it (0 when
 * the file exists but is not a regular file). */
#ifndef CNNLAB_INPUT_FILE_H
#define CNNLAB_INPUT_FILE_H

#include <stdio.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A read-only, close-on-exec descriptor of the regular file `path`, or
 * -1 with `err` set ("cannot read 'path': <reason>" or the refusal). */
int cnn_input_open(const char *path, struct cnn_error *err);

/* The same as a stdio stream ("rb"); NULL with `err` set. */
FILE *cnn_input_fopen(const char *path, struct cnn_error *err);

/* For a path handed to another library that opens it itself (dlopen):
 * 0 when `path` names a regular file (after symbolic links), else -1 with
 * `err` set as above. */
int cnn_input_check(const char *path, struct cnn_error *err);

#ifdef __cplusplus
}
#endif
#endif
