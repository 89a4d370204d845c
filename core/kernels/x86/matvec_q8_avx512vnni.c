/*
 * flm_matvec_q8_s16 (and flm_matmat_q8_s16) with AVX-512 VNNI (x86-64),
 * integer only and bit-exact with the _ref. Built with
 * target("avx512f,avx512bw,avx512vnni") so a plain x86-64 build compiles
 * it; called only where the CPU (and OS) has them (kernels_select.h,
 * variants.c). Empty off x86-64.
 *
 * 32 columns a step: the weights sign-extended to int16 (vpmovsxbw) and
 * vpdpwssd, which adds the two products of each int32 lane's pair of
 * columns to it (no saturation) in one instruction, where AVX2 needs
 * vpmaddwd and vpaddd a 16 columns. The columns short of 32 at a group's
 * end are masked loads (zeros, and nothing read past them: a fault in a
 * masked-out element is suppressed). Why the bits are the reference's, as
 * for AVX2 (matvec_q8_avx2.c): each lane sums exact products (<= 2^22 in
 * magnitude), a group of <= 256 columns stays below 2^30, longer groups
 * are summed as 256-column pieces in int64 as in the _ref, each group sum
 * times its scale is an exact int64 product (vpmuldq), the row total
 * (< 2^61) is exact in any order and rounded by the same flm_rescale_sat32.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include <immintrin.h>

#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q8_impl.h"
#include "core/kernels/priv/matvec_q8_x86.h"

#define VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vnni")))
#define INLINE_VNNI static inline __attribute__((always_inline)) VNNI

/* 16 int32 lanes that add up to sum q[i] * x[i] over n <= 256 columns;
 * reads exactly n elements of each. */
INLINE_VNNI __m512i group_lanes(const int8_t *q, const int16_t *x, uint32_t n)
{
    __m512i a = _mm512_setzero_si512();
    for (; n >= 32; n -= 32, q += 32, x += 32) {
        __m512i w = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)q));
        a = _mm512_dpwssd_epi32(a, w, _mm512_loadu_si512((const void *)x));
    }
    if (n) {
        __mmask32 m = (__mmask32)((1u << n) - 1u);
        __m512i w = _mm512_cvtepi8_epi16(
            _mm512_castsi512_si256(_mm512_maskz_loadu_epi8((__mmask64)m, (const void *)q)));
        a = _mm512_dpwssd_epi32(a, w, _mm512_maskz_loadu_epi16(m, (const void *)x));
    }
    return a;
}

/* the 16 lanes folded to 8 (their total unchanged) */
INLINE_VNNI __m256i fold(__m512i v)
{
    return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

INLINE_VNNI int32_t hsum_epi32(__m512i v)
{
    __m256i f = fold(v);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(f), _mm256_extracti128_si256(f, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

/* One row: its int64 sum of group sums times scales (any group size). */
static VNNI int64_t row_sum(const int8_t *qr, const int16_t *x, const int32_t *sr, uint32_t cols,
                            uint32_t gs, uint32_t ng)
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

/* The group sums of four rows at one group, one int32 lane a row. */
INLINE_VNNI __m128i sums4(__m512i v0, __m512i v1, __m512i v2, __m512i v3)
{
    __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(fold(v0), fold(v1)),
                                  _mm256_hadd_epi32(fold(v2), fold(v3)));
    return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/* sums (one a row) times scales (one a row) as exact int64, added to acc */
INLINE_VNNI __m256i acc4(__m256i acc, __m128i sums, __m128i scales)
{
    return _mm256_add_epi64(acc, _mm256_mul_epi32(_mm256_cvtepi32_epi64(sums),
                                                  _mm256_cvtepi32_epi64(scales)));
}

/* Rows r..r+3 of w into out[0..3] (groups of <= 256 columns): each group's
 * x loaded once for the four rows, their four sums in one reduction, the
 * scales of four groups at a time transposed (as the AVX2 block). */
INLINE_VNNI void block4(const flm_qmat_t *w, uint32_t r, const int16_t *x, int32_t *out,
                        int32_t shift, uint32_t gs)
{
    const uint32_t cols = w->cols, ng = w->ngroups;
    const int8_t *q0 = w->q + (size_t)r * cols, *q1 = q0 + cols, *q2 = q1 + cols, *q3 = q2 + cols;
    const int32_t *s0 = w->s + (size_t)r * ng;
    __m256i acc = _mm256_setzero_si256();
    uint32_t g = 0, c = 0;
    for (; g + 4 < ng || (g + 4 == ng && cols - c == 4 * gs); g += 4) {
        __m128i sm[4];
        for (int k = 0; k < 4; k++, c += gs)
            sm[k] = sums4(group_lanes(q0 + c, x + c, gs), group_lanes(q1 + c, x + c, gs),
                          group_lanes(q2 + c, x + c, gs), group_lanes(q3 + c, x + c, gs));
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s0 + g));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s0 + ng + g));
        __m128i e = _mm_loadu_si128((const __m128i *)(const void *)(s0 + 2 * ng + g));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(s0 + 3 * ng + g));
        __m128i ab0 = _mm_unpacklo_epi32(a, b), ab1 = _mm_unpackhi_epi32(a, b);
        __m128i ed0 = _mm_unpacklo_epi32(e, d), ed1 = _mm_unpackhi_epi32(e, d);
        acc = acc4(acc, sm[0], _mm_unpacklo_epi64(ab0, ed0));
        acc = acc4(acc, sm[1], _mm_unpackhi_epi64(ab0, ed0));
        acc = acc4(acc, sm[2], _mm_unpacklo_epi64(ab1, ed1));
        acc = acc4(acc, sm[3], _mm_unpackhi_epi64(ab1, ed1));
    }
    for (; g < ng; g++, c += gs) {
        uint32_t len = cols - c < gs ? cols - c : gs;
        __m128i sm = sums4(group_lanes(q0 + c, x + c, len), group_lanes(q1 + c, x + c, len),
                           group_lanes(q2 + c, x + c, len), group_lanes(q3 + c, x + c, len));
        acc = acc4(acc, sm, _mm_setr_epi32(s0[g], s0[ng + g], s0[2 * ng + g], s0[3 * ng + g]));
    }
    __m128i lo = _mm256_castsi256_si128(acc), hi = _mm256_extracti128_si256(acc, 1);
    out[0] = flm_rescale_sat32(_mm_cvtsi128_si64(lo), shift);
    out[1] = flm_rescale_sat32(_mm_extract_epi64(lo, 1), shift);
    out[2] = flm_rescale_sat32(_mm_cvtsi128_si64(hi), shift);
    out[3] = flm_rescale_sat32(_mm_extract_epi64(hi, 1), shift);
}

