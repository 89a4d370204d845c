/*
 * flm_swiglu_s32 with AVX-512F (x86-64), integer only and bit-exact with
 * the _ref: swiglu_avx2.c's steps (which it explains: the exp, the exact
 * division by table, Newton step and one remainder correction, the
 * rounding shifts) on 8 64-bit lanes a vector, 16 elements a step. Built
 * with target("avx512f"); called only where the CPU has it (kernels_select.h,
 * variants.c). Empty off x86-64.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h" /* flm_recip61_tab */
#include "core/kernels/x86/fixed_avx512.h"

/* floor(nn / d), d in [2^30, 2^31], nn one of SiLU's numerators */
FLM_AVX512_INLINE __m512i div_avx512(__m512i nn, __m512i d)
{
    __m512i t = _mm512_sub_epi64(d, _mm512_set1_epi64(FLM_Q30_ONE));
    __m512i ent = _mm512_i64gather_epi64(_mm512_srli_epi64(t, 22), (const void *)flm_recip61_tab, 8);
    __m512i frac = _mm512_and_si512(t, _mm512_set1_epi64((1 << 22) - 1));
    __m512i v = _mm512_sub_epi64(_mm512_and_si512(ent, _mm512_set1_epi64(0xFFFFFFFF)),
                                 _mm512_srli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(ent, 32), frac), 22));
    v = _mm512_sub_epi64(v, _mm512_set1_epi64((1 << 13) + 8));
    __m512i err = _mm512_sub_epi64(_mm512_set1_epi64((int64_t)1 << 61), _mm512_mul_epu32(d, v));
    v = _mm512_add_epi64(v, _mm512_srli_epi64(_mm512_mul_epu32(v, _mm512_srli_epi64(err, 13)), 48));
    __m512i q = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(nn, 29), v), 32);
    __m512i r = _mm512_sub_epi64(nn, _mm512_mul_epu32(q, d));
    return _mm512_mask_add_epi64(q, _mm512_cmpge_epu64_mask(r, d), q, _mm512_set1_epi64(1));
}

/* flm_silu_q16 of the x in 8 lanes (low halves, as int32), with |x| */
FLM_AVX512_INLINE __m512i silu_avx512(__m512i x, __m512i ax)
{
    __mmask8 neg = _mm512_test_epi64_mask(x, _mm512_set1_epi64(0x80000000));
    __m512i e = flm_exp_neg_q16_avx512(ax);
    __m512i den = _mm512_add_epi64(e, _mm512_set1_epi64(FLM_Q30_ONE));
    __m512i num = _mm512_mask_blend_epi64(neg, _mm512_set1_epi64((int64_t)1 << 60), _mm512_slli_epi64(e, 30));
    __m512i sig = div_avx512(_mm512_add_epi64(num, _mm512_srli_epi64(den, 1)), den);
    return FLM_ROUND_SHR_S64_AVX512(_mm512_mul_epi32(x, sig), 30); /* |silu| <= |x| */
}

FLM_AVX512 flm_err_t flm_swiglu_s32_avx512(int32_t *h1, const int32_t *h3, uint32_t n)
{
    if (!h1 || !h3)
        return FLM_ERR_ARG;
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i x = _mm512_loadu_si512(h1 + i), g = _mm512_loadu_si512(h3 + i);
        __m512i ax = _mm512_abs_epi32(x); /* INT32_MIN: 2^31 as a uint32 */
        __m512i xo = _mm512_srli_epi64(x, 32), axo = _mm512_srli_epi64(ax, 32);
        __m512i se = silu_avx512(x, ax), so = silu_avx512(xo, axo);
        __m512i re = _mm512_mul_epi32(se, g), ro = _mm512_mul_epi32(so, _mm512_srli_epi64(g, 32));
        re = flm_sat32_s64_avx512(FLM_ROUND_SHR_S64_AVX512(re, FLM_ACT_SHIFT));
        ro = flm_sat32_s64_avx512(FLM_ROUND_SHR_S64_AVX512(ro, FLM_ACT_SHIFT));
        _mm512_storeu_si512(h1 + i, flm_join_avx512(re, ro));
    }
    for (; i < n; i++)
        h1[i] = flm_sat32(flm_round_shr64((int64_t)flm_silu_q16(h1[i]) * h3[i], FLM_ACT_SHIFT));
    return FLM_OK;
}
#endif
