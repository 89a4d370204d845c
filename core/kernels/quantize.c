/* Activation quantization: int32 -> int16 (matvec inputs), int32 -> int8 (KV cache). */
#include "core/kernels.h"
#include "core/kernels/fixed.h"

static uint32_t amax_of(const int32_t *x, uint32_t n)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = flm_abs32(x[i]);
        if (a > m)
            m = a;
    }
    return m;
}

flm_err_t flm_quantize_s16(const int32_t *x, uint32_t n, int32_t x_shift, int16_t *q,
                           int32_t *q_shift)
{
    if (!x || !q || !q_shift || n > FLM_KERNEL_MAX_COLS || x_shift < -62 || x_shift > 62)
        return FLM_ERR_ARG;
    uint32_t amax = amax_of(x, n);
    uint32_t k = 0;
    while (flm_round_shr64(amax, k) > 32767)
        k++;
    /* round half up never takes -amax below -round(amax): |q| <= 32767 */
    for (uint32_t i = 0; i < n; i++)
        q[i] = (int16_t)flm_round_shr64(x[i], k);
    *q_shift = x_shift - (int32_t)k;
    return FLM_OK;
}

flm_err_t flm_quantize_s8(const int32_t *x, uint32_t n, int8_t *q, int32_t *scale)
{
    if (!x || !q || !scale || n > FLM_KERNEL_MAX_COLS)
        return FLM_ERR_ARG;
    uint64_t amax = amax_of(x, n);
    if (amax == 0) {
        for (uint32_t i = 0; i < n; i++)
            q[i] = 0;
        *scale = 0;
        return FLM_OK;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = flm_abs32(x[i]);
        int32_t m = (int32_t)((a * 254u + amax) / (2u * amax)); /* round(a * 127 / amax) */
        q[i] = (int8_t)(x[i] < 0 ? -m : m);
    }
    uint64_t s = (amax * 512u + 127u) / 254u; /* round(amax * 2^8 / 127) */
    *scale = s > INT32_MAX ? INT32_MAX : (int32_t)s;
    return FLM_OK;
}
