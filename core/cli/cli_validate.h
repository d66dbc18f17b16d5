/* cnnlab — manifest loading and validation shared by `run` and `check`. */
#ifndef CNNLAB_CLI_VALIDATE_H
#define CNNLAB_CLI_VALIDATE_H

#include "cli/cli.h"
#include "config/manifest.h"
#include "model/model.h"
#include "run/run_config.h"

/* Loads the manifest (profile, overrides, --variant) and the modules its
 * `plugins:` key names. */
int cnn_cli_load_manifest(struct cnn_registry *registry,
                          const struct cnn_cli_options *options,
                          struct cnn_manifest *manifest,
                          struct cnn_error *err);

/* Checks a variant completely without data: every key, every component,
 * every shape, and each analysis's parameters against the model (its
 * validate hook). On success the caller frees config and model. */
int cnn_cli_validate_variant(const struct cnn_registry *registry,
                             const struct cnn_variant *variant,
                             struct cnn_run_config *config,
                             struct cnn_model *model, struct cnn_error *err);

/* Prints something about each variant of the manifest that `options`
 * names, without training (`cnnlab summary`, `cnnlab rf`): `print` gets a
 * heading number (0 when the manifest has one variant; else 1, 2, ... for
 * a head(1)-like "==> name <==" line). Stops at the first variant that
 * fails. `what` names the output in the message when writing it fails.
 * Returns the command's exit status. */
typedef int (*cnn_cli_variant_printer)(const struct cnn_registry *registry,
                                       const struct cnn_manifest *manifest,
                                       const struct cnn_variant *variant,
                                       int heading, struct cnn_error *err);
int cnn_cli_print_variants(struct cnn_registry *registry,
                           const struct cnn_cli_options *options,
                           cnn_cli_variant_printer print, const char *what);

#endif
