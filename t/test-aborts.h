/* A check that a call aborts: the getters of params.h abort on a
 * programming error (a wrong type, an undeclared name) instead of
 * returning garbage. Inline, as tap.h counts per program file. */
#ifndef CNNLAB_TEST_ABORTS_H
#define CNNLAB_TEST_ABORTS_H

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

/* Runs `call` in a child; passes when it aborts and its stderr names
 * `expected`. */
static inline void test_aborts(void (*call)(void), const char *expected,
                               const char *what)
{
    int pipe_ends[2];
    if (pipe(pipe_ends) != 0) {
        ok(0, "pipe for %s", what);
        return;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        dup2(pipe_ends[1], 2);
        close(pipe_ends[0]);
        call();
        _exit(0);
    }
    close(pipe_ends[1]);
    char output[1024] = "";
    size_t used = 0;
    ssize_t got;
    while (used + 1 < sizeof output &&
           (got = read(pipe_ends[0], output + used,
                       sizeof output - 1 - used)) > 0)
        used += (size_t)got;
    output[used] = '\0';
    close(pipe_ends[0]);
    int status = 0;
    waitpid(child, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "%s aborts", what);
    like(output, expected, "%s names the parameter", what);
}

#endif
