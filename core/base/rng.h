/*
 * The runtime's one pseudo-random generator: xorshift64*, returning the
 * high 32 bits of the product (llama2.c's random_u32, bit for bit, so a
 * sampling seed gives llama2.c's token stream). Fast and small; not for
 * secrets (keys and TLS take flm_hal_entropy()).
 */
#ifndef FLM_RNG_H
#define FLM_RNG_H

#include <stdint.h>

/* Any state works but 0, which stays 0: seed with flm_rng_seed(). */
static inline uint32_t flm_rng_u32(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (uint32_t)((*state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A usable state from any seed: 0 becomes a fixed nonzero constant. */
static inline uint64_t flm_rng_seed(uint64_t seed)
{
    return seed ? seed : 0x9E3779B97F4A7C15ULL;
}

#endif /* FLM_RNG_H */
