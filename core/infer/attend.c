/* Attention over the KV cache, heads across the HAL's pool (priv/attend.h). */
#include "core/infer/priv/attend.h"

#include "core/hal/hal.h"
#include "core/kernels/kernels.h"

typedef struct {
    const flm_transformer_t *t;
    uint32_t l, pos0, grain;
    const int32_t *q;
    int32_t *out;
    size_t q_stride, out_stride;
} job_t;

/* pairs [begin, end), position-major; the piece's scratch is slot
 * begin / grain: pieces start on distinct multiples of the grain, and the
 * grain makes fewer of them than slots */
static flm_err_t pairs(void *ctx, uint32_t begin, uint32_t end)
{
    const job_t *j = ctx;
    const flm_transformer_t *t = j->t;
    const flm_model_config_t *c = &t->model->cfg;
    const uint32_t hd = c->head_dim, kv_mul = c->n_heads / c->n_kv_heads;
    const uint32_t slot = begin / j->grain;
    int16_t *qs = t->qs + (size_t)slot * hd;
    int32_t *att = t->att + (size_t)slot * t->ctx_len;
    const size_t layer_kv = (size_t)j->l * t->ctx_len * t->kv_dim;
    const size_t layer_sc = (size_t)j->l * t->ctx_len * c->n_kv_heads;
    flm_err_t err = FLM_OK;
    for (uint32_t i = begin; i < end && !err; i++) {
        const uint32_t p = i / c->n_heads, h = i % c->n_heads, g = h / kv_mul;
        flm_kv_view_t kv = { t->kc + layer_kv + g * hd, t->vc + layer_kv + g * hd,
                             t->ks + layer_sc + g, t->vs + layer_sc + g, t->kv_dim,
                             c->n_kv_heads };
        err = flm_attention_head_q(j->q + p * j->q_stride + h * hd, hd, &kv, j->pos0 + p + 1, qs,
                                   att, j->out + p * j->out_stride + h * hd);
    }
    return err;
}

flm_err_t flm_infer_attend(const flm_transformer_t *t, uint32_t l, uint32_t pos0, uint32_t n,
                           const int32_t *q, size_t q_stride, int32_t *out, size_t out_stride)
{
    const flm_model_config_t *c = &t->model->cfg;
    const uint32_t pairs_n = n * c->n_heads;
    job_t j = { .t = t, .l = l, .pos0 = pos0, .grain = pairs_n, .q = q, .out = out,
                .q_stride = q_stride, .out_stride = out_stride };
    /* cache positions read, times the head size: the pairs' work */
    const uint64_t work = ((uint64_t)n * pos0 + (uint64_t)n * (n + 1) / 2) * c->n_heads * c->head_dim;
    if (t->att_slots < 2 || work < FLM_ATTEND_MIN_SPLIT || flm_hal_parallel_threads() < 2)
        return pairs(&j, 0, pairs_n);
    j.grain = (pairs_n + t->att_slots - 1) / t->att_slots;
    return flm_hal_parallel_for(pairs_n, j.grain, pairs, &j);
}
