/* Atomic file replacement: a commit swaps in the complete new file, and
 * every failure (missing directory, a stale temporary, writes refused by
 * the kernel) leaves the old file as it was and no temporary behind.
 * Tests run as root, so write failures come from RLIMIT_FSIZE (EFBIG), not
 * from permissions. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cnnlab/atomic_file.h"
#include "tap.h"

static char directory[256];

static void path_in_dir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", directory, name);
}

/* The whole file as a string ("" if missing); caller frees. */
static char *slurp(const char *path)
{
    FILE *stream = fopen(path, "rb");
    char *text = calloc(1, 1 << 20);
    if (!text)
        exit(2);
    if (stream) {
        size_t n = fread(text, 1, (1 << 20) - 1, stream);
        text[n] = '\0';
        fclose(stream);
    }
    return text;
}

static void put(const char *path, const char *text)
{
    FILE *stream = fopen(path, "wb");
    if (!stream || fputs(text, stream) == EOF || fclose(stream) != 0) {
        perror(path);
        exit(2);
    }
}

/* Number of entries in the test directory whose name holds ".tmp-". */
static int temporaries(void)
{
    DIR *dir = opendir(directory);
    int count = 0;
    struct dirent *entry;
    while (dir && (entry = readdir(dir)))
        if (strstr(entry->d_name, ".tmp-"))
            count++;
    if (dir)
        closedir(dir);
    return count;
}

static void remove_all(void)
{
    DIR *dir = opendir(directory);
    struct dirent *entry;
    char path[512];
    while (dir && (entry = readdir(dir))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        path_in_dir(path, sizeof path, entry->d_name);
        unlink(path);
    }
    if (dir)
        closedir(dir);
    rmdir(directory);
}

static void test_write_and_replace(void)
{
    char path[512], temp[512];
    struct cnn_error err = {0};
    path_in_dir(path, sizeof path, "metrics.csv");

    is_int(cnn_atomic_write(path, "first\n", 6, &err), 0,
           "cnn_atomic_write creates a new file");
    char *text = slurp(path);
    is_str(text, "first\n", "it holds the bytes written");
    free(text);

    struct cnn_atomic_file file;
    is_int(cnn_atomic_open(&file, path, &err), 0, "open for replacement");
    snprintf(temp, sizeof temp, "%s/.metrics.csv.tmp-%ld", directory,
             (long)getpid());
    is_str(file.temp_path, temp, "the temporary is <dir>/.<name>.tmp-<pid>");
    is_str(file.path, path, "path is the final name");
    fputs("second\n", file.stream);
    fflush(file.stream);
    text = slurp(path);
    is_str(text, "first\n", "before commit the old file is untouched");
    free(text);
    is_int(access(temp, F_OK), 0, "the temporary exists while writing");

    is_int(cnn_atomic_commit(&file, &err), 0, "commit succeeds");
    text = slurp(path);
    is_str(text, "second\n", "commit replaced the file");
    free(text);
    is_int(temporaries(), 0, "no temporary left after commit");
    struct stat info;
    stat(path, &info);
    is_int(info.st_mode & 0777, 0644, "mode is 0644 (umask 022)");
    ok(file.stream == NULL && file.temp_path == NULL,
       "commit releases the handle");
    cnn_atomic_abort(&file); /* must be harmless after commit */
    text = slurp(path);
    is_str(text, "second\n", "abort after commit changes nothing");
    free(text);

    is_int(cnn_atomic_open(&file, path, &err), 0, "open again");
    fputs("third\n", file.stream);
    cnn_atomic_abort(&file);
    text = slurp(path);
    is_str(text, "second\n", "abort keeps the old file");
    free(text);
    is_int(temporaries(), 0, "abort removes the temporary");

    is_int(cnn_atomic_write(path, "", 0, &err), 0, "an empty write works");
    text = slurp(path);
    is_str(text, "", "and leaves an empty file");
    free(text);
}

static void test_relative_path(void)
{
    char cwd[512];
    struct cnn_error err = {0};
    if (!getcwd(cwd, sizeof cwd) || chdir(directory) != 0) {
        skip("cannot change directory", "relative path");
        return;
    }
    int status = cnn_atomic_write("plain.txt", "x", 1, &err);
    is_int(status, 0, "a path without a directory is written in '.'");
    char *text = slurp("plain.txt");
    is_str(text, "x", "its contents");
    free(text);
    is_int(chdir(cwd), 0, "back to the old directory");
}

