/*
 * Integer sampler. Probabilities are never normalised: each token gets
 * e_i = exp((l_i - l_max) / T) in Q2.30 (the favourite gets exactly 1.0),
 * and a draw picks a point in [0, sum e_i). All arithmetic is integer, so
 * the same seed gives the same tokens on every platform.
 */
#include "core/sampler.h"

#include <string.h>

#define Q30_ONE (1u << 30)

/* 2^(-i/64) in Q2.30, i = 0..63 */
static const uint32_t exp2_neg_q30[64] = {
    1073741824, 1062175491, 1050733751, 1039415261, 1028218693, 1017142735, 1006186087,
    995347464,  984625594,  974019220,  963527098,  953147997,  942880699,  932724001,
    922676710,  912737649,  902905651,  893179563,  883558244,  874040567,  864625413,
    855311680,  846098274,  836984114,  827968132,  819049271,  810226483,  801498734,
    792865000,  784324269,  775875538,  767517817,  759250125,  751071493,  742980960,
    734977579,  727060411,  719228525,  711481005,  703816941,  696235434,  688735596,
    681316545,  673977412,  666717336,  659535466,  652430958,  645402981,  638450708,
    631573326,  624770026,  618040012,  611382493,  604796689,  598281827,  591837143,
    585461881,  579155293,  572916640,  566745190,  560640218,  554601009,  548626854,
    542717053,
};
#define LOG2E_Q30 1549082005LL /* log2(e) */
#define LN2_Q30   744261118LL  /* ln(2) */

/* exp(-t * 2^-16) in Q2.30 for t >= 0: 2^-y = 2^-n * 2^-(i/64) * e^-(u), with
 * u < ln2/64 so a cubic is exact to 2^-30. */
static uint32_t exp_neg_q30(int64_t t)
{
    if (t >= (int64_t)22 << 16) /* e^-22 < 2^-31 */
        return 0;
    int64_t y = (t * LOG2E_Q30) >> 16;              /* Q30 */
    int64_t n = y >> 30;
    int64_t i = (y >> 24) & 63;
    int64_t u = ((y & ((1 << 24) - 1)) * LN2_Q30) >> 30;
    int64_t u2 = (u * u) >> 30;
    int64_t u3 = (u2 * u) >> 30;
    int64_t poly = Q30_ONE - u + u2 / 2 - u3 / 6;   /* e^-u */
    int64_t r = ((int64_t)exp2_neg_q30[i] * poly + (1 << 29)) >> 30;
    return (uint32_t)((r + ((1LL << n) >> 1)) >> n);
}

/* ln(z * 2^-30) in Q30 for z > 0: z = m * 2^k with m in [1, 2), and
 * ln m = 2 atanh(s), s = (m - 1) / (m + 1) < 1/3. */
static int64_t ln_q30(uint64_t z)
{
    int k = 63;
    while (!(z >> k))
        k--;
    int64_t m = (int64_t)(k >= 30 ? z >> (k - 30) : z << (30 - k)); /* [2^30, 2^31) */
    int64_t s = ((m - Q30_ONE) << 30) / (m + Q30_ONE);
    int64_t s2 = (s * s) >> 30;
    int64_t term = s, sum = 0;
    for (int64_t d = 1; d <= 13; d += 2) {
        sum += term / d;
        term = (term * s2) >> 30;
    }
    return 2 * sum + (int64_t)(k - 30) * LN2_Q30;
}

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

uint32_t flm_rng_u32(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (uint32_t)((*state * 0x2545F4914F6CDD1DULL) >> 32);
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
    /* the vocabulary bound keeps sum e_i * (l_max - l_i) inside 63 bits */
    if (!s || !params || vocab_size == 0 || vocab_size > (1u << 20) ||
        (scratch_bytes && !scratch) || ((uintptr_t)scratch % _Alignof(uint32_t)) != 0)
        return FLM_ERR_ARG;
    if (scratch_bytes < flm_sampler_scratch_bytes(vocab_size))
        return FLM_ERR_NOMEM;
    memset(s, 0, sizeof *s);
    s->vocab_size = vocab_size;
    s->temperature = params->temperature;
    s->top_p = params->top_p;
    s->rng = params->seed ? params->seed : 0x9E3779B97F4A7C15ULL;
    s->prob = scratch;
    s->index = s->prob + vocab_size;
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
    int64_t max = logits[argmax(logits, vocab_size)];
    uint64_t z = 0, weighted = 0; /* sum e_i (Q30), sum e_i * (max - l_i) (Q46) */
    for (uint32_t i = 0; i < vocab_size; i++) {
        int64_t t = max - logits[i];
        uint32_t e = exp_neg_q30(t);
        z += e;
        weighted += (uint64_t)e * (uint64_t)t;
    }
    /* ln p = (l - max) - ln z;  H = ln z + sum p_i (max - l_i) */
    int64_t lnz_q16 = (ln_q30(z) + (1 << 13)) >> 14;
    conf->logprob = clamp_i32(logits[token] - max - lnz_q16);
    conf->entropy = clamp_i32(lnz_q16 + (int64_t)((weighted + z / 2) / z));
    return FLM_OK;
}

/* Higher probability first; the lower id on ties: a total order, so the
 * result never depends on the selection algorithm. */
static int before(const uint32_t *prob, uint32_t a, uint32_t b)
{
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
static uint32_t sample_topp(flm_sampler_t *s, uint64_t z, uint32_t coin)
{
    const uint32_t *prob = s->prob;
    uint32_t n = s->vocab_size;
    uint64_t cutoff = n > 1 ? ((z / (n - 1)) * (FLM_Q16_ONE - s->top_p)) >> 16 : 0;
    size_t n0 = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* the favourite (exactly 1.0) always qualifies, so n0 > 0 */
        if (prob[i] >= cutoff || prob[i] == Q30_ONE)
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
        int64_t max = logits[argmax(logits, n)];
        uint64_t z = 0;
        for (uint32_t i = 0; i < n; i++) {
            s->prob[i] = exp_neg_q30(((max - logits[i]) << 16) / s->temperature);
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
            next = sample_topp(s, z, coin);
        }
    }
    *token = next;
    return conf ? flm_sampler_confidence(logits, n, next, conf) : FLM_OK;
}
