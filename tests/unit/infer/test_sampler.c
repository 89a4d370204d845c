/* Sampler: llama2.c's PRNG stream, greedy = argmax, temperature and top-p
 * frequencies against float softmax, and confidence against a float
 * computation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/infer/sampler.h"
#include "tests/harness/harness.h"

#define SHIFT (1 << FLM_SAMPLER_LOGIT_SHIFT)

static int32_t to_logit(double x)
{
    return (int32_t)lround(x * SHIFT);
}

FLM_TEST(sampler_rng_golden)
{
    /* llama2.c random_u32 from state 42 */
    static const uint32_t want[] = { 1456360119u, 3359763283u, 3393612768u, 4054632243u,
                                     3283045847u };
    uint64_t st = 42;
    for (size_t i = 0; i < 5; i++)
        FLM_CHECK_EQ(flm_rng_u32(&st), want[i]);
}

FLM_TEST(sampler_greedy_is_argmax)
{
    int32_t logits[6] = { -5, 7, 100, 3, 100, -100 };
    uint32_t scratch[FLM_SAMPLER_SCRATCH_WORDS(6)];
    flm_sampler_params_t p = { 0, 0, 1 };
    flm_sampler_t s;
    FLM_CHECK_EQ(flm_sampler_init(&s, 6, &p, scratch, sizeof scratch), FLM_OK);
    uint32_t tok = 99;
    FLM_CHECK_EQ(flm_sampler_sample(&s, logits, &tok, NULL), FLM_OK);
    FLM_CHECK_EQ(tok, 2); /* ties go to the lowest id */
    logits[5] = INT32_MAX;
    FLM_CHECK_EQ(flm_sampler_sample(&s, logits, &tok, NULL), FLM_OK);
    FLM_CHECK_EQ(tok, 5);
}

/* Sample `draws` times; counts[] gets each token's frequency. */
static bool histogram(const double *x, uint32_t n, uint32_t temp, uint32_t top_p, uint64_t seed,
                      int draws, double *freq)
{
    int32_t logits[8];
    uint32_t scratch[FLM_SAMPLER_SCRATCH_WORDS(8)];
    for (uint32_t i = 0; i < n; i++) {
        logits[i] = to_logit(x[i]);
        freq[i] = 0;
    }
    flm_sampler_params_t p = { temp, top_p, seed };
    flm_sampler_t s;
    if (flm_sampler_init(&s, n, &p, scratch, sizeof scratch) != FLM_OK)
        return false;
    for (int d = 0; d < draws; d++) {
        uint32_t tok;
        if (flm_sampler_sample(&s, logits, &tok, NULL) != FLM_OK || tok >= n)
            return false;
        freq[tok] += 1.0 / draws;
    }
    return true;
}

FLM_TEST(sampler_temperature_matches_softmax)
{
    const double x[5] = { 1.0, 2.0, 0.5, -1.0, 1.5 };
    const double temps[3] = { 1.0, 0.5, 2.0 };
    for (int k = 0; k < 3; k++) {
        double freq[5], want[5], z = 0;
        for (int i = 0; i < 5; i++)
            z += want[i] = exp(x[i] / temps[k]);
        FLM_CHECK(histogram(x, 5, (uint32_t)lround(temps[k] * 65536), 0, 7, 40000, freq));
        for (int i = 0; i < 5; i++)
            FLM_CHECK_MSG(fabs(freq[i] - want[i] / z) < 0.01, "T %.1f token %d: %.4f vs %.4f",
                          temps[k], i, freq[i], want[i] / z);
    }
}

