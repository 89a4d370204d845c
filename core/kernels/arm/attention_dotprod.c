/* flm_attention_head_q with the Armv8.2-A dot-product extension (AArch64):
 * the NEON variant (attention_neon.c) with the scores' dot products on
 * SDOT (arm/dotprod_q8.h). Built for +dotprod and run only where the CPU
 * has it. Empty off AArch64. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DOTPROD
#if !defined(__ARM_FEATURE_DOTPROD)
#pragma GCC target("arch=armv8.2-a+dotprod")
#endif
#include "core/kernels/arm/dotprod_q8.h"
#include "core/kernels/priv/attention_impl.h"

flm_err_t flm_attention_head_q_dotprod(const int32_t *q, uint32_t head_dim,
                                       const flm_kv_view_t *kv, uint32_t npos, int16_t *qs,
                                       int32_t *att, int32_t *out)
{
    flm_err_t err = flm_attention_weights_with(flm_dot_q8_s16_dotprod, flm_quantize_s16_ref,
                                               flm_softmax_q_ref, q, head_dim, kv, npos, qs, att,
                                               out);
    if (err)
        return err;
    flm_neon_attention_values(kv, head_dim, npos, att, out);
    return FLM_OK;
}
#endif
