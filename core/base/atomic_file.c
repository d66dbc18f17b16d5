/* cnnlab — atomic file replacement: write "<dir>/.<name>.tmp-<pid>", make
 * it durable (fsync), rename it over "<dir>/<name>", fsync the directory.
 * A reader therefore sees the old file or the complete new one, never a
 * torn one, and a failed write (ENOSPC, EFBIG, EIO) leaves the old file. */
#include "cnnlab/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_internal.h"

/* The temporaries this process has open now, by device and inode, so
 * that a run directory's clean-up of stale ones (left by a killed run,
 * perhaps of the same PID) never removes one still being written here,
 * e.g. by a loader's background cache writer. */
struct open_temporary {
    dev_t device;
    ino_t inode;
    struct open_temporary *next;
};
static struct open_temporary *open_temporaries;
static pthread_mutex_t open_temporaries_lock = PTHREAD_MUTEX_INITIALIZER;

static void remember_temporary(int fd)
{
    struct stat info;
    struct open_temporary *entry = malloc(sizeof *entry);
    if (!entry || fstat(fd, &info) != 0) {
        free(entry);
        return;
    }
    entry->device = info.st_dev;
    entry->inode = info.st_ino;
    pthread_mutex_lock(&open_temporaries_lock);
    entry->next = open_temporaries;
    open_temporaries = entry;
    pthread_mutex_unlock(&open_temporaries_lock);
}

/* Called once the temporary is renamed or removed. */
static void forget_temporary(const struct stat *info)
{
    pthread_mutex_lock(&open_temporaries_lock);
    for (struct open_temporary **p = &open_temporaries; *p; p = &(*p)->next)
        if ((*p)->device == info->st_dev && (*p)->inode == info->st_ino) {
            struct open_temporary *gone = *p;
            *p = gone->next;
            free(gone);
            break;
        }
    pthread_mutex_unlock(&open_temporaries_lock);
}

int cnn_atomic_temporary_in_use(dev_t device, ino_t inode)
{
    int found = 0;
    pthread_mutex_lock(&open_temporaries_lock);
    for (struct open_temporary *p = open_temporaries; p && !found;
         p = p->next)
        found = p->device == device && p->inode == inode;
    pthread_mutex_unlock(&open_temporaries_lock);
    return found;
}

/* "dir/.name.tmp-PID" for "dir/name"; NULL when out of memory. */
static char *temp_name_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir_length = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_length;
    char pid_text[32];
    int pid_length = snprintf(pid_text, sizeof pid_text, "%ld",
                              (long)getpid());
    size_t size = dir_length + 1 + strlen(base) + strlen(".tmp-") +
                  (size_t)pid_length + 1;
    char *name = malloc(size);
    if (!name)
        return NULL;
    memcpy(name, path, dir_length);
    snprintf(name + dir_length, size - dir_length, ".%s.tmp-%s", base,
             pid_text);
    return name;
}

static void release(struct cnn_atomic_file *file)
{
    free(file->path);
    free(file->temp_path);
    file->path = NULL;
    file->temp_path = NULL;
    file->stream = NULL;
}

int cnn_atomic_open(struct cnn_atomic_file *file, const char *path,
                    struct cnn_error *err)
{
    file->stream = NULL;
    file->path = NULL;
    file->temp_path = NULL;
    size_t length = path ? strlen(path) : 0;
    if (length == 0 || path[length - 1] == '/')
        return cnn_error_set(err, "cannot write '%s': not a file name",
                             path ? path : "");
    file->path = strdup(path);
    file->temp_path = temp_name_for(path);
    if (!file->path || !file->temp_path) {
        release(file);
        return cnn_error_set(err, "cannot write '%s': out of memory", path);
    }
    int fd = open(file->temp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                  0644);
    if (fd < 0) {
        int error = errno;
        if (error == EEXIST)
            cnn_error_set(err,
                          "cannot write '%s': its temporary '%s' already "
                          "exists (another write is in progress, or a crash "
                          "left it: remove it)",
                          path, file->temp_path);
        else
            cnn_error_set(err, "cannot write '%s': %s", path,
                          strerror(error));
        release(file);
        return -1;
    }
    struct stat created;
    int known = fstat(fd, &created) == 0;
    remember_temporary(fd);
    file->stream = fdopen(fd, "wb");
    if (!file->stream) {
        if (known)
            forget_temporary(&created);
        int error = errno;
        close(fd);
        unlink(file->temp_path);
        release(file);
        return cnn_error_set(err, "cannot write '%s': %s", path,
                             strerror(error));
    }
    return 0;
}