#ifndef PF_AHEAD
#define PF_AHEAD 4096
#endif

/* the block PF_AHEAD bytes after rows r..r+3 (see matvec_q8_avx2.c) */
INLINE_VNNI void prefetch4(const flm_qmat_t *w, uint32_t r)
{
    const int8_t *q0 = w->q + (size_t)r * w->cols;
    for (size_t o = 0; o < 4 * (size_t)w->cols; o += 64)
        _mm_prefetch((const char *)(q0 + PF_AHEAD + o), _MM_HINT_T0);
    _mm_prefetch((const char *)(w->s + (size_t)r * w->ngroups + PF_AHEAD / 8), _MM_HINT_T0);
}

/* Blocks of four rows, each for n positions while its weights are in L1;
 * a constant gs (the converter's 32) unrolls the group loops. Returns the
 * rows done (a multiple of four). */
INLINE_VNNI uint32_t rows4_n(const flm_qmat_t *w, uint32_t n, const int16_t *x, size_t x_stride,
                             const int32_t *x_shift, int32_t *out, size_t out_stride,
                             int32_t out_shift, uint32_t gs)
{
    uint32_t r = 0;
    for (; r + 4 <= w->rows; r += 4) {
        prefetch4(w, r);
        for (uint32_t b = 0; b < n; b++)
            block4(w, r, x + b * x_stride, out + b * out_stride + r,
                   w->scale_shift + x_shift[b] - out_shift, gs);
    }
    return r;
}

/* Every position of every row: blocks of four (groups of <= 256), the rest
 * one row at a time. */
static VNNI void matmat(const flm_qmat_t *w, uint32_t n, const int16_t *x, size_t x_stride,
                        const int32_t *x_shift, int32_t *out, size_t out_stride,
                        int32_t out_shift)
{
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    uint32_t r = 0;
    if (gs <= 256u)
        r = gs == 32u ? rows4_n(w, n, x, x_stride, x_shift, out, out_stride, out_shift, 32u)
                      : rows4_n(w, n, x, x_stride, x_shift, out, out_stride, out_shift, gs);
    for (; r < w->rows; r++)
        for (uint32_t b = 0; b < n; b++)
            out[b * out_stride + r] = flm_rescale_sat32(
                row_sum(w->q + (size_t)r * cols, x + b * x_stride, w->s + (size_t)r * ng, cols,
                        gs, ng),
                w->scale_shift + x_shift[b] - out_shift);
}

VNNI flm_err_t flm_matvec_q8_s16_avx512vnni(const flm_qmat_t *w, const int16_t *x,
                                            int32_t x_shift, int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    if (w->gs == 32u)
        flm_matvec_q8_s16_avx512vnni_g32(w, x, x_shift, out, out_shift);
    else
        matmat(w, 1, x, 0, &x_shift, out, 0, out_shift);
    return FLM_OK;
}

VNNI flm_err_t flm_matmat_q8_s16_avx512vnni(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                            size_t x_stride, const int32_t *x_shift, int32_t *out,
                                            size_t out_stride, int32_t out_shift)
{
    if (!flm_matmat_args_ok(w, n, x, x_stride, x_shift, out, out_stride, out_shift))
        return FLM_ERR_ARG;
    if (w->gs == 32u)
        flm_matmat_q8_s16_avx512vnni_g32(w, n, x, x_stride, x_shift, out, out_stride, out_shift);
    else
        matmat(w, n, x, x_stride, x_shift, out, out_stride, out_shift);
    return FLM_OK;
}
#endif
