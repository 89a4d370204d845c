/* The integer transformer forward pass (llama2.c's forward(), in fixed point). */
#include "core/infer/transformer.h"

#include <string.h>

#include "core/kernels/kernels.h"
#include "core/infer/priv/attend.h"
#include "core/infer/priv/matmul.h"
#include "core/kernels/priv/fixed.h"
#include "core/model/arch.h"

enum { B_X, B_XB, B_XB2, B_Q, B_K, B_V, B_HB, B_HB2, B_LOGITS, /* activations */
       B_XQ, B_ATT, B_QS,                                      /* scratch */
       B_KC, B_VC, B_KS, B_VS,                                 /* KV cache */
       B_COUNT };

typedef struct {
    size_t off[B_COUNT];
    flm_ram_usage_t use;
} layout_t;

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* a * b * c, false on size_t overflow */
static bool mul3(size_t a, size_t b, size_t c, size_t *out)
{
    if ((b && a > SIZE_MAX / b) || (c && a * b > SIZE_MAX / c))
        return false;
    *out = a * b * c;
    return true;
}

static flm_err_t check_config(const flm_model_config_t *c, uint32_t ctx_len)
{
    if (!c)
        return FLM_ERR_ARG;
    /* the kernels' limits, then llama's rules (this is llama's forward pass) */
    if (c->dim == 0 || c->hidden_dim == 0 || c->n_layers == 0 ||
        c->n_layers > FLM_MODEL_MAX_LAYERS || c->n_heads == 0 || c->n_kv_heads == 0 ||
        c->head_dim == 0 || c->head_dim > FLM_KERNEL_MAX_HEAD || c->vocab_size == 0 ||
        c->dim > FLM_KERNEL_MAX_COLS || c->hidden_dim > FLM_KERNEL_MAX_COLS ||
        c->n_heads > FLM_KERNEL_MAX_COLS / c->head_dim ||
        flm_arch_check_config(flm_arch_find(FLM_ARCH_LLAMA), c, NULL, 0) != FLM_OK)
        return FLM_ERR_ENGINE_SHAPE;
    if (ctx_len == 0 || ctx_len > c->seq_len || ctx_len > FLM_KERNEL_MAX_COLS)
        return FLM_ERR_ARG;
    return FLM_OK;
}

/* One layout for flm_transformer_ram and init: sizes are counted once. */
static flm_err_t plan(const flm_model_config_t *c, uint32_t ctx_len, layout_t *lo)
{
    flm_err_t err = check_config(c, ctx_len);
    if (err)
        return err;
    const size_t q_dim = (size_t)c->n_heads * c->head_dim;
    const size_t kv_dim = (size_t)c->n_kv_heads * c->head_dim;
    size_t kv_elems, kv_scales, logits;
    if (!mul3(c->n_layers, ctx_len, kv_dim, &kv_elems) ||
        !mul3(c->n_layers, ctx_len, c->n_kv_heads, &kv_scales) ||
        !mul3(c->vocab_size, sizeof(int32_t), 1, &logits))
        return FLM_ERR_OVERFLOW;
    const size_t bytes[B_COUNT] = {
        [B_X] = c->dim * sizeof(int32_t),
        [B_XB] = (c->dim > q_dim ? c->dim : q_dim) * sizeof(int32_t),
        [B_XB2] = c->dim * sizeof(int32_t),
        [B_Q] = q_dim * sizeof(int32_t),
        [B_K] = kv_dim * sizeof(int32_t),
        [B_V] = kv_dim * sizeof(int32_t),
        [B_HB] = c->hidden_dim * sizeof(int32_t),
        [B_HB2] = c->hidden_dim * sizeof(int32_t),
        [B_LOGITS] = logits,
        [B_XQ] = max3(c->dim, (uint32_t)q_dim, c->hidden_dim) * sizeof(int16_t),
        [B_ATT] = (size_t)FLM_ATTEND_SLOTS(c->n_heads) * ctx_len * sizeof(int32_t),
        /* one slot's query shares xq (free while attention runs) */
        [B_QS] = FLM_ATTEND_SLOTS(c->n_heads) > 1
                     ? (size_t)FLM_ATTEND_SLOTS(c->n_heads) * c->head_dim * sizeof(int16_t)
                     : 0,
        [B_KC] = kv_elems,
        [B_VC] = kv_elems,
        [B_KS] = kv_scales * sizeof(uint16_t),
        [B_VS] = kv_scales * sizeof(uint16_t),
    };
    memset(lo, 0, sizeof *lo);
    size_t total = 0;
    for (int b = 0; b < B_COUNT; b++) {
        size_t n = bytes[b];
        if (n > SIZE_MAX - 15u - total)
            return FLM_ERR_OVERFLOW;
        n = (n + 15u) & ~(size_t)15u; /* every buffer 16-byte aligned */
        lo->off[b] = total;
        total += n;
        if (b < B_XQ)
            lo->use.activations += n;
        else if (b < B_KC)
            lo->use.scratch += n;
        else
            lo->use.kv_cache += n;
    }
    lo->use.total = total;
    return FLM_OK;
}

