/* flm_attention_head_q with plain NEON (AArch64, ARMv7-A): the reference's
 * code up to the weights w_t (attention_impl.h) over the NEON dot product
 * for the scores, then the value sum eight columns at a time, position by
 * position (arm/neon_q8.h: exact int32 score sums, exact int64 value
 * sums, the same flm_rescale_sat32). ARMv7-A: built for fpu=neon and run
 * only where the CPU has NEON. Empty elsewhere. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_NEON
#if !defined(__aarch64__) && !defined(__ARM_NEON)
#pragma GCC target("fpu=neon")
#endif
#include "core/kernels/arm/neon_q8.h"
#include "core/kernels/priv/attention_impl.h"

flm_err_t flm_attention_head_q_neon(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                    uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    flm_err_t err = flm_attention_weights_with(flm_dot_q8_s16_neon, flm_quantize_s16_ref,
                                               flm_softmax_q_ref, q, head_dim, kv, npos, qs, att,
                                               out);
    if (err)
        return err;
    flm_neon_attention_values(kv, head_dim, npos, att, out);
    return FLM_OK;
}
#endif
