/*
 * The NEON pieces the arm/ int8 variants share (AArch64 and ARMv7-A):
 * internal to core/kernels/arm/. Include it only where FLM_KERNELS_ARM_NEON
 * is 1, after the file's `#pragma GCC target` (ARMv7-A: fpu=neon; the
 * dot-product file: +dotprod), so every function here gets that target.
 *
 * Every sum here is exact: an int8 x int16 product is at most 2^22 in
 * magnitude, so any part of a <= 256-column group sums exactly in int32
 * lanes, in any order; a group sum times its scale is an exact 32 x 32 ->
 * 64-bit product (vmlal_s32); the rows' int64 totals (< 2^61) and the
 * attention's value sums (< 2^54) are exact in any order.
 */
#ifndef FLM_KERNELS_ARM_NEON_Q8_H
#define FLM_KERNELS_ARM_NEON_Q8_H

#include <arm_neon.h>
#include <stdint.h>

#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q8_impl.h"

/* acc + the products of the high halves of a and b (smlal2 on AArch64) */
#if defined(__aarch64__)
#define FLM_NEON_MLAL_HI(acc, a, b) vmlal_high_s16((acc), (a), (b))
#define FLM_NEON_MLAL_HI32(acc, a, b) vmlal_high_s32((acc), (a), (b))
#else
#define FLM_NEON_MLAL_HI(acc, a, b) vmlal_s16((acc), vget_high_s16(a), vget_high_s16(b))
#define FLM_NEON_MLAL_HI32(acc, a, b) vmlal_s32((acc), vget_high_s32(a), vget_high_s32(b))
#endif

/* The totals of the lanes of a0..a3, one lane each. */
static inline int32x4_t flm_neon_hsum4(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3)
{
#if defined(__aarch64__)
    return vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3));
#else
    int32x2_t p0 = vpadd_s32(vget_low_s32(a0), vget_high_s32(a0));
    int32x2_t p1 = vpadd_s32(vget_low_s32(a1), vget_high_s32(a1));
    int32x2_t p2 = vpadd_s32(vget_low_s32(a2), vget_high_s32(a2));
    int32x2_t p3 = vpadd_s32(vget_low_s32(a3), vget_high_s32(a3));
    return vcombine_s32(vpadd_s32(p0, p1), vpadd_s32(p2, p3));
#endif
}

static inline int32_t flm_neon_hsum(int32x4_t a)
{
#if defined(__aarch64__)
    return vaddvq_s32(a);
#else
    int32x2_t p = vpadd_s32(vget_low_s32(a), vget_high_s32(a));
    return vget_lane_s32(vpadd_s32(p, p), 0);
#endif
}

/* sum q[i] * x[i] for i < n, plain C: the tails (fewer than 8 columns) */
static inline int32_t flm_neon_tail(const int8_t *q, const int16_t *x, uint32_t n)
{
    int32_t t = 0;
    for (uint32_t i = 0; i < n; i++)
        t += q[i] * x[i];
    return t;
}

/* ---- plain NEON: int8 widened to int16, 16 x 16 -> 32-bit MACs ---------- */

/* acc + the 16 products of w with (x0, x1) */
static inline int32x4_t flm_neon_mac16v(int32x4_t acc, int8x16_t w, int16x8_t x0, int16x8_t x1)
{
    int16x8_t wl = vmovl_s8(vget_low_s8(w)), wh = vmovl_s8(vget_high_s8(w));
    acc = vmlal_s16(acc, vget_low_s16(wl), vget_low_s16(x0));
    acc = FLM_NEON_MLAL_HI(acc, wl, x0);
    acc = vmlal_s16(acc, vget_low_s16(wh), vget_low_s16(x1));
    return FLM_NEON_MLAL_HI(acc, wh, x1);
}

/* acc + the 16 products of q[0..15] with (x0, x1) */
static inline int32x4_t flm_neon_mac16(int32x4_t acc, const int8_t *q, int16x8_t x0, int16x8_t x1)
{
    return flm_neon_mac16v(acc, vld1q_s8(q), x0, x1);
}

/* acc + the 8 products of w with x0 */
static inline int32x4_t flm_neon_mac8v(int32x4_t acc, int8x8_t w8, int16x8_t x0)
{
    int16x8_t w = vmovl_s8(w8);
    acc = vmlal_s16(acc, vget_low_s16(w), vget_low_s16(x0));
    return FLM_NEON_MLAL_HI(acc, w, x0);
}

/* acc + the 8 products of q[0..7] with x0 */
static inline int32x4_t flm_neon_mac8(int32x4_t acc, const int8_t *q, int16x8_t x0)
{
    return flm_neon_mac8v(acc, vld1_s8(q), x0);
}

/* One row's dot product over n <= 256 columns (exact in int32). Reads
 * exactly n elements of each (no over-read past a matrix's end). */
