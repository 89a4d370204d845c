/*
 * Fixed-point helpers shared by the kernels (internal to core/kernels/).
 *
 * C leaves `>>` of a negative value implementation-defined, so every shift
 * of a signed value goes through these helpers, which are written with
 * unsigned shifts only and give the same bits on every target. Rounding is
 * round-half-up (toward +inf on ties) everywhere; see core/kernels/NUMERICS.md.
 */
#ifndef FLM_KERNELS_FIXED_H
#define FLM_KERNELS_FIXED_H

#include <stdint.h>

#define FLM_Q30_ONE (INT32_C(1) << 30)
#define FLM_LN2_Q30   INT64_C(744261118)  /* ln 2 */
#define FLM_LOG2E_Q30 INT64_C(1549082005) /* log2 e */
#define FLM_2PI_Q28   INT64_C(1686629713) /* 2 pi */

/* For the kernel bodies written once and instantiated per variant
 * (matvec_q8_impl.h, attention_impl.h): inlined into each, the dot product
 * passed in becomes a direct, inlined call and register allocation sees
 * the whole loop, as if the body were written out in each variant. */
#if defined(__GNUC__)
#define FLM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FLM_ALWAYS_INLINE inline
#endif

extern const uint32_t flm_exp2_tab[256];
extern const int32_t  flm_ln1p_tab[64];
extern const int32_t  flm_sin_tab[65];

/* floor(v / 2^s), s in [0, 63]. */
static inline int64_t flm_floor_shr64(int64_t v, uint32_t s)
{
    if (v >= 0)
        return (int64_t)((uint64_t)v >> s);
    return -(int64_t)((uint64_t)(-(v + 1)) >> s) - 1;
}

/* floor(v / 2^s + 1/2): round half up, for any v and s >= 0. The half is
 * bit s-1 of v's remainder (two's complement), so nothing can overflow. */
static inline int64_t flm_round_shr64(int64_t v, uint32_t s)
{
    if (s == 0)
        return v;
    if (s > 63)
        return 0;
    return flm_floor_shr64(v, s) + (int64_t)(((uint64_t)v >> (s - 1)) & 1u);
}

/* flm_round_shr64 for an int32 in 32-bit arithmetic (s in [0, 31]). */
static inline int32_t flm_round_shr32(int32_t v, uint32_t s)
{
    if (s == 0)
        return v;
    int32_t fl = v >= 0 ? (int32_t)((uint32_t)v >> s) : -(int32_t)((uint32_t)(-(v + 1)) >> s) - 1;
    return fl + (int32_t)(((uint32_t)v >> (s - 1)) & 1u);
}

/* flm_round_shr32(v, s) for s in [1, 31] (and v != INT32_MAX when s = 1)
 * in four unsigned operations, branch-free: u = v + 2^31 and y = u >> (s-1)
 * = floor(v / 2^(s-1)) + 2^(32-s), so (y + 1) >> 1 is floor((floor(v /
 * 2^(s-1)) + 1) / 2) + 2^(31-s) = round(v / 2^s) + 2^(31-s) (a floor of a
 * floor is one floor); y + 1 wraps only for s = 1 and v = INT32_MAX. In a
 * loop the shift and the bias 2^(31-s) are hoisted. */
static inline int32_t flm_round_shr32_nz(int32_t v, uint32_t s)
{
    uint32_t y = ((uint32_t)v ^ 0x80000000u) >> (s - 1);
    return (int32_t)((y + 1) >> 1) - (int32_t)(1u << (31 - s));
}

/* flm_round_shr64(v, s) for s in [0, 63] and v + half <= INT64_MAX, with
 * half = 2^(s-1) (0 for s = 0) computed once by the caller: then
 * floor((v + half) / 2^s) is the round half up; a negative value's floor is
 * the complement of its complement's shift. Branch-free, one 64-bit shift
 * (flm_round_shr64 takes two and a branch on the sign). */
static inline int64_t flm_round_shr64_half(int64_t v, uint64_t half, uint32_t s)
{
    uint64_t u = (uint64_t)v + half;
    int64_t neg = -(int64_t)(u >> 63);
    return (int64_t)((u ^ (uint64_t)neg) >> s) ^ neg;
}

static inline int32_t flm_sat32(int64_t v)
{
    if (v > INT32_MAX)
        return INT32_MAX;
    if (v < INT32_MIN)
        return INT32_MIN;
    return (int32_t)v;
}

/* v * 2^-s rounded half up (s > 0) or v * 2^|s| (s < 0), saturated to int32. */
static inline int32_t flm_rescale_sat32(int64_t v, int32_t s)
{
    if (s >= 0)
        return flm_sat32(flm_round_shr64(v, (uint32_t)s));
    if (v == 0)
        return 0;
    if (s < -31)
        return v > 0 ? INT32_MAX : INT32_MIN;
    int64_t lim = (int64_t)1 << (31 + s); /* 2^(31-|s|) */
    if (v >= lim)
        return INT32_MAX;
    if (v < -lim)
        return INT32_MIN;
    return (int32_t)(v * ((int64_t)1 << -s));
}

