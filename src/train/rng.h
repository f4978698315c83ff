// A counter-based generator: the value for (seed, i) needs no state, so dropout masks, MLM masks,
// shuffles and initial weights are the same whatever the thread count, and a resumed run draws
// exactly what it would have drawn.
#ifndef SENT_TRAIN_RNG_H
#define SENT_TRAIN_RNG_H

#include <stdint.h>

static inline uint64_t hash_u64(uint64_t x) {  // splitmix64's finaliser
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Uniform in [0, 1) with 53 random bits.
static inline double uniform01(uint64_t seed, uint64_t i) {
    return (double)(hash_u64(seed ^ hash_u64(i)) >> 11) * 0x1.0p-53;
}

#endif
