/* cnnlab — struct cnn_error: a message, and where it applies. */
#include <stdio.h>
#include <string.h>

#include "cnnlab/error.h"

int cnn_error_vset(struct cnn_error *err, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    err->failed = 1;
    err->file[0] = '\0';
    err->line = err->column = 0;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return -1;
}

int cnn_error_set(struct cnn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cnn_error_vset(err, fmt, ap);
    va_end(ap);
    return -1;
}

int cnn_error_at(struct cnn_error *err, struct cnn_mark mark,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cnn_error_vset(err, fmt, ap);
    va_end(ap);
    if (err && mark.file) {
        snprintf(err->file, sizeof err->file, "%s", mark.file);
        err->line = mark.line;
        err->column = mark.column;
    }
    return -1;
}

int cnn_error_prefix(struct cnn_error *err, const char *fmt, ...)
{
    char prefix[CNN_ERROR_MESSAGE_MAX];
    char old[CNN_ERROR_MESSAGE_MAX];
    va_list ap;

    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    snprintf(err->message, sizeof err->message, "%s%s", prefix, old);
    err->failed = 1;
    return -1;
}

void cnn_error_clear(struct cnn_error *err)
{
    if (!err)
        return;
    err->failed = 0;
    err->file[0] = '\0';
    err->line = err->column = 0;
    err->message[0] = '\0';
}

const char *cnn_error_format(const struct cnn_error *err, char *buf,
                             unsigned long size)
{
    if (!err->file[0])
        snprintf(buf, size, "%s", err->message);
    else if (err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line,
                 err->column, err->message);
    else if (err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->message);
    else
        snprintf(buf, size, "%s: %s", err->file, err->message);
    return buf;
}
