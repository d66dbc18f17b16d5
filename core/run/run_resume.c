/* cnnlab — the training state of a run directory: prepared before the
 * run, saved while it trains, removed when it is complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/path.h"
#include "base/json_input.h"
#include "run/run_resume.h"

static void note(const struct cnn_run_observer *observer, const char *text)
{
    if (observer && observer->note)
        observer->note(observer->user, text);
}

int cnn_run_resume_prepare(struct cnn_run_resume *resume,
                           const char *directory, const char *label,
                           const struct cnn_node *resolved,
                           const struct cnn_run_config *config,
                           const struct cnn_model *model, int train_images,
                           int wanted, const struct cnn_run_observer *observer,
                           struct cnn_error *err)
{
    memset(resume, 0, sizeof *resume);
    resume->identity.resolved = resolved;
    resume->identity.threads = config->threads;
    resume->identity.device = cnn_device_name(config->device);
    resume->path = cnn_path_join(directory, CNN_TRAIN_STATE_FILE);
    if (!resume->path)
        return cnn_error_set(err, "out of memory");
    char text[CNN_ERROR_MESSAGE_MAX];
    if (access(resume->path, F_OK) != 0) {
        if (wanted) {
            snprintf(text, sizeof text,
                     "%s: nothing to resume (no %s in %s): training from "
                     "scratch",
                     label, CNN_TRAIN_STATE_FILE, directory);
            note(observer, text);
        }
        return 0;
    }
    if (!wanted) {
        /* The run starts over; its first save would replace the file,
         * and until then it would describe another run. */
        int removed = unlink(resume->path) == 0;
        snprintf(text, sizeof text,
                 "%s: training from scratch; the interrupted run's state "
                 "%s %s (`cnnlab run --resume` continues a run instead)",
                 label, resume->path,
                 removed ? "is discarded" : "could not be removed");
        note(observer, text);
        return 0;
    }
    char differs[1024];
    if (cnn_train_state_load(resume->path, model, &config->train,
                             train_images, &resume->identity,
                             &resume->loaded, differs, sizeof differs,
                             err) < 0) {
        cnn_run_resume_finish(resume, 0);
        return -1;
    }
    char *info_path = cnn_path_join(directory, "run.json");
    resume->previous = info_path ? cnn_json_load_regular(info_path, 0, NULL) : NULL;
    free(info_path);
    const struct cnn_train_snapshot *s = cnn_run_resume_snapshot(resume);
    if (s->batch > 0)
        snprintf(text, sizeof text,
                 "%s: resuming at epoch %d after batch %d%s%s", label,
                 s->epoch, s->batch, differs[0] ? "; " : "", differs);
    else
        snprintf(text, sizeof text, "%s: resuming at the start of epoch %d%s%s",
                 label, s->epoch, differs[0] ? "; " : "", differs);
    note(observer, text);
    return 0;
}

const struct cnn_train_snapshot *cnn_run_resume_snapshot(
    const struct cnn_run_resume *resume)
{
    return cnn_train_state_snapshot(resume->loaded);
}

int cnn_run_resume_record(struct cnn_run_resume *resume,
                          struct cnn_run_dir *dir, long images,
                          struct cnn_error *err)
{
    const struct cnn_train_snapshot *s = cnn_run_resume_snapshot(resume);
    if (!s)
        return 0;
    if (s->history_count > 0 &&
        cnn_run_dir_add_epochs(dir, s->history, s->history_count, images,
                               err) < 0)
        return -1;
    json_t *started = json_object_get(resume->previous, "started");
    if (json_is_string(started) &&
        cnn_run_dir_set(dir, "started", json_incref(started), err) < 0)
        return -1;
    json_t *earlier = json_object_get(resume->previous, "resumed");
    json_t *resumed = json_is_array(earlier) ? json_copy(earlier)
                                             : json_array();
    char now[32];
    cnn_utc_timestamp(now, sizeof now);
    if (!resumed ||
        json_array_append_new(resumed,
                              json_pack("{s:s, s:i, s:i}", "at", now,
                                        "epoch", s->epoch, "batch",
                                        s->batch)) < 0) {
        json_decref(resumed);
        return cnn_error_set(err, "out of memory");
    }
    return cnn_run_dir_set(dir, "resumed", resumed, err);
}

int cnn_run_resume_save(struct cnn_run_resume *resume,
                        struct cnn_model *model,
                        const struct cnn_train_snapshot *snapshot,
                        struct cnn_error *err)
{
    return cnn_train_state_save(resume->path, model, snapshot,
                                &resume->identity, err);
}

void cnn_run_resume_finish(struct cnn_run_resume *resume, int complete)
{
    /* A complete run needs no state. Should the removal fail, the file
     * is harmless: a later run without --resume removes it, and one with
     * it finds the run complete. */
    if (complete && resume->path)
        (void)unlink(resume->path);
    cnn_train_state_free(resume->loaded);
    json_decref(resume->previous);
    free(resume->path);
    memset(resume, 0, sizeof *resume);
}
