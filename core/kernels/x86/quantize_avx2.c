/*
 * flm_quantize_s16 and flm_quantize_s8 with AVX2 (x86-64), integer only and
 * bit-exact with the _refs. Built with target("avx2"); called only where
 * the CPU has it (kernels_select.h, variants.c). Empty off x86-64.
 *
 * Both find the largest magnitude in lanes (vpabsd, unsigned max) and
 * choose the shift or scale with the _ref's scalar code. int16: each
 * element the _ref's round_shr32 (arithmetic shift plus the half bit).
 * int8: the _ref's round(|x| 2^9 + step) / (2 step) clamped to 127 needs a
 * division per element; with step = mant 2^ee (the scale code's mantissa
 * and exponent) it is floor(floor(num / 2^(ee+1)) / mant), the inner one a
 * shift, and since only quotients up to 128 matter |x| is first capped at
 * step / 2 + 1 (which already gives more than 128): the numerator then
 * fits 32 bits after dividing out 2^min(9, ee) and the outer quotient is
 * below 2^18.01, for which (a * (floor(2^31 / mant) + 1)) >> 31 is exact
 * (its excess a / 2^31 < 2^-12 is below 1 / mant, the smallest distance
 * from a / mant up to the next integer).
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include <string.h>

#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h"

FLM_AVX2 flm_err_t flm_quantize_s16_avx2(const int32_t *x, uint32_t n, int32_t x_shift,
                                         int16_t *q, int32_t *q_shift)
{
    if (!x || !q || !q_shift || n > FLM_KERNEL_MAX_COLS || x_shift < -62 || x_shift > 62)
        return FLM_ERR_ARG;
    uint32_t amax = flm_amax_avx2(x, n);
    uint32_t k = 0;
    while (flm_round_shr64(amax, k) > 32767)
        k++;
    const __m128i ck = flm_count_avx2(k), ck1 = flm_count_avx2(k ? k - 1 : 0);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = flm_load8_avx2(x + i);
        if (k)
            v = flm_round_shr_s32_avx2(v, ck, ck1);
        /* |v| <= 32767: the saturating pack is exact */
        _mm_storeu_si128((__m128i *)(void *)(q + i),
                         _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
    }
    for (; i < n; i++)
        q[i] = (int16_t)flm_round_shr32(x[i], k);
    *q_shift = x_shift - (int32_t)k;
    return FLM_OK;
}

FLM_AVX2 flm_err_t flm_quantize_s8_avx2(const int32_t *x, uint32_t n, int8_t *q, uint16_t *scale)
{
    if (!x || !q || !scale || n > FLM_KERNEL_MAX_COLS)
        return FLM_ERR_ARG;
    uint64_t amax = flm_amax_avx2(x, n);
    *scale = flm_kv_scale_code((amax * 512u + 127u) / 254u);
    const uint32_t step = (uint32_t)flm_kv_scale(*scale); /* < 2^31 */
    if (!step) {
        memset(q, 0, n);
        return FLM_OK;
    }
    const uint32_t mant = *scale & 0x7FFu, ee = (uint32_t)*scale >> 11 > 20 ? 20u : (uint32_t)*scale >> 11;
    const uint32_t g = ee < 9 ? ee : 9u; /* step = mant << ee */
    const __m128i cl = flm_count_avx2(9 - g), cr = flm_count_avx2(ee + 1 - g);
    const __m256i cap = _mm256_set1_epi32((int32_t)((step >> 1) + 1));
    const __m256i add = _mm256_set1_epi32((int32_t)(mant << (ee - g)));
    const __m256i mul = _mm256_set1_epi64x((int64_t)((1u << 31) / mant + 1u));
    const __m256i lim = _mm256_set1_epi32(127);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = flm_load8_avx2(x + i);
        __m256i ax = _mm256_min_epu32(_mm256_abs_epi32(v), cap);
        __m256i a = _mm256_srl_epi32(_mm256_add_epi32(_mm256_sll_epi32(ax, cl), add), cr);
        __m256i qe = _mm256_srli_epi64(_mm256_mul_epu32(a, mul), 31);
        __m256i qo = _mm256_srli_epi64(_mm256_mul_epu32(flm_odd_avx2(a), mul), 31);
        __m256i m = _mm256_min_epu32(flm_join_avx2(qe, qo), lim);
        m = _mm256_sign_epi32(m, v); /* -m for x < 0 (and 0 stays 0) */
        __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
        _mm_storel_epi64((__m128i *)(void *)(q + i), _mm_packs_epi16(w, w));
    }
    const uint64_t st = step;
    const uint32_t twice = 2u * step;
    for (; i < n; i++) {
        uint64_t num = ((uint64_t)flm_abs32(x[i]) << 9) + st;
        uint64_t m = num <= UINT32_MAX ? (uint32_t)num / twice : num / (2u * st);
        int32_t v = m > 127u ? 127 : (int32_t)m;
        q[i] = (int8_t)(x[i] < 0 ? -v : v);
    }
    return FLM_OK;
}
#endif