/* stdio forgets errno once a failed fwrite returns, so when the stream's
 * error flag is all that is left, one more byte at the end of the doomed
 * temporary usually recovers the reason (ENOSPC, EFBIG). 0 if it does not. */
static int probe_write_error(int fd)
{
    if (fd < 0 || lseek(fd, 0, SEEK_END) < 0)
        return 0;
    if (write(fd, "", 1) < 0)
        return errno;
    return 0;
}

/* fsyncs the directory holding `path` so that the rename itself survives a
 * crash. Filesystems that cannot sync directories say EINVAL; that is no
 * failure of ours. */
static int sync_directory(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *directory;
    if (!slash)
        directory = strdup(".");
    else if (slash == path)
        directory = strdup("/");
    else
        directory = strndup(path, (size_t)(slash - path));
    if (!directory)
        return ENOMEM;
    int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(directory);
    if (fd < 0)
        return errno;
    int error = 0;
    if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
        error = errno;
    close(fd);
    return error;
}

static int fail_commit(struct cnn_atomic_file *file, int error,
                       struct cnn_error *err)
{
    if (error)
        cnn_error_set(err, "cannot write '%s': %s", file->path,
                      strerror(error));
    else
        cnn_error_set(err,
                      "cannot write '%s': a write to it failed (disk full "
                      "or file size limit?)",
                      file->path);
    unlink(file->temp_path);
    release(file);
    return -1;
}

int cnn_atomic_commit(struct cnn_atomic_file *file, struct cnn_error *err)
{
    if (!file->stream) {
        return cnn_error_set(err, "cannot write '%s': not open for writing",
                             file->path ? file->path : "(closed)");
    }
    FILE *stream = file->stream;
    int fd = fileno(stream);
    int error = 0;
    int failed = 0;
    struct stat temporary;
    int known = fstat(fd, &temporary) == 0;
    if (fflush(stream) != 0) {
        error = errno;
        failed = 1;
    } else if (ferror(stream)) {
        error = probe_write_error(fd);
        failed = 1;
    } else if (fsync(fd) != 0) {
        error = errno;
        failed = 1;
    }
    /* fclose can report a deferred write error (NFS), so its result
     * counts too. */
    if (fclose(stream) != 0 && !failed) {
        error = errno;
        failed = 1;
    }
    file->stream = NULL;
    if (!failed && rename(file->temp_path, file->path) != 0) {
        error = errno;
        failed = 1;
    }
    /* Renamed or (by fail_commit) removed: no longer ours to guard. */
    if (failed)
        fail_commit(file, error, err);
    if (known)
        forget_temporary(&temporary);
    if (failed)
        return -1;
    error = sync_directory(file->path);
    if (error) {
        /* The new file is already in place; only its durability is in
         * doubt, so say that rather than claim the write failed. */
        cnn_error_set(err,
                      "wrote '%s' but could not sync its directory: %s",
                      file->path, strerror(error));
        release(file);
        return -1;
    }
    release(file);
    return 0;
}

void cnn_atomic_abort(struct cnn_atomic_file *file)
{
    if (file->stream) {
        struct stat temporary;
        int known = fstat(fileno(file->stream), &temporary) == 0;
        fclose(file->stream);
        file->stream = NULL;
        if (file->temp_path)
            unlink(file->temp_path);
        if (known)
            forget_temporary(&temporary);
    }
    release(file);
}

int cnn_atomic_write(const char *path, const void *data, size_t size,
                     struct cnn_error *err)
{
    struct cnn_atomic_file file;
    if (cnn_atomic_open(&file, path, err) != 0)
        return -1;
    errno = 0;
    if (size > 0 && fwrite(data, 1, size, file.stream) != size) {
        int error = errno;
        cnn_error_set(err, "cannot write '%s': %s", path,
                      error ? strerror(error) : "short write");
        cnn_atomic_abort(&file);
        return -1;
    }
    return cnn_atomic_commit(&file, err);
}
