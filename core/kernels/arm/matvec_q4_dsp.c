/* flm_matvec_q4_s16 with the ARM DSP extension (Cortex-M4/M7/M33, ARMv7-A).
 *
 * Two rows a pass over the same activations, as the int8 variant does. A
 * word of weights holds 8 nibbles, v0 in the low one of byte 0 ... v7 in
 * the high one of byte 3. Masking the high nibbles (odd columns) and the
 * low ones shifted up (even columns) leaves 16 v in every byte, and SXTB16
 * (with a rotate for bytes 1 and 3) spreads them into halfwords:
 * (16 v0, 16 v4), (16 v2, 16 v6), (16 v1, 16 v5), (16 v3, 16 v7). The
 * activations are paired once per call into that order, (x0, x4), (x1,
 * x5), (x2, x6), (x3, x7), so per 8 columns each row costs one word load,
 * 3 mask operations, 4 SXTB16 and 4 SMLAD, and the two rows share 4 loads
 * of paired activations: about 1.9 instructions a multiply-accumulate,
 * against 2.9 for the one-row dot product (flm_dot_q4_s16_dsp). A group
 * sums 16 v x (|term| <= 2^22, so <= 256 columns stay exact in int32
 * whatever the order) and the exact multiple of 16 is divided out, so the
 * bits are the reference's. The last group's last cols % 8 columns (the
 * FFN's 172 of stories260K) are summed one at a time. Shapes this layout
 * does not fit (a group longer than 256 columns or not a multiple of 8,
 * more than FAST_COLS columns) go through the reference body over the DSP
 * dot product.
 * Empty off DSP targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DSP
#include "core/kernels/arm/dot_dsp.h"
#include "core/kernels/priv/matvec_q4_impl.h"

#define FAST_COLS 512u

/* x in the order SXTB16 leaves the nibbles of a word in: 4 words per 8
 * columns (the whole eights of cols). */
static void pair_x(const int16_t *x, uint32_t cols, uint32_t *xp)
{
    for (uint32_t c = 0; c + 8 <= cols; c += 8, x += 8, xp += 4)
        for (uint32_t k = 0; k < 4; k++)
            xp[k] = (uint32_t)(uint16_t)x[k] | (uint32_t)(uint16_t)x[k + 4] << 16;
}

/* 16 times the dot product of 8 nibbles (one word) with their paired x. */
static FLM_ALWAYS_INLINE int32_t mac8(uint32_t w, const uint32_t *xp, int32_t sum)
{
    uint32_t even = (w << 4) & 0xF0F0F0F0u, odd = w & 0xF0F0F0F0u;
    sum = __smlad(__sxtb16((int32_t)even), (int32_t)xp[0], sum); /* v0, v4 */
    sum = __smlad(__sxtb16((int32_t)odd), (int32_t)xp[1], sum);  /* v1, v5 */
    sum = __smlad(flm_sxtb16_ror8(even), (int32_t)xp[2], sum);   /* v2, v6 */
    return __smlad(flm_sxtb16_ror8(odd), (int32_t)xp[3], sum);   /* v3, v7 */
}

/* The dot product of n < 8 nibbles from the low one of q[0] with x. */
static int32_t tail(const uint8_t *q, const int16_t *x, uint32_t n)
{
    int32_t d = 0;
    for (uint32_t i = 0; i < n; i++)
        d += flm_nibble_s4(i % 2u ? (uint32_t)q[i / 2] >> 4 : q[i / 2] & 15u) * x[i];
    return d;
}

/* Rows r and r + 1 (q1 = q0 + row_bytes). The group sums are kept as
 * int32 and scaled in a second loop, so that the column loop has every
 * register it needs (with the int64 accumulators in it GCC spills around
 * each group). Written once for any gs and compiled twice (pairs_g32 and
 * pairs_any below): for gs 32, the converter's int4 default, the column
 * loop unrolls into straight code and the group loop keeps no trip count. */
