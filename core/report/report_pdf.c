/* cnnlab — report.pdf: pdflatex on report.tex, twice (the second run
 * fills in the contents), in a scratch folder inside the output folder;
 * the PDF is renamed into place only when both runs succeed, so a failed
 * build never leaves a broken or half-written report.pdf. When pdflatex
 * fails, its log is kept as report.log and the error quotes the log's
 * first error line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/path.h"
#include "report/pages_internal.h"
#include "report/report_internal.h"

/* The program's path: `program` itself when it has a '/', else the first
 * executable of that name in PATH; NULL when there is none. */
static char *find_program(const char *program)
{
    if (strchr(program, '/'))
        return access(program, X_OK) == 0 ? strdup(program) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path || !*program)
        return NULL;
    for (const char *p = path;;) {
        size_t length = strcspn(p, ":");
        /* An empty entry is the current directory: not looked in. */
        if (length > 0) {
            size_t size = length + strlen(program) + 2;
            char *candidate = malloc(size);
            if (!candidate)
                return NULL;
            snprintf(candidate, size, "%.*s/%s", (int)length, p, program);
            struct stat info;
            if (stat(candidate, &info) == 0 && S_ISREG(info.st_mode) &&
                access(candidate, X_OK) == 0)
                return candidate;
            free(candidate);
        }
        if (!p[length])
            return NULL;
        p += length + 1;
    }
}

/* Runs `program` in `directory` on report.tex, writing into `scratch`
 * (relative to `directory`), with no input and no output on the
 * terminal: its log says everything. Returns the exit status, or -1 when
 * it could not run (err set). */
static int run_pdflatex(const char *program, const char *directory,
                        const char *scratch, struct cnn_error *err)
{
    char output[512];
    snprintf(output, sizeof output, "-output-directory=%s", scratch);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return cnn_error_set(err, "cannot start %s: %s", program,
                             strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (chdir(directory) != 0 || null < 0)
            _exit(126);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl(program, program, "-interaction=nonstopmode", "-halt-on-error",
              "-no-shell-escape", "-file-line-error", output, "report.tex",
              (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return cnn_error_set(err, "cannot wait for %s: %s", program,
                                 strerror(errno));
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Removes the scratch folder and what pdflatex left in it. */
static void remove_scratch(const char *scratch)
{
    DIR *dir = opendir(scratch);
    if (dir) {
        for (struct dirent *entry; (entry = readdir(dir));) {
            if (strcmp(entry->d_name, ".") == 0 ||
                strcmp(entry->d_name, "..") == 0)
                continue;
            char *path = cnn_path_join(scratch, entry->d_name);
            if (path)
                unlink(path);
            free(path);
        }
        closedir(dir);
    }
    rmdir(scratch);
}

/* The log's first error ("file:line: message" or "! message"), in
 * `text`; "" when there is none. */
static void first_error(const char *log, char *text, size_t size)
{
    text[0] = '\0';
    char *data = NULL;
    size_t length;
    struct cnn_error ignored = {0};
    if (cnn_pages_read_file(log, (size_t)64 << 20, &data, &length, &ignored) !=
        0) {
        free(data);
        return;
    }
    for (char *line = data; line && *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        /* With -file-line-error: "./report.tex:12: Undefined control ..." */
        char *colon = memchr(line, ':', n);
        int located = colon && colon + 1 < line + n && colon[1] >= '0' &&
                      colon[1] <= '9' &&
                      strncmp(line, "./report.tex", 12) == 0;
        if (line[0] == '!' || located) {
            snprintf(text, size, "%.*s", (int)(n < 400 ? n : 400), line);
            break;
        }
        line = end ? end + 1 : NULL;
    }
    free(data);
}

int cnn_report_pdf(const char *out, const char *pdflatex,
                   struct cnn_error *err)
{
    char *program = find_program(pdflatex);
    if (!program)
        return 1;
    char *scratch = cnn_path_join(out, ".report-pdf.XXXXXX");
    if (!scratch) {
        free(program);
        return cnn_error_set(err, "out of memory");
    }
    if (!mkdtemp(scratch)) {
        int status = cnn_error_set(err,
                                   "cannot create a scratch folder "
                                   "'%s' for pdflatex: %s",
                                   scratch, strerror(errno));
        free(scratch);
        free(program);
        return status;
    }
    const char *scratch_name = strrchr(scratch, '/') + 1;
    int status = 0;
    for (int pass = 0; pass < 2 && status == 0; pass++) {
        int exit_status = run_pdflatex(program, out, scratch_name, err);
        if (exit_status < 0) {
            status = -1;
            break;
        }
        if (exit_status == 0)
            continue;
        /* Keep the log where it can be read, then say what it says. */
        char *log = cnn_path_join(scratch, "report.log");
        char *kept = cnn_path_join(out, "report.log");
        char message[512];
        int has_log = log && kept && rename(log, kept) == 0;
        if (has_log)
            first_error(kept, message, sizeof message);
        status = cnn_error_set(
            err,
            "%s failed on %s/report.tex (exit status %d)%s%s%s%s: %s; the "
            "Markdown and LaTeX are written, --no-pdf leaves the PDF out",
            pdflatex, out, exit_status, has_log ? ": see " : "",
            has_log ? kept : "", has_log && message[0] ? ", which says: " : "",
            has_log ? message : "",
            exit_status == 127 ? "it could not be run"
            : has_log          ? "the log names the line of report.tex"
                               : "it left no log");
        free(log);
        free(kept);
    }
    if (status == 0) {
        char *built = cnn_path_join(scratch, "report.pdf");
        char *pdf = cnn_path_join(out, "report.pdf");
        char *stale_log = cnn_path_join(out, "report.log");
        if (!built || !pdf || !stale_log)
            status = cnn_error_set(err, "out of memory");
        else if (rename(built, pdf) != 0)
            status = cnn_error_set(err, "%s made no '%s' (%s)", pdflatex,
                                   built, strerror(errno));
        else
            unlink(stale_log); /* a failed build's log, now stale */
        free(built);
        free(pdf);
        free(stale_log);
    }
    remove_scratch(scratch);
    free(scratch);
    free(program);
    return status;
}
