/* Helpers shared by the component tests (see test-util.h). Nothing here
 * reports a TAP result: tap.h counts per program file. */
#include "test-util.h"

#include <string.h>

static void bail_out(const char *component, const char *why)
{
    printf("Bail out! %s: %s\n", component, why);
    exit(1);
}

struct cnn_params test_params(const struct cnn_param_spec *specs, int count,
                              const char *component,
                              const char *const *settings)
{
    struct cnn_params params;
    struct cnn_error err = {0};
    struct cnn_mark mark = {"test", 0, 0};
    if (cnn_params_init_defaults(&params, specs, count, component, &err) != 0)
        bail_out(component, err.message);
    for (int i = 0; settings && settings[i]; i++) {
        char name[64];
        const char *equals = strchr(settings[i], '=');
        if (!equals || equals - settings[i] >= (long)sizeof name)
            bail_out(component, "a test setting is not a short name=value");
        snprintf(name, sizeof name, "%.*s", (int)(equals - settings[i]),
                 settings[i]);
        if (cnn_params_set_text(&params, name, equals + 1, mark, component,
                                &err)
            != 0)
            bail_out(component, err.message);
    }
    return params;
}

int test_load_data(const struct cnn_loader_type *type,
                   const char *const *settings, uint64_t seed, long limit,
                   struct cnn_data *data, struct cnn_error *err)
{
    struct cnn_params params =
        test_params(type->params, type->param_count, type->name, settings);
    struct cnn_load_request request = {seed, limit, NULL, 0};
    memset(data, 0, sizeof *data);
    memset(err, 0, sizeof *err);
    int status = type->load(&params, &request, data, err);
    cnn_params_free(&params);
    return status;
}