FLM_TEST(sampler_top_p_keeps_the_nucleus)
{
    /* p = .5 .3 .1 .05 .05: with top-p 0.7 the nucleus is {0, 1} (mass 0.8) */
    const double p[5] = { 0.05, 0.3, 0.1, 0.5, 0.05 };
    double x[5], freq[5];
    for (int i = 0; i < 5; i++)
        x[i] = log(p[i]);
    FLM_CHECK(histogram(x, 5, 65536, (uint32_t)lround(0.7 * 65536), 11, 20000, freq));
    FLM_CHECK(freq[0] == 0 && freq[2] == 0 && freq[4] == 0);
    FLM_CHECK_MSG(fabs(freq[3] - 0.625) < 0.015, "%.4f", freq[3]);
    FLM_CHECK_MSG(fabs(freq[1] - 0.375) < 0.015, "%.4f", freq[1]);
    /* top-p 0.45: the favourite alone */
    FLM_CHECK(histogram(x, 5, 65536, (uint32_t)lround(0.45 * 65536), 11, 1000, freq));
    FLM_CHECK(freq[0] == 0 && freq[1] == 0 && freq[2] == 0 && freq[4] == 0);
    /* top-p >= 1 is the whole distribution */
    FLM_CHECK(histogram(x, 5, 65536, 65536, 11, 40000, freq));
    for (int i = 0; i < 5; i++)
        FLM_CHECK_MSG(fabs(freq[i] - p[i]) < 0.01, "%d: %.4f", i, freq[i]);
    /* two equal tokens and a tiny top-p: never an empty nucleus */
    const double two[2] = { 0, 0 };
    FLM_CHECK(histogram(two, 2, 65536, 1, 3, 100, freq));
    FLM_CHECK(freq[1] == 0);
}

FLM_TEST(sampler_seed_reproducible)
{
    const double x[6] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 };
    double a[6], b[6], c[6];
    FLM_CHECK(histogram(x, 6, 52429, 58982, 1234, 50, a));
    FLM_CHECK(histogram(x, 6, 52429, 58982, 1234, 50, b));
    FLM_CHECK(histogram(x, 6, 52429, 58982, 999, 50, c));
    FLM_CHECK(memcmp(a, b, sizeof a) == 0);
    FLM_CHECK(memcmp(a, c, sizeof a) != 0);
}

/* Confidence vs float64 for random logits of a given spread. */
static double worst_error(uint32_t n, double spread, uint64_t seed)
{
    int32_t *logits = malloc(n * sizeof *logits);
    double worst = 0;
    uint64_t st = seed;
    for (uint32_t i = 0; i < n; i++)
        logits[i] = to_logit(((double)flm_rng_u32(&st) / 4294967296.0 - 0.5) * spread);
    double max = -INFINITY, z = 0, h = 0;
    for (uint32_t i = 0; i < n; i++)
        max = fmax(max, logits[i] / (double)SHIFT);
    for (uint32_t i = 0; i < n; i++)
        z += exp(logits[i] / (double)SHIFT - max);
    for (uint32_t i = 0; i < n; i++) {
        double lp = logits[i] / (double)SHIFT - max - log(z);
        h -= exp(lp) * lp;
    }
    for (uint32_t tok = 0; tok < n; tok += n / 16 + 1) {
        flm_confidence_t c;
        if (flm_sampler_confidence(logits, n, tok, &c) != FLM_OK) {
            worst = INFINITY;
            break;
        }
        double lp = logits[tok] / (double)SHIFT - max - log(z);
        worst = fmax(worst, fabs(c.logprob / 65536.0 - lp));
        worst = fmax(worst, fabs(c.entropy / 65536.0 - h));
    }
    free(logits);
    return worst;
}

FLM_TEST(sampler_confidence_vs_float)
{
    const double spreads[] = { 0.01, 1, 8, 30, 200 };
    const uint32_t sizes[] = { 2, 512, 32000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (size_t j = 0; j < sizeof spreads / sizeof spreads[0]; j++) {
            double err = worst_error(sizes[k], spreads[j], 5 + j);
            FLM_CHECK_MSG(err < 3e-5 /* 2 units of Q16 */, "vocab %u spread %.2f: error %.6f nats", sizes[k],
                          spreads[j], err);
        }
    }
    /* certain and uniform ends */
    int32_t sure[3] = { 0, 100 * SHIFT, 0 }, flat[4] = { 5, 5, 5, 5 };
    flm_confidence_t c;
    FLM_CHECK_EQ(flm_sampler_confidence(sure, 3, 1, &c), FLM_OK);
    FLM_CHECK(c.logprob == 0 && c.entropy == 0);
    FLM_CHECK_EQ(flm_sampler_confidence(sure, 3, 0, &c), FLM_OK);
    FLM_CHECK(c.logprob == -100 * SHIFT);
    FLM_CHECK_EQ(flm_sampler_confidence(flat, 4, 2, &c), FLM_OK);
    FLM_CHECK_MSG(abs(c.entropy - (int32_t)lround(log(4) * 65536)) <= 2, "%d", c.entropy);
    FLM_CHECK_MSG(abs(c.logprob + (int32_t)lround(log(4) * 65536)) <= 2, "%d", c.logprob);
}

