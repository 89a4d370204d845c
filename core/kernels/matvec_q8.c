/* Group-quantized int8 matrix x int16 vector, int32 group sums, int64 row sums. */
#include "core/kernels.h"

#include <string.h>

#include "core/kernels/fixed.h"

#if defined(__ARM_FEATURE_DSP) && !defined(__ARM_BIG_ENDIAN)
#include <arm_acle.h>

/* Cortex-M4/M7 and ARMv7-A: per 4 columns, one word of weights split by
 * SXTB16 into (w0, w2) and (w1, w3) and four 16 x 16 MACs that pick the
 * halves, instead of 8 sign-extending loads. A group sum is exact in int32
 * whatever the order, so the bits are the plain loop's. */
static int32_t dot_q8_s16(const int8_t *q, const int16_t *x, uint32_t n)
{
    int32_t sum = 0;
    uint32_t c = 0;
    for (; c + 4 <= n; c += 4) {
        uint32_t w;
        int32_t x01, x23;
        memcpy(&w, q + c, 4); /* unaligned word loads are fine on these cores */
        memcpy(&x01, x + c, 4);
        memcpy(&x23, x + c + 2, 4);
        int32_t w02 = __sxtb16((int32_t)w), w13 = __sxtb16((int32_t)(w >> 8 | w << 24));
        sum = __smlabb(w02, x01, sum);
        sum = __smlabt(w13, x01, sum);
        sum = __smlatb(w02, x23, sum);
        sum = __smlatt(w13, x23, sum);
    }
    for (; c < n; c++)
        sum += q[c] * x[c];
    return sum;
}
#else
static int32_t dot_q8_s16(const int8_t *q, const int16_t *x, uint32_t n)
{
    int32_t sum = 0;
    for (uint32_t c = 0; c < n; c++)
        sum += q[c] * x[c];
    return sum;
}
#endif

/* The shape invariants every kernel here relies on. */
static bool shape_ok(const flm_qmat_t *w)
{
    return w && w->q && w->s && w->cols != 0 && w->cols <= FLM_KERNEL_MAX_COLS && w->gs != 0 &&
           w->gs <= FLM_KERNEL_MAX_GS && w->ngroups == (w->cols + w->gs - 1) / w->gs &&
           w->scale_shift >= 0 && w->scale_shift <= 62;
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
        /* |product| <= 2^22, so a group sum of <= 256 fits int32 exactly;
         * |row sum| <= cols * 2^46 <= 2^62 */
        int64_t acc = 0;
        for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
            if (sr[g] >= FLM_QMAT_MAX_SCALE || sr[g] <= -FLM_QMAT_MAX_SCALE)
                return FLM_ERR_ARG;
            acc += (int64_t)dot_q8_s16(qr + c, x + c, cols - c < gs ? cols - c : gs) * sr[g];
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
