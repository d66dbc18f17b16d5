/* cnnlab — writing a run's directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/path.h"
#include "base/atomic_internal.h"
#include "base/json_input.h"
#include "base/sha256.h"
#include "cnnlab/atomic_file.h"
#include "model/checkpoint.h"
#include "run/run_dir.h"

void cnn_utc_timestamp(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

static int make_directories(const char *path, struct cnn_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return cnn_error_set(err, "out of memory");
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
            cnn_error_set(err, "cannot create directory '%s': %s", copy,
                          strerror(errno));
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int status = 0;
    if (mkdir(copy, 0755) < 0 && errno != EEXIST)
        status = cnn_error_set(err, "cannot create directory '%s': %s", copy,
                               strerror(errno));
    free(copy);
    return status;
}

/* 1 for ".NAME<marker>DIGITS": the temporaries of the atomic writer
 * (".tmp-") and of the analyses' library-written files (".analysis-"). */
static int is_temporary_name(const char *name, const char *marker)
{
    if (name[0] != '.')
        return 0;
    const char *at = strstr(name + 1, marker);
    const char *last = NULL;
    for (; at; at = strstr(at + 1, marker))
        last = at;
    if (!last || last == name + 1)
        return 0;
    const char *digits = last + strlen(marker);
    if (!*digits)
        return 0;
    for (const char *c = digits; *c; c++)
        if (*c < '0' || *c > '9')
            return 0;
    return 1;
}

/* Removes the temporaries a killed run left (kill -9, a power cut). Only
 * under the lock: no other cnnlab writes here, so every temporary that
 * this process is not writing itself is stale, whatever PID it names (in
 * a container cnnlab is PID 1 every time, so the next run's temporary
 * would have the same name). Links are removed, never followed;
 * folders are left alone. */
static void remove_stale_temporaries(const char *path)
{
    int dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return;
    DIR *stream = fdopendir(dir_fd);
    if (!stream) {
        close(dir_fd);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(stream))) {
        if (!is_temporary_name(entry->d_name, ".tmp-") &&
            !is_temporary_name(entry->d_name, ".analysis-"))
            continue;
        struct stat info;
        if (fstatat(dir_fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode))
            continue;
        if (cnn_atomic_temporary_in_use(info.st_dev, info.st_ino))
            continue;
        unlinkat(dir_fd, entry->d_name, 0);
    }
    closedir(stream);
}

int cnn_run_dir_open(struct cnn_run_dir *dir, const char *path,
                     struct cnn_error *err)
{
    memset(dir, 0, sizeof *dir);
    dir->lock_fd = -1;
    if (make_directories(path, err) < 0)
        return -1;
    dir->path = strdup(path);
    char *lock_path = cnn_path_join(path, ".lock");
    if (!dir->path || !lock_path) {
        free(lock_path);
        cnn_run_dir_close(dir);
        return cnn_error_set(err, "out of memory");
    }
    /* O_NOFOLLOW: a .lock that is a link would make cnnlab create or
     * lock a file wherever it points; O_NONBLOCK: a FIFO there would
     * block the open. */
    dir->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                        O_NONBLOCK, 0644);
    struct stat lock_info;
    if (dir->lock_fd < 0 && errno == ELOOP) {
        cnn_error_set(err,
                      "cannot lock '%s': its '.lock' is a symbolic link; "
                      "cnnlab does not follow links where it creates files: "
                      "remove '%s'",
                      path, lock_path);
        free(lock_path);
        cnn_run_dir_close(dir);
        return -1;
    }
    if (dir->lock_fd >= 0 &&
        (fstat(dir->lock_fd, &lock_info) != 0 ||
         !S_ISREG(lock_info.st_mode))) {
        cnn_error_set(err,
                      "cannot lock '%s': its '.lock' is not a regular file: "
                      "remove '%s'",
                      path, lock_path);
        free(lock_path);
        cnn_run_dir_close(dir);
        return -1;
    }
    if (dir->lock_fd < 0 || flock(dir->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int busy = errno == EWOULDBLOCK;
        cnn_error_set(err,
                      busy ? "another cnnlab run is writing to '%s': wait "
                             "for it to finish or use another --out"
                           : "cannot lock '%s': %s",
                      path, strerror(errno));
        free(lock_path);
        cnn_run_dir_close(dir);
        return -1;
    }
    free(lock_path);
    remove_stale_temporaries(path);
    dir->info = json_object();
    if (!dir->info) {
        cnn_run_dir_close(dir);
        return cnn_error_set(err, "out of memory");
    }
    return 0;
}

