/* One attention head over an int8 KV cache with per-vector scales: the plain
 * C reference (the body is in attention_impl.h). */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/attention_impl.h"

flm_err_t flm_attention_head_q_ref(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    return flm_attention_head_q_with(flm_dot_q8_s16_ref, flm_quantize_s16_ref, flm_softmax_q_ref,
                                     q, head_dim, kv, npos, qs, att, out);
}
