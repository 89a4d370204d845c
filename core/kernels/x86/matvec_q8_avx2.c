/*
 * flm_matvec_q8_s16 with AVX2 (x86-64), integer only and bit-exact with the
 * _ref. Built with target("avx2") so a plain x86-64 build compiles it; it is
 * only called where the CPU has AVX2 (kernels_select.h, variants.c). Empty
 * off x86-64.
 *
 * Why the bits are the reference's: every group sum is the exact integer
 * sum of its products (int8 x int16 <= 2^22 in magnitude, so a group of
 * <= 256 columns stays below 2^30 in int32 lanes whatever the order, and
 * longer groups are summed as 256-column pieces in int64, as in the _ref);
 * each sum times its scale is an exact int64 product (vpmuldq), and the row
 * total (< 2^61) is exact in any order. Only the final rounding remains,
 * done by the same flm_rescale_sat32.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include <immintrin.h>

#include "core/kernels/fixed.h"
#include "core/kernels/matvec_q8_impl.h"

#define AVX2 __attribute__((target("avx2")))

/* 16 columns: weights sign-extended to int16, times x, adjacent products
 * summed (vpmaddwd): eight int32 lanes of at most 2^23. */
static inline AVX2 __m256i madd16(const int8_t *q, const int16_t *x)
{
    __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)q));
    return _mm256_madd_epi16(w, _mm256_loadu_si256((const __m256i *)(const void *)x));
}

/* Eight int32 lanes that add up to sum q[i] * x[i] over n <= 256 columns.
 * Reads exactly n elements of each (no over-read past a matrix's end). */
static inline AVX2 __m256i group_lanes(const int8_t *q, const int16_t *x, uint32_t n)
{
    __m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
    for (; n >= 32; n -= 32, q += 32, x += 32) {
        a = _mm256_add_epi32(a, madd16(q, x));
        b = _mm256_add_epi32(b, madd16(q + 16, x + 16));
    }
    if (n >= 16) {
        a = _mm256_add_epi32(a, madd16(q, x));
        n -= 16, q += 16, x += 16;
    }
    if (n >= 8) {
        __m128i w = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)q));
        __m128i p = _mm_madd_epi16(w, _mm_loadu_si128((const __m128i *)(const void *)x));
        b = _mm256_add_epi32(b, _mm256_zextsi128_si256(p));
        n -= 8, q += 8, x += 8;
    }
    if (n) {
        int32_t t = 0;
        for (; n; n--)
            t += *q++ * *x++;
        b = _mm256_add_epi32(b, _mm256_zextsi128_si256(_mm_cvtsi32_si128(t)));
    }
    return _mm256_add_epi32(a, b);
}

static inline AVX2 int32_t hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

static inline AVX2 int64_t hsum_epi64(__m256i v)
{
    __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi64(s, _mm_unpackhi_epi64(s, s));
    return _mm_cvtsi128_si64(s);
}

/* The four group sums of four lane vectors, then each times its scale as
 * an exact int64 (the low 32 bits of each 64-bit lane, signed). */
static inline AVX2 __m256i scaled4(__m256i v0, __m256i v1, __m256i v2, __m256i v3,
                                   __m128i scales)
{
    __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1), _mm256_hadd_epi32(v2, v3));
    __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    return _mm256_mul_epi32(_mm256_cvtepi32_epi64(sums), _mm256_cvtepi32_epi64(scales));
}

/* Groups longer than 256 columns: int32 pieces of 256 summed in int64. */
static AVX2 int64_t row_long_groups(const int8_t *qr, const int16_t *x, const int32_t *sr,
                                    uint32_t cols, uint32_t gs, uint32_t ng)
{
    int64_t acc = 0;
    for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
        uint32_t len = cols - c < gs ? cols - c : gs;
        int64_t sum = 0;
        for (uint32_t o = 0; o < len; o += 256)
            sum += hsum_epi32(group_lanes(qr + c + o, x + c + o, len - o < 256u ? len - o : 256u));
        acc += sum * sr[g];
    }
    return acc;
}

/* Groups of <= 256 columns, four at a time. */
static AVX2 int64_t row_groups(const int8_t *qr, const int16_t *x, const int32_t *sr,
                               uint32_t cols, uint32_t gs, uint32_t ng)
{
    __m256i acc = _mm256_setzero_si256();
    uint32_t g = 0, c = 0;
    for (; g + 4 <= ng; g += 4, c += 4 * gs) {
        /* only a row's last group can be short */
        uint32_t last = cols - (c + 3 * gs) < gs ? cols - (c + 3 * gs) : gs;
        __m256i v0 = group_lanes(qr + c, x + c, gs);
        __m256i v1 = group_lanes(qr + c + gs, x + c + gs, gs);
        __m256i v2 = group_lanes(qr + c + 2 * gs, x + c + 2 * gs, gs);
        __m256i v3 = group_lanes(qr + c + 3 * gs, x + c + 3 * gs, last);
        __m128i s = _mm_loadu_si128((const __m128i *)(const void *)(sr + g));
        acc = _mm256_add_epi64(acc, scaled4(v0, v1, v2, v3, s));
    }
    if (g < ng) {
        /* one to three groups left: the missing ones are zero */
        __m256i v[3] = { _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256() };
        int32_t s[4] = { 0, 0, 0, 0 };
        for (uint32_t k = 0; g < ng; g++, k++, c += gs) {
            v[k] = group_lanes(qr + c, x + c, cols - c < gs ? cols - c : gs);
            s[k] = sr[g];
        }
        __m128i sv = _mm_loadu_si128((const __m128i *)(const void *)s);
        acc = _mm256_add_epi64(acc, scaled4(v[0], v[1], v[2], _mm256_setzero_si256(), sv));
    }
    return hsum_epi64(acc);
}

AVX2 flm_err_t flm_matvec_q8_s16_avx2(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                      int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    for (uint32_t r = 0; r < w->rows; r++) {
        const int8_t *qr = w->q + (size_t)r * cols;
        const int32_t *sr = w->s + (size_t)r * ng;
        int64_t acc = gs <= 256u ? row_groups(qr, x, sr, cols, gs, ng)
                                 : row_long_groups(qr, x, sr, cols, gs, ng);
        out[r] = flm_rescale_sat32(acc, shift);
    }
    return FLM_OK;
}
#endif