static inline int32_t flm_dot_q8_s16_neon(const int8_t *q, const int16_t *x, uint32_t n)
{
    int32x4_t a = vdupq_n_s32(0), b = a;
    uint32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = flm_neon_mac16(a, q + i, vld1q_s16(x + i), vld1q_s16(x + i + 8));
        b = flm_neon_mac16(b, q + i + 16, vld1q_s16(x + i + 16), vld1q_s16(x + i + 24));
    }
    if (i + 16 <= n) {
        a = flm_neon_mac16(a, q + i, vld1q_s16(x + i), vld1q_s16(x + i + 8));
        i += 16;
    }
    if (i + 8 <= n) {
        b = flm_neon_mac8(b, q + i, vld1q_s16(x + i));
        i += 8;
    }
    return flm_neon_hsum(vaddq_s32(a, b)) + flm_neon_tail(q + i, x + i, n - i);
}

/* The group sums of four rows (q, q + stride, ...) over the same n <= 256
 * columns of x, one lane a row: each x loaded once for the four. */
static inline int32x4_t flm_sums4_q8_s16_neon(const int8_t *q, size_t stride, const int16_t *x,
                                              uint32_t n)
{
    const int8_t *q1 = q + stride, *q2 = q1 + stride, *q3 = q2 + stride;
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int16x8_t x0 = vld1q_s16(x + i), x1 = vld1q_s16(x + i + 8);
        a0 = flm_neon_mac16(a0, q + i, x0, x1);
        a1 = flm_neon_mac16(a1, q1 + i, x0, x1);
        a2 = flm_neon_mac16(a2, q2 + i, x0, x1);
        a3 = flm_neon_mac16(a3, q3 + i, x0, x1);
    }
    if (i + 8 <= n) {
        int16x8_t x0 = vld1q_s16(x + i);
        a0 = flm_neon_mac8(a0, q + i, x0);
        a1 = flm_neon_mac8(a1, q1 + i, x0);
        a2 = flm_neon_mac8(a2, q2 + i, x0);
        a3 = flm_neon_mac8(a3, q3 + i, x0);
        i += 8;
    }
    int32x4_t s = flm_neon_hsum4(a0, a1, a2, a3);
    if (i < n) {
        int32x4_t t = vdupq_n_s32(flm_neon_tail(q + i, x + i, n - i));
        t = vsetq_lane_s32(flm_neon_tail(q1 + i, x + i, n - i), t, 1);
        t = vsetq_lane_s32(flm_neon_tail(q2 + i, x + i, n - i), t, 2);
        t = vsetq_lane_s32(flm_neon_tail(q3 + i, x + i, n - i), t, 3);
        s = vaddq_s32(s, t);
    }
    return s;
}

/* ---- the matvec around a four-row group sum ----------------------------- */

typedef int32x4_t (*flm_neon_sums4_fn)(const int8_t *q, size_t stride, const int16_t *x,
                                       uint32_t n);

/* Rows r..r+3 of w into out[0..3], groups of <= 256 columns: the four
 * rows' sums of each group from sums4, times the four rows' scales of that
 * group as exact int64 products, summed per row and rounded by the
 * reference's flm_rescale_sat32. */
static FLM_ALWAYS_INLINE void flm_neon_block4(flm_neon_sums4_fn sums4, const flm_qmat_t *w,
                                              uint32_t r, const int16_t *x, int32_t *out,
                                              int32_t shift)
{
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const int8_t *q = w->q + (size_t)r * cols;
    const int32_t *s0 = w->s + (size_t)r * ng, *s1 = s0 + ng, *s2 = s1 + ng, *s3 = s2 + ng;
    int64x2_t a01 = vdupq_n_s64(0), a23 = a01;
    for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
        uint32_t len = cols - c < gs ? cols - c : gs;
        int32x4_t sm = sums4(q + c, cols, x + c, len);
        int32x4_t sc = vdupq_n_s32(s0[g]);
        sc = vsetq_lane_s32(s1[g], sc, 1);
        sc = vsetq_lane_s32(s2[g], sc, 2);
        sc = vsetq_lane_s32(s3[g], sc, 3);
        a01 = vmlal_s32(a01, vget_low_s32(sm), vget_low_s32(sc));
        a23 = FLM_NEON_MLAL_HI32(a23, sm, sc);
    }
    out[0] = flm_rescale_sat32(vgetq_lane_s64(a01, 0), shift);
    out[1] = flm_rescale_sat32(vgetq_lane_s64(a01, 1), shift);
    out[2] = flm_rescale_sat32(vgetq_lane_s64(a23, 0), shift);
    out[3] = flm_rescale_sat32(vgetq_lane_s64(a23, 1), shift);
}

/* The matvec: rows four at a time through block4, the rows left (and
 * every row of a matrix with groups longer than 256 columns) through the
 * reference's own body over dot. */
