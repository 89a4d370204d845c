/*
 * flm_softmax_q with AVX2 (x86-64), integer only and bit-exact with the
 * _ref. Built with target("avx2"); called only where the CPU has it
 * (kernels_select.h, variants.c). Empty off x86-64.
 *
 * The exp of every element is fixed_avx2.h's flm_exp_neg_q16_avx2, whose
 * argument u = -d >= 0 comes straight from max - x[i] < 2^32 (exact as a
 * uint32): the _ref's flm_rescale_sat32(x - max, shift - 16) of a value
 * <= 0 is -((u + 2^(s-1) - 1) >> s) for a right shift s >= 1 (round half
 * up of a negative number), -(u << -s) for a left one, and its saturation
 * at INT32_MIN is min(u, 2^31). Shifts above 33 give 0 like 33 does
 * (u < 2^32). The sum of the e_i is exact in any order (uint64 lanes);
 * the reciprocal is the _ref's, each p_i the _ref's product and rounding.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h"

static FLM_AVX2 int32_t max_of(const int32_t *x, uint32_t n)
{
    int32_t m = x[0];
    uint32_t i = 0;
    if (n >= 8) {
        __m256i v = flm_load8_avx2(x);
        for (i = 8; i + 8 <= n; i += 8)
            v = _mm256_max_epi32(v, flm_load8_avx2(x + i));
        __m128i s = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        s = _mm_max_epi32(s, _mm_unpackhi_epi64(s, s));
        s = _mm_max_epi32(s, _mm_shuffle_epi32(s, 1));
        m = _mm_cvtsi128_si32(s);
    }
    for (; i < n; i++)
        if (x[i] > m)
            m = x[i];
    return m;
}

FLM_AVX2 flm_err_t flm_softmax_q_avx2(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p)
{
    if (!x || !p || n == 0 || n > (1u << 18) || shift < 0 || shift > 62)
        return FLM_ERR_ARG;
    const int32_t max = max_of(x, n);
    const int32_t s = shift - FLM_LOG_SHIFT;
    const uint32_t sr = s > 33 ? 33u : s > 0 ? (uint32_t)s : 0u;
    const __m128i cr = flm_count_avx2(sr), cl = flm_count_avx2(s < 0 ? (uint32_t)-s : 0u);
    const __m256i bias = _mm256_set1_epi64x(sr ? ((int64_t)1 << (sr - 1)) - 1 : 0);
    const __m256i cap = _mm256_set1_epi64x((int64_t)1 << 31);
    const __m256i vmax = _mm256_set1_epi32(max);
    __m256i acc = _mm256_setzero_si256();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i ud = _mm256_sub_epi32(vmax, flm_load8_avx2(x + i)); /* max - x, as uint32 */
        __m256i ue = flm_lo32_avx2(flm_even_avx2(ud)), uo = flm_odd_avx2(ud);
        ue = flm_min_s64_avx2(_mm256_sll_epi64(_mm256_srl_epi64(_mm256_add_epi64(ue, bias), cr), cl), cap);
        uo = flm_min_s64_avx2(_mm256_sll_epi64(_mm256_srl_epi64(_mm256_add_epi64(uo, bias), cr), cl), cap);
        __m256i ee = flm_exp_neg_q16_avx2(ue), eo = flm_exp_neg_q16_avx2(uo);
        acc = _mm256_add_epi64(acc, _mm256_add_epi64(ee, eo));
        flm_store8_avx2((int32_t *)(void *)(p + i), flm_join_avx2(ee, eo)); /* after x[i..i+7] */
    }
    __m128i a2 = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    uint64_t sum = (uint64_t)_mm_cvtsi128_si64(a2) + (uint64_t)_mm_extract_epi64(a2, 1);
    for (; i < n; i++) {
        uint32_t e = flm_exp_q16(flm_rescale_sat32((int64_t)x[i] - max, s));
        p[i] = e;
        sum += e;
    }
    /* the _ref's reciprocal, in (2^32 / n, 2^32]; 2^32 (sum = 2^30: every
     * other e_i is 0) leaves each p_i as it is */
    uint64_t inv = (((uint64_t)1 << 62) + sum / 2) / sum;
    if (inv >> 32)
        return FLM_OK;
    const __m256i vinv = _mm256_set1_epi64x((int64_t)inv), rnd = _mm256_set1_epi64x((int64_t)1 << 31);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256i v = flm_load8_avx2((const int32_t *)(const void *)(p + i));
        __m256i re = _mm256_add_epi64(_mm256_mul_epu32(flm_even_avx2(v), vinv), rnd);
        __m256i ro = _mm256_add_epi64(_mm256_mul_epu32(flm_odd_avx2(v), vinv), rnd);
        /* the high halves: even ones moved down, odd ones in place */
        flm_store8_avx2((int32_t *)(void *)(p + i),
                        _mm256_blend_epi32(_mm256_srli_epi64(re, 32), ro, 0xAA));
    }
    for (; i < n; i++)
        p[i] = (uint32_t)(((uint64_t)p[i] * inv + ((uint64_t)1 << 31)) >> 32);
    return FLM_OK;
}
#endif
