/* cnnlab — the one seeded random number generator (xoshiro256**, seeded
 * through splitmix64). Everything random in a run derives from the
 * manifest's seed; nothing is seeded from the clock. */
#ifndef CNNLAB_RNG_H
#define CNNLAB_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cnn_rng {
    uint64_t s[4];
};

void cnn_rng_seed(struct cnn_rng *rng, uint64_t seed);
/* An independent stream for a purpose: seed and a stream number. */
void cnn_rng_seed_stream(struct cnn_rng *rng, uint64_t seed, uint64_t stream);
uint64_t cnn_rng_next(struct cnn_rng *rng);
/* Uniform in [0, 1) with 24 bits (exactly representable as float). */
float cnn_rng_float(struct cnn_rng *rng);
/* Uniform in [0, n), unbiased. n > 0. */
uint64_t cnn_rng_below(struct cnn_rng *rng, uint64_t n);
/* Fisher–Yates shuffle of n ints. */
void cnn_rng_shuffle(struct cnn_rng *rng, int *values, size_t n);

#ifdef __cplusplus
}
#endif
#endif
