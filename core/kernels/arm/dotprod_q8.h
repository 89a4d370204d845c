/*
 * The int8 x int16 dot products on the Armv8.2-A dot-product extension
 * (SDOT: four int8 x int8 products summed into each int32 lane): internal
 * to core/kernels/arm/. Include it only where FLM_KERNELS_ARM_DOTPROD is
 * 1, after the file's `#pragma GCC target("arch=armv8.2-a+dotprod")`.
 *
 * SDOT multiplies int8 by int8, and x is int16: each x is split into its
 * high byte h = x >> 8 (signed, -128..127) and its low byte l = x & 255
 * (0..255), stored as l - 128 (signed: the byte l ^ 0x80), so that
 * x = 256 h + (l - 128) + 128 and
 *   q . x = 256 (q . h) + (q . (l - 128)) + 128 (q . 1),
 * three SDOTs a 16 columns, each an exact int32 sum (|q h|, |q (l - 128)|,
 * |q| <= 2^14 a term), combined per lane by shifts and adds that stay
 * below 2^31 for <= 256 columns: the exact group sum, as in the _ref.
 */
#ifndef FLM_KERNELS_ARM_DOTPROD_Q8_H
#define FLM_KERNELS_ARM_DOTPROD_Q8_H

#include <stdbool.h>

#include "core/kernels/arm/neon_q8.h"

/* The split of x[0..15]: high bytes and low bytes - 128, in column order
 * (little-endian: the even bytes of the pair are the low ones). */
static inline void flm_dotprod_split16(const int16_t *x, int8x16_t *h, int8x16_t *l)
{
    int8x16_t b0 = vreinterpretq_s8_s16(vld1q_s16(x)), b1 = vreinterpretq_s8_s16(vld1q_s16(x + 8));
    *h = vuzp2q_s8(b0, b1);
    *l = veorq_s8(vuzp1q_s8(b0, b1), vdupq_n_s8(-128));
}

/* The same for x[0..7], in the low halves (the high halves zero). */
static inline void flm_dotprod_split8(const int16_t *x, int8x16_t *h, int8x16_t *l)
{
    int16x8_t v = vld1q_s16(x);
    *h = vcombine_s8(vshrn_n_s16(v, 8), vdup_n_s8(0));
    *l = vcombine_s8(veor_s8(vmovn_s16(v), vdup_n_s8(-128)), vdup_n_s8(0));
}

/* The lanes of the three sums combined: 256 h + l + 128 ones. */
static inline int32x4_t flm_dotprod_join(int32x4_t h, int32x4_t l, int32x4_t o)
{
    return vaddq_s32(vaddq_s32(vshlq_n_s32(h, 8), vshlq_n_s32(o, 7)), l);
}

/* 8 weights in the low half of a vector, the high half zero */
static inline int8x16_t flm_dotprod_load8(const int8_t *q)
{
    return vcombine_s8(vld1_s8(q), vdup_n_s8(0));
}

/* One row's dot product over n <= 256 columns; reads exactly n elements. */
static inline int32_t flm_dot_q8_s16_dotprod(const int8_t *q, const int16_t *x, uint32_t n)
{
    const int8x16_t ones = vdupq_n_s8(1);
    int32x4_t h = vdupq_n_s32(0), l = h, o = h;
    int8x16_t xh, xl;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int8x16_t w = vld1q_s8(q + i);
        flm_dotprod_split16(x + i, &xh, &xl);
        h = vdotq_s32(h, w, xh);
        l = vdotq_s32(l, w, xl);
        o = vdotq_s32(o, w, ones);
    }
    if (i + 8 <= n) {
        int8x16_t w = flm_dotprod_load8(q + i);
        flm_dotprod_split8(x + i, &xh, &xl);
        h = vdotq_s32(h, w, xh);
        l = vdotq_s32(l, w, xl);
        o = vdotq_s32(o, w, ones);
        i += 8;
    }
    return flm_neon_hsum(flm_dotprod_join(h, l, o)) + flm_neon_tail(q + i, x + i, n - i);
}