/* Number of significant bits of v (0 for 0). */
static inline uint32_t flm_bitlen64(uint64_t v)
{
    uint32_t n = 0;
    for (uint32_t step = 32; step; step >>= 1) {
        if (v >> step) {
            v >>= step;
            n += step;
        }
    }
    return n + (uint32_t)v;
}

static inline uint32_t flm_abs32(int32_t v)
{
    return v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v;
}

/* Leading zero bits of d != 0. */
static inline uint32_t flm_clz32(uint32_t d)
{
#if defined(__GNUC__)
    return (uint32_t)__builtin_clz(d);
#else
    uint32_t n = 0;
    for (; !(d & 0x80000000u); d <<= 1)
        n++;
    return n;
#endif
}

/* floor(n / d) when the quotient fits 32 bits (n >> 32 < d), in 32-bit
 * operations: Hacker's Delight's divlu, two 16-bit quotient digits, each
 * estimated by a 32/16 division and corrected at most twice. A 32-bit core
 * does it with two hardware divisions instead of a 64-bit library call
 * (__udivmoddi4 on ARM), and every target gets the exact quotient. */
static inline uint32_t flm_udiv64_32(uint64_t n, uint32_t d)
{
    uint32_t u1 = (uint32_t)(n >> 32), u0 = (uint32_t)n;
    if (u1 == 0)
        return u0 / d;
    uint32_t s = flm_clz32(d); /* d > u1 > 0 */
    d <<= s;
    uint32_t vn1 = d >> 16, vn0 = d & 0xFFFFu;
    uint32_t un32 = (u1 << s) | (u0 >> 1 >> (31 - s));
    uint32_t un10 = u0 << s, un1 = un10 >> 16, un0 = un10 & 0xFFFFu;
    uint32_t q1 = un32 / vn1, rhat = un32 - q1 * vn1;
    while (q1 > 0xFFFFu || q1 * vn0 > (rhat << 16) + un1) {
        q1--;
        rhat += vn1;
        if (rhat > 0xFFFFu)
            break;
    }
    uint32_t un21 = (un32 << 16) + un1 - q1 * d; /* mod 2^32: the remainder < d */
    uint32_t q0 = un21 / vn1;
    rhat = un21 - q0 * vn1;
    while (q0 > 0xFFFFu || q0 * vn0 > (rhat << 16) + un0) {
        q0--;
        rhat += vn1;
        if (rhat > 0xFFFFu)
            break;
    }
    return (q1 << 16) + q0;
}

/* floor(n / d) for any n and d != 0, with a 32-bit divisor: the high word's
 * quotient by a 32-bit division, the rest by flm_udiv64_32. */
static inline uint64_t flm_udiv64_by32(uint64_t n, uint32_t d)
{
    uint32_t qh = (uint32_t)(n >> 32) / d;
    return (uint64_t)qh << 32 | flm_udiv64_32(n - ((uint64_t)(qh * d) << 32), d);
}

/* The dot product under the matvec and attention kernels: sum q[i] * x[i]
 * in int32, exact while n * 2^22 < 2^31 (callers keep n <= 256). A variant
 * (core/kernels/arm/dot_dsp.h) may sum in any order: the sum is exact, so
 * the bits are the same. */
typedef int32_t (*flm_dot_q8_s16_fn)(const int8_t *q, const int16_t *x, uint32_t n);

/* Four columns a step: fewer loop branches on cores without SIMD (M3). */
static inline int32_t flm_dot_q8_s16_ref(const int8_t *q, const int16_t *x, uint32_t n)
{
    int32_t sum = 0;
    for (; n >= 4; n -= 4, q += 4, x += 4)
        sum += q[0] * x[0] + q[1] * x[1] + q[2] * x[2] + q[3] * x[3];
    for (; n; n--)
        sum += *q++ * *x++;
    return sum;
}

/* The 16-bit code nearest to s (Q24), capped at 2047 << 20 so a decoded
 * scale always fits an int32 (flm_quantize_s8 and its variants). */
static inline uint16_t flm_kv_scale_code(uint64_t s)
{
    /* s < 2^(e + 11) at least for the e that fits: start at bitlen - 12 (s
     * < 2^33: the step of an int32's amax), one or two steps from there */
    uint32_t hi = (uint32_t)(s >> 32), bits = hi ? 64 - flm_clz32(hi) : s ? 32 - flm_clz32((uint32_t)s) : 0;
    uint32_t e = bits > 12 ? bits - 12 : 0;
    while ((s + ((uint64_t)1 << e >> 1)) >> e > 2047u)
        e++;
    uint64_t m = (s + ((uint64_t)1 << e >> 1)) >> e;
    if (e > 20)
        return (uint16_t)(20u << 11 | 2047u);
    return (uint16_t)(e << 11 | (uint32_t)m);
}

#endif /* FLM_KERNELS_FIXED_H */
