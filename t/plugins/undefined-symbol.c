/* A module that calls a function no cnnlab provides, as one built against
 * a newer libcnnlab would: dlopen (RTLD_NOW) must fail, and the loader must
 * name the file and the missing symbol. Linked without -no-undefined. */
#include "cnnlab/plugin.h"

int cnn_function_from_the_future(void);

static int init(struct cnn_registry *registry, struct cnn_error *err)
{
    (void)registry;
    if (cnn_function_from_the_future() != 0)
        return cnn_error_set(err, "never reached");
    return 0;
}

CNN_PLUGIN_EXPORT const struct cnn_plugin cnn_plugin_entry = {
    CNN_ABI_MAJOR, CNN_ABI_MINOR, "undefined-symbol", "1.0", init,
};