static void test_open_failures(void)
{
    char path[512];
    struct cnn_error err = {0};
    struct cnn_atomic_file file;

    path_in_dir(path, sizeof path, "no-such-dir/metrics.csv");
    is_int(cnn_atomic_open(&file, path, &err), -1,
           "open in a missing directory fails");
    like(err.message, "cannot write '", "message says what failed");
    like(err.message, path, "message names the final path");
    like(err.message, strerror(ENOENT), "message gives the reason");
    ok(file.stream == NULL && file.path == NULL && file.temp_path == NULL,
       "a failed open leaves an empty handle");
    is_int(cnn_atomic_write(path, "x", 1, &err), -1,
           "one-shot write into a missing directory fails");

    is_int(cnn_atomic_open(&file, "results/", &err), -1,
           "a directory name is rejected");
    like(err.message, "not a file name", "and said so");

    /* A temporary left by a crashed writer with our pid: refuse rather
     * than write into (or delete) a file that might be in use. */
    char stale[512], final[512];
    path_in_dir(final, sizeof final, "stale.csv");
    snprintf(stale, sizeof stale, "%s/.stale.csv.tmp-%ld", directory,
             (long)getpid());
    put(stale, "stale");
    is_int(cnn_atomic_open(&file, final, &err), -1,
           "an existing temporary is not overwritten");
    like(err.message, stale, "the message names the temporary to remove");
    char *text = slurp(stale);
    is_str(text, "stale", "the stale temporary is left as it was");
    free(text);
    unlink(stale);
}

/* With RLIMIT_FSIZE below the data size and SIGXFSZ ignored, write(2)
 * fails with EFBIG: a real kernel-side write failure even for root. */
static void test_write_failures(void)
{
    char path[512];
    struct cnn_error err = {0};
    struct rlimit old_limit, limit;
    path_in_dir(path, sizeof path, "model.bin");
    put(path, "old contents\n");

    if (getrlimit(RLIMIT_FSIZE, &old_limit) != 0) {
        skip("getrlimit failed", "write failures");
        return;
    }
    signal(SIGXFSZ, SIG_IGN);
    limit = old_limit;
    limit.rlim_cur = 4096;
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) {
        skip("setrlimit failed", "write failures");
        return;
    }
    size_t size = 100000;
    char *big = malloc(size);
    if (!big)
        exit(2);
    memset(big, 'z', size);

    is_int(cnn_atomic_write(path, big, size, &err), -1,
           "one-shot write beyond the file size limit fails");
    like(err.message, path, "message names the file");
    like(err.message, strerror(EFBIG), "message gives EFBIG's reason");
    char *text = slurp(path);
    is_str(text, "old contents\n", "the old file is intact");
    free(text);
    is_int(temporaries(), 0, "no temporary is left");

    /* One big fwrite: stdio has forgotten errno by commit time. */
    struct cnn_atomic_file file;
    cnn_error_clear(&err);
    is_int(cnn_atomic_open(&file, path, &err), 0, "open under the limit");
    fwrite(big, 1, size, file.stream);
    is_int(cnn_atomic_commit(&file, &err), -1,
           "commit fails after a failed big fwrite");
    like(err.message, path, "message names the file");
    like(err.message, strerror(EFBIG), "message recovers the reason");
    text = slurp(path);
    is_str(text, "old contents\n", "the old file is intact");
    free(text);
    is_int(temporaries(), 0, "no temporary is left");

    /* Many small writes: the failure surfaces at commit's fflush. */
    cnn_error_clear(&err);
    is_int(cnn_atomic_open(&file, path, &err), 0, "open again");
    for (int i = 0; i < 1000; i++)
        fputs("0123456789", file.stream);
    is_int(cnn_atomic_commit(&file, &err), -1,
           "commit fails when buffered data cannot be flushed");
    like(err.message, strerror(EFBIG), "message gives the reason");
    text = slurp(path);
    is_str(text, "old contents\n", "the old file is intact");
    free(text);
    is_int(temporaries(), 0, "no temporary is left");

    free(big);
    setrlimit(RLIMIT_FSIZE, &old_limit);
    signal(SIGXFSZ, SIG_DFL);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(directory, sizeof directory, "%s/cnnlab-atomic-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(directory)) {
        perror("mkdtemp");
        return 2;
    }
    umask(022);
    test_write_and_replace();
    test_relative_path();
    test_open_failures();
    test_write_failures();
    remove_all();
    return done_testing();
}
