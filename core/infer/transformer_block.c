/* Batched prefill: flm_transformer_forward over a block of positions, each
 * weight matrix read once for the block. Every per-position step is the
 * one-token path's, in the same order for each position; only the matrix
 * products run n positions at a time (flm_matmat_q8_s16, bit-exact with n
 * matvecs), so the bits are flm_transformer_forward's. */
#include <string.h>

#include "core/infer/transformer.h"
#include "core/hal/hal.h"
#include "core/kernels/kernels.h"
#include "core/infer/priv/attend.h"
#include "core/infer/priv/matmul.h"
#include "core/kernels/priv/fixed.h"

/* the block's buffers, position-major: [n][width] */
typedef struct {
    int32_t *x, *xb, *xb2, *q, *k, *v, *hb, *hb2, *sh;
    int16_t *xq;
    uint32_t wx, wxb, wq, wkv, wh, wxq; /* widths (elements per position) */
} block_t;

static size_t up16(size_t n)
{
    return (n + 15u) & ~(size_t)15u;
}

static size_t plan(const flm_model_config_t *c, uint32_t n, block_t *b, uint8_t *mem)
{
    const uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    uint32_t wxq = c->dim > q_dim ? c->dim : q_dim;
    wxq = wxq > c->hidden_dim ? wxq : c->hidden_dim;
    const uint32_t w32[9] = { c->dim, c->dim > q_dim ? c->dim : q_dim, c->dim, q_dim, kv_dim,
                              kv_dim, c->hidden_dim, c->hidden_dim, 1 };
    int32_t **p32[9] = { &b->x, &b->xb, &b->xb2, &b->q, &b->k, &b->v, &b->hb, &b->hb2, &b->sh };
    size_t off = 0;
    for (int i = 0; i < 9; i++) {
        if (mem)
            *p32[i] = (int32_t *)(void *)(mem + off);
        off += up16((size_t)n * w32[i] * sizeof(int32_t));
    }
    if (mem)
        b->xq = (int16_t *)(void *)(mem + off);
    off += up16((size_t)n * wxq * sizeof(int16_t));
    b->wx = c->dim, b->wxb = w32[1], b->wq = q_dim, b->wkv = kv_dim, b->wh = c->hidden_dim;
    b->wxq = wxq;
    return off;
}

size_t flm_transformer_block_bytes(const flm_model_config_t *cfg, uint32_t n_max)
{
    block_t b;
    if (!cfg || n_max == 0 || n_max > FLM_KERNEL_MAX_COLS || cfg->dim > FLM_KERNEL_MAX_COLS ||
        cfg->hidden_dim > FLM_KERNEL_MAX_COLS || cfg->head_dim > FLM_KERNEL_MAX_HEAD ||
        cfg->n_heads > FLM_KERNEL_MAX_COLS || cfg->n_kv_heads > FLM_KERNEL_MAX_COLS)
        return 0;
    return plan(cfg, n_max, &b, NULL);
}

/* out[b] = W in[b] for the n positions, rows across the pool where there
 * is one (priv/matmul.h) */
static flm_err_t matmul(const flm_qmat_t *w, uint32_t n, const int16_t *x, size_t xs,
                        const int32_t *sh, int32_t *out, size_t os)
{
    return flm_infer_matmat(w, n, x, xs, sh, out, os, FLM_ACT_SHIFT);
}

/* The per-position steps of a block: one call a position, positions
 * across the pool where there is one and the block is big enough to pay
 * for the hand-out (each position's bits are its own call's, so the
 * split changes nothing). */
typedef struct job job_t;
struct job {
    const block_t *b;
    flm_err_t (*fn)(const job_t *j, uint32_t p);
    const flm_ivec_t *w;  /* norm: the weights */
    const int32_t *in;    /* quantize: the input, wi apart; residual: y */
    uint32_t wi, len;     /* quantize: width and elements used */
    uint32_t eps;         /* norm */
};

/* Split when the block's positions together touch this many elements. */
#define BLOCK_MIN_SPLIT 2048u

static flm_err_t positions(void *ctx, uint32_t begin, uint32_t end)
{
    const job_t *j = ctx;
    flm_err_t err = FLM_OK;
    for (uint32_t p = begin; p < end && !err; p++)
        err = j->fn(j, p);
    return err;
}

