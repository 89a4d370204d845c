/*
 * The ARM DSP dot product (Cortex-M4/M7, ARMv7-A): internal to the arm/
 * variants. Include only where FLM_KERNELS_ARM_DSP is 1.
 */
#ifndef FLM_KERNELS_ARM_DOT_DSP_H
#define FLM_KERNELS_ARM_DOT_DSP_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "core/kernels/priv/fixed.h"

/* SXTB16 of x rotated right by 8 (its bytes 1 and 3), in one instruction:
 * GCC spells __sxtb16(x >> 8) as a shift and an SXTB16. */
static inline int32_t flm_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* (x0, x2) and (x1, x3) of four activations: PKHBT and PKHTB (GCC does not
 * find them in the C spelling, and ACLE has no intrinsic), the order
 * SXTB16 leaves a word of int8 weights in: (w0, w2), and (w1, w3) rotated */
static inline void flm_pair_x_dsp(const int16_t *x, int32_t *x02, int32_t *x13)
{
    uint32_t x01, x23;
    memcpy(&x01, x, 4);
    memcpy(&x23, x + 2, 4);
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(*x02) : "r"(x01), "r"(x23));
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(*x13) : "r"(x23), "r"(x01));
}

/* flm_dot_q8_s16_ref with SXTB16 and SMLAxy: per 4 columns, one word of
 * weights split by SXTB16 into (w0, w2) and (w1, w3) and four 16 x 16 MACs
 * that pick the halves, instead of 8 sign-extending loads. A group sum is
 * exact in int32 whatever the order, so the bits are the plain loop's. */
static inline int32_t flm_dot_q8_s16_dsp(const int8_t *q, const int16_t *x, uint32_t n)
{
    int32_t sum = 0;
    for (; n >= 4; n -= 4, q += 4, x += 4) {
        uint32_t w;
        int32_t x01, x23;
        memcpy(&w, q, 4); /* unaligned word loads are fine on these cores */
        memcpy(&x01, x, 4);
        memcpy(&x23, x + 2, 4);
        int32_t w02 = __sxtb16((int32_t)w), w13 = flm_sxtb16_ror8(w); /* bytes 0, 2 / 1, 3 */
        sum = __smlabb(w02, x01, sum);
        sum = __smlabt(w13, x01, sum);
        sum = __smlatb(w02, x23, sum);
        sum = __smlatt(w13, x23, sum);
    }
    for (; n; n--)
        sum += *q++ * *x++;
    return sum;
}

/* flm_dot_q4_s16_ref with SXTB16 and SMLAxy, eight columns (one word of
 * nibbles) a step: masking the high nibbles of each byte, and the low ones
 * shifted up, leaves 16 * v in every byte, which SXTB16 (with a rotate for
 * the odd bytes) spreads into halfwords; eight 16 x 16 MACs sum
 * 16 * v * x (<= 2^22 each, so <= 256 columns stay exact in int32, as
 * for int8) and the exact multiple of 16 is divided out at the end. */
static inline int32_t flm_dot_q4_s16_dsp(const uint8_t *q, const int16_t *x, uint32_t n)
{
    int32_t sum = 0; /* 16 times the dot product */
    for (; n >= 8; n -= 8, q += 4, x += 8) {
        uint32_t w;
        int32_t x01, x23, x45, x67;
        memcpy(&w, q, 4);
        memcpy(&x01, x, 4);
        memcpy(&x23, x + 2, 4);
        memcpy(&x45, x + 4, 4);
        memcpy(&x67, x + 6, 4);
        uint32_t even = (w << 4) & 0xF0F0F0F0u, odd = w & 0xF0F0F0F0u; /* 16 v of elements 0,2,4,6 / 1,3,5,7 */
        int32_t e04 = __sxtb16((int32_t)even), e26 = flm_sxtb16_ror8(even);
        int32_t o15 = __sxtb16((int32_t)odd), o37 = flm_sxtb16_ror8(odd);
        sum = __smlabb(e04, x01, sum);
        sum = __smlabt(o15, x01, sum);
        sum = __smlabb(e26, x23, sum);
        sum = __smlabt(o37, x23, sum);
        sum = __smlatb(e04, x45, sum);
        sum = __smlatt(o15, x45, sum);
        sum = __smlatb(e26, x67, sum);
        sum = __smlatt(o37, x67, sum);
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t u = i % 2u ? (uint32_t)q[i / 2] >> 4 : q[i / 2] & 15u;
        sum += 16 * ((int32_t)(u ^ 8u) - 8) * x[i];
    }
    return sum / 16; /* exact: every term is a multiple of 16 */
}

/* flm_rescale_sat32(v, s) for s in [0, 31] in 32-bit operations (any other
 * s goes to it): v + 2^(s-1) (|v| <= 2^62, no overflow) shifted right
 * arithmetically by s is the round half up, and the result fits int32
 * exactly when the shifted high word is the low word's sign; else it
 * saturates by that sign. Register shifts by 32 give 0 (s = 0). */
static inline int32_t flm_rescale_sat32_dsp(int64_t v, int32_t s)
{
    if ((uint32_t)s > 31u)
        return flm_rescale_sat32(v, s);
    uint64_t u = (uint64_t)v + (1u << s >> 1);
    uint32_t lo = (uint32_t)u, hi = (uint32_t)(u >> 32), t;
    __asm__("lsr    %[lo], %[lo], %[s]\n\t"
            "lsl    %[t], %[hi], %[ns]\n\t"
            "orr    %[lo], %[lo], %[t]\n\t"
            "asr    %[hi], %[hi], %[s]\n\t"
            "cmp    %[hi], %[lo], asr #31\n\t"
            "itt    ne\n\t"
            "mvnne  %[lo], #0x80000000\n\t"
            "eorne  %[lo], %[lo], %[hi], asr #31"
            : [lo] "+r"(lo), [hi] "+r"(hi), [t] "=&r"(t)
            : [s] "r"(s), [ns] "r"(32 - s)
            : "cc");
    return (int32_t)lo;
}

#endif /* FLM_KERNELS_ARM_DOT_DSP_H */
