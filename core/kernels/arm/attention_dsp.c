/* flm_attention_head_q with the ARM DSP dot product for the scores
 * (Cortex-M4/M7, ARMv7-A): the reference's body (attention_impl.h) over
 * flm_dot_q8_s16_dsp. Empty off DSP targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DSP
#include "core/kernels/arm/dot_dsp.h"
#include "core/kernels/priv/attention_impl.h"

flm_err_t flm_attention_head_q_dsp(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    return flm_attention_head_q_with(flm_dot_q8_s16_dsp, flm_quantize_s16, flm_softmax_q, q,
                                     head_dim, kv, npos, qs, att, out);
}
#endif