static flm_err_t each_position(job_t *j, uint32_t n, uint32_t width)
{
    if (n < 2 || (uint64_t)n * width < BLOCK_MIN_SPLIT || flm_hal_parallel_threads() < 2)
        return positions(j, 0, n);
    return flm_hal_parallel_for(n, 1, positions, j);
}

/* int16 copy of `in` (width wi, len elements used) */
static flm_err_t quantize_one(const job_t *j, uint32_t p)
{
    return flm_quantize_s16(j->in + (size_t)p * j->wi, j->len, FLM_ACT_SHIFT,
                            j->b->xq + (size_t)p * j->b->wxq, &j->b->sh[p]);
}

static flm_err_t quantize_all(const block_t *b, uint32_t n, const int32_t *in, uint32_t wi,
                              uint32_t len)
{
    job_t j = { .b = b, .fn = quantize_one, .in = in, .wi = wi, .len = len };
    return each_position(&j, n, len);
}

static flm_err_t norm_one(const job_t *j, uint32_t p)
{
    return flm_rmsnorm_s32(j->b->x + (size_t)p * j->b->wx, j->w, j->eps,
                           j->b->xb + (size_t)p * j->b->wxb);
}

static flm_err_t norm_all(const block_t *b, uint32_t n, const flm_ivec_t *w, uint32_t eps)
{
    job_t j = { .b = b, .fn = norm_one, .w = w, .eps = eps };
    return each_position(&j, n, b->wx);
}

static flm_err_t swiglu_one(const job_t *j, uint32_t p)
{
    return flm_swiglu_s32(j->b->hb + (size_t)p * j->b->wh, j->b->hb2 + (size_t)p * j->b->wh,
                          j->b->wh);
}

static flm_err_t swiglu_all(const block_t *b, uint32_t n)
{
    /* SwiGLU costs an exp and a division an element: worth splitting sooner */
    job_t j = { .b = b, .fn = swiglu_one };
    return each_position(&j, n, 8u * b->wh);
}

static flm_err_t residual_one(const job_t *j, uint32_t p)
{
    int32_t *x = j->b->x + (size_t)p * j->b->wx;
    const int32_t *y = j->in + (size_t)p * j->wi;
    for (uint32_t i = 0; i < j->b->wx; i++)
        x[i] = flm_sat32((int64_t)x[i] + y[i]);
    return FLM_OK;
}

static void residual_all(const block_t *b, uint32_t n, const int32_t *y, uint32_t wy)
{
    job_t j = { .b = b, .fn = residual_one, .in = y, .wi = wy };
    (void)each_position(&j, n, b->wx);
}