/* acc[k] (h, l, o of row k) + the 16 (or 8) columns of that row at q */
#define FLM_DOTPROD_ROW(k, w)                                                                  \
    do {                                                                                       \
        h##k = vdotq_s32(h##k, (w), xh);                                                       \
        l##k = vdotq_s32(l##k, (w), xl);                                                       \
        o##k = vdotq_s32(o##k, (w), ones);                                                     \
    } while (0)

/* The group sums of four rows (q, q + stride, ...) over the same n <= 256
 * columns of x, one lane a row: each x split once for the four. */
static inline int32x4_t flm_sums4_q8_s16_dotprod(const int8_t *q, size_t stride,
                                                 const int16_t *x, uint32_t n)
{
    const int8x16_t ones = vdupq_n_s8(1);
    const int8_t *q1 = q + stride, *q2 = q1 + stride, *q3 = q2 + stride;
    int32x4_t h0 = vdupq_n_s32(0), h1 = h0, h2 = h0, h3 = h0;
    int32x4_t l0 = h0, l1 = h0, l2 = h0, l3 = h0, o0 = h0, o1 = h0, o2 = h0, o3 = h0;
    int8x16_t xh, xl;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        flm_dotprod_split16(x + i, &xh, &xl);
        FLM_DOTPROD_ROW(0, vld1q_s8(q + i));
        FLM_DOTPROD_ROW(1, vld1q_s8(q1 + i));
        FLM_DOTPROD_ROW(2, vld1q_s8(q2 + i));
        FLM_DOTPROD_ROW(3, vld1q_s8(q3 + i));
    }
    if (i + 8 <= n) {
        flm_dotprod_split8(x + i, &xh, &xl);
        FLM_DOTPROD_ROW(0, flm_dotprod_load8(q + i));
        FLM_DOTPROD_ROW(1, flm_dotprod_load8(q1 + i));
        FLM_DOTPROD_ROW(2, flm_dotprod_load8(q2 + i));
        FLM_DOTPROD_ROW(3, flm_dotprod_load8(q3 + i));
        i += 8;
    }
    int32x4_t s = flm_neon_hsum4(flm_dotprod_join(h0, l0, o0), flm_dotprod_join(h1, l1, o1),
                                 flm_dotprod_join(h2, l2, o2), flm_dotprod_join(h3, l3, o3));
    if (i < n) {
        int32x4_t t = vdupq_n_s32(flm_neon_tail(q + i, x + i, n - i));
        t = vsetq_lane_s32(flm_neon_tail(q1 + i, x + i, n - i), t, 1);
        t = vsetq_lane_s32(flm_neon_tail(q2 + i, x + i, n - i), t, 2);
        t = vsetq_lane_s32(flm_neon_tail(q3 + i, x + i, n - i), t, 3);
        s = vaddq_s32(s, t);
    }
    return s;
}

/* ---- two SDOTs where every x < 32640 ----------------------------------- */
/* A signed low byte: x = 256 h + l with l = (int8)x (-128..127) and
 * h = (x + 128) >> 8, which fits int8 unless x >= 32640 (h would be 128).
 * Where no x is that large (flm_quantize_s16's largest magnitude is 2^14
 * to 2^15 - 1, so all but a rare vector), q . x = 256 (q . h) + q . l:
 * two SDOTs a 16 columns, each an exact int32 sum as above. */

/* Whether every x[i] < 32640 (the two-SDOT split fits). */
static inline bool flm_dotprod_fits2(const int16_t *x, uint32_t n)
{
    int16x8_t m = vdupq_n_s16(INT16_MIN);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        m = vmaxq_s16(m, vld1q_s16(x + i));
    int16_t top = vmaxvq_s16(m);
    for (; i < n; i++)
        top = x[i] > top ? x[i] : top;
    return top < 32640;
}

static inline void flm_dotprod_split2_16(const int16_t *x, int8x16_t *h, int8x16_t *l)
{
    const int16x8_t half = vdupq_n_s16(128);
    int16x8_t x0 = vld1q_s16(x), x1 = vld1q_s16(x + 8);
    *l = vuzp1q_s8(vreinterpretq_s8_s16(x0), vreinterpretq_s8_s16(x1));
    *h = vuzp2q_s8(vreinterpretq_s8_s16(vaddq_s16(x0, half)),
                   vreinterpretq_s8_s16(vaddq_s16(x1, half)));
}

