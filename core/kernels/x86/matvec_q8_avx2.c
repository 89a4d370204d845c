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

#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q8_impl.h"

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

/* Groups of <= 256 columns, four at a time. Inlined into each caller so a
 * constant gs unrolls the group loops. */
static inline __attribute__((always_inline)) AVX2 int64_t row_groups(const int8_t *qr, const int16_t *x, const int32_t *sr,
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
        /* one to three groups left, the last maybe short; the missing ones
         * are zero (no arrays: they would live on the stack) */
        uint32_t left = ng - g, last = cols - (c + (left - 1) * gs);
        __m256i z = _mm256_setzero_si256();
        __m256i v0 = group_lanes(qr + c, x + c, left == 1 ? last : gs);
        __m256i v1 = left < 2 ? z : group_lanes(qr + c + gs, x + c + gs, left == 2 ? last : gs);
        __m256i v2 = left < 3 ? z : group_lanes(qr + c + 2 * gs, x + c + 2 * gs, last);
        __m128i s = _mm_setr_epi32(sr[g], left < 2 ? 0 : sr[g + 1], left < 3 ? 0 : sr[g + 2], 0);
        acc = _mm256_add_epi64(acc, scaled4(v0, v1, v2, z, s));
    }
    return hsum_epi64(acc);
}

/* Rows of one or two groups (cols <= 2 gs, gs <= 256): four groups of two
 * or four consecutive rows share one reduction (their scales are
 * contiguous). Returns the rows done; the caller finishes the others. */
static inline __attribute__((always_inline)) AVX2 uint32_t
rows_short(const flm_qmat_t *w, const int16_t *x, int32_t *out, int32_t shift, uint32_t gs)
{
    const uint32_t cols = w->cols, ng = w->ngroups;
    uint32_t r = 0;
    if (ng == 2) {
        for (; r + 2 <= w->rows; r += 2) {
            const int8_t *q0 = w->q + (size_t)r * cols, *q1 = q0 + cols;
            __m256i p = scaled4(group_lanes(q0, x, gs), group_lanes(q0 + gs, x + gs, cols - gs),
                                group_lanes(q1, x, gs), group_lanes(q1 + gs, x + gs, cols - gs),
                                _mm_loadu_si128((const __m128i *)(const void *)(w->s + 2 * r)));
            __m128i a = _mm256_castsi256_si128(p), b = _mm256_extracti128_si256(p, 1);
            out[r] = flm_rescale_sat32(_mm_cvtsi128_si64(_mm_add_epi64(a, _mm_unpackhi_epi64(a, a))),
                                       shift);
            out[r + 1] = flm_rescale_sat32(
                _mm_cvtsi128_si64(_mm_add_epi64(b, _mm_unpackhi_epi64(b, b))), shift);
        }
    } else if (ng == 1) {
        for (; r + 4 <= w->rows; r += 4) {
            const int8_t *q0 = w->q + (size_t)r * cols;
            __m256i p = scaled4(group_lanes(q0, x, cols), group_lanes(q0 + cols, x, cols),
                                group_lanes(q0 + 2 * cols, x, cols),
                                group_lanes(q0 + 3 * cols, x, cols),
                                _mm_loadu_si128((const __m128i *)(const void *)(w->s + r)));
            __m128i a = _mm256_castsi256_si128(p), b = _mm256_extracti128_si256(p, 1);
            out[r] = flm_rescale_sat32(_mm_cvtsi128_si64(a), shift);
            out[r + 1] = flm_rescale_sat32(_mm_extract_epi64(a, 1), shift);
            out[r + 2] = flm_rescale_sat32(_mm_cvtsi128_si64(b), shift);
            out[r + 3] = flm_rescale_sat32(_mm_extract_epi64(b, 1), shift);
        }
    }
    return r;
}

#ifndef PF_AHEAD
#define PF_AHEAD 4096
#endif

/* The group sums of four rows at one group, one int32 lane a row: the
 * lanes of each row's group added across (hadd tree, then the halves). */
static inline AVX2 __m128i sums4(__m256i v0, __m256i v1, __m256i v2, __m256i v3)
{
    __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1), _mm256_hadd_epi32(v2, v3));
    return _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
}

/* sums (one a row) times scales (one a row) as exact int64, added to acc */
static inline AVX2 __m256i acc4(__m256i acc, __m128i sums, __m128i scales)
{
    return _mm256_add_epi64(acc, _mm256_mul_epi32(_mm256_cvtepi32_epi64(sums),
                                                  _mm256_cvtepi32_epi64(scales)));
}

/* Four consecutive rows at once (groups of <= 256 columns), rows r..r+3 of
 * w into out[0..3]: each group's x is loaded once for the four, the four
 * group sums share one reduction and their scales are taken four groups at
 * a time, transposed. The four int64 row sums are exact, as in the _ref;
 * rounded by the same flm_rescale_sat32. */