FLM_TEST(sampler_bad_args)
{
    uint32_t scratch[8];
    int32_t logits[4] = { 0 };
    flm_sampler_params_t p = { 65536, 0, 1 };
    flm_sampler_t s;
    flm_confidence_t c;
    uint32_t tok;
    FLM_CHECK_EQ(flm_sampler_init(&s, 5, &p, scratch, sizeof scratch), FLM_ERR_NOMEM);
    FLM_CHECK_EQ(flm_sampler_init(&s, 0, &p, scratch, sizeof scratch), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_sampler_init(&s, 4, NULL, scratch, sizeof scratch), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_sampler_init(&s, 4, &p, scratch, sizeof scratch), FLM_OK);
    FLM_CHECK_EQ(flm_sampler_sample(&s, NULL, &tok, NULL), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_sampler_confidence(logits, 4, 4, &c), FLM_ERR_ARG);
    /* extreme logits neither overflow nor trap */
    int32_t wild[4] = { INT32_MIN, INT32_MAX, INT32_MIN, 0 };
    FLM_CHECK_EQ(flm_sampler_sample(&s, wild, &tok, &c), FLM_OK);
    FLM_CHECK_EQ(tok, 1);
    FLM_CHECK(c.logprob == 0 && c.entropy == 0);
    p.temperature = 1;
    FLM_CHECK_EQ(flm_sampler_init(&s, 4, &p, scratch, sizeof scratch), FLM_OK);
    FLM_CHECK_EQ(flm_sampler_sample(&s, wild, &tok, &c), FLM_OK);
    FLM_CHECK_EQ(flm_sampler_confidence(wild, 4, 0, &c), FLM_OK);
    FLM_CHECK(c.logprob == INT32_MIN);
}

/* The same seed gives the same tokens on every platform: a stream recorded
 * on x86-64 (run under qemu-arm/aarch64 by the boards' cross tests). */
FLM_TEST(sampler_golden_stream)
{
    enum { V = 512, DRAWS = 16 };
    static const uint32_t want[3][DRAWS] = {
        { 395, 170, 248, 175, 504, 118, 278, 27, 202, 274, 186, 348, 148, 430, 333, 470 },
        { 289, 157, 447, 157, 12, 404, 311, 430, 334, 63, 395, 509, 43, 278, 436, 497 },
        { 238, 292, 27, 292, 333, 39, 404, 420, 292, 404, 292, 43, 121, 395, 273, 334 },
    };
    const uint32_t temps[3] = { 65536, 52429, 65536 }, top_ps[3] = { 0, 58982, 19661 };
    static int32_t logits[V];
    static uint32_t scratch[FLM_SAMPLER_SCRATCH_WORDS(V)];
    uint64_t st = 99;
    for (uint32_t i = 0; i < V; i++)
        logits[i] = (int32_t)(flm_rng_u32(&st) % (12u << 16)) - (6 << 16);
    for (int k = 0; k < 3; k++) {
        flm_sampler_params_t p = { temps[k], top_ps[k], 1234 };
        flm_sampler_t s;
        FLM_CHECK_EQ(flm_sampler_init(&s, V, &p, scratch, sizeof scratch), FLM_OK);
        for (int d = 0; d < DRAWS; d++) {
            uint32_t tok;
            FLM_CHECK_EQ(flm_sampler_sample(&s, logits, &tok, NULL), FLM_OK);
            FLM_CHECK_EQ(tok, want[k][d]);
        }
    }
}
