/*
 * The llama-architecture forward pass in integer arithmetic: RMSNorm,
 * grouped-query attention with RoPE over an int8 KV cache, SwiGLU
 * feed-forward, shared or separate classifier. Weights are read in place
 * from the model image; every other byte (activations, KV cache, scratch)
 * comes from one block of the caller's arena, sized by flm_transformer_ram().
 * Number formats: core/kernels/NUMERICS.md.
 *
 *   flm_ram_usage_t ram;
 *   flm_transformer_ram(&model.cfg, 256, &ram);       (ram.total bytes)
 *   flm_transformer_init(&tf, &model, 256, &arena);
 *   for (pos = 0; ...; pos++)
 *       flm_transformer_forward(&tf, token, pos, &logits);
 */
#ifndef FLM_TRANSFORMER_H
#define FLM_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/arena.h"
#include "core/base/error.h"
#include "core/model/model.h"

#define FLM_LOGIT_SHIFT 16 /* logits are int32, real = l * 2^-16 */

/* Bytes the transformer takes from the arena for a config and context.
 * weights_ram is 0: weights are used in place from the image. */
typedef struct {
    size_t weights_ram, kv_cache, activations, scratch, total;
} flm_ram_usage_t;

/* FLM_ERR_ENGINE_SHAPE for a config the engine cannot run, FLM_ERR_ARG for
 * a ctx_len outside [1, cfg.seq_len], FLM_ERR_OVERFLOW if the sizes do not
 * fit a size_t. */
flm_err_t flm_transformer_ram(const flm_model_config_t *cfg, uint32_t ctx_len,
                              flm_ram_usage_t *out);

typedef struct flm_transformer {
    const flm_model_t *model;
    uint32_t ctx_len;
    uint32_t q_dim, kv_dim;
    /* activations, Q15.16 */
    int32_t *x;      /* [dim] residual stream */
    int32_t *xb;     /* [max(dim, q_dim)] normed input, attention output */
    int32_t *xb2;    /* [dim] */
    int32_t *q;      /* [q_dim] */
    int32_t *k, *v;  /* [kv_dim] this position's key and value */
    int32_t *hb, *hb2; /* [hidden_dim] */
    int32_t *logits; /* [vocab_size], FLM_LOGIT_SHIFT */
    /* scratch */
    int16_t *xq;     /* [max(dim, q_dim, hidden_dim)] quantized matvec input */
    int32_t *att;    /* [att_slots][ctx_len] attention scores */
    int16_t *qs;     /* [att_slots][head_dim] the head's int16 query (xq when
                      * one slot) */
    uint32_t att_slots; /* attention scratch slots: one per head up to
                         * FLM_CFG_MAX_THREADS with threads, else 1 */
    /* KV cache: int8 [n_layers][ctx_len][kv_dim], one scale code
     * (flm_kv_scale) per (layer, position, kv head) */
    int8_t   *kc, *vc;
    uint16_t *ks, *vs;
} flm_transformer_t;

/* Check the model's views against llama's architecture table
 * (FLM_ERR_ENGINE_SHAPE if one does not fit) and, unless the loader has
 * already (m->scales_checked), walk every group scale once
 * (FLM_ERR_MODEL_VALUE for one outside [0, FLM_QMAT_SCALE_LIMIT)); then
 * take flm_transformer_ram(...).total bytes from the arena (FLM_ERR_NOMEM if
 * it is short, with arena->shortfall set). ctx_len in [1, cfg.seq_len]. */
flm_err_t flm_transformer_init(flm_transformer_t *t, const flm_model_t *m, uint32_t ctx_len,
                               flm_arena_t *arena);

/* Forget the model and buffers; the arena memory stays the caller's. */
void flm_transformer_deinit(flm_transformer_t *t);

/* One position: feeds `token` at `pos` (0-based, < ctx_len; positions
 * 0..pos-1 must have been fed before), on success *logits points to
 * cfg.vocab_size int32 logits valid until the next call.
 * FLM_ERR_ENGINE_TOKEN for a token outside the vocabulary,
 * FLM_ERR_ENGINE_CONTEXT_FULL for pos >= ctx_len. */
flm_err_t flm_transformer_forward(flm_transformer_t *t, uint32_t token, uint32_t pos,
                                  const int32_t **logits);

/* Batched prefill (core/infer/transformer_block.c): the n tokens at
 * positions pos0 .. pos0 + n - 1 as one block, each weight matrix read once
 * for the block (flm_matmat_q8_s16). Bit-exact with n calls of
 * flm_transformer_forward: the same KV cache, and *logits (the last
 * position's, in t->logits) the same. logits may be NULL: the block then
 * only fills the cache and skips the final norm and the classifier (a
 * prompt's blocks before its last), leaving t->logits as they were. The block's activations live in
 * caller-provided scratch of flm_transformer_block_bytes(cfg, n_max) bytes
 * (16-byte aligned), n <= n_max. Errors as flm_transformer_forward's (any
 * position's), FLM_ERR_ARG for n == 0 or scratch too small; on an error the
 * cache may hold some of the block's positions. */
size_t flm_transformer_block_bytes(const flm_model_config_t *cfg, uint32_t n_max);
flm_err_t flm_transformer_forward_block(flm_transformer_t *t, const uint32_t *tokens, uint32_t n,
                                        uint32_t pos0, void *scratch, size_t scratch_bytes,
                                        const int32_t **logits);

#endif /* FLM_TRANSFORMER_H */
