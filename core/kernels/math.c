/* Elementary functions in fixed point: isqrt, exp, ln, sin/cos. */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

/* floor(sqrt(v)) by Newton's iteration from x >= it: each step
 * floor((x + floor(v / x)) / 2) stays >= floor(sqrt(v)) and decreases
 * until it reaches it, so the first step that does not decrease ends. */
static uint32_t isqrt_u32(uint32_t v)
{
    if (v < 2)
        return v;
    uint32_t x = 1u << ((32 - flm_clz32(v) + 1) / 2); /* 2^ceil(bits / 2) > sqrt(v) */
    for (;;) {
        uint32_t y = (x + v / x) / 2; /* x <= 2^16: no overflow */
        if (y >= x)
            return x;
        x = y;
    }
}

uint32_t flm_isqrt_u64(uint64_t v)
{
    /* Exact floor, same on every target. Past 32 bits: the root of v's top
     * 30..32 bits (v = a 2^2s + rest) gives x = (isqrt(a) + 1) 2^s >= sqrt(v)
     * within a relative 2^-15, and two or three Newton steps with 64 / 32-bit
     * divisions (flm_udiv64_by32: no 64-bit library call) finish it; the
     * bit-by-bit loop took 32 steps of 64-bit arithmetic. */
    if (v >> 32 == 0)
        return isqrt_u32((uint32_t)v);
    if (v >= UINT64_C(0xFFFFFFFE00000001)) /* (2^32 - 1)^2 */
        return UINT32_MAX;
    uint32_t bits = 64 - flm_clz32((uint32_t)(v >> 32)); /* 33..64 */
    uint32_t s = (bits - 31) / 2;                          /* v >> 2s in [2^30, 2^32) */
    uint64_t x = (uint64_t)(isqrt_u32((uint32_t)(v >> (2 * s))) + 1) << s;
    if (x > UINT32_MAX)
        x = UINT32_MAX; /* still >= floor(sqrt(v)) < 2^32 */
    for (;;) {
        uint64_t y = (x + flm_udiv64_by32(v, (uint32_t)x)) / 2;
        if (y >= x)
            return (uint32_t)x;
        x = y;
    }
}

/* round(a * b / 2^s), s in [1, 31], for a product whose quotient fits 32
 * bits: (v >> s) + bit s-1 of v is (v + 2^(s-1)) >> s, one UMLAL and two
 * shifts on a 32-bit core (the rounding add cannot overflow: v < 2^63). */
static inline uint32_t mul_round_shr(uint32_t a, uint32_t b, uint32_t s)
{
    return (uint32_t)(((uint64_t)a * b + ((uint64_t)1 << (s - 1))) >> s);
}

uint32_t flm_exp_q16(int32_t x)
{
    if (x >= 0)
        return (uint32_t)FLM_Q30_ONE;
    /* exp(x) = 2^-y, y = -x log2(e) > 0 in Q30, rounded up; 2^-y = 2^f / 2^k
     * with k = ceil(y) and f = k - y in [0, 1). All unsigned from here, and
     * 32-bit past y (< 2^47): f is -y mod 2^30, so y's low word gives it,
     * and k is y >> 30 (from the high word) plus 1 unless f is 0. */
    uint64_t y = ((uint64_t)(0u - (uint32_t)x) * (uint32_t)FLM_LOG2E_Q30 + 0xFFFFu) >> 16;
    uint32_t f = (0u - (uint32_t)y) & 0x3FFFFFFFu;
    uint32_t k = (uint32_t)(y >> 30) + (f != 0);
    if (k > 31)
        return 0;
    /* 2^f = 2^(i/256) * e^z, z = (f mod 1/256) ln 2 < 0.0028: 1 + z + z^2/2 + z^3/6 */
    uint32_t z = mul_round_shr(f & 0x3FFFFFu, (uint32_t)FLM_LN2_Q30, 30);
    uint32_t z2 = mul_round_shr(z, z, 31);
    uint32_t z3 = mul_round_shr(z2, z, 30) / 3u;
    uint32_t poly = (uint32_t)FLM_Q30_ONE + z + z2 + z3;
    uint32_t m = mul_round_shr(flm_exp2_tab[f >> 22], poly, 30); /* < 2^31 */
    /* k >= 1 (y >= 1 for x < 0); m + 2^(k-1) < 2^32 */
    return (m + (1u << (k - 1))) >> k;
}

int32_t flm_ln_q16(uint64_t v, int32_t frac_bits)
{
    if (v == 0)
        return INT32_MIN;
    /* v = m * 2^b with m in [1, 2) as Q30 (truncated: error < 2^-30). */
    int32_t b = (int32_t)flm_bitlen64(v) - 1;
    uint64_t m = b >= 30 ? v >> (b - 30) : v << (30 - b);
    /* m = t (1 + r) with t = 1 + i/64 from the table, r < 1/64. */
    uint32_t i = (uint32_t)(m >> 24) & 63u;
    uint64_t t = ((uint64_t)1 << 30) + ((uint64_t)i << 24);
    int64_t r = (int64_t)((((m - t) << 30) + t / 2) / t);
    int64_t r2 = flm_round_shr64(r * r, 30);
    int64_t r3 = flm_round_shr64(r2 * r, 30);
    int64_t ln_q30 = flm_ln1p_tab[i] + r - flm_round_shr64(r2, 1) + r3 / 3 +
                     ((int64_t)b - frac_bits) * FLM_LN2_Q30;
    return flm_sat32(flm_round_shr64(ln_q30, 14));
}

/* sin of i/256 turn from the quarter-wave table. */
static int32_t sin_step(uint32_t i)
{
    uint32_t k = i & 63u;
    switch ((i >> 6) & 3u) {
    case 0: return flm_sin_tab[k];
    case 1: return flm_sin_tab[64 - k];
    case 2: return -flm_sin_tab[k];
    default: return -flm_sin_tab[64 - k];
    }
}

void flm_sincos_q30(uint32_t turns, int32_t *sin_q30, int32_t *cos_q30)
{
    uint32_t i = turns >> 24;
    /* remainder b < 1/256 turn in radians: sin b ~ b - b^3/6,
     * cos b ~ 1 - b^2/2 + b^4/24 */
    int64_t b = flm_round_shr64((int64_t)(turns & 0xFFFFFFu) * FLM_2PI_Q28, 30); /* Q30 */
    int64_t b2 = flm_round_shr64(b * b, 30);
    int64_t sb = b - flm_round_shr64(b2 * b, 30) / 6;
    int64_t cb = FLM_Q30_ONE - flm_round_shr64(b2, 1) + flm_round_shr64(b2 * b2, 30) / 24;
    int64_t sa = sin_step(i), ca = sin_step(i + 64u);
    *sin_q30 = flm_sat32(flm_round_shr64(sa * cb + ca * sb, 30));
    *cos_q30 = flm_sat32(flm_round_shr64(ca * cb - sa * sb, 30));
}
