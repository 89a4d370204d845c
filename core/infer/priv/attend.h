/*
 * The forward pass's attention (transformer.c, transformer_block.c): every
 * head of one or more positions of a layer, over the KV cache written up to
 * each position. On a platform with threads (FLM_HAL_HAS_THREADS) the
 * (position, head) pairs are split across the HAL's pool; each pair is one
 * call of the kernel the one-thread path makes, with scratch of its own
 * piece (t->att_slots slots of t->att and t->qs), so the bits are the same
 * however many workers run.
 */
#ifndef FLM_INFER_ATTEND_H
#define FLM_INFER_ATTEND_H

#include "core/hal/hal_caps.h"
#include "core/infer/transformer.h"

/* Scratch slots a transformer gets: one per head up to the pool's limit
 * with threads, else one. */
#if FLM_HAL_HAS_THREADS
#define FLM_ATTEND_SLOTS(n_heads) ((n_heads) < FLM_CFG_MAX_THREADS ? (n_heads) : FLM_CFG_MAX_THREADS)
#else
#define FLM_ATTEND_SLOTS(n_heads) 1u
#endif

/* Split the pairs only when they do at least this much (cache positions x
 * head size, summed): a few microseconds, as FLM_MATMUL_MIN_SPLIT. */
#define FLM_ATTEND_MIN_SPLIT 65536u

/* Positions pos0 .. pos0 + n - 1 of layer l: the query of position pos0 + p
 * at q + p * q_stride, its heads' outputs at out + p * out_stride (q_dim
 * each); the cache must hold every position up to pos0 + n - 1. */
flm_err_t flm_infer_attend(const flm_transformer_t *t, uint32_t l, uint32_t pos0, uint32_t n,
                           const int32_t *q, size_t q_stride, int32_t *out, size_t out_stride);

#endif /* FLM_INFER_ATTEND_H */
