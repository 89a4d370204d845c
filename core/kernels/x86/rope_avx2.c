/*
 * flm_rope_s32 with AVX2 (x86-64), integer only and bit-exact with the
 * _ref. Built with target("avx2"); called only where the CPU has it
 * (kernels_select.h, variants.c). Empty off x86-64.
 *
 * The _ref's sin/cos per pair (flm_sincos_q30's steps, four pairs at a time
 * in 64-bit lanes: sincos4), once per call into a table laid out like the
 * vector (c, c per pair; -s, s), then four pairs a step:
 * each output a * c - b * s or a * s + b * c of exact 64-bit products
 * (vpmuldq of the vector and of its pair-swapped copy), rounded by 30 bits
 * and saturated as in the _ref.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h"

/* sin_step of math.c in 4 lanes: sin of j/256 turn from the quarter-wave
 * table, sign-extended */
static inline FLM_AVX2 __m256i sin_step4(__m256i j)
{
    __m256i k = _mm256_and_si256(j, _mm256_set1_epi64x(63));
    __m256i odd = _mm256_sub_epi64(_mm256_setzero_si256(),
                                   _mm256_and_si256(_mm256_srli_epi64(j, 6), _mm256_set1_epi64x(1)));
    __m256i neg = _mm256_sub_epi64(_mm256_setzero_si256(),
                                   _mm256_and_si256(_mm256_srli_epi64(j, 7), _mm256_set1_epi64x(1)));
    __m256i idx = _mm256_blendv_epi8(k, _mm256_sub_epi64(_mm256_set1_epi64x(64), k), odd);
    __m256i v = _mm256_cvtepi32_epi64(_mm256_i64gather_epi32((const int *)(const void *)flm_sin_tab, idx, 4));
    return _mm256_sub_epi64(_mm256_xor_si256(v, neg), neg);
}

/* flm_sincos_q30 of 4 turn values (uint32, zero-extended in 64-bit lanes):
 * math.c's steps, every product of non-negative values below 2^32 (vpmuludq)
 * but the last two (signed, vpmuldq); the divisions by 6 and 24 of values
 * below 2^15 the exact multiply-shifts (v * 43691) >> 18 and >> 20 */
static inline FLM_AVX2 void sincos4(__m256i turns, __m256i *sn, __m256i *cs)
{
    __m256i i = _mm256_srli_epi64(turns, 24);
    __m256i b = _mm256_mul_epu32(_mm256_and_si256(turns, _mm256_set1_epi64x(0xFFFFFF)),
                                 _mm256_set1_epi64x(FLM_2PI_Q28));
    b = FLM_ROUND_SHR_U64_AVX2(b, 30);
    __m256i b2 = _mm256_mul_epu32(b, b);
    b2 = FLM_ROUND_SHR_U64_AVX2(b2, 30);
    __m256i b3 = _mm256_mul_epu32(b2, b);
    b3 = FLM_ROUND_SHR_U64_AVX2(b3, 30);
    __m256i sb = _mm256_sub_epi64(b, _mm256_srli_epi64(_mm256_mul_epu32(b3, _mm256_set1_epi64x(43691)), 18));
    __m256i b4 = _mm256_mul_epu32(b2, b2);
    b4 = FLM_ROUND_SHR_U64_AVX2(b4, 30);
    __m256i cb = _mm256_sub_epi64(_mm256_set1_epi64x(FLM_Q30_ONE), FLM_ROUND_SHR_U64_AVX2(b2, 1));
    cb = _mm256_add_epi64(cb, _mm256_srli_epi64(_mm256_mul_epu32(b4, _mm256_set1_epi64x(43691)), 20));
    __m256i sa = sin_step4(i), ca = sin_step4(_mm256_add_epi64(i, _mm256_set1_epi64x(64)));
    const __m128i c30 = flm_count_avx2(30), c29 = flm_count_avx2(29);
    __m256i s = _mm256_add_epi64(_mm256_mul_epi32(sa, cb), _mm256_mul_epi32(ca, sb));
    __m256i c = _mm256_sub_epi64(_mm256_mul_epi32(ca, cb), _mm256_mul_epi32(sa, sb));
    *sn = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(s, c30, c29));
    *cs = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(c, c30, c29));
}

FLM_AVX2 flm_err_t flm_rope_s32_avx2(int32_t *v, uint32_t n, uint32_t head_dim,
                                     const uint32_t *freq, uint32_t pos)
{
    if (!v || !freq || head_dim == 0 || head_dim % 2 || n % head_dim)
        return FLM_ERR_ARG;
    if (head_dim > FLM_KERNEL_MAX_HEAD) /* beyond the table */
        return flm_rope_s32_ref(v, n, head_dim, freq, pos);
    int32_t cs[FLM_KERNEL_MAX_HEAD], sn[FLM_KERNEL_MAX_HEAD];
    uint32_t i0 = 0;
    const __m128i vpos = _mm_set1_epi32((int32_t)pos);
    const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFF);
    for (; i0 + 8 <= head_dim; i0 += 8) { /* four pairs */
        __m128i f = _mm_loadu_si128((const __m128i *)(const void *)(freq + i0 / 2));
        __m256i s, c;
        sincos4(_mm256_cvtepu32_epi64(_mm_mullo_epi32(f, vpos)), &s, &c); /* mod 2^32 */
        /* c, c and -s, s per pair */
        flm_store8_avx2(cs + i0, _mm256_or_si256(_mm256_and_si256(c, lo32), _mm256_slli_epi64(c, 32)));
        flm_store8_avx2(sn + i0, _mm256_or_si256(_mm256_and_si256(_mm256_sub_epi64(_mm256_setzero_si256(), s), lo32),
                                                 _mm256_slli_epi64(s, 32)));
    }
    for (uint32_t i = i0; i < head_dim; i += 2) {
        int32_t s, c;
        flm_sincos_q30(pos * freq[i / 2], &s, &c); /* mod 2^32 = whole turns */
        cs[i] = cs[i + 1] = c;
        sn[i] = (int32_t)(0u - (uint32_t)s); /* |s| <= 2^30 */
        sn[i + 1] = s;
    }
    const __m128i c30 = flm_count_avx2(30), c29 = flm_count_avx2(29);
    const uint32_t body = head_dim & ~7u;
    for (uint32_t h = 0; h < n; h += head_dim) {
        int32_t *p = v + h;
        for (uint32_t j = 0; j < body; j += 8) {
            __m256i x = flm_load8_avx2(p + j), c = flm_load8_avx2(cs + j), s = flm_load8_avx2(sn + j);
            __m256i sw = _mm256_shuffle_epi32(x, 0xB1); /* b, a per pair */
            __m256i re = _mm256_add_epi64(_mm256_mul_epi32(x, c), _mm256_mul_epi32(sw, s));
            __m256i ro = _mm256_add_epi64(_mm256_mul_epi32(flm_odd_avx2(x), flm_odd_avx2(c)),
                                          _mm256_mul_epi32(flm_odd_avx2(sw), flm_odd_avx2(s)));
            re = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(re, c30, c29));
            ro = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(ro, c30, c29));
            flm_store8_avx2(p + j, flm_join_avx2(re, ro));
        }
        for (uint32_t j = body; j < head_dim; j += 2) {
            int64_t a = p[j], b = p[j + 1], c = cs[j], s = sn[j + 1];
            p[j] = flm_sat32(flm_round_shr64(a * c - b * s, 30));
            p[j + 1] = flm_sat32(flm_round_shr64(a * s + b * c, 30));
        }
    }
    return FLM_OK;
}
#endif
