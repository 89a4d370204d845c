/* flm_matvec_q8_s16 with the ARM DSP extension (Cortex-M4/M7/M33, ARMv7-A).
 *
 * Two rows a pass over the same activations. Per 4 columns the activations
 * are loaded once and paired as (x0, x2) and (x1, x3) with PKHBT/PKHTB, the
 * order SXTB16 leaves a word of weights in ((w0, w2), and (w1, w3) rotated),
 * so each row's 4 multiply-accumulates are 2 SMLADs after one word load and
 * 2 SXTB16s: about 1.6 instructions a MAC for two rows, against 3.5 for the
 * one-row dot product. A group's sum is exact in int32 whatever the order
 * (|product| <= 2^22, gs <= 256), so the bits are the reference's.
 * Shapes this layout does not fit (a group longer than 256 columns or not a
 * multiple of 4) go through the reference body over the DSP dot product.
 * Empty off DSP targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DSP
#include "core/kernels/arm/dot_dsp.h"
#include "core/kernels/priv/matvec_q8_impl.h"

/* (x0, x2) and (x1, x3) of four activations: PKHBT and PKHTB (GCC does not
 * find them in the C spelling, and ACLE has no intrinsic) */
static FLM_ALWAYS_INLINE void pair_x(const int16_t *x, int32_t *x02, int32_t *x13)
{
    uint32_t x01, x23;
    memcpy(&x01, x, 4);
    memcpy(&x23, x + 2, 4);
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(*x02) : "r"(x01), "r"(x23));
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(*x13) : "r"(x23), "r"(x01));
}

static FLM_ALWAYS_INLINE int32_t mac4(const int8_t *q, int32_t x02, int32_t x13, int32_t sum)
{
    uint32_t w;
    memcpy(&w, q, 4); /* unaligned word loads are fine on these cores */
    sum = __smlad(__sxtb16((int32_t)w), x02, sum);
    return __smlad(flm_sxtb16_ror8(w), x13, sum);
}

/* Rows r and r + 1 (q1 = q0 + cols), every group gs columns but the last.
 * Not inlined: on its own GCC keeps more of the loop in registers. */
static __attribute__((noinline)) void two_rows(const int8_t *q0, const int32_t *s0,
                                               uint32_t cols, uint32_t gs, uint32_t ng,
                                               const int16_t *x, int64_t acc[2])
{
    const int8_t *q1 = q0 + cols;
    const int32_t *s1 = s0 + ng;
    int64_t a0 = 0, a1 = 0;
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t len = g + 1 < ng ? gs : cols - g * gs;
        const int16_t *x4 = x + (len & ~3u), *xe = x + len;
        int32_t d0 = 0, d1 = 0;
        for (; x < x4; x += 4, q0 += 4, q1 += 4) {
            int32_t x02, x13;
            pair_x(x, &x02, &x13);
            d0 = mac4(q0, x02, x13, d0);
            d1 = mac4(q1, x02, x13, d1);
        }
        for (; x < xe; x++) {
            d0 += *q0++ * *x;
            d1 += *q1++ * *x;
        }
        a0 += (int64_t)d0 * s0[g];
        a1 += (int64_t)d1 * s1[g];
    }
    acc[0] = a0;
    acc[1] = a1;
}

static __attribute__((noinline)) int64_t one_row(const int8_t *q, const int32_t *s,
                                                 uint32_t cols, uint32_t gs, uint32_t ng,
                                                 const int16_t *x)
{
    int64_t a = 0;
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t len = g + 1 < ng ? gs : cols - g * gs;
        const int16_t *x4 = x + (len & ~3u), *xe = x + len;
        int32_t d = 0;
        for (; x < x4; x += 4, q += 4) {
            int32_t x02, x13;
            pair_x(x, &x02, &x13);
            d = mac4(q, x02, x13, d);
        }
        for (; x < xe; x++)
            d += *q++ * *x;
        a += (int64_t)d * s[g];
    }
    return a;
}

flm_err_t flm_matvec_q8_s16_dsp(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    if (gs > 256u || gs % 4u != 0)
        return flm_matvec_q8_s16_with(flm_dot_q8_s16_dsp, w, x, x_shift, out, out_shift);
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    uint32_t r = 0;
    for (; r + 2 <= w->rows; r += 2) {
        int64_t acc[2];
        two_rows(w->q + (size_t)r * cols, w->s + (size_t)r * ng, cols, gs, ng, x, acc);
        out[r] = flm_rescale_sat32(acc[0], shift);
        out[r + 1] = flm_rescale_sat32(acc[1], shift);
    }
    if (r < w->rows)
        out[r] = flm_rescale_sat32(
            one_row(w->q + (size_t)r * cols, w->s + (size_t)r * ng, cols, gs, ng, x), shift);
    return FLM_OK;
}
#endif