flm_err_t flm_transformer_forward_block(flm_transformer_t *t, const uint32_t *tokens, uint32_t n,
                                        uint32_t pos0, void *scratch, size_t scratch_bytes,
                                        const int32_t **logits)
{
    if (!t || !t->model || !tokens || n == 0 || !scratch ||
        ((uintptr_t)scratch & 15u) != 0)
        return FLM_ERR_ARG;
    const flm_model_t *m = t->model;
    const flm_model_config_t *c = &m->cfg;
    if (flm_transformer_block_bytes(c, n) == 0 || scratch_bytes < flm_transformer_block_bytes(c, n))
        return FLM_ERR_ARG;
    for (uint32_t p = 0; p < n; p++)
        if (tokens[p] >= c->vocab_size)
            return FLM_ERR_ENGINE_TOKEN;
    if (pos0 >= t->ctx_len || n > t->ctx_len - pos0)
        return FLM_ERR_ENGINE_CONTEXT_FULL;
    block_t b;
    plan(c, n, &b, scratch);
    const uint32_t dim = c->dim, hd = c->head_dim, kv_dim = t->kv_dim;
    flm_err_t err = FLM_OK;
    for (uint32_t p = 0; p < n && !err; p++)
        err = m->tok_embedding.bits == 4u
                  ? flm_dequant_row_q4(&m->tok_embedding, tokens[p], b.x + (size_t)p * dim,
                                       FLM_ACT_SHIFT)
                  : flm_dequant_row_q8(&m->tok_embedding, tokens[p], b.x + (size_t)p * dim,
                                       FLM_ACT_SHIFT);

    for (uint32_t l = 0; l < c->n_layers && !err; l++) {
        const flm_layer_t *ly = &m->layers[l];

        err = norm_all(&b, n, &ly->rms_att, c->norm_eps_q32);
        if (!err) err = quantize_all(&b, n, b.xb, b.wxb, dim);
        if (!err) err = matmul(&ly->wq, n, b.xq, b.wxq, b.sh, b.q, b.wq);
        if (!err) err = matmul(&ly->wk, n, b.xq, b.wxq, b.sh, b.k, b.wkv);
        if (!err) err = matmul(&ly->wv, n, b.xq, b.wxq, b.sh, b.v, b.wkv);
        /* RoPE and the cache entries of every position first: position
         * pos reads the cache up to itself, which the block has by then,
         * exactly as one at a time */
        for (uint32_t p = 0; p < n && !err; p++) {
            const uint32_t pos = pos0 + p;
            int32_t *q = b.q + (size_t)p * b.wq, *k = b.k + (size_t)p * b.wkv,
                    *v = b.v + (size_t)p * b.wkv;
            err = flm_rope_s32(q, t->q_dim, hd, m->rope_freq, pos);
            if (!err) err = flm_rope_s32(k, kv_dim, hd, m->rope_freq, pos);
            const size_t kv_row = ((size_t)l * t->ctx_len + pos) * kv_dim;
            const size_t sc_row = ((size_t)l * t->ctx_len + pos) * c->n_kv_heads;
            for (uint32_t h = 0; h < c->n_kv_heads && !err; h++) {
                const size_t o = kv_row + h * hd;
                err = flm_quantize_s8(k + h * hd, hd, t->kc + o, t->ks + sc_row + h);
                if (!err)
                    err = flm_quantize_s8(v + h * hd, hd, t->vc + o, t->vs + sc_row + h);
            }
        }
        /* then every (position, head) pair, across the pool where there is one */
        if (!err) err = flm_infer_attend(t, l, pos0, n, b.q, b.wq, b.xb, b.wxb);
        if (!err) err = quantize_all(&b, n, b.xb, b.wxb, t->q_dim);
        if (!err) err = matmul(&ly->wo, n, b.xq, b.wxq, b.sh, b.xb2, b.wx);
        if (!err) residual_all(&b, n, b.xb2, b.wx);

        if (!err) err = norm_all(&b, n, &ly->rms_ffn, c->norm_eps_q32);
        if (!err) err = quantize_all(&b, n, b.xb, b.wxb, dim);
        if (!err) err = matmul(&ly->w1, n, b.xq, b.wxq, b.sh, b.hb, b.wh);
        if (!err) err = matmul(&ly->w3, n, b.xq, b.wxq, b.sh, b.hb2, b.wh);
        if (!err) err = swiglu_all(&b, n);
        if (!err) err = quantize_all(&b, n, b.hb, b.wh, c->hidden_dim);
        if (!err) err = matmul(&ly->w2, n, b.xq, b.wxq, b.sh, b.xb, b.wxb);
        if (!err) residual_all(&b, n, b.xb, b.wxb);
    }
    /* the last position's final rmsnorm and classifier, in t's buffers:
     * only when someone reads them (a prompt's last block), since the
     * classifier is the largest matrix (vocab x dim) and a block that is
     * not the prompt's last would read it for nothing */
    if (err || !logits)
        return err;
    int32_t sh;
    if (!err) memcpy(t->x, b.x + (size_t)(n - 1) * dim, dim * sizeof *t->x);
    if (!err) err = flm_rmsnorm_s32(t->x, &m->rms_final, c->norm_eps_q32, t->xb);
    if (!err) err = flm_quantize_s16(t->xb, dim, FLM_ACT_SHIFT, t->xq, &sh);
    if (!err)
        err = flm_infer_matvec(&m->classifier, t->xq, sh, t->logits, FLM_LOGIT_SHIFT);
    if (!err)
        *logits = t->logits;
    return err;
}
