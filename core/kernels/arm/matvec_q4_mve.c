/*
 * flm_matvec_q4_s16 with MVE (Helium, Cortex-M55), bit-exact with the _ref.
 * Empty off MVE targets.
 *
 * As the int8 one (matvec_q8_mve.c): groups of up to 256 columns run the
 * reference's loop over the MVE int4 dot product (the same exact int32
 * group sums) with the row's rounding by the long shifts
 * (flm_rescale_sat32_mve); longer groups and other shifts take the
 * reference's body (matvec_q4_impl.h) over the same dot product.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_MVE
#include "core/kernels/arm/dot_mve.h"
#include "core/kernels/priv/matvec_q4_impl.h"

flm_err_t flm_matvec_q4_s16_mve(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_q4_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    if (w->gs > 256u || shift < 1 || shift > 62)
        return flm_matvec_q4_s16_with(flm_dot_q4_s16_mve, w, x, x_shift, out, out_shift);
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups, last = cols - (ng - 1) * gs;
    const size_t row_bytes = ((size_t)cols + 1) / 2;
    const uint8_t *q = (const uint8_t *)w->q;
    const int32_t *sr = w->s;
    for (uint32_t r = 0; r < w->rows; r++, sr += ng) {
        const uint8_t *qr = q + (size_t)r * row_bytes; /* groups start on a byte */
        int64_t acc = 0; /* |row sum| <= cols * 2^41 */
        const int16_t *xg = x;
        for (uint32_t g = 0; g + 1 < ng; g++, qr += gs / 2, xg += gs)
            acc += (int64_t)flm_dot_q4_s16_mve(qr, xg, gs) * sr[g];
        acc += (int64_t)flm_dot_q4_s16_mve(qr, xg, last) * sr[ng - 1];
        out[r] = flm_rescale_sat32_mve(acc, shift);
    }
    return FLM_OK;
}
#endif
