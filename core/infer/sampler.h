/*
 * Token sampler: greedy, temperature and top-p (nucleus) over the
 * transformer's int32 logits (real = l * 2^-FLM_SAMPLER_LOGIT_SHIFT), in
 * integer arithmetic only, so a seed gives the same tokens on every
 * platform. Also reports how confident the model was (flm_confidence_t).
 *
 *   static uint32_t scratch[FLM_SAMPLER_SCRATCH_WORDS(512)];
 *   flm_sampler_params_t p = { .temperature = 52429, .top_p = 58982, .seed = 42 };
 *   flm_sampler_t s;
 *   flm_sampler_init(&s, 512, &p, scratch, sizeof scratch);
 *   flm_sampler_sample(&s, logits, &token, &conf);
 *
 * Semantics follow llama2.c's sampler: temperature 0 is argmax (ties: the
 * lowest id); otherwise softmax(logits / T), then sample the whole
 * distribution, or with 0 < top_p < 1 the smallest set of most probable
 * tokens whose mass exceeds top_p, renormalised. Its PRNG is llama2.c's
 * xorshift64* (random_u32), bit for bit.
 */
#ifndef FLM_SAMPLER_H
#define FLM_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/base/q16.h"
#include "core/base/rng.h"

/* Logits are int32 with this many fractional bits (the transformer's). */
#define FLM_SAMPLER_LOGIT_SHIFT 16

/* Scratch the sampler needs: one probability and one index per token. */
#define FLM_SAMPLER_SCRATCH_WORDS(vocab) (2u * (size_t)(vocab))

typedef struct {
    uint32_t temperature; /* Q16.16; 0 = greedy */
    uint32_t top_p;       /* Q16.16; 0 or >= FLM_Q16_ONE samples the whole distribution */
    uint64_t seed;        /* PRNG seed; 0 is replaced by a fixed nonzero constant */
} flm_sampler_params_t;

/* How sure the model was about one token, under the untempered softmax of
 * the logits, in Q16.16 nats (1.0 nat = 65536):
 *  - logprob: ln p(token), <= 0 (0 = certain). -logprob is the token's NLL.
 *  - entropy: -sum p ln p over the vocabulary, in [0, ln vocab_size]; high
 *    means the model had no clear favourite.
 *  - rank: how many tokens had a higher logit.
 * Accurate to a few units of 2^-16 for probabilities above 2^-30. */
typedef struct {
    int32_t  logprob;
    int32_t  entropy;
    uint32_t rank;    /* tokens the model found strictly likelier (0: its first choice) */
} flm_confidence_t;

typedef struct {
    uint32_t vocab_size;
    uint32_t temperature, top_p;
    uint64_t rng;       /* xorshift64* state */
    uint32_t *prob;     /* [vocab_size] scratch: unnormalised probabilities, Q2.30 */
    uint32_t *index;    /* [vocab_size] scratch: top-p candidates */
} flm_sampler_t;

/* Bytes of scratch for a vocabulary (caller-provided, 4-byte aligned). */
size_t flm_sampler_scratch_bytes(uint32_t vocab_size);

/* FLM_ERR_ARG on a bad parameter; FLM_ERR_NOMEM if scratch is too small. */
flm_err_t flm_sampler_init(flm_sampler_t *s, uint32_t vocab_size,
                           const flm_sampler_params_t *params, void *scratch,
                           size_t scratch_bytes);
void      flm_sampler_deinit(flm_sampler_t *s);

/* Change temperature and top-p between tokens (a server's per-request
 * settings), and restart the PRNG from params->seed when reseed is set
 * (else it runs on). FLM_ERR_ARG as flm_sampler_init would say it. */
flm_err_t flm_sampler_set_params(flm_sampler_t *s, const flm_sampler_params_t *params, bool reseed);

/* Pick the next token from logits[vocab_size]. conf may be NULL. */
flm_err_t flm_sampler_sample(flm_sampler_t *s, const int32_t *logits, uint32_t *token,
                             flm_confidence_t *conf);

/* The confidence of any given token (e.g. a forced prompt token). */
flm_err_t flm_sampler_confidence(const int32_t *logits, uint32_t vocab_size, uint32_t token,
                                 flm_confidence_t *conf);

#endif /* FLM_SAMPLER_H */
