/*
 * The group-quantized matvec written once over its dot product (internal to
 * core/kernels/): flm_matvec_q8_s16_ref and the ARM DSP variant are this
 * body with their own dot, so they cannot drift apart. A variant with a
 * different loop structure (x86/) still takes its argument checks from here.
 */
#ifndef FLM_KERNELS_MATVEC_Q8_IMPL_H
#define FLM_KERNELS_MATVEC_Q8_IMPL_H

#include <stdbool.h>

#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

/* The shape invariants every int8 matrix kernel relies on (bits 0 or 8).
 * Scales are not looked at: |s| < FLM_QMAT_SCALE_LIMIT is the caller's
 * guarantee. */
static inline bool flm_qmat_shape_ok(const flm_qmat_t *w)
{
    return w && w->q && w->s && (w->bits | 8u) == 8u && w->cols != 0 &&
           w->cols <= FLM_KERNEL_MAX_COLS && w->gs != 0 &&
           w->ngroups == (w->cols + w->gs - 1) / w->gs && w->scale_shift >= 0 &&
           w->scale_shift <= 62;
}

static inline bool flm_matvec_args_ok(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                      const int32_t *out, int32_t out_shift)
{
    return flm_qmat_shape_ok(w) && x && out && x_shift >= -62 && x_shift <= 62 &&
           out_shift >= -62 && out_shift <= 62;
}

/* flm_matmat_q8_s16's arguments: every position's as the matvec's, and
 * strides that keep the positions apart (or n == 1). Checked before any
 * output is written. */
static inline bool flm_matmat_args_ok(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                      size_t x_stride, const int32_t *x_shift,
                                      const int32_t *out, size_t out_stride, int32_t out_shift)
{
    if (n == 0 || !x_shift || !flm_matvec_args_ok(w, x, 0, out, out_shift) ||
        (n > 1 && (x_stride < w->cols || out_stride < w->rows)))
        return false;
    for (uint32_t b = 0; b < n; b++)
        if (x_shift[b] < -62 || x_shift[b] > 62)
            return false;
    return true;
}

static FLM_ALWAYS_INLINE flm_err_t
flm_matvec_q8_s16_with(flm_dot_q8_s16_fn dot,
                       const flm_qmat_t *w, const int16_t *x, int32_t x_shift, int32_t *out,
                       int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    for (uint32_t r = 0; r < w->rows; r++) {
        const int8_t *qr = w->q + (size_t)r * cols;
        const int32_t *sr = w->s + (size_t)r * ng;
        /* |product| <= 2^22, so 256 columns sum exactly in int32 (longer
         * groups in int32 pieces); |s| < 2^23, so |row sum| <= cols * 2^45
         * <= 2^61 */
        int64_t acc = 0;
        if (gs <= 256u) {
            /* every group but the last has gs columns */
            const int16_t *xg = x;
            for (uint32_t g = 0; g + 1 < ng; g++, qr += gs, xg += gs)
                acc += (int64_t)dot(qr, xg, gs) * sr[g];
            acc += (int64_t)dot(qr, xg, cols - (ng - 1) * gs) * sr[ng - 1];
        } else {
            for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
                uint32_t len = cols - c < gs ? cols - c : gs;
                int64_t sum = 0;
                for (uint32_t o = 0; o < len; o += 256)
                    sum += dot(qr + c + o, x + c + o, len - o < 256u ? len - o : 256u);
                acc += sum * sr[g];
            }
        }
        out[r] = flm_rescale_sat32(acc, shift);
    }
    return FLM_OK;
}

#endif /* FLM_KERNELS_MATVEC_Q8_IMPL_H */