static inline __attribute__((always_inline)) AVX2 void
block4(const flm_qmat_t *w, uint32_t r, const int16_t *x, int32_t *out, int32_t shift,
       uint32_t gs)
{
    const uint32_t cols = w->cols, ng = w->ngroups;
    const int8_t *q0 = w->q + (size_t)r * cols, *q1 = q0 + cols, *q2 = q1 + cols, *q3 = q2 + cols;
    const int32_t *s0 = w->s + (size_t)r * ng;
    __m256i acc = _mm256_setzero_si256();
    uint32_t g = 0, c = 0;
    /* four groups at a time: all full (a short group is a row's last) */
    for (; g + 4 < ng || (g + 4 == ng && cols - c == 4 * gs); g += 4) {
        __m128i sm[4];
        for (int k = 0; k < 4; k++, c += gs)
            sm[k] = sums4(group_lanes(q0 + c, x + c, gs), group_lanes(q1 + c, x + c, gs),
                          group_lanes(q2 + c, x + c, gs), group_lanes(q3 + c, x + c, gs));
        /* rows x groups of scales to groups x rows */
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

/* the block PF_AHEAD bytes after rows r..r+3: the matrix is one stream of
 * bytes that four rows read out of order, which the hardware's prefetcher
 * follows less well (past the matrix's end a prefetch is only a hint) */
static inline __attribute__((always_inline)) AVX2 void prefetch4(const flm_qmat_t *w, uint32_t r)
{
    const int8_t *q0 = w->q + (size_t)r * w->cols;
    for (size_t o = 0; o < 4 * (size_t)w->cols; o += 64)
        _mm_prefetch((const char *)(q0 + PF_AHEAD + o), _MM_HINT_T0);
    _mm_prefetch((const char *)(w->s + (size_t)r * w->ngroups + PF_AHEAD / 8), _MM_HINT_T0);
}

/* All rows in blocks of four; returns the rows done (a multiple of four). */
static inline __attribute__((always_inline)) AVX2 uint32_t
rows4(const flm_qmat_t *w, const int16_t *x, int32_t *out, int32_t shift, uint32_t gs)
{
    uint32_t r = 0;
    for (; r + 4 <= w->rows; r += 4) {
        prefetch4(w, r);
        block4(w, r, x, out + r, shift, gs);
    }
    return r;
}

/* Blocks of four rows, each for n positions while its weights are in L1
 * (out of position b at out + b * out_stride); returns the rows done. */
static inline __attribute__((always_inline)) AVX2 uint32_t
rows4_n(const flm_qmat_t *w, uint32_t n, const int16_t *x, size_t x_stride,
        const int32_t *x_shift, int32_t *out, size_t out_stride, int32_t out_shift, uint32_t gs)
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

AVX2 flm_err_t flm_matvec_q8_s16_avx2(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                      int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    uint32_t r = 0;
    if (ng <= 2 && gs <= 256u)
        r = gs == 32u ? rows_short(w, x, out, shift, 32u) : rows_short(w, x, out, shift, gs);
    else if (gs <= 256u)
        r = gs == 32u ? rows4(w, x, out, shift, 32u) : rows4(w, x, out, shift, gs);
    for (; r < w->rows; r++) {
        const int8_t *qr = w->q + (size_t)r * cols;
        const int32_t *sr = w->s + (size_t)r * ng;
        /* groups of 32: the converter's default */
        int64_t acc = gs == 32u    ? row_groups(qr, x, sr, cols, 32u, ng)
                      : gs <= 256u ? row_groups(qr, x, sr, cols, gs, ng)
                                   : row_long_groups(qr, x, sr, cols, gs, ng);
        out[r] = flm_rescale_sat32(acc, shift);
    }
    return FLM_OK;
}
/* n positions at once (batched prefill): the same bits as n calls of the
 * matvec. Blocks of four rows run every position while their weights are
 * in L1, so the matrix is read from memory once for the n. */
AVX2 flm_err_t flm_matmat_q8_s16_avx2(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                      size_t x_stride, const int32_t *x_shift, int32_t *out,
                                      size_t out_stride, int32_t out_shift)
{
    if (!flm_matmat_args_ok(w, n, x, x_stride, x_shift, out, out_stride, out_shift))
        return FLM_ERR_ARG;
    uint32_t r = 0;
    if (w->ngroups > 2 && w->gs <= 256u)
        r = w->gs == 32u ? rows4_n(w, n, x, x_stride, x_shift, out, out_stride, out_shift, 32u)
                         : rows4_n(w, n, x, x_stride, x_shift, out, out_stride, out_shift, w->gs);
    if (r < w->rows) {
        /* the rows left (or every row of a short or long-group matrix) */
        flm_qmat_t rest = *w;
        rest.q += (size_t)r * w->cols;
        rest.s += (size_t)r * w->ngroups;
        rest.rows = w->rows - r;
        for (uint32_t b = 0; b < n; b++)
            (void)flm_matvec_q8_s16_avx2(&rest, x + b * x_stride, x_shift[b],
                                         out + b * out_stride + r, out_shift);
    }
    return FLM_OK;
}
#endif

