/* Group-quantized int4 matrix x int16 vector: the plain C reference and the
 * embedding lookup. */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q4_impl.h"

flm_err_t flm_matvec_q4_s16_ref(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    return flm_matvec_q4_s16_with(flm_dot_q4_s16_ref, w, x, x_shift, out, out_shift);
}

flm_err_t flm_dequant_row_q4_ref(const flm_qmat_t *w, uint32_t row, int32_t *out,
                                 int32_t out_shift)
{
    if (!flm_q4mat_shape_ok(w) || !out || row >= w->rows || out_shift < -62 || out_shift > 62)
        return FLM_ERR_ARG;
    const uint8_t *qr = (const uint8_t *)w->q + (size_t)row * (((size_t)w->cols + 1) / 2);
    const int32_t *sr = w->s + (size_t)row * w->ngroups;
    for (uint32_t c = 0; c < w->cols; c++) {
        int32_t v = flm_nibble_s4(c % 2u ? (uint32_t)qr[c / 2] >> 4 : qr[c / 2] & 15u);
        out[c] = flm_rescale_sat32((int64_t)v * sr[c / w->gs], w->scale_shift - out_shift);
    }
    return FLM_OK;
}
