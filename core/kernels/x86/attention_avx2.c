/*
 * flm_attention_head_q with AVX2 (x86-64), integer only and bit-exact with
 * the _ref. Built with target("avx2"); called only where the CPU has it
 * (kernels_select.h, variants.c). Empty off x86-64.
 *
 * The weights w_t come from the reference's own code (attention_impl.h)
 * over an AVX2 dot product, quantizer and softmax (each bit-exact with its
 * _ref): the int8 x int16 products of a score summed in int32 lanes are
 * the same exact sum in another order. The weighted sum of
 * the values, the reference's column-by-column walk over the cache, runs
 * here position by position over 16 columns at a time: each w_t * v_tj is
 * an exact 32 x 32 -> 64-bit product (vpmuldq) and each column's int64
 * total (< 2^54) is exact in any order, rounded by the same
 * flm_rescale_sat32.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include <immintrin.h>

#include "core/kernels/priv/attention_impl.h"
#include "core/kernels/priv/fixed.h"

#define AVX2 __attribute__((target("avx2")))

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

/* w (int32, the low half of each 64-bit lane) times 8 int8 values: the
 * even columns' products into *e, the odd ones' into *o */
static inline AVX2 void madd8(const int8_t *v, __m256i w, __m256i *e, __m256i *o)
{
    __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)v));
    *e = _mm256_add_epi64(*e, _mm256_mul_epi32(x, w));
    *o = _mm256_add_epi64(*o, _mm256_mul_epi32(_mm256_srli_epi64(x, 32), w));
}

/* out[j] for 8 columns from their even and odd sums (lanes j, j+2, j+4, j+6
 * of e; j+1, ... of o) */
static inline AVX2 void store8(__m256i e, __m256i o, int32_t *out)
{
    int64_t a[4], b[4];
    _mm256_storeu_si256((__m256i *)(void *)a, e);
    _mm256_storeu_si256((__m256i *)(void *)b, o);
    for (int i = 0; i < 4; i++) {
        out[2 * i] = flm_rescale_sat32(a[i], FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT);
        out[2 * i + 1] = flm_rescale_sat32(b[i], FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT);
    }
}

AVX2 flm_err_t flm_attention_head_q_avx2(const int32_t *q, uint32_t head_dim,
                                         const flm_kv_view_t *kv, uint32_t npos, int16_t *qs,
                                         int32_t *att, int32_t *out)
{
    flm_err_t err = flm_attention_weights_with(dot_avx2, flm_quantize_s16_avx2, flm_softmax_q_avx2,
                                               q, head_dim, kv, npos, qs, att, out);
    if (err)
        return err;
    const size_t stride = kv->stride;
    uint32_t j = 0;
    for (; j + 16 <= head_dim; j += 16) {
        __m256i e0 = _mm256_setzero_si256(), o0 = e0, e1 = e0, o1 = e0;
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++, v += stride) {
            __m256i w = _mm256_set1_epi32(att[t]);
            madd8(v, w, &e0, &o0);
            madd8(v + 8, w, &e1, &o1);
        }
        store8(e0, o0, out + j);
        store8(e1, o1, out + j + 8);
    }
    if (j + 8 <= head_dim) {
        __m256i e0 = _mm256_setzero_si256(), o0 = e0;
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++, v += stride)
            madd8(v, _mm256_set1_epi32(att[t]), &e0, &o0);
        store8(e0, o0, out + j);
        j += 8;
    }
    for (; j < head_dim; j++) {
        int64_t acc = 0;
        const int8_t *v = kv->v + j;
        for (uint32_t t = 0; t < npos; t++)
            acc += (int64_t)att[t] * v[(size_t)t * stride];
        out[j] = flm_rescale_sat32(acc, FLM_KV_SCALE_SHIFT - FLM_ACT_SHIFT);
    }
    return FLM_OK;
}
#endif
