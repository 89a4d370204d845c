/* Activation quantization: int32 -> int16 (matvec inputs), int32 -> int8 (KV cache). */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

/* Two elements a step: half the loop's compare and branch. */
static uint32_t amax_of(const int32_t *x, uint32_t n)
{
    uint32_t m = 0, m1 = 0, i = 0;
    for (; i + 2 <= n; i += 2) {
        uint32_t a = flm_abs32(x[i]), b = flm_abs32(x[i + 1]);
        if (a > m)
            m = a;
        if (b > m1)
            m1 = b;
    }
    if (i < n && flm_abs32(x[i]) > m)
        m = flm_abs32(x[i]);
    return m > m1 ? m : m1;
}

flm_err_t flm_quantize_s16_ref(const int32_t *x, uint32_t n, int32_t x_shift, int16_t *q,
                               int32_t *q_shift)
{
    if (!x || !q || !q_shift || n > FLM_KERNEL_MAX_COLS || x_shift < -62 || x_shift > 62)
        return FLM_ERR_ARG;
    uint32_t amax = amax_of(x, n);
    /* the smallest k: round(amax / 2^k) <= 32767 needs amax < 2^(k+15) at
     * least, so it is at least bitlen(amax) - 16; from there one or two
     * steps instead of up to 17 */
    uint32_t bits = amax ? 32 - flm_clz32(amax) : 0;
    uint32_t k = bits > 16 ? bits - 16 : 0;
    while (flm_round_shr64(amax, k) > 32767)
        k++;
    /* round half up never takes -amax below -round(amax): |q| <= 32767 */
    if (k == 0) {
        for (uint32_t i = 0; i < n; i++)
            q[i] = (int16_t)x[i];
    } else {
        /* k = 1 means |x| < 2^16 */
        for (uint32_t i = 0; i < n; i++)
            q[i] = (int16_t)flm_round_shr32_nz(x[i], k);
    }
    *q_shift = x_shift - (int32_t)k;
    return FLM_OK;
}

flm_err_t flm_quantize_s8_ref(const int32_t *x, uint32_t n, int8_t *q, uint16_t *scale)
{
    if (!x || !q || !scale || n > FLM_KERNEL_MAX_COLS)
        return FLM_ERR_ARG;
    uint64_t amax = amax_of(x, n);
    /* step amax / 127 in Q24, to 11 significant bits */
    *scale = flm_kv_scale_code(flm_udiv64_by32(amax * 512u + 127u, 254u));
    uint64_t step = (uint64_t)flm_kv_scale(*scale);
    const uint32_t twice = (uint32_t)(2u * step); /* < 2^32: a scale is at most 2047 << 20 */
    if (step && (amax << 9) + step <= UINT32_MAX) {
        /* every numerator fits 32 bits (|x| < 2^23, nearly always): the
         * loop below without its 64-bit arithmetic, the same quotients */
        const uint32_t step32 = (uint32_t)step;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t m = ((flm_abs32(x[i]) << 9) + step32) / twice;
            int32_t v = m > 127u ? 127 : (int32_t)m;
            q[i] = (int8_t)(x[i] < 0 ? -v : v);
        }
        return FLM_OK;
    }
    for (uint32_t i = 0; i < n; i++) {
        /* round(|x| * 2^8 / step), half away from zero; clamped because the
         * step may have been rounded down. The same quotient in 32 bits
         * when the numerator fits (nearly always): one hardware division
         * instead of a 64-bit library call on 32-bit cores. */
        uint64_t num = ((uint64_t)flm_abs32(x[i]) << 9) + step;
        uint64_t m = !step ? 0 : num <= UINT32_MAX ? (uint32_t)num / twice : num / (2u * step);
        int32_t v = m > 127u ? 127 : (int32_t)m;
        q[i] = (int8_t)(x[i] < 0 ? -v : v);
    }
    return FLM_OK;
}
