/* Group-quantized int8 matrix x int16 vector, int32 group sums, int64 row
 * sums: the plain C reference, the embedding lookup and the one-time check
 * (of int8 and int4 matrices). */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q4_impl.h"
#include "core/kernels/priv/matvec_q8_impl.h"

flm_err_t flm_qmat_check(const flm_qmat_t *w, uint32_t rows, uint32_t cols)
{
    if (!(w && w->bits == 4u ? flm_q4mat_shape_ok(w) : flm_qmat_shape_ok(w)) || w->rows != rows ||
        w->cols != cols)
        return FLM_ERR_ARG;
    size_t ns = (size_t)rows * w->ngroups;
    for (size_t i = 0; i < ns; i++)
        if (w->s[i] >= FLM_QMAT_SCALE_LIMIT || w->s[i] <= -FLM_QMAT_SCALE_LIMIT)
            return FLM_ERR_ARG;
    return FLM_OK;
}

flm_err_t flm_matvec_q8_s16_ref(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                int32_t *out, int32_t out_shift)
{
    return flm_matvec_q8_s16_with(flm_dot_q8_s16_ref, w, x, x_shift, out, out_shift);
}

flm_err_t flm_matmat_q8_s16_ref(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                size_t x_stride, const int32_t *x_shift, int32_t *out,
                                size_t out_stride, int32_t out_shift)
{
    if (!flm_matmat_args_ok(w, n, x, x_stride, x_shift, out, out_stride, out_shift))
        return FLM_ERR_ARG;
    for (uint32_t b = 0; b < n; b++)
        (void)flm_matvec_q8_s16_ref(w, x + b * x_stride, x_shift[b], out + b * out_stride,
                                    out_shift);
    return FLM_OK;
}

flm_err_t flm_dequant_row_q8_ref(const flm_qmat_t *w, uint32_t row, int32_t *out,
                                 int32_t out_shift)
{
    if (!flm_qmat_shape_ok(w) || !out || row >= w->rows || out_shift < -62 || out_shift > 62)
        return FLM_ERR_ARG;
    const int8_t *qr = w->q + (size_t)row * w->cols;
    const int32_t *sr = w->s + (size_t)row * w->ngroups;
    for (uint32_t c = 0; c < w->cols; c++)
        out[c] = flm_rescale_sat32((int64_t)qr[c] * sr[c / w->gs], w->scale_shift - out_shift);
    return FLM_OK;
}
