/* cnnlab — a loss's or optimizer's manifest values parsed once into the
 * typed settings its kernels read (ABI 3.0: loss.h, optimizer.h). */
#include <stdlib.h>

#include "cnnlab/loss.h"
#include "cnnlab/optimizer.h"

typedef int (*parse_fn)(const struct cnn_params *params, void *settings,
                        struct cnn_error *err);

static void *parse_settings(const char *kind, const char *name, size_t size,
                            parse_fn parse, const struct cnn_params *params,
                            struct cnn_error *err)
{
    if (!parse || size == 0) {
        cnn_error_set(err, "%s '%s' declares no settings to parse", kind,
                      name);
        return NULL;
    }
    void *settings = calloc(1, size);
    if (!settings) {
        cnn_error_set(err, "%s '%s': out of memory for its settings", kind,
                      name);
        return NULL;
    }
    if (parse(params, settings, err) < 0) {
        free(settings);
        return NULL;
    }
    return settings;
}

void *cnn_loss_parse_settings(const struct cnn_loss_type *type,
                              const struct cnn_params *params,
                              struct cnn_error *err)
{
    return parse_settings("loss", type->name, type->settings_size,
                          type->parse, params, err);
}

void *cnn_optimizer_parse_settings(const struct cnn_optimizer_type *type,
                                   const struct cnn_params *params,
                                   struct cnn_error *err)
{
    return parse_settings("optimizer", type->name, type->settings_size,
                          type->parse, params, err);
}
