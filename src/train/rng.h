// A counter-based generator: the value for (seed, i) needs no state, so dropout masks, MLM masks,
// shuffles and initial weights are the same whatever the thread count, and a resumed run draws
// exactly what it would have drawn.
#ifndef SENT_TRAIN_RNG_H
#define SENT_TRAIN_RNG_H

#include <stdint.h>

#include "util.h"

static inline uint64_t hash_u64(uint64_t x) { return sent_mix64(x); }

// Uniform in [0, 1) with 53 random bits.
static inline double uniform01(uint64_t seed, uint64_t i) {
    return (double)(hash_u64(seed ^ hash_u64(i)) >> 11) * 0x1.0p-53;
}

#endif
