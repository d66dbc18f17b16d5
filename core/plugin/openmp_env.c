/* cnnlab — the OpenMP wait policy (openmp_env.h).
 *
 * The CPU kernels (oneDNN's and the layers module's loops) open many
 * short parallel regions per training step: about a hundred at batch 4.
 * Between them, GNU OpenMP's threads spin by default (OMP_WAIT_POLICY
 * unset: up to 300,000 spins before sleeping). On a machine with idle
 * cores that saves the wake-up; on one shared with other work a spinning
 * thread burns the time slice that the thread it waits for needs, and
 * with 2 threads on a busy 2-core machine a batch-4 training step of the
 * study's best model took 2.3-3x as long as with passive waiting (numbers
 * and the idle-machine comparison in bench/RESULTS.md). Passive waiting is
 * therefore the default; OMP_WAIT_POLICY=active (or a GOMP_SPINCOUNT)
 * set by the user wins. */
#include <stdlib.h>

#include "plugin/openmp_env.h"

void cnn_openmp_defaults(void)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    /* overwrite = 0: never replaces a value set meanwhile. */
    setenv("OMP_WAIT_POLICY", "passive", 0);
}
