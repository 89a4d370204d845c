/*
 * flm_softmax_q with AVX-512F (x86-64), integer only and bit-exact with the
 * _ref: softmax_avx2.c's steps (which it explains) on 8 64-bit lanes a
 * vector, 16 elements a step, the last few in masked lanes (AVX-512's
 * masked loads and stores touch nothing outside the mask). Built with target("avx512f"); called only
 * where the CPU has it (kernels_select.h, variants.c). Empty off x86-64.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx512.h"

FLM_AVX512 flm_err_t flm_softmax_q_avx512(const int32_t *x, uint32_t n, int32_t shift, uint32_t *p)
{
    if (!x || !p || n == 0 || n > (1u << 18) || shift < 0 || shift > 62)
        return FLM_ERR_ARG;
    int32_t max = x[0];
    uint32_t i = 0;
    if (n >= 16) {
        __m512i v = _mm512_loadu_si512(x);
        for (i = 16; i + 16 <= n; i += 16)
            v = _mm512_max_epi32(v, _mm512_loadu_si512(x + i));
        max = _mm512_reduce_max_epi32(v);
    }
    for (; i < n; i++)
        if (x[i] > max)
            max = x[i];
    const int32_t s = shift - FLM_LOG_SHIFT;
    const uint32_t sr = s > 33 ? 33u : s > 0 ? (uint32_t)s : 0u;
    const __m128i cr = _mm_cvtsi64_si128((long long)sr), cl = _mm_cvtsi64_si128(s < 0 ? -s : 0);
    const __m512i bias = _mm512_set1_epi64(sr ? ((int64_t)1 << (sr - 1)) - 1 : 0);
    const __m512i cap = _mm512_set1_epi64((int64_t)1 << 31), lo32 = _mm512_set1_epi64(0xFFFFFFFF);
    const __m512i vmax = _mm512_set1_epi32(max);
    __m512i acc = _mm512_setzero_si512();
    for (i = 0; i + 16 <= n; i += 16) {
        __m512i ud = _mm512_sub_epi32(vmax, _mm512_loadu_si512(x + i)); /* max - x, as uint32 */
        __m512i ue = _mm512_and_si512(ud, lo32), uo = _mm512_srli_epi64(ud, 32);
        ue = _mm512_min_epu64(_mm512_sll_epi64(_mm512_srl_epi64(_mm512_add_epi64(ue, bias), cr), cl), cap);
        uo = _mm512_min_epu64(_mm512_sll_epi64(_mm512_srl_epi64(_mm512_add_epi64(uo, bias), cr), cl), cap);
        __m512i ee = flm_exp_neg_q16_avx512(ue), eo = flm_exp_neg_q16_avx512(uo);
        acc = _mm512_add_epi64(acc, _mm512_add_epi64(ee, eo));
        _mm512_storeu_si512(p + i, flm_join_avx512(ee, eo)); /* after x[i..i+15] */
    }
    if (i < n) { /* the last n - i < 16 in masked lanes: the others read as max, their e dropped */
        const __mmask16 k = (__mmask16)((1u << (n - i)) - 1u);
        __m512i ud = _mm512_sub_epi32(vmax, _mm512_mask_loadu_epi32(vmax, k, x + i));
        __m512i ue = _mm512_and_si512(ud, lo32), uo = _mm512_srli_epi64(ud, 32);
        ue = _mm512_min_epu64(_mm512_sll_epi64(_mm512_srl_epi64(_mm512_add_epi64(ue, bias), cr), cl), cap);
        uo = _mm512_min_epu64(_mm512_sll_epi64(_mm512_srl_epi64(_mm512_add_epi64(uo, bias), cr), cl), cap);
        __m512i e = _mm512_maskz_mov_epi32(k, flm_join_avx512(flm_exp_neg_q16_avx512(ue),
                                                              flm_exp_neg_q16_avx512(uo)));
        acc = _mm512_add_epi64(acc, _mm512_add_epi64(_mm512_and_si512(e, lo32), _mm512_srli_epi64(e, 32)));
        _mm512_mask_storeu_epi32(p + i, k, e);
    }
    uint64_t sum = (uint64_t)_mm512_reduce_add_epi64(acc);
    uint64_t inv = (((uint64_t)1 << 62) + sum / 2) / sum;
    if (inv >> 32) /* 2^32: each p_i stays */
        return FLM_OK;
    const __m512i vinv = _mm512_set1_epi64((long long)inv), rnd = _mm512_set1_epi64((int64_t)1 << 31);
    for (i = 0; i + 16 <= n; i += 16) {
        __m512i v = _mm512_loadu_si512(p + i);
        __m512i re = _mm512_add_epi64(_mm512_mul_epu32(v, vinv), rnd);
        __m512i ro = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(v, 32), vinv), rnd);
        _mm512_storeu_si512(p + i, _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(re, 32), ro));
    }
    if (i < n) {
        const __mmask16 k = (__mmask16)((1u << (n - i)) - 1u);
        __m512i v = _mm512_maskz_loadu_epi32(k, p + i);
        __m512i re = _mm512_add_epi64(_mm512_mul_epu32(v, vinv), rnd);
        __m512i ro = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(v, 32), vinv), rnd);
        _mm512_mask_storeu_epi32(p + i, k, _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(re, 32), ro));
    }
    return FLM_OK;
}
#endif
