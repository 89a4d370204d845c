/*
 * fixed_avx2.h's exp and 64-bit-lane helpers with AVX-512F (internal to
 * core/kernels/x86/), for the exp-heavy ops (softmax, SwiGLU): the same
 * exact integer steps on 8 64-bit lanes a vector, with AVX-512's 64-bit
 * arithmetic shift, 64-bit min/max and mask registers in place of AVX2's
 * work-arounds. Include only where FLM_KERNELS_X86 is set; every function
 * is target("avx512f") and is called only from kernels the CPU can run.
 */
#ifndef FLM_KERNELS_X86_FIXED_AVX512_H
#define FLM_KERNELS_X86_FIXED_AVX512_H

#include <immintrin.h>

#include "core/kernels/priv/fixed.h"

#define FLM_AVX512 __attribute__((target("avx512f")))
#define FLM_AVX512_INLINE static inline __attribute__((always_inline, target("avx512f")))

/* round_shr_u64 of math.c (v >= 0, a constant s >= 1) */
#define FLM_ROUND_SHR_U64_AVX512(v, s)                                                            \
    _mm512_add_epi64(_mm512_srli_epi64((v), (s)),                                              \
                     _mm512_and_si512(_mm512_srli_epi64((v), (s) - 1), _mm512_set1_epi64(1)))

/* flm_round_shr64 of signed 64-bit lanes by a constant s >= 1 */
#define FLM_ROUND_SHR_S64_AVX512(v, s)                                                            \
    _mm512_add_epi64(_mm512_srai_epi64((v), (s)),                                              \
                     _mm512_and_si512(_mm512_srli_epi64((v), (s) - 1), _mm512_set1_epi64(1)))

/* 16 int32 from the low halves of the even and odd lanes' 64-bit values */
FLM_AVX512_INLINE __m512i flm_join_avx512(__m512i even, __m512i odd)
{
    return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/* flm_sat32 of signed 64-bit lanes */
FLM_AVX512_INLINE __m512i flm_sat32_s64_avx512(__m512i v)
{
    return _mm512_max_epi64(_mm512_min_epi64(v, _mm512_set1_epi64(INT32_MAX)),
                            _mm512_set1_epi64(INT32_MIN));
}

/* flm_exp_q16(-u) for u in [0, 2^31] in each 64-bit lane: the steps of
 * flm_exp_neg_q16_avx2 (fixed_avx2.h, which explains them) */
FLM_AVX512_INLINE __m512i flm_exp_neg_q16_avx512(__m512i u)
{
    const __m512i one = _mm512_set1_epi64(1);
    __m512i p = _mm512_add_epi64(_mm512_mul_epu32(u, _mm512_set1_epi64(FLM_LOG2E_Q30)),
                                 _mm512_set1_epi64(0xFFFF));
    __m512i y = _mm512_srli_epi64(p, 16);
    __m512i k = _mm512_srli_epi64(_mm512_add_epi64(y, _mm512_set1_epi64(FLM_Q30_ONE - 1)), 30);
    __m512i f = _mm512_sub_epi64(_mm512_slli_epi64(k, 30), y);
    __m512i t = _mm512_mul_epu32(_mm512_and_si512(f, _mm512_set1_epi64(0x3FFFFF)),
                                 _mm512_set1_epi64(FLM_LN2_Q30));
    __m512i z = FLM_ROUND_SHR_U64_AVX512(t, 30);
    __m512i z2 = _mm512_mul_epu32(z, z);
    z2 = FLM_ROUND_SHR_U64_AVX512(z2, 31);
    __m512i z3 = _mm512_mul_epu32(z2, z);
    z3 = FLM_ROUND_SHR_U64_AVX512(z3, 30);
    z3 = _mm512_srli_epi64(_mm512_mul_epu32(z3, _mm512_set1_epi64(0xAAAAAAAB)), 33);
    __m512i poly = _mm512_add_epi64(_mm512_add_epi64(_mm512_set1_epi64(FLM_Q30_ONE), z),
                                    _mm512_add_epi64(z2, z3));
    __m512i tab = _mm512_cvtepu32_epi64(
        _mm512_i64gather_epi32(_mm512_srli_epi64(f, 22), (const void *)flm_exp2_tab, 4));
    __m512i m = _mm512_mul_epu32(tab, poly);
    m = FLM_ROUND_SHR_U64_AVX512(m, 30);
    __m512i r = _mm512_srlv_epi64(m, k);
    __m512i half = _mm512_and_si512(_mm512_srlv_epi64(m, _mm512_sub_epi64(k, one)), one);
    return _mm512_add_epi64(r, half);
}

#endif /* FLM_KERNELS_X86_FIXED_AVX512_H */
