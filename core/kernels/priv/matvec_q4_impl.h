/*
 * The int4 group-quantized matvec written once over its dot product
 * (internal to core/kernels/), like matvec_q8_impl.h: flm_matvec_q4_s16_ref
 * and the ARM DSP variant are this body with their own dot. The AVX2
 * variant has its own loops and takes its argument checks from here.
 */
#ifndef FLM_KERNELS_MATVEC_Q4_IMPL_H
#define FLM_KERNELS_MATVEC_Q4_IMPL_H

#include <stdbool.h>

#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

/* The shape invariants of an int4 matrix: bits 4, and groups that start on
 * a byte (gs even, or one group a row). */
static inline bool flm_q4mat_shape_ok(const flm_qmat_t *w)
{
    return w && w->q && w->s && w->bits == 4u && w->cols != 0 &&
           w->cols <= FLM_KERNEL_MAX_COLS && w->gs != 0 && (w->gs % 2u == 0 || w->gs >= w->cols) &&
           w->ngroups == (w->cols + w->gs - 1) / w->gs && w->scale_shift >= 0 &&
           w->scale_shift <= 62;
}

static inline bool flm_matvec_q4_args_ok(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                         const int32_t *out, int32_t out_shift)
{
    return flm_q4mat_shape_ok(w) && x && out && x_shift >= -62 && x_shift <= 62 &&
           out_shift >= -62 && out_shift <= 62;
}

/* A nibble (0..15) as its two's complement value (-8..7). */
static inline int32_t flm_nibble_s4(uint32_t u)
{
    return (int32_t)(u ^ 8u) - 8;
}

/* sum v[i] * x[i] over n int4 values starting at the low nibble of q[0],
 * exact in int32 (|product| <= 2^18; callers keep n <= 256). A variant may
 * sum in any order. */
typedef int32_t (*flm_dot_q4_s16_fn)(const uint8_t *q, const int16_t *x, uint32_t n);

/* Eight columns (one little-endian word of nibbles) a step: each nibble
 * sign-extended in place (one SBFX on ARMv7-M). */
static FLM_ALWAYS_INLINE int32_t flm_dot_q4_s16_ref(const uint8_t *q, const int16_t *x, uint32_t n)
{
    int32_t sum = 0;
    for (; n >= 8; n -= 8, q += 4, x += 8) {
        uint32_t w = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
        sum += flm_nibble_s4(w & 15u) * x[0] + flm_nibble_s4(w >> 4 & 15u) * x[1] +
               flm_nibble_s4(w >> 8 & 15u) * x[2] + flm_nibble_s4(w >> 12 & 15u) * x[3] +
               flm_nibble_s4(w >> 16 & 15u) * x[4] + flm_nibble_s4(w >> 20 & 15u) * x[5] +
               flm_nibble_s4(w >> 24 & 15u) * x[6] + flm_nibble_s4(w >> 28 & 15u) * x[7];
    }
    for (uint32_t i = 0; i < n; i++)
        sum += flm_nibble_s4(i % 2u ? (uint32_t)q[i / 2] >> 4 : q[i / 2] & 15u) * x[i];
    return sum;
}

static FLM_ALWAYS_INLINE flm_err_t
flm_matvec_q4_s16_with(flm_dot_q4_s16_fn dot,
                       const flm_qmat_t *w, const int16_t *x, int32_t x_shift, int32_t *out,
                       int32_t out_shift)
{
    if (!flm_matvec_q4_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const size_t row_bytes = ((size_t)cols + 1) / 2;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    const uint8_t *q = (const uint8_t *)w->q;
    for (uint32_t r = 0; r < w->rows; r++) {
        const uint8_t *qr = q + (size_t)r * row_bytes;
        const int32_t *sr = w->s + (size_t)r * ng;
        /* |product| <= 2^18: a group of <= 256 sums exactly in int32, longer
         * ones in pieces of 256 (even, so each piece starts on a byte);
         * |row sum| <= cols * 2^41 */
        int64_t acc = 0;
        if (gs <= 256u) {
            const int16_t *xg = x;
            for (uint32_t g = 0; g + 1 < ng; g++, qr += gs / 2, xg += gs)
                acc += (int64_t)dot(qr, xg, gs) * sr[g];
            acc += (int64_t)dot(qr, xg, cols - (ng - 1) * gs) * sr[ng - 1];
        } else {
            for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
                uint32_t len = cols - c < gs ? cols - c : gs;
                int64_t sum = 0;
                for (uint32_t o = 0; o < len; o += 256)
                    sum += dot(qr + (c + o) / 2, x + c + o, len - o < 256u ? len - o : 256u);
                acc += sum * sr[g];
            }
        }
        out[r] = flm_rescale_sat32(acc, shift);
    }
    return FLM_OK;
}

#endif /* FLM_KERNELS_MATVEC_Q4_IMPL_H */