static FLM_ALWAYS_INLINE flm_err_t
flm_neon_matvec_q8_with(flm_neon_sums4_fn sums4, flm_dot_q8_s16_fn dot, const flm_qmat_t *w,
                        const int16_t *x, int32_t x_shift, int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    uint32_t r = 0;
    if (w->gs <= 256u)
        for (; r + 4 <= w->rows; r += 4)
            flm_neon_block4(sums4, w, r, x, out + r, w->scale_shift + x_shift - out_shift);
    if (r < w->rows) {
        flm_qmat_t rest = *w;
        rest.q += (size_t)r * w->cols;
        rest.s += (size_t)r * w->ngroups;
        rest.rows = w->rows - r;
        (void)flm_matvec_q8_s16_with(dot, &rest, x, x_shift, out + r, out_shift);
    }
    return FLM_OK;
}

/* n positions at once (batched prefill), the bits of n matvec calls: each
 * block of four rows runs every position while its weights are in L1, so
 * the matrix is read from memory once for the n. */
static FLM_ALWAYS_INLINE flm_err_t
flm_neon_matmat_q8_with(flm_neon_sums4_fn sums4, flm_dot_q8_s16_fn dot, const flm_qmat_t *w,
                        uint32_t n, const int16_t *x, size_t x_stride, const int32_t *x_shift,
                        int32_t *out, size_t out_stride, int32_t out_shift)
{
    if (!flm_matmat_args_ok(w, n, x, x_stride, x_shift, out, out_stride, out_shift))
        return FLM_ERR_ARG;
    uint32_t r = 0;
    if (w->gs <= 256u)
        for (; r + 4 <= w->rows; r += 4)
            for (uint32_t b = 0; b < n; b++)
                flm_neon_block4(sums4, w, r, x + b * x_stride, out + b * out_stride + r,
                                w->scale_shift + x_shift[b] - out_shift);
    if (r < w->rows) {
        flm_qmat_t rest = *w;
        rest.q += (size_t)r * w->cols;
        rest.s += (size_t)r * w->ngroups;
        rest.rows = w->rows - r;
        for (uint32_t b = 0; b < n; b++)
            (void)flm_matvec_q8_s16_with(dot, &rest, x + b * x_stride, x_shift[b],
                                         out + b * out_stride + r, out_shift);
    }
    return FLM_OK;
}

/* ---- attention: the weighted sum of the values -------------------------- */

/* out[j] = the sum over positions t of att[t] * v_tj, rescaled as the
 * reference does, eight columns at a time position by position (the
 * reference walks the cache column by column): each product an exact
 * 32 x 32 -> 64-bit smlal, each column's int64 total exact in any order. */
static inline void flm_neon_attention_values(const flm_kv_view_t *kv, uint32_t head_dim,
                                             uint32_t npos, const int32_t *att, int32_t *out)
{
    const size_t stride = kv->stride;
    const int32_t shift = FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT;
    uint32_t j = 0;
    for (; j + 8 <= head_dim; j += 8) {
        int64x2_t e0 = vdupq_n_s64(0), e1 = e0, e2 = e0, e3 = e0;
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++, v += stride) {
            int16x8_t v16 = vmovl_s8(vld1_s8(v));
            int32x4_t v0 = vmovl_s16(vget_low_s16(v16)), v1 = vmovl_s16(vget_high_s16(v16));
            int32_t wt = att[t];
            e0 = vmlal_n_s32(e0, vget_low_s32(v0), wt);
            e1 = vmlal_n_s32(e1, vget_high_s32(v0), wt);
            e2 = vmlal_n_s32(e2, vget_low_s32(v1), wt);
            e3 = vmlal_n_s32(e3, vget_high_s32(v1), wt);
        }
        out[j] = flm_rescale_sat32(vgetq_lane_s64(e0, 0), shift);
        out[j + 1] = flm_rescale_sat32(vgetq_lane_s64(e0, 1), shift);
        out[j + 2] = flm_rescale_sat32(vgetq_lane_s64(e1, 0), shift);
        out[j + 3] = flm_rescale_sat32(vgetq_lane_s64(e1, 1), shift);
        out[j + 4] = flm_rescale_sat32(vgetq_lane_s64(e2, 0), shift);
        out[j + 5] = flm_rescale_sat32(vgetq_lane_s64(e2, 1), shift);
        out[j + 6] = flm_rescale_sat32(vgetq_lane_s64(e3, 0), shift);
        out[j + 7] = flm_rescale_sat32(vgetq_lane_s64(e3, 1), shift);
    }
    for (; j < head_dim; j++) {
        int64_t acc = 0;
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++)
            acc += (int64_t)att[t] * v[(size_t)t * stride];
        out[j] = flm_rescale_sat32(acc, shift);
    }
}

#endif /* FLM_KERNELS_ARM_NEON_Q8_H */
