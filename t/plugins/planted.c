/* A module planted where cnnlab must not look (the current directory):
 * loading it at all runs its constructor, which creates the file named by
 * $CNNLAB_PLANTED_MARKER — as a hostile module would run its code before
 * any check. t/reliability-plugins.sh looks for that file. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cnnlab/plugin.h"

static void planted_constructor(void) __attribute__((constructor));
static void planted_constructor(void)
{
    const char *marker = getenv("CNNLAB_PLANTED_MARKER");
    if (!marker || !*marker)
        return;
    int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
}

static int parse(const struct cnn_params *params, void *settings,
                 struct cnn_error *err)
{
    (void)params, (void)settings;
    return cnn_error_set(err, "the planted loss must never be used");
}

/* Registered so that `cnnlab plugins` would list the module. */
static const struct cnn_loss_type planted = {
    .name = "planted-loss", .help = "from a module planted in the current "
    "directory", .settings_size = 1, .parse = parse,
};

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    return cnn_register_loss(registry, &planted, err);
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "planted", "1.0", init,
};