int cnn_run_dir_reopen(struct cnn_run_dir *dir, const char *path,
                       struct cnn_error *err)
{
    struct stat info;
    if (stat(path, &info) < 0 || !S_ISDIR(info.st_mode))
        return cnn_error_set(err, "no results in '%s': run the variant "
                                  "with `cnnlab run` first",
                             path);
    if (cnn_run_dir_open(dir, path, err) < 0)
        return -1;
    char *info_path = cnn_path_join(path, "run.json");
    json_error_t why;
    json_t *previous = info_path ? cnn_json_load_regular(info_path, 0, &why) : NULL;
    int status = 0;
    if (!info_path)
        status = cnn_error_set(err, "out of memory");
    else if (!previous || !json_is_object(previous))
        status = cnn_error_set(err, "cannot read '%s': %s", info_path,
                               previous ? "not a JSON object" : why.text);
    free(info_path);
    if (status < 0) {
        json_decref(previous);
        cnn_run_dir_close(dir);
        return -1;
    }
    json_decref(dir->info);
    dir->info = previous;
    return 0;
}

static int write_file(struct cnn_run_dir *dir, const char *file,
                      const void *data, size_t size, struct cnn_error *err)
{
    char *path = cnn_path_join(dir->path, file);
    if (!path)
        return cnn_error_set(err, "out of memory");
    int status = cnn_atomic_write(path, data, size, err);
    free(path);
    return status;
}

