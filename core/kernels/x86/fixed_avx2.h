/*
 * The fixed-point helpers of core/kernels/priv/fixed.h and flm_exp_q16 on
 * AVX2 lanes (internal to core/kernels/x86/), for the per-position kernels
 * (softmax, SwiGLU, RMSNorm, quantize, RoPE, the attention head). Include
 * only where FLM_KERNELS_X86 is set; every function is target("avx2") and
 * is called only from kernels the CPU can run.
 *
 * The scalar code works in 64 bits (products of two int32, Q30 x Q30, the
 * 2^60 of a sigmoid), so the lanes here are 64-bit: 8 int32 are split into
 * their even and odd elements (flm_even_avx2, flm_odd_avx2: each in the low
 * half of a 64-bit lane, the high half ignored by vpmuldq/vpmuludq), worked
 * on as two vectors of 4, and joined back (flm_join_avx2). Every operation
 * is the scalar one's exact integer arithmetic, so the bits are the same.
 */
#ifndef FLM_KERNELS_X86_FIXED_AVX2_H
#define FLM_KERNELS_X86_FIXED_AVX2_H

#include <immintrin.h>

#include "core/kernels/priv/fixed.h"

#define FLM_AVX2 __attribute__((target("avx2")))

/* SiLU's reciprocal table (swiglu_avx2.c) */
extern const uint64_t flm_recip61_tab[257];
#define FLM_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))

FLM_AVX2_INLINE __m256i flm_load8_avx2(const int32_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

FLM_AVX2_INLINE void flm_store8_avx2(int32_t *p, __m256i v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, v);
}

/* Elements 0, 2, 4, 6 / 1, 3, 5, 7 of 8 int32, each in the low half of a
 * 64-bit lane (the high half is whatever was there: mask it where it
 * matters). */
FLM_AVX2_INLINE __m256i flm_even_avx2(__m256i v)
{
    return v;
}

FLM_AVX2_INLINE __m256i flm_odd_avx2(__m256i v)
{
    return _mm256_srli_epi64(v, 32);
}

