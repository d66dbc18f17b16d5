/* cnnlab — input files are regular files: see cnnlab/input_file.h. */
#include "cnnlab/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a plain file";
}

static int refuse(const char *path, mode_t mode, struct cnn_error *err)
{
    errno = 0;
    return cnn_error_set(err,
                         "'%s' is %s, not a regular file: cnnlab reads only "
                         "regular files; give the path of one",
                         path, kind_of(mode));
}

static int cannot_read(const char *path, int error, struct cnn_error *err)
{
    cnn_error_set(err, "cannot read '%s': %s", path, strerror(error));
    errno = error;
    return -1;
}

int cnn_input_open(const char *path, struct cnn_error *err)
{
    if (!path || !*path) {
        cnn_error_set(err, "cannot read '': an empty file name");
        errno = ENOENT;
        return -1;
    }
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer, forever. O_NOCTTY: a terminal never becomes ours. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return cannot_read(path, errno, err);
    struct stat info;
    if (fstat(fd, &info) != 0) {
        int error = errno;
        close(fd);
        return cannot_read(path, error, err);
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return refuse(path, info.st_mode, err);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int error = errno;
        close(fd);
        return cannot_read(path, error, err);
    }
    return fd;
}

FILE *cnn_input_fopen(const char *path, struct cnn_error *err)
{
    int fd = cnn_input_open(path, err);
    if (fd < 0)
        return NULL;
    FILE *file = fdopen(fd, "rb");
    if (!file) {
        int error = errno;
        close(fd);
        cannot_read(path, error, err);
        return NULL;
    }
    return file;
}

int cnn_input_check(const char *path, struct cnn_error *err)
{
    struct stat info;
    if (!path || !*path) {
        cnn_error_set(err, "cannot read '': an empty file name");
        errno = ENOENT;
        return -1;
    }
    if (stat(path, &info) != 0)
        return cannot_read(path, errno, err);
    if (!S_ISREG(info.st_mode))
        return refuse(path, info.st_mode, err);
    return 0;
}
