/*
 * flm_matvec_q8_s16 with MVE (Helium, Cortex-M55), bit-exact with the _ref.
 * Empty off MVE targets.
 *
 * Groups of up to 256 columns (the converter's are 32) run the reference's
 * loop over the MVE dot product (the same exact int32 group sums, each
 * multiplied into the row's int64 total by one SMLAL) with the row's
 * rounding done by the v8.1-M long shifts (flm_rescale_sat32_mve, for
 * shifts of 1 to 62). Longer groups and other shifts take the reference's
 * body (matvec_q8_impl.h) over the same dot product.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_MVE
#include <arm_mve.h>

#include "core/kernels/arm/dot_mve.h"
#include "core/kernels/priv/matvec_q8_impl.h"

flm_err_t flm_matvec_q8_s16_mve(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    if (w->gs > 256u || shift < 1 || shift > 62)
        return flm_matvec_q8_s16_with(flm_dot_q8_s16_mve, w, x, x_shift, out, out_shift);
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups, last = cols - (ng - 1) * gs;
    const int8_t *qr = w->q;
    const int32_t *sr = w->s;
    for (uint32_t r = 0; r < w->rows; r++, sr += ng) {
        int64_t acc = 0; /* |row sum| <= cols * 2^45 <= 2^61, as in the _ref */
        const int16_t *xg = x;
        for (uint32_t g = 0; g + 1 < ng; g++, qr += gs, xg += gs)
            acc += (int64_t)flm_dot_q8_s16_mve(qr, xg, gs) * sr[g];
        acc += (int64_t)flm_dot_q8_s16_mve(qr, xg, last) * sr[ng - 1];
        qr += last;
        out[r] = flm_rescale_sat32_mve(acc, shift);
    }
    return FLM_OK;
}
#endif
