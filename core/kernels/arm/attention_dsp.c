/* flm_attention_head_q with the ARM DSP extension (Cortex-M4/M7/M33,
 * ARMv7-A): the reference's weights (attention_impl.h) over the DSP dot
 * product and the 32-bit rescaling of the scores (flm_rescale_sat32_dsp,
 * the same bits), then the weighted sum of the values four columns a pass:
 * four int64 sums stay in registers (SMLAL of w_t and a sign-extended
 * value byte), where the reference's column-at-a-time loop reloads w_t
 * for every column. The sums are the reference's integers, rounded by the
 * same function. Empty off DSP targets. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DSP
#include "core/kernels/arm/dot_dsp.h"
#define FLM_ATTENTION_RESCALE flm_rescale_sat32_dsp
#define FLM_ATTENTION_SCORES  scores_dsp
static void scores_dsp(const int16_t *qs, uint32_t head_dim, const flm_kv_view_t *kv,
                       uint32_t npos, int32_t shift, int32_t *att);
#include "core/kernels/priv/attention_impl.h"

/* Heads this wide at most take the paired path (its buffer is on the stack). */
#define PAIRED_HEAD 64u

/* One position's score over n (a multiple of 4) columns of paired qs: 2
 * SXTB16 and 2 SMLAD per 4 columns (the matvec's layout, matvec_q8_dsp.c),
 * the same exact int32 sum as the dot product's. */
static FLM_ALWAYS_INLINE void scores_paired(const uint32_t *qp, uint32_t n,
                                            const flm_kv_view_t *kv, uint32_t npos,
                                            int32_t shift, int32_t *att)
{
    const int8_t *k = kv->k;
    const uint16_t *ks = kv->ks;
    const size_t stride = kv->stride, scale_stride = kv->scale_stride; /* not re-read past att's stores */
    for (uint32_t t = 0; t < npos; t++, k += stride, ks += scale_stride) {
        int32_t d = 0;
        for (uint32_t c = 0; c < n; c += 4) {
            uint32_t w;
            memcpy(&w, k + c, 4);
            d = __smlad(__sxtb16((int32_t)w), (int32_t)qp[c / 2], d);
            d = __smlad(flm_sxtb16_ror8(w), (int32_t)qp[c / 2 + 1], d);
        }
        att[t] = flm_rescale_sat32_dsp((int64_t)d * flm_kv_scale(*ks), shift);
    }
}

/* qs paired once per head instead of re-read for every position; heads of
 * 8 (the reference stories260K's) unrolled, the others looped. */
static void scores_dsp(const int16_t *qs, uint32_t head_dim, const flm_kv_view_t *kv,
                       uint32_t npos, int32_t shift, int32_t *att)
{
    if (head_dim % 4u != 0 || head_dim > PAIRED_HEAD) {
        flm_attention_scores_with(flm_dot_q8_s16_dsp, qs, head_dim, kv, npos, shift, att);
        return;
    }
    uint32_t qp[PAIRED_HEAD / 2];
    for (uint32_t c = 0; c < head_dim; c += 4)
        flm_pair_x_dsp(qs + c, (int32_t *)&qp[c / 2], (int32_t *)&qp[c / 2 + 1]);
    if (head_dim == 8)
        scores_paired(qp, 8, kv, npos, shift, att);
    else
        scores_paired(qp, head_dim, kv, npos, shift, att);
}

flm_err_t flm_attention_head_q_dsp(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    flm_err_t err = flm_attention_weights_with(flm_dot_q8_s16_dsp, flm_quantize_s16,
                                               flm_softmax_q, q, head_dim, kv, npos, qs, att, out);
    if (err)
        return err;
    const size_t stride = kv->stride;
    const int32_t shift = FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT;
    uint32_t j = 0;
    for (; j + 4 <= head_dim; j += 4) {
        int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0; /* |w v| < 2^38, npos <= 2^16 terms */
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++, v += stride) {
            int64_t w = att[t];
            a0 += w * v[0];
            a1 += w * v[1];
            a2 += w * v[2];
            a3 += w * v[3];
        }
        out[j] = flm_rescale_sat32_dsp(a0, shift);
        out[j + 1] = flm_rescale_sat32_dsp(a1, shift);
        out[j + 2] = flm_rescale_sat32_dsp(a2, shift);
        out[j + 3] = flm_rescale_sat32_dsp(a3, shift);
    }
    for (; j < head_dim; j++) {
        int64_t acc = 0;
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++, v += stride)
            acc += (int64_t)att[t] * *v;
        out[j] = flm_rescale_sat32_dsp(acc, shift);
    }
    return FLM_OK;
}
#endif