static inline void flm_dotprod_split2_8(const int16_t *x, int8x16_t *h, int8x16_t *l)
{
    int16x8_t v = vld1q_s16(x);
    *l = vcombine_s8(vmovn_s16(v), vdup_n_s8(0));
    *h = vcombine_s8(vshrn_n_s16(vaddq_s16(v, vdupq_n_s16(128)), 8), vdup_n_s8(0));
}

/* One row's dot product over n <= 256 columns, every x < 32640. */
static inline int32_t flm_dot2_q8_s16_dotprod(const int8_t *q, const int16_t *x, uint32_t n)
{
    int32x4_t h = vdupq_n_s32(0), l = h;
    int8x16_t xh, xl;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int8x16_t w = vld1q_s8(q + i);
        flm_dotprod_split2_16(x + i, &xh, &xl);
        h = vdotq_s32(h, w, xh);
        l = vdotq_s32(l, w, xl);
    }
    if (i + 8 <= n) {
        int8x16_t w = flm_dotprod_load8(q + i);
        flm_dotprod_split2_8(x + i, &xh, &xl);
        h = vdotq_s32(h, w, xh);
        l = vdotq_s32(l, w, xl);
        i += 8;
    }
    return flm_neon_hsum(vaddq_s32(vshlq_n_s32(h, 8), l)) + flm_neon_tail(q + i, x + i, n - i);
}

#define FLM_DOTPROD2_ROW(k, w)                                                                 \
    do {                                                                                       \
        h##k = vdotq_s32(h##k, (w), xh);                                                       \
        l##k = vdotq_s32(l##k, (w), xl);                                                       \
    } while (0)

/* The group sums of four rows over n <= 256 columns, every x < 32640; the
 * high and low sums reduced apart and joined once (256 H + L). */
static inline int32x4_t flm_sums4_2_q8_s16_dotprod(const int8_t *q, size_t stride,
                                                   const int16_t *x, uint32_t n)
{
    const int8_t *q1 = q + stride, *q2 = q1 + stride, *q3 = q2 + stride;
    int32x4_t h0 = vdupq_n_s32(0), h1 = h0, h2 = h0, h3 = h0, l0 = h0, l1 = h0, l2 = h0, l3 = h0;
    int8x16_t xh, xl;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        flm_dotprod_split2_16(x + i, &xh, &xl);
        FLM_DOTPROD2_ROW(0, vld1q_s8(q + i));
        FLM_DOTPROD2_ROW(1, vld1q_s8(q1 + i));
        FLM_DOTPROD2_ROW(2, vld1q_s8(q2 + i));
        FLM_DOTPROD2_ROW(3, vld1q_s8(q3 + i));
    }
    if (i + 8 <= n) {
        flm_dotprod_split2_8(x + i, &xh, &xl);
        FLM_DOTPROD2_ROW(0, flm_dotprod_load8(q + i));
        FLM_DOTPROD2_ROW(1, flm_dotprod_load8(q1 + i));
        FLM_DOTPROD2_ROW(2, flm_dotprod_load8(q2 + i));
        FLM_DOTPROD2_ROW(3, flm_dotprod_load8(q3 + i));
        i += 8;
    }
    int32x4_t s = vaddq_s32(vshlq_n_s32(flm_neon_hsum4(h0, h1, h2, h3), 8),
                            flm_neon_hsum4(l0, l1, l2, l3));
    if (i < n) {
        int32x4_t t = vdupq_n_s32(flm_neon_tail(q + i, x + i, n - i));
        t = vsetq_lane_s32(flm_neon_tail(q1 + i, x + i, n - i), t, 1);
        t = vsetq_lane_s32(flm_neon_tail(q2 + i, x + i, n - i), t, 2);
        t = vsetq_lane_s32(flm_neon_tail(q3 + i, x + i, n - i), t, 3);
        s = vaddq_s32(s, t);
    }
    return s;
}

#endif /* FLM_KERNELS_ARM_DOTPROD_Q8_H */
