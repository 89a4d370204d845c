/*
 * The MVE (Helium) dot products of ARMv8.1-M (Cortex-M55): internal to the
 * arm/ variants. Include only where FLM_KERNELS_ARM_MVE is 1.
 *
 * Eight int8 weights are loaded widened into int16 lanes (VLDRB.S16) and
 * multiplied with eight int16 activations, the products summed into a
 * 32-bit scalar by one VMLADAVA: each product is at most 2^22 and a group
 * of at most 256 sums exactly in int32, so any order gives the _ref's bits.
 */
#ifndef FLM_KERNELS_ARM_DOT_MVE_H
#define FLM_KERNELS_ARM_DOT_MVE_H

#include <arm_mve.h>
#include <stdint.h>

#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q4_impl.h" /* flm_nibble_s4 */

/* flm_rescale_sat32 with the v8.1-M long shifts (ASRL) where 1 <= s <= 62:
 * round_half_up(v / 2^s) = (t + 1) >> 1 with t = v >> (s - 1), which is
 * flm_round_shr64's floor plus the last bit shifted out, then saturated to
 * int32; other shifts take flm_rescale_sat32 itself. */
static inline int32_t flm_rescale_sat32_mve(int64_t v, int32_t s)
{
    if (s < 1 || s > 62)
        return flm_rescale_sat32(v, s);
    int64_t t = asrl(v, s - 1);
    int64_t r = asrl(t + 1, 1); /* |t| < 2^62: t + 1 cannot overflow */
    return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

/* flm_dot_q8_s16_ref: a group of 32 (the converter's default) in 12
 * instructions, any other length 16 columns a step and a predicated step
 * for the last 1..15 (the lanes past n neither load nor add). */
static inline int32_t flm_dot_q8_s16_mve(const int8_t *q, const int16_t *x, uint32_t n)
{
    if (n == 32u) {
        int32_t s = vmladavq_s16(vldrbq_s16(q), vldrhq_s16(x));
        s = vmladavaq_s16(s, vldrbq_s16(q + 8), vldrhq_s16(x + 8));
        s = vmladavaq_s16(s, vldrbq_s16(q + 16), vldrhq_s16(x + 16));
        return vmladavaq_s16(s, vldrbq_s16(q + 24), vldrhq_s16(x + 24));
    }
    int32_t sum = 0;
    for (; n >= 16; n -= 16, q += 16, x += 16) {
        sum = vmladavaq_s16(sum, vldrbq_s16(q), vldrhq_s16(x));
        sum = vmladavaq_s16(sum, vldrbq_s16(q + 8), vldrhq_s16(x + 8));
    }
    if (n >= 8) {
        sum = vmladavaq_s16(sum, vldrbq_s16(q), vldrhq_s16(x));
        n -= 8, q += 8, x += 8;
    }
    if (n) {
        mve_pred16_t p = vctp16q(n);
        sum = vmladavaq_p_s16(sum, vldrbq_z_s16(q, p), vldrhq_z_s16(x, p), p);
    }
    return sum;
}

/* flm_dot_q4_s16_ref, 16 columns (8 bytes of nibbles) a step: the bytes
 * zero-extended into int16 lanes, each nibble sign-extended by a shift up
 * to the lane's top and an arithmetic shift down; the activations split
 * into even and odd columns by VLD20/VLD21, the low nibbles (even columns)
 * and the high ones (odd) summed by VMLADAVA (|product| <= 2^18, exact). */
static inline int32_t flm_dot_q4_s16_16_mve(int32_t sum, const uint8_t *q, const int16_t *x)
{
    int16x8_t b = vreinterpretq_s16_u16(vldrbq_u16(q));
    int16x8_t lo = vshrq_n_s16(vshlq_n_s16(b, 12), 12);
    int16x8_t hi = vshrq_n_s16(vshlq_n_s16(b, 8), 12);
    int16x8x2_t xx = vld2q_s16(x);
    sum = vmladavaq_s16(sum, lo, xx.val[0]);
    return vmladavaq_s16(sum, hi, xx.val[1]);
}

static inline int32_t flm_dot_q4_s16_mve(const uint8_t *q, const int16_t *x, uint32_t n)
{
    if (n == 32u) /* the converter's group: no loop */
        return flm_dot_q4_s16_16_mve(flm_dot_q4_s16_16_mve(0, q, x), q + 8, x + 16);
    int32_t sum = 0;
    for (; n >= 16; n -= 16, q += 8, x += 16)
        sum = flm_dot_q4_s16_16_mve(sum, q, x);
    for (uint32_t i = 0; i < n; i++)
        sum += flm_nibble_s4(i % 2u ? (uint32_t)q[i / 2] >> 4 : q[i / 2] & 15u) * x[i];
    return sum;
}

#endif /* FLM_KERNELS_ARM_DOT_MVE_H */
