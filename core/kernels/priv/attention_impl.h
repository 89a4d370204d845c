/*
 * One attention head written once (internal to core/kernels/): each variant
 * instantiates it with its dot product and the quantize/softmax it is built
 * from, so flm_attention_head_q_ref is plain C all the way down (it passes
 * the _refs) while a variant passes the selected public kernels.
 */
#ifndef FLM_KERNELS_ATTENTION_IMPL_H
#define FLM_KERNELS_ATTENTION_IMPL_H

#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

/* The scores' rescaling: a variant may bring its own with the same bits
 * (defined before this header is included). */
#ifndef FLM_ATTENTION_RESCALE
#define FLM_ATTENTION_RESCALE flm_rescale_sat32
#endif

/* The scores' loop likewise: FLM_ATTENTION_SCORES names a variant's own
 * (same arguments as flm_attention_scores_with without the dot), which may
 * fall back on flm_attention_scores_with for the shapes it does not take. */

typedef flm_err_t (*flm_quantize_s16_fn)(const int32_t *x, uint32_t n, int32_t x_shift,
                                         int16_t *q, int32_t *q_shift);
typedef flm_err_t (*flm_softmax_q_fn)(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p);

/* scores: (qs . k_t) * ks_t in Q(q_shift + 24), to Q16 (shift = q_shift + 8) */
static FLM_ALWAYS_INLINE void flm_attention_scores_with(flm_dot_q8_s16_fn dot, const int16_t *qs,
                                                        uint32_t head_dim,
                                                        const flm_kv_view_t *kv, uint32_t npos,
                                                        int32_t shift, int32_t *att)
{
    for (uint32_t t = 0; t < npos; t++) {
        /* |qs k| <= 2^22 per term, head_dim <= 256 terms: exact */
        int32_t d = dot(kv->k + (size_t)t * kv->stride, qs, head_dim);
        int32_t ks = flm_kv_scale(kv->ks[(size_t)t * kv->scale_stride]);
        att[t] = FLM_ATTENTION_RESCALE((int64_t)d * ks, shift);
    }
}

/* 1 / sqrt(head_dim) in Q30: isqrt(floor(2^60 / head_dim)), computed for
 * every head of every position. For a power of two 2^b (every reference
 * model's) that is the root of 2^(60-b) without the division or Newton's
 * steps: 2^((60-b)/2) for an even 60 - b, else, 60 - b = 2m + 1,
 * floor(2^m sqrt 2) = floor(floor(2^29 sqrt 2) / 2^(29-m)) = isqrt(2^59)
 * >> (29 - m) (tests/unit/kernels/test_kernels_math.c checks it against
 * the general form for every head size). */
#define FLM_ISQRT_2P59 UINT32_C(759250124) /* floor(2^29 sqrt 2) = isqrt(2^59) */
static inline int64_t flm_attention_inv_sqrt(uint32_t head_dim)
{
    if (head_dim == 0) /* refused by every caller: no division by it */
        return 0;
    if ((head_dim & (head_dim - 1)) == 0) {
        uint32_t e = 60 - (31 - flm_clz32(head_dim)); /* 29..60 */
        return e % 2 == 0 ? INT64_C(1) << (e / 2) : (int64_t)(FLM_ISQRT_2P59 >> (29 - e / 2));
    }
    return flm_isqrt_u64(flm_udiv64_by32((uint64_t)1 << 60, head_dim));
}

/* Everything before the weighted sum of the values: att[t] = w_t, each
 * position's probability folded into its value scale (Q24). A variant with
 * its own value loop (x86/) calls this with its dot product. */
static FLM_ALWAYS_INLINE flm_err_t
flm_attention_weights_with(flm_dot_q8_s16_fn dot,
                           flm_quantize_s16_fn quantize_s16, flm_softmax_q_fn softmax_q,
                           const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                           uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    if (!q || !kv || !kv->k || !kv->v || !kv->ks || !kv->vs || !qs || !att || !out ||
        head_dim == 0 || head_dim > FLM_KERNEL_MAX_HEAD || npos == 0 ||
        npos > FLM_KERNEL_MAX_COLS)
        return FLM_ERR_ARG;
    /* q / sqrt(head_dim) (Q16, in out until the end), then int16: the scale
     * is applied once instead of once per position */
    int64_t inv_sqrt = flm_attention_inv_sqrt(head_dim); /* Q30 */
    for (uint32_t j = 0; j < head_dim; j++) /* |q inv_sqrt| < 2^61 */
        out[j] = flm_sat32(flm_round_shr64_half(q[j] * inv_sqrt, 1u << 29, 30));
    int32_t q_shift;
    flm_err_t err = quantize_s16(out, head_dim, FLM_ACT_SHIFT, qs, &q_shift);
    if (err)
        return err;

    const int32_t score_shift = q_shift + FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT;
#ifdef FLM_ATTENTION_SCORES
    (void)dot;
    FLM_ATTENTION_SCORES(qs, head_dim, kv, npos, score_shift, att);
#else
    flm_attention_scores_with(dot, qs, head_dim, kv, npos, score_shift, att);
#endif
    uint32_t *p = (uint32_t *)att;
    err = softmax_q(att, npos, FLM_ACT_SHIFT, p);
    if (err)
        return err;
    /* fold each probability into its value scale: w_t = p_t * vs_t, Q24;
     * both >= 0 (and p vs < 2^63), so the round half up is unsigned */
    for (uint32_t t = 0; t < npos; t++) {
        uint32_t vs = (uint32_t)flm_kv_scale(kv->vs[(size_t)t * kv->scale_stride]);
        uint64_t w = ((uint64_t)p[t] * vs + (1u << (FLM_PROB_SHIFT - 1))) >> FLM_PROB_SHIFT;
        att[t] = w > INT32_MAX ? INT32_MAX : (int32_t)w;
    }
    return FLM_OK;
}

static FLM_ALWAYS_INLINE flm_err_t
flm_attention_head_q_with(flm_dot_q8_s16_fn dot,
                          flm_quantize_s16_fn quantize_s16, flm_softmax_q_fn softmax_q,
                          const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                          uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    flm_err_t err = flm_attention_weights_with(dot, quantize_s16, softmax_q, q, head_dim, kv, npos,
                                               qs, att, out);
    if (err)
        return err;
    for (uint32_t j = 0; j < head_dim; j++) {
        int64_t acc = 0; /* |w v| < 2^38, npos <= 2^16 terms */
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++)
            acc += (int64_t)att[t] * v[(size_t)t * kv->stride];
        out[j] = flm_rescale_sat32(acc, FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT);
    }
    return FLM_OK;
}

#endif /* FLM_KERNELS_ATTENTION_IMPL_H */