flm_err_t flm_transformer_ram(const flm_model_config_t *cfg, uint32_t ctx_len,
                              flm_ram_usage_t *out)
{
    layout_t lo;
    if (!out)
        return FLM_ERR_ARG;
    flm_err_t err = plan(cfg, ctx_len, &lo);
    if (!err)
        *out = lo.use;
    return err;
}

/* A view holds what its architecture table says, with the invariants the
 * kernels rely on (matvec, dequant, rmsnorm). */
static bool view_ok(const flm_arch_tensor_t *t, const void *view, const flm_model_config_t *c)
{
    const uint64_t rows = flm_arch_dim(c, t->rows), cols = flm_arch_dim(c, t->cols);
    if (t->dtype == FLM_DTYPE_Q8) { /* an int8 or int4 matrix */
        const flm_qmat_t *w = view;
        return w->q && w->s && w->rows == rows && w->cols == cols && cols <= FLM_KERNEL_MAX_COLS &&
               w->gs != 0 && w->ngroups == (w->cols + w->gs - 1) / w->gs && w->scale_shift >= 0 &&
               w->scale_shift <= 62 &&
               ((w->bits | 8u) == 8u || (w->bits == 4u && (w->gs % 2u == 0 || w->gs >= w->cols)));
    }
    if (t->dtype == FLM_DTYPE_I32) {
        const flm_ivec_t *v = view;
        return v->v && v->n == cols && v->shift >= 0 && v->shift <= 62;
    }
    return t->dtype == FLM_DTYPE_U32 && *(const uint32_t *const *)view != NULL;
}

/* Every view of llama's table, shared ones included, has its shape. */
static flm_err_t check_model(const flm_model_t *m)
{
    const flm_arch_t *a = flm_arch_find(FLM_ARCH_LLAMA);
    if (m->arch != FLM_ARCH_LLAMA)
        return FLM_ERR_ENGINE_SHAPE;
    for (uint32_t i = 0; i < a->n_tensors; i++) {
        const flm_arch_tensor_t *t = &a->tensors[i];
        for (uint32_t l = 0; l < flm_arch_copies(t, &m->cfg); l++) {
            if (!view_ok(t, flm_arch_view_const(m, t, l), &m->cfg))
                return FLM_ERR_ENGINE_SHAPE;
        }
    }
    return FLM_OK;
}

flm_err_t flm_transformer_init(flm_transformer_t *t, const flm_model_t *m, uint32_t ctx_len,
                               flm_arena_t *arena)
{
    if (!t || !m || !arena)
        return FLM_ERR_ARG;
    memset(t, 0, sizeof *t);
    layout_t lo;
    flm_err_t err = plan(&m->cfg, ctx_len, &lo);
    if (!err)
        err = check_model(m);
    /* once per model: the loader has walked them if it verified the image */
    if (!err && !m->scales_checked && flm_model_check_scales(m, NULL, 0) != FLM_OK)
        err = FLM_ERR_MODEL_VALUE;
    uint8_t *mem = NULL;
    if (!err)
        err = flm_arena_alloc(arena, lo.use.total, 16, (void **)&mem);
    if (err)
        return err;
    t->model = m;
    t->ctx_len = ctx_len;
    t->q_dim = m->cfg.n_heads * m->cfg.head_dim;
    t->kv_dim = m->cfg.n_kv_heads * m->cfg.head_dim;
    t->x = (int32_t *)(void *)(mem + lo.off[B_X]);
    t->xb = (int32_t *)(void *)(mem + lo.off[B_XB]);
    t->xb2 = (int32_t *)(void *)(mem + lo.off[B_XB2]);
    t->q = (int32_t *)(void *)(mem + lo.off[B_Q]);
    t->k = (int32_t *)(void *)(mem + lo.off[B_K]);
    t->v = (int32_t *)(void *)(mem + lo.off[B_V]);
    t->hb = (int32_t *)(void *)(mem + lo.off[B_HB]);
    t->hb2 = (int32_t *)(void *)(mem + lo.off[B_HB2]);
    t->logits = (int32_t *)(void *)(mem + lo.off[B_LOGITS]);
    t->xq = (int16_t *)(void *)(mem + lo.off[B_XQ]);
    t->att = (int32_t *)(void *)(mem + lo.off[B_ATT]);
    t->att_slots = FLM_ATTEND_SLOTS(m->cfg.n_heads);
    t->qs = t->att_slots > 1 ? (int16_t *)(void *)(mem + lo.off[B_QS]) : t->xq;
    t->kc = (int8_t *)(mem + lo.off[B_KC]);
    t->vc = (int8_t *)(mem + lo.off[B_VC]);
    t->ks = (uint16_t *)(void *)(mem + lo.off[B_KS]);
    t->vs = (uint16_t *)(void *)(mem + lo.off[B_VS]);
    return FLM_OK;
}

