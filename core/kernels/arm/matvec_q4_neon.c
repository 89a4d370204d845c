/*
 * flm_matvec_q4_s16 with plain NEON (AArch64, ARMv7-A), bit-exact with the
 * _ref. 16 bytes of nibbles (32 columns) a step: each byte's low nibble
 * sign-extended by a shift left and an arithmetic shift right, its high one
 * by the shift right alone, the two interleaved back into column order
 * (zip): 32 int8 values, then the int8 kernel's path (arm/neon_q8.h:
 * widened to int16, smlal into int32 lanes). Every group sum is exact in
 * int32 (|product| <= 2^18, <= 256 columns), four rows a block with their
 * scales as exact int64 products; the rows left and groups longer than 256
 * columns go through the reference's body over this dot product. ARMv7-A:
 * built for fpu=neon and run only where the CPU has NEON. Empty elsewhere.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_NEON
#if !defined(__aarch64__) && !defined(__ARM_NEON)
#pragma GCC target("fpu=neon")
#endif
#include <string.h>

#include "core/kernels/arm/neon_q8.h"
#include "core/kernels/priv/matvec_q4_impl.h"

/* the nibbles of b as int8 values in column order: v0 the first 16 */
static inline void unpack16(int8x16_t b, int8x16_t *v0, int8x16_t *v1)
{
    int8x16x2_t z = vzipq_s8(vshrq_n_s8(vshlq_n_s8(b, 4), 4), vshrq_n_s8(b, 4));
    *v0 = z.val[0];
    *v1 = z.val[1];
}

/* the same for 8 (or, the high half ignored, 4) bytes */
static inline int8x8x2_t unpack8(int8x8_t b)
{
    return vzip_s8(vshr_n_s8(vshl_n_s8(b, 4), 4), vshr_n_s8(b, 4));
}

/* four bytes (8 columns) into the low half of a vector, read exactly */
static inline int8x8_t load4(const uint8_t *q)
{
    uint32_t w;
    memcpy(&w, q, 4);
    return vreinterpret_s8_u32(vdup_n_u32(w));
}

/* sum v[i] * x[i] for the i < n (< 8) columns left, plain C */
static inline int32_t tail4(const uint8_t *q, const int16_t *x, uint32_t n)
{
    int32_t t = 0;
    for (uint32_t i = 0; i < n; i++)
        t += flm_nibble_s4(i % 2u ? (uint32_t)q[i / 2] >> 4 : q[i / 2] & 15u) * x[i];
    return t;
}

/* One row's dot product over n <= 256 columns from the low nibble of q[0];
 * reads exactly the bytes of n columns. */
static inline int32_t dot_q4(const uint8_t *q, const int16_t *x, uint32_t n)
{
    int32x4_t a = vdupq_n_s32(0), b = a;
    int8x16_t v0, v1;
    for (; n >= 32; n -= 32, q += 16, x += 32) {
        unpack16(vreinterpretq_s8_u8(vld1q_u8(q)), &v0, &v1);
        a = flm_neon_mac16v(a, v0, vld1q_s16(x), vld1q_s16(x + 8));
        b = flm_neon_mac16v(b, v1, vld1q_s16(x + 16), vld1q_s16(x + 24));
    }
    if (n >= 16) {
        int8x8x2_t v = unpack8(vreinterpret_s8_u8(vld1_u8(q)));
        a = flm_neon_mac16v(a, vcombine_s8(v.val[0], v.val[1]), vld1q_s16(x), vld1q_s16(x + 8));
        n -= 16, q += 8, x += 16;
    }
    if (n >= 8) {
        b = flm_neon_mac8v(b, unpack8(load4(q)).val[0], vld1q_s16(x));
        n -= 8, q += 4, x += 8;
    }
    return flm_neon_hsum(vaddq_s32(a, b)) + tail4(q, x, n);
}

/* The group sums of four rows (q, q + stride bytes, ...) over the same
 * n <= 256 columns, one lane a row: each x loaded once for the four. */
