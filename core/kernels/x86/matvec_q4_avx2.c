/*
 * flm_matvec_q4_s16 with AVX2 (x86-64), integer only and bit-exact with the
 * _ref. Built with target("avx2") like the int8 one (matvec_q8_avx2.c) and
 * called only where the CPU has AVX2. Empty off x86-64.
 *
 * The nibbles of 16 bytes are split (mask, shift), sign-extended by a
 * 16-entry table lookup (vpshufb) and interleaved back into column order:
 * 32 int8 values, then the int8 kernel's path (sign-extend to int16,
 * vpmaddwd). Every group sum is exact in int32 lanes (|product| <= 2^18,
 * <= 256 columns; longer groups in 256-column pieces summed in int64, as
 * the _ref), each times its scale an exact int64 (vpmuldq), the row total
 * exact in any order, and rounded by the same flm_rescale_sat32.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include <immintrin.h>
#include <string.h>

#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q4_impl.h"

#define AVX2 __attribute__((target("avx2")))

/* int4 value of each nibble, for vpshufb */
static const int8_t s4_table[16] = { 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1 };

/* The n (16 or 8) low bytes of b as 2n int8 values in column order. */
static inline __attribute__((always_inline)) AVX2 void spread(__m128i b, __m128i *v0, __m128i *v1)
{
    const __m128i table = _mm_loadu_si128((const __m128i *)(const void *)s4_table);
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m128i even = _mm_shuffle_epi8(table, _mm_and_si128(b, low4));
    __m128i odd = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(b, 4), low4));
    *v0 = _mm_unpacklo_epi8(even, odd);
    *v1 = _mm_unpackhi_epi8(even, odd);
}

/* Eight int32 lanes that add up to sum v[i] * x[i] over n <= 256 columns
 * starting at the low nibble of q[0]. Reads exactly the bytes of n
 * columns (no over-read past a matrix's end). */
static inline __attribute__((always_inline)) AVX2 __m256i group_lanes(const uint8_t *q, const int16_t *x, uint32_t n)
{
    __m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
    __m128i v0, v1;
    for (; n >= 32; n -= 32, q += 16, x += 32) {
        spread(_mm_loadu_si128((const __m128i *)(const void *)q), &v0, &v1);
        a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_cvtepi8_epi16(v0),
                                                  _mm256_loadu_si256((const __m256i *)(const void *)x)));
        b = _mm256_add_epi32(b, _mm256_madd_epi16(_mm256_cvtepi8_epi16(v1),
                                                  _mm256_loadu_si256((const __m256i *)(const void *)(x + 16))));
    }
    if (n >= 16) {
        spread(_mm_loadl_epi64((const __m128i *)(const void *)q), &v0, &v1);
        a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_cvtepi8_epi16(v0),
                                                  _mm256_loadu_si256((const __m256i *)(const void *)x)));
        n -= 16, q += 8, x += 16;
    }
    if (n >= 8) {
        int32_t w4;
        memcpy(&w4, q, 4);
        spread(_mm_cvtsi32_si128(w4), &v0, &v1);
        __m128i p = _mm_madd_epi16(_mm_cvtepi8_epi16(v0), _mm_loadu_si128((const __m128i *)(const void *)x));
        b = _mm256_add_epi32(b, _mm256_zextsi128_si256(p));
        n -= 8, q += 4, x += 8;
    }
    if (n) {
        int32_t t = 0;
        for (uint32_t i = 0; i < n; i++)
            t += flm_nibble_s4(i % 2u ? (uint32_t)q[i / 2] >> 4 : q[i / 2] & 15u) * x[i];
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

/* The four group sums of four lane vectors, each times its scale as an
 * exact int64. */
static inline AVX2 __m256i scaled4(__m256i v0, __m256i v1, __m256i v2, __m256i v3,
                                   __m128i scales)
{
    __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1), _mm256_hadd_epi32(v2, v3));
    __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    return _mm256_mul_epi32(_mm256_cvtepi32_epi64(sums), _mm256_cvtepi32_epi64(scales));
}

/* Groups longer than 256 columns: int32 pieces of 256 summed in int64. */
static AVX2 int64_t row_long_groups(const uint8_t *qr, const int16_t *x, const int32_t *sr,
                                    uint32_t cols, uint32_t gs, uint32_t ng)
{
    int64_t acc = 0;
    for (uint32_t g = 0, c = 0; g < ng; g++, c += gs) {
        uint32_t len = cols - c < gs ? cols - c : gs;
        int64_t sum = 0;
        for (uint32_t o = 0; o < len; o += 256)
            sum += hsum_epi32(group_lanes(qr + (c + o) / 2, x + c + o, len - o < 256u ? len - o : 256u));
        acc += sum * sr[g];
    }
    return acc;
}

/* Groups of <= 256 columns, four at a time (group g starts at byte
 * g * gs / 2: gs is even unless there is one group). Inlined so a
 * constant gs unrolls the group loops. */
