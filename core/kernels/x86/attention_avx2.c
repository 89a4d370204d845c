/*
 * flm_attention_head_q with AVX2 (x86-64), integer only and bit-exact with
 * the _ref. Built with target("avx2"); called only where the CPU has it
 * (kernels_select.h, variants.c). Empty off x86-64.
 *
 * The weights w_t are the reference's steps (attention_impl.h) with the
 * AVX2 quantizer and the selected softmax (each bit-exact with its _ref) and the scores
 * eight positions at a time (weights_avx2): the int8 x int16 products of a
 * score summed in int32 lanes are the same exact sum in another order, and
 * its scale product and rounding shift are the scalar integer steps in
 * 64-bit lanes. The weighted sum of the values, the reference's
 * column-by-column walk over the cache, runs here two positions at a time
 * over 16 columns (values_avx2: each weight split into 16-bit halves for
 * vpmaddwd); each column's int64 total (< 2^54) is exact in any order,
 * rounded by the same flm_rescale_sat32.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include <immintrin.h>
#include <string.h>

#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h"

#define AVX2 FLM_AVX2

/* sum q[i] * x[i] over n <= 256 elements (exact in int32) */
static AVX2 int32_t dot_avx2(const int8_t *q, const int16_t *x, uint32_t n)
{
    __m256i a = _mm256_setzero_si256();
    for (; n >= 16; n -= 16, q += 16, x += 16) {
        __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)q));
        a = _mm256_add_epi32(a, _mm256_madd_epi16(w, _mm256_loadu_si256((const __m256i *)(const void *)x)));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    if (n >= 8) {
        __m128i w = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)q));
        s = _mm_add_epi32(s, _mm_madd_epi16(w, _mm_loadu_si128((const __m128i *)(const void *)x)));
        n -= 8, q += 8, x += 8;
    }
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    int32_t t = _mm_cvtsi128_si32(s);
    for (; n; n--)
        t += *q++ * *x++;
    return t;
}

/* The scale codes of positions t..t+7 (stride apart), decoded:
 * flm_kv_scale's (code & 2047) << min(code >> 11, 20) */
static inline AVX2 __m256i scales8(const uint16_t *c, size_t stride)
{
    __m256i v = _mm256_set_epi32(c[7 * stride], c[6 * stride], c[5 * stride], c[4 * stride],
                                 c[3 * stride], c[2 * stride], c[stride], c[0]);
    __m256i e = _mm256_min_epu32(_mm256_srli_epi32(v, 11), _mm256_set1_epi32(20));
    return _mm256_sllv_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x7FF)), e);
}

/* Sums of the 8 int32 lanes of each of a0..a7, in one vector (in order). */
static inline AVX2 __m256i hsum8(__m256i a0, __m256i a1, __m256i a2, __m256i a3, __m256i a4,
                                 __m256i a5, __m256i a6, __m256i a7)
{
    __m256i s01 = _mm256_hadd_epi32(a0, a1), s23 = _mm256_hadd_epi32(a2, a3);
    __m256i s45 = _mm256_hadd_epi32(a4, a5), s67 = _mm256_hadd_epi32(a6, a7);
    __m256i s0 = _mm256_hadd_epi32(s01, s23), s1 = _mm256_hadd_epi32(s45, s67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(s0, s1, 0x20),
                            _mm256_permute2x128_si256(s0, s1, 0x31));
}

/* flm_attention_weights_with (attention_impl.h) with the positions eight at
 * a time: eight dot products of head_dim (a multiple of 8) columns, their
 * scale products exact in 64-bit lanes and rescaled by the same rounding
 * shift (>= 0 here: the query's int16 shift is at least 16 - 17) and
 * saturation; then the AVX2 softmax, and each probability times its value
 * scale (< 2^61, exact; at most the scale after the shift, so never
 * saturated). Other shapes and the last positions take the _ref's steps. */
static AVX2 flm_err_t weights_avx2(const int32_t *q, uint32_t head_dim, const flm_kv_view_t *kv,
                                   uint32_t npos, int16_t *qs, int32_t *att, int32_t *out)
{
    if (!q || !kv || !kv->k || !kv->v || !kv->ks || !kv->vs || !qs || !att || !out ||
        head_dim == 0 || head_dim > FLM_KERNEL_MAX_HEAD || npos == 0 ||
        npos > FLM_KERNEL_MAX_COLS)
        return FLM_ERR_ARG;
    int64_t inv_sqrt = flm_isqrt_u64(((uint64_t)1 << 60) / head_dim); /* Q30, <= 2^30 */
    const __m256i vi = _mm256_set1_epi64x(inv_sqrt);
    const __m128i c30 = flm_count_avx2(30), c29 = flm_count_avx2(29);
    uint32_t j0 = 0;
    for (; j0 + 8 <= head_dim; j0 += 8) {
        __m256i v = flm_load8_avx2(q + j0);
        __m256i e = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(_mm256_mul_epi32(v, vi), c30, c29));
        __m256i o = flm_sat32_s64_avx2(
            flm_round_shr_s64_avx2(_mm256_mul_epi32(flm_odd_avx2(v), vi), c30, c29));
        flm_store8_avx2(out + j0, flm_join_avx2(e, o));
    }
    for (; j0 < head_dim; j0++)
        out[j0] = flm_sat32(flm_round_shr64(q[j0] * inv_sqrt, 30));
    int32_t q_shift;
    flm_err_t err = flm_quantize_s16_avx2(out, head_dim, FLM_ACT_SHIFT, qs, &q_shift);
    if (err)
        return err;
    const int32_t shift = q_shift + FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT;
    const size_t stride = kv->stride, sstride = kv->scale_stride;
    uint32_t t = 0;
    if (head_dim % 8 == 0 && shift >= 0) {
        const __m128i cs = flm_count_avx2((uint32_t)shift), cs1 = flm_count_m1_avx2((uint32_t)shift);
        for (; t + 8 <= npos; t += 8) {
            const int8_t *k = kv->k + (size_t)t * stride;
            /* eight accumulators in registers (an array would live on the stack) */
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
                    a6 = a0, a7 = a0;
#define ROW16(r, a)                                                                               \
    a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(                \
                                                  (const __m128i *)(const void *)(k + (size_t)(r) * stride + j))), \
                                              x))
