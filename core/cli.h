/* cnnlab — the command's subcommands (main.c parses, these act). Exit
 * statuses: 0 ok, 1 a run failed, 2 usage or manifest error, 130
 * interrupted. */
#ifndef CNNLAB_CLI_H
#define CNNLAB_CLI_H

#include "cnnlab/registry.h"

enum {
    CNN_EXIT_OK = 0,
    CNN_EXIT_RUN_FAILED = 1,
    CNN_EXIT_USAGE = 2,
    CNN_EXIT_INTERRUPTED = 130,
};

struct cnn_cli_options {
    const char *manifest;
    const char *profile;
    const char *variant;
    const char *out_directory;
    const char **overrides;
    int override_count;
    int force;
    int quiet;
};

/* Prints the error as "cnnlab: file:line:col: message". */
void cnn_cli_report(const struct cnn_error *err);

int cnn_cli_run(struct cnn_registry *registry,
                const struct cnn_cli_options *options);
int cnn_cli_check(struct cnn_registry *registry,
                  const struct cnn_cli_options *options);
int cnn_cli_plugins(const struct cnn_registry *registry);

#endif