static inline __attribute__((always_inline)) AVX2 int64_t
row_groups(const uint8_t *qr, const int16_t *x, const int32_t *sr, uint32_t cols, uint32_t gs,
           uint32_t ng)
{
    __m256i acc = _mm256_setzero_si256();
    uint32_t g = 0, c = 0;
    for (; g + 4 <= ng; g += 4, c += 4 * gs) {
        uint32_t last = cols - (c + 3 * gs) < gs ? cols - (c + 3 * gs) : gs;
        __m256i v0 = group_lanes(qr + c / 2, x + c, gs);
        __m256i v1 = group_lanes(qr + (c + gs) / 2, x + c + gs, gs);
        __m256i v2 = group_lanes(qr + (c + 2 * gs) / 2, x + c + 2 * gs, gs);
        __m256i v3 = group_lanes(qr + (c + 3 * gs) / 2, x + c + 3 * gs, last);
        __m128i s = _mm_loadu_si128((const __m128i *)(const void *)(sr + g));
        acc = _mm256_add_epi64(acc, scaled4(v0, v1, v2, v3, s));
    }
    if (g < ng) {
        uint32_t left = ng - g, last = cols - (c + (left - 1) * gs);
        __m256i z = _mm256_setzero_si256();
        __m256i v0 = group_lanes(qr + c / 2, x + c, left == 1 ? last : gs);
        __m256i v1 = left < 2 ? z : group_lanes(qr + (c + gs) / 2, x + c + gs, left == 2 ? last : gs);
        __m256i v2 = left < 3 ? z : group_lanes(qr + (c + 2 * gs) / 2, x + c + 2 * gs, last);
        __m128i s = _mm_setr_epi32(sr[g], left < 2 ? 0 : sr[g + 1], left < 3 ? 0 : sr[g + 2], 0);
        acc = _mm256_add_epi64(acc, scaled4(v0, v1, v2, z, s));
    }
    return hsum_epi64(acc);
}

/* Rows of one or two groups (cols <= 2 gs, gs <= 256): four groups of two
 * or four consecutive rows share one reduction (their scales are
 * contiguous), as in the int8 kernel. Returns the rows done. */
static inline __attribute__((always_inline)) AVX2 uint32_t
rows_short(const flm_qmat_t *w, const int16_t *x, int32_t *out, int32_t shift, uint32_t gs)
{
    const uint32_t cols = w->cols, ng = w->ngroups;
    const size_t rb = ((size_t)cols + 1) / 2;
    const uint8_t *q = (const uint8_t *)w->q;
    uint32_t r = 0;
    if (ng == 2) { /* gs even: the second group starts at byte gs / 2 */
        for (; r + 2 <= w->rows; r += 2) {
            const uint8_t *q0 = q + (size_t)r * rb, *q1 = q0 + rb;
            __m256i p = scaled4(group_lanes(q0, x, gs), group_lanes(q0 + gs / 2, x + gs, cols - gs),
                                group_lanes(q1, x, gs), group_lanes(q1 + gs / 2, x + gs, cols - gs),
                                _mm_loadu_si128((const __m128i *)(const void *)(w->s + 2 * r)));
            __m128i a = _mm256_castsi256_si128(p), b = _mm256_extracti128_si256(p, 1);
            out[r] = flm_rescale_sat32(_mm_cvtsi128_si64(_mm_add_epi64(a, _mm_unpackhi_epi64(a, a))), shift);
            out[r + 1] = flm_rescale_sat32(_mm_cvtsi128_si64(_mm_add_epi64(b, _mm_unpackhi_epi64(b, b))), shift);
        }
    } else if (ng == 1) {
        for (; r + 4 <= w->rows; r += 4) {
            const uint8_t *q0 = q + (size_t)r * rb;
            __m256i p = scaled4(group_lanes(q0, x, cols), group_lanes(q0 + rb, x, cols),
                                group_lanes(q0 + 2 * rb, x, cols), group_lanes(q0 + 3 * rb, x, cols),
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

AVX2 flm_err_t flm_matvec_q4_s16_avx2(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                      int32_t *out, int32_t out_shift)
{
    if (!flm_matvec_q4_args_ok(w, x, x_shift, out, out_shift))
        return FLM_ERR_ARG;
    const uint32_t cols = w->cols, gs = w->gs, ng = w->ngroups;
    const size_t row_bytes = ((size_t)cols + 1) / 2;
    const int32_t shift = w->scale_shift + x_shift - out_shift;
    const uint8_t *q = (const uint8_t *)w->q;
    uint32_t r = 0;
    if (ng <= 2 && gs <= 256u)
        r = gs == 32u ? rows_short(w, x, out, shift, 32u) : rows_short(w, x, out, shift, gs);
    for (; r < w->rows; r++) {
        const uint8_t *qr = q + (size_t)r * row_bytes;
        const int32_t *sr = w->s + (size_t)r * ng;
        /* groups of 32: the converter's default */
        int64_t acc = gs == 32u    ? row_groups(qr, x, sr, cols, 32u, ng)
                      : gs <= 256u ? row_groups(qr, x, sr, cols, gs, ng)
                                   : row_long_groups(qr, x, sr, cols, gs, ng);
        out[r] = flm_rescale_sat32(acc, shift);
    }
    return FLM_OK;
}
#endif
