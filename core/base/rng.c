/* cnnlab — xoshiro256** seeded through splitmix64 (both public-domain
 * algorithms by Vigna and Blackman, written here from their definitions). */
#include "cnnlab/rng.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cnn_rng_seed(struct cnn_rng *rng, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&state);
}

void cnn_rng_seed_stream(struct cnn_rng *rng, uint64_t seed, uint64_t stream)
{
    /* Mix the stream number through splitmix64 so streams 0, 1, 2... of the
     * same seed start far apart. */
    uint64_t mixed = stream;
    cnn_rng_seed(rng, seed ^ splitmix64(&mixed));
}

static uint64_t rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cnn_rng_next(struct cnn_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

float cnn_rng_float(struct cnn_rng *rng)
{
    return (float)(cnn_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

uint64_t cnn_rng_below(struct cnn_rng *rng, uint64_t n)
{
    /* Rejection sampling: draws below `limit` map uniformly onto [0, n). */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = cnn_rng_next(rng);
    while (x >= limit);
    return x % n;
}

void cnn_rng_shuffle(struct cnn_rng *rng, int *values, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)cnn_rng_below(rng, i);
        int t = values[i - 1];
        values[i - 1] = values[j];
        values[j] = t;
    }
}
