/*
 * Integer sampler. Probabilities are never normalised: each token gets
 * e_i = exp((l_i - l_max) / T) in Q2.30 (the favourite gets exactly 1.0),
 * and a draw picks a point in [0, sum e_i). All arithmetic is integer (the
 * exp/ln/entropy primitives of core/kernels/kernels.h), so the same seed gives the
 * same tokens on every platform.
 */
#include "core/infer/sampler.h"

#include <string.h>

#include "core/kernels/kernels.h"

static int32_t clamp_i32(int64_t v)
{
    return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

static uint32_t argmax(const int32_t *logits, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++) {
        if (logits[i] > logits[best])
            best = i;
    }
    return best;
}

/* floor(z * r / 2^32) without a 96-bit product. */
static uint64_t scale_u64(uint64_t z, uint32_t r)
{
    return (z >> 32) * r + (((z & 0xFFFFFFFFu) * r) >> 32);
}

size_t flm_sampler_scratch_bytes(uint32_t vocab_size)
{
    return FLM_SAMPLER_SCRATCH_WORDS(vocab_size) * sizeof(uint32_t);
}

flm_err_t flm_sampler_init(flm_sampler_t *s, uint32_t vocab_size,
                           const flm_sampler_params_t *params, void *scratch,
                           size_t scratch_bytes)
{
    /* flm_entropy_q's bound on the vocabulary */
    if (!s || !params || vocab_size == 0 || vocab_size > (1u << 18) ||
        (scratch_bytes && !scratch) || ((uintptr_t)scratch % _Alignof(uint32_t)) != 0)
        return FLM_ERR_ARG;
    if (scratch_bytes < flm_sampler_scratch_bytes(vocab_size))
        return FLM_ERR_NOMEM;
    memset(s, 0, sizeof *s);
    s->vocab_size = vocab_size;
    s->temperature = params->temperature;
    s->top_p = params->top_p;
    s->rng = flm_rng_seed(params->seed);
    s->prob = scratch;
    s->index = s->prob + vocab_size;
    return FLM_OK;
}

flm_err_t flm_sampler_set_params(flm_sampler_t *s, const flm_sampler_params_t *params, bool reseed)
{
    if (!s || !params || s->vocab_size == 0)
        return FLM_ERR_ARG;
    s->temperature = params->temperature;
    s->top_p = params->top_p;
    if (reseed)
        s->rng = flm_rng_seed(params->seed);
    return FLM_OK;
}

void flm_sampler_deinit(flm_sampler_t *s)
{
    if (s)
        memset(s, 0, sizeof *s);
}

flm_err_t flm_sampler_confidence(const int32_t *logits, uint32_t vocab_size, uint32_t token,
                                 flm_confidence_t *conf)
{
    if (!logits || !conf || token >= vocab_size)
        return FLM_ERR_ARG;
    int32_t lse;
    flm_err_t err = flm_entropy_q(logits, vocab_size, FLM_SAMPLER_LOGIT_SHIFT, &conf->entropy, &lse);
    if (err)
        return err;
    /* logits and logs share the Q16 scale: ln p = l - ln sum exp(l) */
    conf->logprob = clamp_i32((int64_t)logits[token] - lse);
    uint32_t rank = 0;
    for (uint32_t i = 0; i < vocab_size; i++)
        rank += logits[i] > logits[token];
    conf->rank = rank;
    return FLM_OK;
}

/* Higher probability first; the lower id on ties: a total order, so the
 * result never depends on the selection algorithm. */
static int before(const uint32_t *prob, uint32_t a, uint32_t b)
{
    /* "a < b" is the tie-break between two valid ids, not a bound check. */
    // cppcheck-suppress arrayIndexThenCheck
    return prob[a] > prob[b] || (prob[a] == prob[b] && a < b);
}

static void sift_down(const uint32_t *prob, uint32_t *heap, size_t n, size_t i)
{
    for (;;) {
        size_t top = i, l = 2 * i + 1, r = l + 1;
        if (l < n && before(prob, heap[l], heap[top]))
            top = l;
        if (r < n && before(prob, heap[r], heap[top]))
            top = r;
        if (top == i)
            return;
        uint32_t tmp = heap[i];
        heap[i] = heap[top];
        heap[top] = tmp;
        i = top;
    }
}

/* Nucleus sampling (llama2.c sample_topp): drop tokens that cannot be in
 * the nucleus, then pop the most probable from a heap until their mass
 * exceeds top_p; popped tokens collect at the end of the array in order. */
static uint32_t sample_topp(flm_sampler_t *s, uint64_t z, uint32_t best, uint32_t coin)
{
    const uint32_t *prob = s->prob;
    uint32_t n = s->vocab_size;
    uint64_t cutoff = n > 1 ? ((z / (n - 1)) * (FLM_Q16_ONE - s->top_p)) >> 16 : 0;
    size_t n0 = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* the favourite always qualifies, so n0 > 0 */
        if (prob[i] >= cutoff || i == best)
            s->index[n0++] = i;
    }
    uint32_t *heap = s->index;
    for (size_t i = n0 / 2; i-- > 0;)
        sift_down(prob, heap, n0, i);
    uint64_t mass = (z >> 16) * s->top_p + (((z & 0xFFFF) * s->top_p) >> 16);
    uint64_t cum = 0;
    size_t left = n0;
    while (left > 0) {
        uint32_t top = heap[0];
        heap[0] = heap[--left];
        heap[left] = top;
        sift_down(prob, heap, left, 0);
        cum += prob[top];
        if (cum > mass)
            break;
    }
    uint64_t r = scale_u64(cum, coin), cdf = 0;
    for (size_t i = n0; i-- > left;) {
        cdf += prob[heap[i]];
        if (r < cdf)
            return heap[i];
    }
    return heap[left];
}

flm_err_t flm_sampler_sample(flm_sampler_t *s, const int32_t *logits, uint32_t *token,
                             flm_confidence_t *conf)
{
    if (!s || !s->prob || !logits || !token)
        return FLM_ERR_ARG;
    uint32_t n = s->vocab_size, next;
    if (s->temperature == 0) {
        next = argmax(logits, n);
    } else {
        uint32_t best = argmax(logits, n);
        int64_t max = logits[best];
        uint64_t z = 0;
        for (uint32_t i = 0; i < n; i++) {
            int64_t x = ((max - logits[i]) << FLM_LOG_SHIFT) / s->temperature;
            s->prob[i] = flm_exp_q16(x > INT32_MAX ? INT32_MIN : (int32_t)-x);
            z += s->prob[i];
        }
        uint32_t coin = flm_rng_u32(&s->rng);
        if (s->top_p == 0 || s->top_p >= FLM_Q16_ONE) {
            uint64_t r = scale_u64(z, coin), cdf = 0;
            next = n - 1;
            for (uint32_t i = 0; i < n; i++) {
                cdf += s->prob[i];
                if (r < cdf) {
                    next = i;
                    break;
                }
            }
        } else {
            next = sample_topp(s, z, best, coin);
        }
    }
    *token = next;
    return conf ? flm_sampler_confidence(logits, n, next, conf) : FLM_OK;
}
