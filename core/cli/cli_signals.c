/* cnnlab — SIGINT and SIGTERM taken by one thread of their own
 * (cli_signals.h says why). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_signals.h"

static sigset_t handled;          /* SIGINT, SIGTERM */
static atomic_int graceful;       /* 1: a signal asks to stop */
static atomic_int stop_signal;    /* the signal that asked, or 0 */
static atomic_int signals_seen;   /* how many the thread has taken */

/* Ends the process as the default action of `number` would (the shell
 * sees 128 + number, and a core-dumping signal is not among these). */
static void end_as_default(int number)
{
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, number);
    signal(number, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &only, NULL);
    raise(number);
    _exit(128 + number); /* not reached: the default action ends us */
}

static void *wait_for_signals(void *unused)
{
    (void)unused;
    for (;;) {
        int number;
        if (sigwait(&handled, &number) != 0)
            continue;
        if (!atomic_load(&graceful))
            end_as_default(number);
        int none = 0;
        atomic_compare_exchange_strong(&stop_signal, &none, number);
        atomic_fetch_add(&signals_seen, 1);
    }
    return NULL;
}

int cnn_cli_signals_start(void)
{
    sigemptyset(&handled);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGTERM);
    int status = pthread_sigmask(SIG_BLOCK, &handled, NULL);
    pthread_t thread;
    if (status == 0)
        status = pthread_create(&thread, NULL, wait_for_signals, NULL);
    if (status == 0)
        status = pthread_detach(thread);
    if (status != 0) {
        pthread_sigmask(SIG_UNBLOCK, &handled, NULL);
        errno = status;
        return -1;
    }
    return 0;
}

void cnn_cli_signals_stop_gracefully(void)
{
    atomic_store(&graceful, 1);
}

int cnn_cli_stop_signal(void)
{
    return atomic_load(&stop_signal);
}

void cnn_cli_signals_send_and_wait(int number)
{
    int before = atomic_load(&signals_seen);
    kill(getpid(), number);
    /* The thread takes it within microseconds; 5 s is a bound for a
     * loaded machine, not a wait anyone sees. */
    struct timespec pause = {0, 1000000};
    for (int i = 0; i < 5000 && atomic_load(&signals_seen) == before; i++)
        nanosleep(&pause, NULL);
}

void cnn_cli_signals_child(void)
{
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGINT);
    sigaddset(&both, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &both, NULL);
}