static inline int32x4_t sums4_q4(const uint8_t *q, size_t stride, const int16_t *x, uint32_t n)
{
    const uint8_t *r[4] = { q, q + stride, q + 2 * stride, q + 3 * stride };
    int32x4_t a[4] = { vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0) };
    uint32_t i = 0; /* columns done; their bytes are i / 2 */
    for (; i + 32 <= n; i += 32) {
        int16x8_t x0 = vld1q_s16(x + i), x1 = vld1q_s16(x + i + 8);
        int16x8_t x2 = vld1q_s16(x + i + 16), x3 = vld1q_s16(x + i + 24);
        for (int k = 0; k < 4; k++) {
            int8x16_t v0, v1;
            unpack16(vreinterpretq_s8_u8(vld1q_u8(r[k] + i / 2)), &v0, &v1);
            a[k] = flm_neon_mac16v(a[k], v0, x0, x1);
            a[k] = flm_neon_mac16v(a[k], v1, x2, x3);
        }
    }
    if (i + 16 <= n) {
        int16x8_t x0 = vld1q_s16(x + i), x1 = vld1q_s16(x + i + 8);
        for (int k = 0; k < 4; k++) {
            int8x8x2_t v = unpack8(vreinterpret_s8_u8(vld1_u8(r[k] + i / 2)));
            a[k] = flm_neon_mac16v(a[k], vcombine_s8(v.val[0], v.val[1]), x0, x1);
        }
        i += 16;
    }
    if (i + 8 <= n) {
        int16x8_t x0 = vld1q_s16(x + i);
        for (int k = 0; k < 4; k++)
            a[k] = flm_neon_mac8v(a[k], unpack8(load4(r[k] + i / 2)).val[0], x0);
        i += 8;
    }
    int32x4_t s = flm_neon_hsum4(a[0], a[1], a[2], a[3]);
    if (i < n) {
        int32x4_t t = vdupq_n_s32(tail4(r[0] + i / 2, x + i, n - i));
        t = vsetq_lane_s32(tail4(r[1] + i / 2, x + i, n - i), t, 1);
        t = vsetq_lane_s32(tail4(r[2] + i / 2, x + i, n - i), t, 2);
        t = vsetq_lane_s32(tail4(r[3] + i / 2, x + i, n - i), t, 3);
        s = vaddq_s32(s, t);
    }
    return s;
}

flm_err_t flm_matvec_q4_s16_neon(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                 int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_q4_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const size_t row_bytes = ((size_t)cols + 1) / 2;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    const uint8_t *qm = (const uint8_t *)w->q;
    uint32_t r = 0;
    if (gs <= 256u)
        for (; r + 4 <= w->rows; r += 4) {
            const uint8_t *q = qm + (size_t)r * row_bytes;
            const int32_t *s0 = w->s + (size_t)r * ng, *s1 = s0 + ng, *s2 = s1 + ng, *s3 = s2 + ng;
            int64x2_t a01 = vdupq_n_s64(0), a23 = a01;
            /* groups start on a byte: gs is even, or there is one group */
            for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
                uint32_t len = cols - c < gs ? cols - c : gs;
                int32x4_t sm = sums4_q4(q + c / 2, row_bytes, x + c, len);
                int32x4_t sc = vdupq_n_s32(s0[g]);
                sc = vsetq_lane_s32(s1[g], sc, 1);
                sc = vsetq_lane_s32(s2[g], sc, 2);
                sc = vsetq_lane_s32(s3[g], sc, 3);
                a01 = vmlal_s32(a01, vget_low_s32(sm), vget_low_s32(sc));
                a23 = FLM_NEON_MLAL_HI32(a23, sm, sc);
            }
            out[r] = flm_rescale_sat32(vgetq_lane_s64(a01, 0), shift);
            out[r + 1] = flm_rescale_sat32(vgetq_lane_s64(a01, 1), shift);
            out[r + 2] = flm_rescale_sat32(vgetq_lane_s64(a23, 0), shift);
            out[r + 3] = flm_rescale_sat32(vgetq_lane_s64(a23, 1), shift);
        }
    if (r < w->rows) {
        flm_qmat_t rest = *w;
        rest.q += (size_t)r * row_bytes;
        rest.s += (size_t)r * ng;
        rest.rows = w->rows - r;
        (void)flm_matvec_q4_s16_with(dot_q4, &rest, x, x_shift, out + r, out_shift);
    }
    return FLM_OK;
}
#endif
