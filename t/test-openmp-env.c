/* cnnlab's OpenMP default (core/plugin/openmp_env.c): OMP_WAIT_POLICY becomes
 * passive when the user set neither it nor GOMP_SPINCOUNT, and a value the
 * user set is kept; loading a module applies the default. */
#include <stdlib.h>
#include <string.h>

#include "cnnlab/registry.h"
#include "plugin/openmp_env.h"
#include "tap.h"
#include "test-util.h"

static const char *policy(void)
{
    const char *value = getenv("OMP_WAIT_POLICY");
    return value ? value : "(unset)";
}

int main(void)
{
    unsetenv("OMP_WAIT_POLICY");
    unsetenv("GOMP_SPINCOUNT");
    cnn_openmp_defaults();
    is_str(policy(), "passive", "unset: the policy becomes passive");

    setenv("OMP_WAIT_POLICY", "active", 1);
    cnn_openmp_defaults();
    is_str(policy(), "active", "a policy the user set is kept");

    unsetenv("OMP_WAIT_POLICY");
    setenv("GOMP_SPINCOUNT", "10000", 1);
    cnn_openmp_defaults();
    is_str(policy(), "(unset)", "a GOMP_SPINCOUNT the user set leaves the "
           "policy unset");

    unsetenv("GOMP_SPINCOUNT");
    struct cnn_registry *registry = cnn_registry_new();
    /* Reports its own skip or failure when the module cannot be had. */
    if (test_load_plugin(registry, "layers.so") == 1)
        is_str(policy(), "passive", "loading a module sets the policy");
    if (registry)
        cnn_registry_free(registry);
    return done_testing();
}