void flm_transformer_deinit(flm_transformer_t *t)
{
    if (t)
        memset(t, 0, sizeof *t);
}

/* W x, rows across the pool where there is one (priv/matmul.h) */
#define matvec flm_infer_matvec

/* x += y, saturating */
static void residual(int32_t *x, const int32_t *y, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        x[i] = flm_sat32((int64_t)x[i] + y[i]);
}

flm_err_t flm_transformer_forward(flm_transformer_t *t, uint32_t token, uint32_t pos,
                                  const int32_t **logits)
{
    if (!t || !t->model || !logits)
        return FLM_ERR_ARG;
    if (token >= t->model->cfg.vocab_size)
        return FLM_ERR_ENGINE_TOKEN;
    if (pos >= t->ctx_len)
        return FLM_ERR_ENGINE_CONTEXT_FULL;
    const flm_model_t *m = t->model;
    const flm_model_config_t *c = &m->cfg;
    const uint32_t dim = c->dim, hd = c->head_dim, kv_dim = t->kv_dim;
    int32_t sh; /* shift of the int16 copy in t->xq */
    flm_err_t err = m->tok_embedding.bits == 4u
                        ? flm_dequant_row_q4(&m->tok_embedding, token, t->x, FLM_ACT_SHIFT)
                        : flm_dequant_row_q8(&m->tok_embedding, token, t->x, FLM_ACT_SHIFT);

    for (uint32_t l = 0; l < c->n_layers && !err; l++) {
        const flm_layer_t *ly = &m->layers[l];
        const size_t kv_row = ((size_t)l * t->ctx_len + pos) * kv_dim;
        const size_t sc_row = ((size_t)l * t->ctx_len + pos) * c->n_kv_heads;

        /* attention rmsnorm, then q, k, v from one int16 copy of it */
        err = flm_rmsnorm_s32(t->x, &ly->rms_att, c->norm_eps_q32, t->xb);
        if (!err) err = flm_quantize_s16(t->xb, dim, FLM_ACT_SHIFT, t->xq, &sh);
        if (!err) err = matvec(&ly->wq, t->xq, sh, t->q, FLM_ACT_SHIFT);
        if (!err) err = matvec(&ly->wk, t->xq, sh, t->k, FLM_ACT_SHIFT);
        if (!err) err = matvec(&ly->wv, t->xq, sh, t->v, FLM_ACT_SHIFT);
        /* RoPE on q and k */
        if (!err) err = flm_rope_s32(t->q, t->q_dim, hd, m->rope_freq, pos);
        if (!err) err = flm_rope_s32(t->k, kv_dim, hd, m->rope_freq, pos);
        /* cache k and v as int8, one scale per head */
        for (uint32_t h = 0; h < c->n_kv_heads && !err; h++) {
            const size_t o = kv_row + h * hd;
            err = flm_quantize_s8(t->k + h * hd, hd, t->kc + o, t->ks + sc_row + h);
            if (!err)
                err = flm_quantize_s8(t->v + h * hd, hd, t->vc + o, t->vs + sc_row + h);
        }
        /* grouped-query attention, heads across the pool where there is one */
        if (!err) err = flm_infer_attend(t, l, pos, 1, t->q, 0, t->xb, 0);
        /* output projection and residual */
        if (!err) err = flm_quantize_s16(t->xb, t->q_dim, FLM_ACT_SHIFT, t->xq, &sh);
        if (!err) err = matvec(&ly->wo, t->xq, sh, t->xb2, FLM_ACT_SHIFT);
        if (!err) residual(t->x, t->xb2, dim);

        /* ffn rmsnorm, SwiGLU, down projection and residual */
        if (!err) err = flm_rmsnorm_s32(t->x, &ly->rms_ffn, c->norm_eps_q32, t->xb);
        if (!err) err = flm_quantize_s16(t->xb, dim, FLM_ACT_SHIFT, t->xq, &sh);
        if (!err) err = matvec(&ly->w1, t->xq, sh, t->hb, FLM_ACT_SHIFT);
        if (!err) err = matvec(&ly->w3, t->xq, sh, t->hb2, FLM_ACT_SHIFT);
        if (!err) err = flm_swiglu_s32(t->hb, t->hb2, c->hidden_dim);
        if (!err) err = flm_quantize_s16(t->hb, c->hidden_dim, FLM_ACT_SHIFT, t->xq, &sh);
        if (!err) err = matvec(&ly->w2, t->xq, sh, t->xb, FLM_ACT_SHIFT);
        if (!err) residual(t->x, t->xb, dim);
    }
    /* final rmsnorm and classifier */
    if (!err) err = flm_rmsnorm_s32(t->x, &m->rms_final, c->norm_eps_q32, t->xb);
    if (!err) err = flm_quantize_s16(t->xb, dim, FLM_ACT_SHIFT, t->xq, &sh);
    if (!err) err = matvec(&m->classifier, t->xq, sh, t->logits, FLM_LOGIT_SHIFT);
    if (!err)
        *logits = t->logits;
    return err;
}
