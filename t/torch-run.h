/* Runs a Python script under /usr/bin/python3 with PyTorch imported, for
 * tests that compare against PyTorch. Nothing here reports a TAP result:
 * the caller turns "no torch" into a skip. */
#ifndef CNNLAB_TORCH_RUN_H
#define CNNLAB_TORCH_RUN_H

#include <stddef.h>

enum {
    TORCH_RUN_OK = 0,
    TORCH_RUN_NO_TORCH = 1, /* no python3, or it cannot import torch */
    TORCH_RUN_FAILED = 2,   /* the script failed: `why` says how */
};

/* Writes `script` to a temporary file after a prologue that imports sys,
 * math and torch (exiting 77 when torch does not import), runs it and
 * returns its standard output in *output (malloc'd, NUL-terminated; the
 * caller frees it) when the status is TORCH_RUN_OK. `why` receives a
 * line for the skip or the failure. */
int torch_run(const char *script, char **output, char *why,
              size_t why_size);

#endif