static FLM_ALWAYS_INLINE void two_rows_impl(const uint8_t *q0, size_t row_bytes,
                                            const int32_t *s0, uint32_t cols, uint32_t gs,
                                            uint32_t ng, const uint32_t *xp, const int16_t *x,
                                            int64_t acc[2])
{
    int32_t d[2 * (FAST_COLS / 8)];
    const uint8_t *q1 = q0 + row_bytes;
    const uint32_t whole = cols / gs; /* groups of gs columns, all but a shorter last one */
    for (uint32_t g = 0; g < whole; g++) {
        int32_t d0 = 0, d1 = 0;
        _Pragma("GCC unroll 4") /* all of a group of 32 */
        for (uint32_t c = 0; c < gs; c += 8, xp += 4, q0 += 4, q1 += 4) {
            uint32_t w0, w1;
            memcpy(&w0, q0, 4); /* unaligned word loads are fine on these cores */
            memcpy(&w1, q1, 4);
            d0 = mac8(w0, xp, d0);
            d1 = mac8(w1, xp, d1);
        }
        d[2 * g] = d0 / 16; /* exact: every term is a multiple of 16 */
        d[2 * g + 1] = d1 / 16;
    }
    if (whole < ng) { /* the shorter last group: its eights, then the rest one at a time */
        uint32_t len = cols - whole * gs;
        int32_t d0 = 0, d1 = 0;
        for (uint32_t c = 0; c + 8 <= len; c += 8, xp += 4, q0 += 4, q1 += 4) {
            uint32_t w0, w1;
            memcpy(&w0, q0, 4);
            memcpy(&w1, q1, 4);
            d0 = mac8(w0, xp, d0);
            d1 = mac8(w1, xp, d1);
        }
        const int16_t *xt = x + (cols & ~7u);
        d[2 * whole] = d0 / 16 + tail(q0, xt, len % 8u);
        d[2 * whole + 1] = d1 / 16 + tail(q1, xt, len % 8u);
    }
    const int32_t *s1 = s0 + ng;
    int64_t a0 = 0, a1 = 0;
    for (uint32_t g = 0; g < ng; g++) {
        a0 += (int64_t)d[2 * g] * s0[g];
        a1 += (int64_t)d[2 * g + 1] * s1[g];
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* The pairs of rows of one call. */
typedef struct {
    const uint8_t  *q;
    const int32_t  *s;
    size_t          row_bytes;
    uint32_t        cols, gs, ng, pairs;
    const uint32_t *xp;
    const int16_t  *x;
    int32_t        *out;
    int32_t         shift;
} pairs_t;

static FLM_ALWAYS_INLINE void pairs_impl(const pairs_t *p, uint32_t gs)
{
    const uint8_t *q = p->q;
    const int32_t *s = p->s;
    int32_t *out = p->out;
    for (uint32_t i = 0; i < p->pairs; i++, q += 2 * p->row_bytes, s += 2 * p->ng, out += 2) {
        int64_t acc[2];
        two_rows_impl(q, p->row_bytes, s, p->cols, gs, p->ng, p->xp, p->x, acc);
        out[0] = flm_rescale_sat32_dsp(acc[0], p->shift);
        out[1] = flm_rescale_sat32_dsp(acc[1], p->shift);
    }
}

/* Not inlined: on its own GCC keeps the column loop in registers. */
static __attribute__((noinline)) void pairs_g32(const pairs_t *p)
{
    pairs_impl(p, 32u);
}

static __attribute__((noinline)) void pairs_any(const pairs_t *p)
{
    pairs_impl(p, p->gs);
}

static __attribute__((noinline)) int64_t one_row(const uint8_t *q, const int32_t *s,
                                                 uint32_t cols, uint32_t gs, uint32_t ng,
                                                 const uint32_t *xp, const int16_t *x)
{
    int64_t a = 0;
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t len = g + 1 < ng ? gs : cols - g * gs;
        const uint32_t *xe = xp + (len & ~7u) / 2;
        int32_t d = 0;
        for (; xp < xe; xp += 4, q += 4) {
            uint32_t w;
            memcpy(&w, q, 4);
            d = mac8(w, xp, d);
        }
        d /= 16;
        if (len % 8u)
            d += tail(q, x + cols - len % 8u, len % 8u);
        a += (int64_t)d * s[g];
    }
    return a;
}

flm_err_t flm_matvec_q4_s16_dsp(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_q4_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    if (gs > 256u || gs % 8u != 0 || cols > FAST_COLS)
        return flm_matvec_q4_s16_with(flm_dot_q4_s16_dsp, w, x, x_shift, out, out_shift);
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    const size_t row_bytes = ((size_t)cols + 1) / 2;
    const uint8_t *q = (const uint8_t *)w->q;
    uint32_t xp[FAST_COLS / 2];
    pair_x(x, cols, xp);
    const pairs_t p = { q, w->s, row_bytes, cols, gs, ng, w->rows / 2, xp, x, out, shift };
    if (gs == 32u)
        pairs_g32(&p);
    else
        pairs_any(&p);
    uint32_t r = w->rows & ~1u;
    if (r < w->rows)
        out[r] = flm_rescale_sat32_dsp(
            one_row(q + (size_t)r * row_bytes, w->s + (size_t)r * ng, cols, gs, ng, xp, x), shift);
    return FLM_OK;
}
#endif
