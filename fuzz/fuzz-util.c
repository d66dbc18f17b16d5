/* cnnlab fuzzing — scratch files and the checks every harness makes. */
#define _GNU_SOURCE
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[256];

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* Empties and removes the scratch directory (regular files only: the
 * harnesses make nothing else). */
static void remove_scratch(void)
{
    DIR *directory = opendir(scratch);
    if (!directory)
        return;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", scratch, entry->d_name);
        unlink(path);
    }
    closedir(directory);
    rmdir(scratch);
}

const char *fuzz_scratch_directory(void)
{
    if (scratch[0])
        return scratch;
    struct stat info;
    const char *base = getenv("TMPDIR");
    if (stat("/dev/shm", &info) == 0 && S_ISDIR(info.st_mode)
        && access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    else if (!base || !*base)
        base = "/tmp";
    snprintf(scratch, sizeof scratch, "%s/cnnlab-fuzz-XXXXXX", base);
    if (!mkdtemp(scratch))
        fuzz_fail("cannot make a scratch directory under %s: %s", base,
                  strerror(errno));
    atexit(remove_scratch);
    return scratch;
}

void fuzz_scratch_path(char *path, size_t size, const char *name)
{
    int length = snprintf(path, size, "%s/%s", fuzz_scratch_directory(), name);
    if (length < 0 || (size_t)length >= size)
        fuzz_fail("scratch path for '%s' is too long", name);
}

void fuzz_write_file(const char *path, const void *bytes, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fuzz_fail("cannot write '%s': %s", path, strerror(errno));
    const uint8_t *next = bytes;
    while (size > 0) {
        ssize_t wrote = write(fd, next, size);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0)
            fuzz_fail("cannot write '%s': %s", path, strerror(errno));
        next += wrote;
        size -= (size_t)wrote;
    }
    if (close(fd) != 0)
        fuzz_fail("cannot write '%s': %s", path, strerror(errno));
}

void fuzz_remove_file(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT)
        fuzz_fail("cannot remove '%s': %s", path, strerror(errno));
}

void fuzz_check_error(int status, const struct cnn_error *err,
                      const char *what)
{
    if (status != 0 && (!err->failed || err->message[0] == '\0'))
        fuzz_fail("%s failed (%d) without saying why", what, status);
    if (status != 0) {
        /* The message is what the user reads: it must be formattable. */
        char text[CNN_ERROR_MESSAGE_MAX + CNN_ERROR_FILE_MAX + 32];
        cnn_error_format(err, text, sizeof text);
        if (strlen(text) == 0)
            fuzz_fail("%s: the formatted error is empty", what);
        /* To see why the inputs of a corpus fail (is a seed valid?). */
        if (getenv("CNNLAB_FUZZ_VERBOSE"))
            fprintf(stderr, "# %s: %s\n", what, text);
    }
}
