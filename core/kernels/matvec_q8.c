/* Group-quantized int8 matrix x int16 vector, int32 group sums, int64 row sums. */
#include "core/kernels/kernels.h"
#include "core/kernels/fixed.h"


/* The shape invariants every kernel here relies on. */
static bool shape_ok(const flm_qmat_t *w)
{
    return w && w->q && w->s && w->cols != 0 && w->cols <= FLM_KERNEL_MAX_COLS && w->gs != 0 &&
           w->ngroups == (w->cols + w->gs - 1) / w->gs && w->scale_shift >= 0 &&
           w->scale_shift <= 62;
}

flm_err_t flm_qmat_check(const flm_qmat_t *w, uint32_t rows, uint32_t cols)
{
    if (!shape_ok(w) || w->rows != rows || w->cols != cols)
        return FLM_ERR_ARG;
    size_t ns = (size_t)rows * w->ngroups;
    for (size_t i = 0; i < ns; i++)
        if (w->s[i] >= FLM_QMAT_MAX_SCALE || w->s[i] <= -FLM_QMAT_MAX_SCALE)
            return FLM_ERR_ARG;
    return FLM_OK;
}

flm_err_t flm_matvec_q8_s16(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                            int32_t *out, int32_t out_shift)
{
    if (!shape_ok(w) || !x || !out || x_shift < -62 || x_shift > 62 || out_shift < -62 ||
        out_shift > 62)
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    for (uint32_t r = 0; r < w->rows; r++) {
        const int8_t *qr = w->q + (size_t)r * cols;
        const int32_t *sr = w->s + (size_t)r * ng;
        /* |product| <= 2^22, so 256 columns sum exactly in int32 (longer
         * groups in int32 pieces); |row sum| <= cols * 2^46 <= 2^62 */
        int64_t acc = 0;
        for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
            if (sr[g] >= FLM_QMAT_MAX_SCALE || sr[g] <= -FLM_QMAT_MAX_SCALE)
                return FLM_ERR_ARG;
            uint32_t len = cols - c < gs ? cols - c : gs;
            if (len <= 256u) {
                acc += (int64_t)flm_dot_q8_s16(qr + c, x + c, len) * sr[g];
                continue;
            }
            int64_t sum = 0;
            for (uint32_t o = 0; o < len; o += 256)
                sum += flm_dot_q8_s16(qr + c + o, x + c + o, len - o < 256u ? len - o : 256u);
            acc += sum * sr[g];
        }
        out[r] = flm_rescale_sat32(acc, shift);
    }
    return FLM_OK;
}

flm_err_t flm_dequant_row_q8(const flm_qmat_t *w, uint32_t row, int32_t *out, int32_t out_shift)
{
    if (!shape_ok(w) || !out || row >= w->rows || out_shift < -62 || out_shift > 62)
        return FLM_ERR_ARG;
    const int8_t *qr = w->q + (size_t)row * w->cols;
    const int32_t *sr = w->s + (size_t)row * w->ngroups;
    for (uint32_t c = 0; c < w->cols; c++)
        out[c] = flm_rescale_sat32((int64_t)qr[c] * sr[c / w->gs], w->scale_shift - out_shift);
    return FLM_OK;
}
