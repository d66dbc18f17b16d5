/* Running a Python snippet against PyTorch (see torch-run.h). */
#include "torch-run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"

static const char prologue[] =
    "import sys, math, warnings\n"
    "warnings.filterwarnings('ignore')\n"
    "try:\n"
    "    import torch\n"
    "except Exception:\n"
    "    sys.exit(77)\n"
    "torch.set_num_threads(1)\n";

static int write_script(const char *script, char *path, size_t size)
{
    const char *directory = getenv("TMPDIR");
    snprintf(path, size, "%s/cnnlab-torch-XXXXXX.py",
             directory && *directory ? directory : "/tmp");
    int fd = mkstemps(path, 3);
    if (fd < 0)
        return -1;
    FILE *file = fdopen(fd, "w");
    if (!file) {
        close(fd);
        unlink(path);
        return -1;
    }
    int bad = fputs(prologue, file) < 0 || fputs(script, file) < 0;
    bad |= fclose(file) != 0;
    if (bad)
        unlink(path);
    return bad ? -1 : 0;
}

static char *read_all(FILE *pipe)
{
    size_t length = 0, capacity = 4096;
    char *text = malloc(capacity);
    while (text) {
        size_t got = fread(text + length, 1, capacity - length - 1, pipe);
        length += got;
        if (got == 0)
            break;
        if (capacity - length < 2) {
            char *grown = realloc(text, capacity * 2);
            if (!grown) {
                free(text);
                return NULL;
            }
            text = grown;
            capacity *= 2;
        }
    }
    if (text)
        text[length] = '\0';
    return text;
}

int torch_run(const char *script, char **output, char *why, size_t why_size)
{
    *output = NULL;
    if (access(PYTHON, X_OK) != 0) {
        snprintf(why, why_size, "no %s", PYTHON);
        return TORCH_RUN_NO_TORCH;
    }
    char path[4096];
    if (write_script(script, path, sizeof path) < 0) {
        snprintf(why, why_size, "cannot write a temporary script");
        return TORCH_RUN_FAILED;
    }
    char command[4200];
    snprintf(command, sizeof command, PYTHON " '%s'", path);
    FILE *pipe = popen(command, "r");
    char *text = pipe ? read_all(pipe) : NULL;
    int status = pipe ? pclose(pipe) : -1;
    unlink(path);
    int code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 77) {
        free(text);
        snprintf(why, why_size, "%s cannot import torch", PYTHON);
        return TORCH_RUN_NO_TORCH;
    }
    if (code != 0 || !text) {
        free(text);
        snprintf(why, why_size, "the PyTorch script failed (status %d%s)",
                 code, pipe ? "" : ", popen failed");
        return TORCH_RUN_FAILED;
    }
    *output = text;
    snprintf(why, why_size, "ok");
    return TORCH_RUN_OK;
}