static char *node_to_text(const struct cnn_node *node)
{
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (!stream)
        return NULL;
    int status = cnn_node_write(node, stream);
    fclose(stream);
    if (status < 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Equal trees, `table:` aside (it changes only the experiment's table);
 * with `ignore_analyses` the `analyses:` keys aside too. */
static int same_manifest(struct cnn_node *previous,
                         const struct cnn_node *resolved,
                         int ignore_analyses)
{
    struct cnn_node *current = cnn_node_clone(resolved);
    if (!current)
        return 0;
    cnn_node_map_remove(previous, "table");
    cnn_node_map_remove(current, "table");
    if (ignore_analyses) {
        cnn_node_map_remove(previous, "analyses");
        cnn_node_map_remove(current, "analyses");
    }
    int same = cnn_node_equal(previous, current);
    cnn_node_free(current);
    return same;
}

/* run.json's "start_weights" ({file, sha256}) against the file as it is
 * now: 1 when its bytes differ (pretrain trained again to other weights,
 * a weights file replaced), with `detail` saying how. A run without the
 * record, or whose file is gone or unreadable, has not changed: its
 * results stand for the weights it started from. */
static int start_weights_changed(json_t *info, char *detail, size_t size)
{
    json_t *record = json_object_get(info, "start_weights");
    const char *file = json_string_value(json_object_get(record, "file"));
    const char *recorded =
        json_string_value(json_object_get(record, "sha256"));
    char now[CNN_SHA256_HEX_SIZE];
    struct cnn_error ignored = {0};
    if (!file || !recorded || access(file, F_OK) != 0 ||
        cnn_sha256_file(file, now, &ignored) < 0 ||
        strcmp(now, recorded) == 0)
        return 0;
    if (detail)
        snprintf(detail, size,
                 "%s has sha256 %.12s... now, %.12s... when the run started",
                 file, now, recorded);
    return 1;
}

int cnn_run_dir_start_weights_changed(const char *path, char *detail,
                                      size_t size)
{
    char *info_path = cnn_path_join(path, "run.json");
    json_t *info = info_path ? cnn_json_load_regular(info_path, 0, NULL) : NULL;
    int changed = start_weights_changed(info, detail, size);
    json_decref(info);
    free(info_path);
    return changed;
}

static int is_complete(const char *path, const struct cnn_node *resolved,
                       int ignore_analyses)
{
    char *info_path = cnn_path_join(path, "run.json");
    char *manifest_path = cnn_path_join(path, "manifest.yaml");
    int complete = 0;
    json_t *info = info_path ? cnn_json_load_regular(info_path, 0, NULL) : NULL;
    const char *status = json_string_value(json_object_get(info, "status"));
    if (status && strcmp(status, "complete") == 0 && manifest_path) {
        struct cnn_node *previous = NULL;
        struct cnn_error ignored = {0};
        if (cnn_node_load_file(manifest_path, &previous, &ignored) == 0)
            complete = same_manifest(previous, resolved, ignore_analyses) &&
                       !start_weights_changed(info, NULL, 0);
        cnn_node_free(previous);
    }
    json_decref(info);
    free(info_path);
    free(manifest_path);
    return complete;
}

int cnn_run_dir_is_complete(const char *path, const struct cnn_node *resolved)
{
    return is_complete(path, resolved, 0);
}

int cnn_run_dir_is_trained(const char *path, const struct cnn_node *resolved)
{
    return is_complete(path, resolved, 1);
}

int cnn_run_dir_write_manifest(struct cnn_run_dir *dir,
                               const struct cnn_node *resolved,
                               struct cnn_error *err)
{
    char *text = node_to_text(resolved);
    if (!text)
        return cnn_error_set(err, "cannot format the resolved manifest");
    int status = write_file(dir, "manifest.yaml", text, strlen(text), err);
    free(text);
    return status;
}

int cnn_run_dir_set(struct cnn_run_dir *dir, const char *key, json_t *value,
                    struct cnn_error *err)
{
    if (!value || json_object_set_new(dir->info, key, value) < 0)
        return cnn_error_set(err, "cannot record '%s' in run.json", key);
    char *text = json_dumps(dir->info, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                           JSON_REAL_PRECISION(10));
    if (!text)
        return cnn_error_set(err, "cannot format run.json");
    size_t length = strlen(text);
    text[length] = '\n'; /* json_dumps leaves room: it ends with NUL */
    int status = write_file(dir, "run.json", text, length + 1, err);
    free(text);
    return status;
}

static int append(char **buffer, size_t *length, const char *line,
                  struct cnn_error *err)
{
    size_t add = strlen(line);
    char *grown = realloc(*buffer, *length + add + 1);
    if (!grown)
        return cnn_error_set(err, "out of memory");
    memcpy(grown + *length, line, add + 1);
    *buffer = grown;
    *length += add;
    return 0;
}

/* The files' header lines, in memory, when nothing is there yet. */
static int start_history(struct cnn_run_dir *dir, struct cnn_error *err)
{
    if (!dir->metrics &&
        append(&dir->metrics, &dir->metrics_length,
               "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr\n",
               err) < 0)
        return -1;
    if (!dir->seconds &&
        append(&dir->seconds, &dir->seconds_length,
               "epoch,seconds,images_per_second,cpu_seconds\n", err) < 0)
        return -1;
    return 0;
}

/* One epoch's lines, in memory. */
static int append_epoch(struct cnn_run_dir *dir,
                        const struct cnn_epoch_metrics *metrics, long images,
                        struct cnn_error *err)
{
    char line[256];
    if (!dir->metrics &&
        append(&dir->metrics, &dir->metrics_length,
               "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr\n",
               err) < 0)
        return -1;
    snprintf(line, sizeof line, "%d,%.6f,%.4f,%.6f,%.4f,%.9g\n",
             metrics->epoch, metrics->train_loss, metrics->train_accuracy,
             metrics->val_loss, metrics->val_accuracy, metrics->lr);
    if (append(&dir->metrics, &dir->metrics_length, line, err) < 0)
        return -1;
    /* Wall times live apart from metrics.csv so that file stays
     * byte-identical between two runs with the same seed. */
    if (!dir->seconds &&
        append(&dir->seconds, &dir->seconds_length,
               "epoch,seconds,images_per_second,cpu_seconds\n", err) < 0)
        return -1;
    snprintf(line, sizeof line, "%d,%.3f,%.1f,%.3f\n", metrics->epoch,
             metrics->seconds,
             metrics->seconds > 0 ? (double)images / metrics->seconds : 0.0,
             metrics->cpu_seconds);
    return append(&dir->seconds, &dir->seconds_length, line, err);
}

int cnn_run_dir_add_epochs(struct cnn_run_dir *dir,
                           const struct cnn_epoch_metrics *metrics, int count,
                           long images, struct cnn_error *err)
{
    /* count 0 writes the headers alone: a run without training has its
     * (empty) history too. */
    if (start_history(dir, err) < 0)
        return -1;
    for (int i = 0; i < count; i++)
        if (append_epoch(dir, &metrics[i], images, err) < 0)
            return -1;
    if (write_file(dir, "metrics.csv", dir->metrics, dir->metrics_length,
                   err) < 0)
        return -1;
    return write_file(dir, "epoch-seconds.csv", dir->seconds,
                      dir->seconds_length, err);
}

int cnn_run_dir_add_epoch(struct cnn_run_dir *dir,
                          const struct cnn_epoch_metrics *metrics,
                          long images, struct cnn_error *err)
{
    return cnn_run_dir_add_epochs(dir, metrics, 1, images, err);
}

int cnn_run_dir_save_model(struct cnn_run_dir *dir, const char *file,
                           const struct cnn_model *model, int epoch,
                           struct cnn_error *err)
{
    char *path = cnn_path_join(dir->path, file);
    if (!path)
        return cnn_error_set(err, "out of memory");
    int status = cnn_model_save(model, path, epoch, err);
    free(path);
    return status;
}

void cnn_run_dir_close(struct cnn_run_dir *dir)
{
    if (dir->lock_fd >= 0)
        close(dir->lock_fd); /* releases the flock */
    json_decref(dir->info);
    free(dir->metrics);
    free(dir->seconds);
    free(dir->path);
    memset(dir, 0, sizeof *dir);
    dir->lock_fd = -1;
}
