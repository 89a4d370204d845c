/* SiLU and SwiGLU in fixed point. */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

int32_t flm_silu_q16(int32_t x)
{
    /* sigmoid from exp of a non-positive argument, as Q30; den <= 2^31 and
     * the quotient < 2^31, so the 64-bit division is the 32-bit-operand one */
    uint32_t e = flm_exp_q16(x >= 0 ? -x : x);
    uint32_t den = (1u << 30) + e;
    uint64_t num = x >= 0 ? (uint64_t)1 << 60 : (uint64_t)e << 30;
    int32_t sig = (int32_t)flm_udiv64_32(num + den / 2, den); /* <= 2^30 */
    return flm_sat32(flm_round_shr64_half((int64_t)x * sig, 1u << 29, 30));
}

flm_err_t flm_swiglu_s32_ref(int32_t *h1, const int32_t *h3, uint32_t n)
{
    if (!h1 || !h3)
        return FLM_ERR_ARG;
    for (uint32_t i = 0; i < n; i++)
        h1[i] = flm_sat32(flm_round_shr64_half((int64_t)flm_silu_q16(h1[i]) * h3[i],
                                               1u << (FLM_ACT_SHIFT - 1), FLM_ACT_SHIFT));
    return FLM_OK;
}
