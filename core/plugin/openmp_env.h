/* cnnlab core-internal: the OpenMP runtime's settings that cnnlab chooses
 * when the user has not (openmp_env.c). */
#ifndef CNNLAB_CORE_OPENMP_ENV_H
#define CNNLAB_CORE_OPENMP_ENV_H

/* Sets OMP_WAIT_POLICY=passive in the environment unless the user set
 * OMP_WAIT_POLICY or GOMP_SPINCOUNT. Call before the first plugin module
 * is loaded: the OpenMP runtime reads its environment once, when a module
 * that needs it (the CPU layers, oneDNN) brings it in. */
void cnn_openmp_defaults(void);

#endif