/* 8 int32 from the low halves of the even and odd lanes' 64-bit values. */
FLM_AVX2_INLINE __m256i flm_join_avx2(__m256i even, __m256i odd)
{
    return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/* The low 32 bits of each 64-bit lane, zero-extended. */
FLM_AVX2_INLINE __m256i flm_lo32_avx2(__m256i v)
{
    return _mm256_and_si256(v, _mm256_set1_epi64x(0xFFFFFFFF));
}

/* floor(v / 2^s) of signed 64-bit lanes, s in [0, 63] (count in the low 64
 * bits of sc; AVX2 has no 64-bit arithmetic shift): v + 2^63, i.e. v with
 * its sign bit flipped, is v's order-preserving image in uint64, and
 * floor((v + 2^63) / 2^s) = floor(v / 2^s) + 2^(63 - s) exactly. */
FLM_AVX2_INLINE __m256i flm_floor_shr_s64_avx2(__m256i v, __m128i sc)
{
    const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
    return _mm256_sub_epi64(_mm256_srl_epi64(_mm256_xor_si256(v, sign), sc),
                            _mm256_srl_epi64(sign, sc));
}

/* flm_round_shr64 of signed 64-bit lanes: sc = s, sc1 = s - 1 (as a 64-bit
 * count: for s = 0 it is 2^64 - 1, and a count above 63 shifts everything
 * out, so no half is added). */
FLM_AVX2_INLINE __m256i flm_round_shr_s64_avx2(__m256i v, __m128i sc, __m128i sc1)
{
    __m256i half = _mm256_and_si256(_mm256_srl_epi64(v, sc1), _mm256_set1_epi64x(1));
    return _mm256_add_epi64(flm_floor_shr_s64_avx2(v, sc), half);
}

/* Shift counts for the two above. */
FLM_AVX2_INLINE __m128i flm_count_avx2(uint32_t s)
{
    return _mm_cvtsi64_si128((long long)s);
}

FLM_AVX2_INLINE __m128i flm_count_m1_avx2(uint32_t s)
{
    return _mm_cvtsi64_si128(s ? (long long)s - 1 : -1);
}

/* round_shr_u64 of math.c (v >= 0, a constant s >= 1). */
#define FLM_ROUND_SHR_U64_AVX2(v, s)                                                              \
    _mm256_add_epi64(_mm256_srli_epi64((v), (s)),                                              \
                     _mm256_and_si256(_mm256_srli_epi64((v), (s) - 1), _mm256_set1_epi64x(1)))

/* flm_sat32 of signed 64-bit lanes: the value in the low half, saturated. */
FLM_AVX2_INLINE __m256i flm_sat32_s64_avx2(__m256i v)
{
    const __m256i hi = _mm256_set1_epi64x(INT32_MAX), lo = _mm256_set1_epi64x(INT32_MIN);
    v = _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
    return _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
}

/* min(v, c) of 64-bit lanes below 2^63. */
FLM_AVX2_INLINE __m256i flm_min_s64_avx2(__m256i v, __m256i c)
{
    return _mm256_blendv_epi8(v, c, _mm256_cmpgt_epi64(v, c));
}

/* max flm_abs32(x[i]) over n elements (vpabsd gives INT32_MIN's 2^31 as a
 * uint32) */
FLM_AVX2_INLINE uint32_t flm_amax_avx2(const int32_t *x, uint32_t n)
{
    __m256i m = _mm256_setzero_si256();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        m = _mm256_max_epu32(m, _mm256_abs_epi32(flm_load8_avx2(x + i)));
    __m128i s = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    s = _mm_max_epu32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_max_epu32(s, _mm_shuffle_epi32(s, 1));
    uint32_t a = (uint32_t)_mm_cvtsi128_si32(s);
    for (; i < n; i++)
        if (flm_abs32(x[i]) > a)
            a = flm_abs32(x[i]);
    return a;
}

/* flm_round_shr32 of 8 int32 lanes, s in [1, 31] (sc = s, sc1 = s - 1):
 * the arithmetic shift is the floor, bit s - 1 the half. */
FLM_AVX2_INLINE __m256i flm_round_shr_s32_avx2(__m256i v, __m128i sc, __m128i sc1)
{
    return _mm256_add_epi32(_mm256_sra_epi32(v, sc),
                            _mm256_and_si256(_mm256_srl_epi32(v, sc1), _mm256_set1_epi32(1)));
}

/* flm_exp_q16(-u) for u in [0, 2^31] in each 64-bit lane (uint64; the
 * result, <= 2^30, the same): math.c's steps one for one, unsigned
 * throughout. Every product is of two values below 2^32 (vpmuludq); the
 * division of z^3 by 3 is the exact multiply-shift (v * 0xAAAAAAAB) >> 33
 * (exact for every uint32 v); the table lookup a gather; the final
 * rounding shift by k a per-lane shift, which also gives the scalar code's
 * 0 for k > 31 (m < 2^31, and counts above 63 shift everything out) and
 * its m for k = 0 (k - 1 wraps to a huge count: no half). */
FLM_AVX2_INLINE __m256i flm_exp_neg_q16_avx2(__m256i u)
{
    const __m256i one = _mm256_set1_epi64x(1);
    __m256i p = _mm256_add_epi64(_mm256_mul_epu32(u, _mm256_set1_epi64x(FLM_LOG2E_Q30)),
                                 _mm256_set1_epi64x(0xFFFF));
    __m256i y = _mm256_srli_epi64(p, 16);
    __m256i k = _mm256_srli_epi64(_mm256_add_epi64(y, _mm256_set1_epi64x(FLM_Q30_ONE - 1)), 30);
    __m256i f = _mm256_sub_epi64(_mm256_slli_epi64(k, 30), y); /* [0, 2^30) */
    __m256i t = _mm256_mul_epu32(_mm256_and_si256(f, _mm256_set1_epi64x(0x3FFFFF)),
                                 _mm256_set1_epi64x(FLM_LN2_Q30));
    __m256i z = FLM_ROUND_SHR_U64_AVX2(t, 30);
    __m256i z2 = _mm256_mul_epu32(z, z);
    z2 = FLM_ROUND_SHR_U64_AVX2(z2, 31);
    __m256i z3 = _mm256_mul_epu32(z2, z);
    z3 = FLM_ROUND_SHR_U64_AVX2(z3, 30);
    z3 = _mm256_srli_epi64(_mm256_mul_epu32(z3, _mm256_set1_epi64x(0xAAAAAAAB)), 33);
    __m256i poly = _mm256_add_epi64(_mm256_add_epi64(_mm256_set1_epi64x(FLM_Q30_ONE), z),
                                    _mm256_add_epi64(z2, z3));
    __m256i tab = _mm256_cvtepu32_epi64(
        _mm256_i64gather_epi32((const int *)(const void *)flm_exp2_tab, _mm256_srli_epi64(f, 22), 4));
    __m256i m = _mm256_mul_epu32(tab, poly);
    m = FLM_ROUND_SHR_U64_AVX2(m, 30);
    __m256i r = _mm256_srlv_epi64(m, k);
    __m256i half = _mm256_and_si256(_mm256_srlv_epi64(m, _mm256_sub_epi64(k, one)), one);
    return _mm256_add_epi64(r, half);
}

#endif /* FLM_KERNELS_X86_FIXED_AVX2_H */
