/* The core's analysis API without a model run: files an analysis writes
 * (plain names only, atomic, the temporary-then-commit path for libraries
 * that write files themselves), the history read back from metrics.csv and
 * epoch-seconds.csv with errors that name the file and line, and the
 * manifest's `analyses:` list. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "tap.h"
#include "test-util.h"

static char *read_text(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    static char buf[4096];
    size_t got = fread(buf, 1, sizeof buf - 1, in);
    buf[got] = '\0';
    fclose(in);
    return buf;
}

static void write_text(const char *directory, const char *name,
                       const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    FILE *out = fopen(path, "wb");
    if (!out || fputs(text, out) < 0 || fclose(out) != 0) {
        printf("Bail out! cannot write %s\n", path);
        exit(1);
    }
}

static void files(const char *directory)
{
    struct cnn_model model = {0};
    struct cnn_train_config train = {.batch = 7};
    struct cnn_analysis_setup setup = {.directory = directory,
                                       .variant = "v1",
                                       .model = &model,
                                       .train = &train,
                                       .threads = 3,
                                       .device_text = "3 CPU threads"};
    struct cnn_analysis *a = NULL;
    struct cnn_error err = {0};
    if (!ok(cnn_analysis_new(&a, &setup, &err) == 0, "an analysis handle"))
        return;
    is_str(cnn_analysis_directory(a), directory, "it knows its directory");
    is_str(cnn_analysis_variant(a), "v1", "and its variant");
    is_int(cnn_analysis_train_batch(a), 7, "and the training batch");
    is_int(cnn_analysis_threads(a), 3, "and the thread count");
    double mean = -1, max = -1;
    ok(cnn_analysis_gpu_utilization(a, &mean, &max) == 0 && mean == -1,
       "GPU utilisation unknown when not sampled");
    int count = -1;
    ok(cnn_analysis_history(a, &count) == NULL && count == 0,
       "an empty history");
    ok(cnn_analysis_data(a) == NULL, "no data");

    ok(cnn_analysis_write_file(a, "note.txt", "hello\n", 6, &err) == 0,
       "writes a file");
    char path[4096];
    snprintf(path, sizeof path, "%s/note.txt", directory);
    is_str(read_text(path), "hello\n", "with its bytes");
    static const char *const bad_names[] = {"../escape.txt", "sub/file.txt",
                                            ".hidden", ""};
    for (int i = 0; i < 4; i++) {
        cnn_error_clear(&err);
        ok(cnn_analysis_write_file(a, bad_names[i], "x", 1, &err) < 0,
           "refuses the name '%s'", bad_names[i]);
        like(err.message, "plain name", "saying why");
    }

    char temp[4096];
    const char *temp_path = cnn_analysis_temp_path(a, "chart.png", temp,
                                                   sizeof temp);
    ok(temp_path != NULL, "a temporary path for a library-written file");
    if (temp_path) {
        write_text(directory, strrchr(temp_path, '/') + 1, "PNG bytes");
        cnn_error_clear(&err);
        ok(cnn_analysis_commit_file(a, "chart.png", &err) == 0,
           "commits it (%s)", err.message);
        snprintf(path, sizeof path, "%s/chart.png", directory);
        is_str(read_text(path), "PNG bytes", "under its name");
        ok(access(temp_path, F_OK) != 0, "and the temporary is gone");
    }
    char small[8];
    ok(cnn_analysis_temp_path(a, "chart.png", small, sizeof small) == NULL,
       "a temporary path that does not fit the buffer is NULL");
    cnn_error_clear(&err);
    ok(cnn_analysis_commit_file(a, "never.png", &err) < 0,
       "committing a file that was never written fails");
    like(err.message, "never.png", "naming it");
    cnn_analysis_free(a);
}

static void history(const char *directory)
{
    struct cnn_epoch_record *records;
    int count;
    struct cnn_error err = {0};
    write_text(directory, "metrics.csv",
               "epoch,train_loss,train_accuracy,val_loss,val_accuracy\n"
               "1,1.500000,40.0000,1.400000,45.0000\n"
               "2,1.000000,60.5000,1.100000,55.2500\n");
    write_text(directory, "epoch-seconds.csv",
               "epoch,seconds,images_per_second,cpu_seconds\n"
               "1,2.500,100.0,4.000\n2,2.000,125.0,3.500\n");
    int status = cnn_analysis_history_read(directory, &records, &count, &err);
    ok(status == 0 && count == 2, "reads two epochs (%s)", err.message);
    if (status == 0 && count == 2) {
        ok(records[1].epoch == 2 && records[1].train_loss == 1.0 &&
               records[1].train_accuracy == 60.5 &&
               records[1].val_loss == 1.1 && records[1].val_accuracy == 55.25,
           "with losses and accuracies");
        ok(records[0].seconds == 2.5 && records[0].cpu_seconds == 4.0,
           "and times");
        free(records);
    }

    /* A file of an older cnnlab, without cpu_seconds: unknown (-1). */
    write_text(directory, "epoch-seconds.csv",
               "epoch,seconds,images_per_second\n1,2.5,1\n2,2.0,1\n");
    status = cnn_analysis_history_read(directory, &records, &count, &err);
    ok(status == 0 && count == 2 && records[0].cpu_seconds == -1,
       "without a cpu_seconds column the CPU time is unknown");
    if (status == 0)
        free(records);

    write_text(directory, "epoch-seconds.csv",
               "epoch,seconds\n1,2.5\n");
    cnn_error_clear(&err);
    ok(cnn_analysis_history_read(directory, &records, &count, &err) < 0 &&
           records == NULL && count == 0,
       "fewer timed epochs than metrics fails, leaving nothing");
    like(err.file, "epoch-seconds.csv", "naming the file");
    like(err.message, "1 epochs, but metrics.csv has 2", "and the mismatch");

    write_text(directory, "metrics.csv",
               "epoch,train_loss,train_accuracy,val_loss,val_accuracy\n"
               "1,1.5,40,1.4,45\n2,x1.0,60,1.1,55\n");
    cnn_error_clear(&err);
    ok(cnn_analysis_history_read(directory, &records, &count, &err) < 0,
       "a bad number fails");
    like(err.file, "metrics.csv", "naming the file");
    is_int(err.line, 3, "and its line");
    like(err.message, "'x1.0' is not a number", "and the text");

    write_text(directory, "metrics.csv", "epoch,train_loss\n1,1.5\n");
    cnn_error_clear(&err);
    ok(cnn_analysis_history_read(directory, &records, &count, &err) < 0,
       "a missing column fails");
    like(err.message, "no 'train_accuracy' column", "naming the column");

    write_text(directory, "metrics.csv",
               "epoch,train_loss,train_accuracy,val_loss,val_accuracy\n"
               "2,1.5,40,1.4,45\n");
    cnn_error_clear(&err);
    ok(cnn_analysis_history_read(directory, &records, &count, &err) < 0,
       "epochs out of order fail");
    like(err.message, "numbered 1, 2", "saying so");

    char missing[4096];
    snprintf(missing, sizeof missing, "%s/none", directory);
    cnn_error_clear(&err);
    ok(cnn_analysis_history_read(missing, &records, &count, &err) < 0,
       "a directory without metrics.csv fails");
    like(err.message, "metrics.csv", "naming the file");
}

