/* cnnlab — errors that say where and why.
 *
 * Every function that can fail returns int (0 ok, -1 failed) and fills a
 * struct cnn_error owned by the caller. Only main() prints and exits. */
#ifndef CNNLAB_ERROR_H
#define CNNLAB_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A place in a manifest (or on the command line). line and column are
 * 1-based; 0 means "unknown" and is not printed. */
struct cnn_mark {
    const char *file; /* not owned; points into long-lived storage */
    int line;
    int column;
};

#define CNN_ERROR_MESSAGE_MAX 2048
#define CNN_ERROR_FILE_MAX 512

struct cnn_error {
    int failed;                       /* 1 once set */
    char file[CNN_ERROR_FILE_MAX];    /* "" when the error has no place */
    int line, column;                 /* 0 when unknown */
    char message[CNN_ERROR_MESSAGE_MAX];
};

/* Sets a place-less error. Always returns -1, so `return cnn_error_set(...)`. */
int cnn_error_set(struct cnn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cnn_error_vset(struct cnn_error *err, const char *fmt, va_list ap);

/* Sets an error located at a manifest mark. Returns -1. */
int cnn_error_at(struct cnn_error *err, struct cnn_mark mark,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends context ("while loading model.safetensors: ") to an existing
 * message, keeping its place. Returns -1. */
int cnn_error_prefix(struct cnn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void cnn_error_clear(struct cnn_error *err);

/* Formats "file:line:column: message" (or just the message) into buf. */
const char *cnn_error_format(const struct cnn_error *err, char *buf,
                             unsigned long size);

#ifdef __cplusplus
}
#endif
#endif
