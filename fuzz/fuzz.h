/* cnnlab fuzzing — what the libFuzzer harnesses in fuzz/ share.
 *
 * Each harness is a program built by `./configure CC=clang
 * --enable-fuzzers` (scripts/fuzz does it in its own build directory) and
 * run by libFuzzer, which calls LLVMFuzzerTestOneInput with one input at a
 * time. The readers under test take file names, so an input is written to
 * a scratch directory first (in /dev/shm when there is one: memory, not
 * the disk). A harness aborts, which libFuzzer reports as a finding, when
 * a promise of the code under test is broken: a failure without a
 * message, or a result that contradicts the input. */
#ifndef CNNLAB_FUZZ_H
#define CNNLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/error.h"

/* libFuzzer's entry points; each harness defines TestOneInput, and those
 * that need set-up Initialize. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The scratch directory of this process, made on first use and removed at
 * exit; "" when none could be made (then fuzz_fail aborts). */
const char *fuzz_scratch_directory(void);

/* Writes "scratch/name" into path. */
void fuzz_scratch_path(char *path, size_t size, const char *name);

/* Writes the bytes to `path` (replacing it); aborts when it cannot, since
 * a harness that cannot write its input tests nothing. */
void fuzz_write_file(const char *path, const void *bytes, size_t size);

/* Removes a scratch file if present. */
void fuzz_remove_file(const char *path);

/* A failed call must say why: aborts when `status` is not 0 and `err`
 * holds no message. With CNNLAB_FUZZ_VERBOSE set, prints the message (to
 * see why the inputs of a corpus fail). */
void fuzz_check_error(int status, const struct cnn_error *err,
                      const char *what);

/* Prints the reason and aborts: a finding. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
                                                    noreturn));

#endif