#define ROW8(r, a)                                                                                \
    a = _mm256_add_epi32(a, _mm256_zextsi128_si256(_mm_madd_epi16(                                \
                                _mm_cvtepi8_epi16(_mm_loadl_epi64(                                 \
                                    (const __m128i *)(const void *)(k + (size_t)(r) * stride + j))), \
                                x)))
            uint32_t j = 0;
            for (; j + 16 <= head_dim; j += 16) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(qs + j));
                ROW16(0, a0); ROW16(1, a1); ROW16(2, a2); ROW16(3, a3);
                ROW16(4, a4); ROW16(5, a5); ROW16(6, a6); ROW16(7, a7);
            }
            if (j < head_dim) { /* 8 more columns */
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(qs + j));
                ROW8(0, a0); ROW8(1, a1); ROW8(2, a2); ROW8(3, a3);
                ROW8(4, a4); ROW8(5, a5); ROW8(6, a6); ROW8(7, a7);
            }
#undef ROW16
#undef ROW8
            __m256i d = hsum8(a0, a1, a2, a3, a4, a5, a6, a7), ks = scales8(kv->ks + (size_t)t * sstride, sstride);
            __m256i se = _mm256_mul_epi32(d, ks), so = _mm256_mul_epi32(flm_odd_avx2(d), flm_odd_avx2(ks));
            se = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(se, cs, cs1));
            so = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(so, cs, cs1));
            flm_store8_avx2(att + t, flm_join_avx2(se, so));
        }
    }
    for (; t < npos; t++) {
        int32_t d = dot_avx2(kv->k + (size_t)t * stride, qs, head_dim);
        int32_t ks = flm_kv_scale(kv->ks[(size_t)t * sstride]);
        att[t] = flm_rescale_sat32((int64_t)d * ks, shift);
    }
    uint32_t *p = (uint32_t *)att;
    err = flm_softmax_q(att, npos, FLM_ACT_SHIFT, p);
    if (err)
        return err;
    const __m256i half = _mm256_set1_epi64x((int64_t)1 << (FLM_PROB_SHIFT - 1));
    for (t = 0; t + 8 <= npos; t += 8) {
        __m256i pv = flm_load8_avx2(att + t), vs = scales8(kv->vs + (size_t)t * sstride, sstride);
        __m256i we = _mm256_add_epi64(_mm256_mul_epu32(pv, vs), half);
        __m256i wo = _mm256_add_epi64(_mm256_mul_epu32(flm_odd_avx2(pv), flm_odd_avx2(vs)), half);
        flm_store8_avx2(att + t, flm_join_avx2(_mm256_srli_epi64(we, FLM_PROB_SHIFT),
                                               _mm256_srli_epi64(wo, FLM_PROB_SHIFT)));
    }
    for (; t < npos; t++) {
        int32_t vs = flm_kv_scale(kv->vs[(size_t)t * sstride]);
        att[t] = flm_sat32(flm_round_shr64((int64_t)p[t] * vs, FLM_PROB_SHIFT));
    }
    return FLM_OK;
}

/* tot[0..7] += 2^16 a + b (int64) for the int32 lanes of a and b */
static inline AVX2 void widen_add(int64_t *tot, __m256i a, __m256i b)
{
    __m256i *p = (__m256i *)(void *)tot;
    __m256i lo = _mm256_add_epi64(_mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(a)), 16),
                                  _mm256_cvtepi32_epi64(_mm256_castsi256_si128(b)));
    __m256i hi = _mm256_add_epi64(_mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(a, 1)), 16),
                                  _mm256_cvtepi32_epi64(_mm256_extracti128_si256(b, 1)));
    _mm256_storeu_si256(p, _mm256_add_epi64(_mm256_loadu_si256(p), lo));
    _mm256_storeu_si256(p + 1, _mm256_add_epi64(_mm256_loadu_si256(p + 1), hi));
}