static void list(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "analyses.so") != 1) {
        cnn_registry_free(registry);
        return;
    }
    static const struct {
        const char *yaml, *error;
    } cases[] = {
        {"analyses: [summary, {timing: {repeats: 2}}]\n", NULL},
        {"analyses: []\n", NULL},
        {"analyses:\n", NULL},
        {"analyses: summary\n", "must be a list"},
        {"analyses: [{summary: {}, timing: {}}]\n", "one key"},
        {"analyses: [summery]\n", "did you mean 'summary'"},
        {"analyses: [{timing: {repeats: 0}}]\n", "repeats"},
        {"analyses: [{classwise: {split: dev}}]\n", "split"},
        {"analyses: [curves, curves]\n", "listed twice (also at line 1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cnn_node *root = NULL;
        struct cnn_error err = {0};
        struct cnn_analysis_list parsed;
        if (cnn_node_load_string(cases[i].yaml, "m.yaml", &root, &err) < 0) {
            ok(0, "the case parses as YAML: %s", err.message);
            continue;
        }
        int status = cnn_analysis_list_parse(
            &parsed, registry, cnn_node_get(root, "analyses"), &err);
        if (!cases[i].error) {
            ok(status == 0, "accepts %.*s (%s)",
               (int)strcspn(cases[i].yaml, "\n"), cases[i].yaml,
               err.message);
        } else {
            ok(status < 0 && parsed.count == 0 && strstr(err.message,
                                                         cases[i].error),
               "refuses %.*s: '%s'", (int)strcspn(cases[i].yaml, "\n"),
               cases[i].yaml, err.message);
            is_str(err.file, "m.yaml", "the error has its place");
        }
        if (i == 0 && status == 0) {
            is_int(parsed.count, 2, "two analyses");
            is_str(parsed.items[1].type->name, "timing", "in order");
            is_int(cnn_param_int(&parsed.items[1].params, "repeats"), 2,
                   "with their parameters");
            is_int(cnn_param_int(&parsed.items[1].params, "batch"), 0,
                   "and defaults");
        }
        if (status == 0)
            cnn_analysis_list_free(&parsed);
        cnn_node_free(root);
    }
    cnn_registry_free(registry);
}

int main(void)
{
    char directory[] = "/tmp/cnnlab-analysis-XXXXXX";
    if (!mkdtemp(directory)) {
        printf("Bail out! cannot make a scratch directory\n");
        return 1;
    }
    files(directory);
    history(directory);
    list();
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'", directory);
    if (system(command) != 0)
        diag("could not remove %s", directory);
    return done_testing();
}
