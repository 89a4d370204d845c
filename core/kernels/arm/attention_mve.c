/*
 * flm_attention_head_q with MVE (Helium, Cortex-M55), integer only and
 * bit-exact with the _ref. Empty off MVE targets.
 *
 * The weights w_t come from the reference's own code (attention_impl.h)
 * over the MVE dot product (the same exact int32 sums) and the long-shift
 * rescaling of the scores (flm_rescale_sat32_mve, the same bits). The weighted sum
 * of the values, sum_t w_t * v_tj in int64 per column, runs here position
 * by position over 8 columns at a time in int32 lanes: each w_t is split
 * into w_t = hi_t * 2^16 + lo_t (hi signed, |hi| <= 2^15; lo in
 * [0, 2^16)), and over a run of at most 256 positions sum hi_t * v_tj
 * (<= 2^30) and sum lo_t * v_tj (< 256 * 2^16 * 2^7 = 2^31) are both exact
 * in int32; each run's pair is folded into the column's int64 total as
 * hi * 2^16 + lo, the same integer as the reference's, then rounded by the
 * same flm_rescale_sat32.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_MVE
#include <arm_mve.h>

#include "core/kernels/arm/dot_mve.h"
#define FLM_ATTENTION_RESCALE flm_rescale_sat32_mve /* the same bits, by ASRL */
#include "core/kernels/priv/attention_impl.h"
#include "core/kernels/priv/fixed.h"

/* Positions a run may sum in int32 lanes (see above). */
#define RUN 256u

flm_err_t flm_attention_head_q_mve(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    flm_err_t err = flm_attention_weights_with(flm_dot_q8_s16_mve, flm_quantize_s16,
                                               flm_softmax_q, q, head_dim, kv, npos, qs, att, out);
    if (err)
        return err;
    const size_t stride = kv->stride;
    for (uint32_t j = 0; j < head_dim; j += 8) {
        /* lanes past head_dim neither load nor store */
        mve_pred16_t p0 = vctp32q(head_dim - j);
        mve_pred16_t p1 = vctp32q(head_dim - j > 4u ? head_dim - j - 4u : 0u);
        int64_t acc[8] = { 0 };
        for (uint32_t t0 = 0; t0 < npos; t0 += RUN) {
            uint32_t t1 = npos - t0 < RUN ? npos : t0 + RUN;
            int32x4_t hi0 = vdupq_n_s32(0), lo0 = hi0, hi1 = hi0, lo1 = hi0;
            const int8_t *v = kv->v + (size_t)t0 * stride + j;
            for (uint32_t t = t0; t < t1; t++, v += stride) {
                int32_t w = att[t];
                int32_t lo = (int32_t)((uint32_t)w & 0xFFFFu);
                int32_t hi = (w - lo) / 65536; /* exact: w - lo is w's high half */
                int32x4_t v0 = vldrbq_z_s32(v, p0), v1 = vldrbq_z_s32(v + 4, p1);
                hi0 = vmlaq_n_s32(hi0, v0, hi);
                lo0 = vmlaq_n_s32(lo0, v0, lo);
                hi1 = vmlaq_n_s32(hi1, v1, hi);
                lo1 = vmlaq_n_s32(lo1, v1, lo);
            }
            int32_t h[8], l[8];
            vst1q_s32(h, hi0);
            vst1q_s32(h + 4, hi1);
            vst1q_s32(l, lo0);
            vst1q_s32(l + 4, lo1);
            for (int i = 0; i < 8; i++)
                acc[i] += (int64_t)h[i] * 65536 + l[i];
        }
        uint32_t nj = head_dim - j < 8u ? head_dim - j : 8u;
        for (uint32_t i = 0; i < nj; i++)
            out[j + i] = flm_rescale_sat32(acc[i], FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT);
    }
    return FLM_OK;
}
#endif