/* The 8 int16 pairs (v_tj, v_t+1,j) of columns j..j+7 of rows r0, r1 (int8). */
#define PAIRS_LO(r0, r1) _mm256_cvtepi8_epi16(_mm_unpacklo_epi8((r0), (r1)))
#define PAIRS_HI(r0, r1) _mm256_cvtepi8_epi16(_mm_unpackhi_epi8((r0), (r1)))

/* The weighted sum of the values out[j] = rescale(sum_t w_t v_tj). Each
 * w_t (in [0, 2^31 - 2^20]: a probability times a scale, >> 30) is split
 * into a_t 2^16 + b_t with b_t its low half as a signed int16 and a_t <=
 * 32752, so that two positions at a time are one vpmaddwd each for the a
 * and the b parts: v_tj a_t + v_t+1,j a_t+1 is exact in int32 (< 2^23), as
 * is the sum of 128 of them, and every 256 positions the int32 sums go into
 * exact int64 totals 2^16 A + B. The total is the _ref's, in another order,
 * rounded by the same flm_rescale_sat32. att (scratch) ends up holding the
 * pairs' a and b halves. */
static AVX2 void values_avx2(uint32_t head_dim, const flm_kv_view_t *kv, uint32_t npos,
                             int32_t *att, int32_t *out)
{
    const size_t stride = kv->stride;
    int64_t tot[FLM_KERNEL_MAX_HEAD];
    const uint32_t body = head_dim & ~7u; /* columns done in lanes */
    memset(tot, 0, sizeof tot[0] * head_dim);
    for (uint32_t j = body; j < head_dim; j++) /* the last < 8 columns, before att changes */
        for (uint32_t t = 0; t < npos; t++)
            tot[j] += (int64_t)att[t] * kv->v[(size_t)t * stride + j];
    const uint32_t npairs = npos / 2;
    for (uint32_t i = 0; i < npairs; i++) {
        uint32_t w0 = (uint32_t)att[2 * i], w1 = (uint32_t)att[2 * i + 1];
        uint32_t b0 = w0 & 0xFFFFu, b1 = w1 & 0xFFFFu;
        /* a = (w - b) / 2^16 with b the signed low half: + 1 when b < 0 */
        uint32_t a0 = (w0 >> 16) + (b0 >> 15), a1 = (w1 >> 16) + (b1 >> 15);
        att[2 * i] = (int32_t)(a0 | a1 << 16);
        att[2 * i + 1] = (int32_t)(b0 | b1 << 16);
    }
    for (uint32_t c0 = 0; c0 < npairs; c0 += 128) {
        const uint32_t ce = npairs - c0 < 128 ? npairs : c0 + 128;
        uint32_t j = 0;
        for (; j + 16 <= body; j += 16) {
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, b0 = a0, b1 = a0;
            const int8_t *v = kv->v + (size_t)2 * c0 * stride + j;
            for (uint32_t i = c0; i < ce; i++, v += 2 * stride) {
                __m128i r0 = _mm_loadu_si128((const __m128i *)(const void *)v);
                __m128i r1 = _mm_loadu_si128((const __m128i *)(const void *)(v + stride));
                __m256i x0 = PAIRS_LO(r0, r1), x1 = PAIRS_HI(r0, r1);
                __m256i wa = _mm256_set1_epi32(att[2 * i]), wb = _mm256_set1_epi32(att[2 * i + 1]);
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x0, wa));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(x1, wa));
                b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(x0, wb));
                b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(x1, wb));
            }
            widen_add(tot + j, a0, b0);
            widen_add(tot + j + 8, a1, b1);
        }
        if (j < body) { /* 8 more columns */
            __m256i a0 = _mm256_setzero_si256(), b0 = a0;
            const int8_t *v = kv->v + (size_t)2 * c0 * stride + j;
            for (uint32_t i = c0; i < ce; i++, v += 2 * stride) {
                __m128i r0 = _mm_loadl_epi64((const __m128i *)(const void *)v);
                __m128i r1 = _mm_loadl_epi64((const __m128i *)(const void *)(v + stride));
                __m256i x0 = PAIRS_LO(r0, r1);
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x0, _mm256_set1_epi32(att[2 * i])));
                b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(x0, _mm256_set1_epi32(att[2 * i + 1])));
            }
            widen_add(tot + j, a0, b0);
        }
    }
    if (npos % 2) { /* the last position alone, its weight untouched */
        const int8_t *v = kv->v + (size_t)(npos - 1) * stride;
        for (uint32_t j = 0; j < body; j++)
            tot[j] += (int64_t)att[npos - 1] * v[j];
    }
    for (uint32_t j = 0; j < head_dim; j++)
        out[j] = flm_rescale_sat32(tot[j], FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT);
}

AVX2 flm_err_t flm_attention_head_q_avx2(const int32_t *q, uint32_t head_dim,
                                         const flm_kv_view_t *kv, uint32_t npos, int16_t *qs,
                                         int32_t *att, int32_t *out)
{
    flm_err_t err = weights_avx2(q, head_dim, kv, npos, qs, att, out);
    if (err)
        return err;
    values_avx2(head_dim, kv, npos, att, out);
    return FLM_OK;
}
#endif
