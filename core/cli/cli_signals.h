/* cnnlab — Ctrl-C and SIGTERM (what Slurm sends before it kills a job).
 *
 * Both are blocked in every thread from the start of main, before any
 * other thread exists (threads inherit the mask: OpenMP's, the data
 * pipeline's, NVML's sampler), and one thread of their own waits for them
 * with sigwait. So a signal never interrupts compute code: no handler runs
 * on a kernel's stack, and no system call of a worker returns EINTR (an
 * interrupted 64 MB checkpoint write ended in heap corruption in about a
 * third of the runs that were stopped so). A command that stops gracefully
 * (run, a local sweep) sees a number it polls between batches; any other
 * ends at once, as under the default action. */
#ifndef CNNLAB_CLI_SIGNALS_H
#define CNNLAB_CLI_SIGNALS_H

/* First thing in main: blocks SIGINT and SIGTERM and starts the thread
 * that waits for them. -1 (with errno) when the thread cannot start; the
 * signals then keep their default action. */
int cnn_cli_signals_start(void);
/* From now on a signal asks to stop instead of ending the process. */
void cnn_cli_signals_stop_gracefully(void);
/* The signal that asked to stop (SIGINT or SIGTERM), or 0. */
int cnn_cli_stop_signal(void);
/* Sends `number` to the process, as kill from outside would, and returns
 * once the waiting thread has seen it (tests interrupt at a chosen batch
 * so). */
void cnn_cli_signals_send_and_wait(int number);
/* In a child between fork and exec (async-signal-safe): the signals
 * unblocked again, as the program it runs expects them. */
void cnn_cli_signals_child(void);

#endif
