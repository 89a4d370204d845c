/* A sampling seed when the caller gave none: the HAL's entropy source, else
 * (no TRNG) its microsecond clock, mixed with a call counter, so runs in
 * the same second, or two draws in one run, differ. */
#include "core/runtime/runtime.h"

#include "core/hal/hal.h"

uint32_t flm_runtime_draw_seed(void)
{
    static uint64_t calls;
    uint64_t x = 0;
    if (flm_hal_entropy(&x, sizeof x) != FLM_OK)
        x = 0;
    x ^= flm_hal_time_us() ^ (++calls * 0x9E3779B97F4A7C15ULL);
    /* splitmix64's finaliser: every input bit reaches the 31 kept */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    uint32_t s = (uint32_t)(x & FLM_RUNTIME_SEED_MAX);
    return s ? s : 1;
}
