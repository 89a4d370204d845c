/*
 * The ARM DSP dot product (Cortex-M4/M7, ARMv7-A): internal to the arm/
 * variants. Include only where FLM_KERNELS_ARM_DSP is 1.
 */
#ifndef FLM_KERNELS_ARM_DOT_DSP_H
#define FLM_KERNELS_ARM_DOT_DSP_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

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
        int32_t w02 = __sxtb16((int32_t)w), w13 = __sxtb16((int32_t)(w >> 8)); /* bytes 0, 2 / 1, 3 */
        sum = __smlabb(w02, x01, sum);
        sum = __smlabt(w13, x01, sum);
        sum = __smlatb(w02, x23, sum);
        sum = __smlatt(w13, x23, sum);
    }
    for (; n; n--)
        sum += *q++ * *x++;
    return sum;
}

#endif /* FLM_KERNELS_ARM_DOT_DSP_H */
