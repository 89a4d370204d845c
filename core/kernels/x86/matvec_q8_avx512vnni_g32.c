/*
 * The AVX-512 VNNI int8 matvec and matmat for groups of 32 columns (the
 * converter's default), called by flm_matvec_q8_s16_avx512vnni and
 * flm_matmat_q8_s16_avx512vnni (matvec_q8_avx512vnni.c) for those; integer
 * only and bit-exact with the _ref. Empty off x86-64.
 *
 * Why it is faster than sign-extending the weights (vpmovsxbw) and adding
 * each group's lanes across (the shuffles of a reduction tree): both run
 * on the one shuffle port, and cost more than the products. Here:
 *  - each int16 input x = 256 xh + xl is split once per position into
 *    bytes, xl = x & 255 (unsigned) and xh = x >> 8 (signed), kept on the
 *    stack; vpdpbusd (unsigned bytes x signed bytes, four products a lane)
 *    then takes the weights' raw bytes: W xl directly, W xh as (W + 128) xh
 *    (the weights' top bit flipped), less 128 sum(xh) of the group, which
 *    depends only on x and starts the lane;
 *  - the weights of 16 rows x one group (32 bytes a row) are transposed
 *    once so that each vector holds the same four columns of the 16 rows:
 *    multiplied by those four inputs broadcast (a load, no shuffle), eight
 *    vectors leave one lane a row with that row's whole group sum, and no
 *    sums are added across lanes. The transpose and the bit flip are shared
 *    by every position of a matmat;
 *  - lane = 256 (sum (W + 128) xh - 128 sum xh) + sum W xl = sum W x: every
 *    step is an int32 addition (wrapping, so any order gives the same bits
 *    mod 2^32) and the true group sum is below 2^27 in magnitude, so the
 *    lane is that exact sum; times the group scale as an exact int64
 *    (vpmuldq, even and odd rows), added into the row's int64 total
 *    (< 2^61, exact in any order), rounded once by flm_rescale_sat32 as in
 *    the _ref.
 * The scales of a block's group are gathered (vpgatherdd) straight from
 * the matrix. No heap: the split inputs (XB_BYTES / 2 columns x positions:
 * 12288 columns for the matvec, 768 for 16 positions, so the llama2.c
 * 15M and 110M shapes' rows but 110M's 2048 are one chunk) and the int64
 * totals live on the stack (about 34 KB); longer rows are taken in column
 * chunks whose totals add up, a span of blocks at a time, each chunk split
 * again for each span.
 *
 * Speed on one Sapphire-Rapids-class core (2 ports for 512-bit work): the
 * matmat of 16 positions shares the transpose and runs about twice the old
 * sign-extending kernel; the matvec pays the transpose for its one position
 * and gains less (see the README's kernel notes).
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include <immintrin.h>

#include "core/kernels/priv/fixed.h"
#include "core/kernels/priv/matvec_q8_x86.h"

#define VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vnni")))
#define INLINE_VNNI static inline __attribute__((always_inline)) VNNI

/* independent vpdpbusd chains a group when there are few positions */
#ifndef NCH
#define NCH 2
#endif

enum {
    GS = 32,            /* the group size this file handles */
    XB_BYTES = 24576,   /* split inputs of a pass: positions x chunk x 2 bytes */
    ACC_ZMM = 128,      /* int64 totals of a span of blocks: 8 KB */
};

/* Split x[c0 .. c0 + cc) (cc a multiple of 32) into xl, xh and the groups'
 * corrections; columns at or past cols are zeros. */
INLINE_VNNI void split_x(const int16_t *x, uint32_t c0, uint32_t cc, uint32_t cols, uint8_t *xl,
                         int8_t *xh, int32_t *corr)
{
    const __m512i ones = _mm512_set1_epi16(1);
    for (uint32_t c = 0; c < cc; c += GS) {
        uint32_t left = c0 + c < cols ? cols - (c0 + c) : 0;
        __mmask32 m = left >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << left) - 1u);
        __m512i v = _mm512_maskz_loadu_epi16(m, (const void *)(x + c0 + c));
        __m512i h = _mm512_srai_epi16(v, 8);
        _mm256_storeu_si256((__m256i *)(void *)(xl + c), _mm512_cvtepi16_epi8(v));
        _mm256_storeu_si256((__m256i *)(void *)(xh + c), _mm512_cvtepi16_epi8(h));
        corr[c / GS] = -128 * _mm512_reduce_add_epi32(_mm512_madd_epi16(h, ones));
    }
}

/* Rows k and k + 8 of a block at one group: 32 bytes each (n < 32 of them
 * left in the row: the rest zeros, nothing read past them). */
INLINE_VNNI __m512i load_pair(const int8_t *a, const int8_t *b, uint32_t n)
{
    if (n >= 32)
        return _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)a)),
            _mm256_loadu_si256((const __m256i *)(const void *)b), 1);
    __mmask32 m = (__mmask32)((1u << n) - 1u);
    return _mm512_inserti64x4(_mm512_maskz_loadu_epi8((__mmask64)m, a),
                              _mm512_castsi512_si256(_mm512_maskz_loadu_epi8((__mmask64)m, b)), 1);
}

/* Eight vectors z[k] = rows k | k + 8 (32 bytes each) to t[m]: lane k (of
 * 16) = the four bytes of dword m of row k. An 8 x 8 dword transpose in
 * each 256-bit half: pairs of dwords, then of qwords, then 128-bit lanes. */
INLINE_VNNI void transpose(const __m512i z[8], __m512i t[8])
{
    __m512i a[8], d[4], e[4];
    _Pragma("GCC unroll 16")
    for (int i = 0; i < 4; i++) {
        a[2 * i] = _mm512_unpacklo_epi32(z[2 * i], z[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_epi32(z[2 * i], z[2 * i + 1]);
    }
    /* d[j] (rows 0-3 | 8-11), e[j] (rows 4-7 | 12-15): 128-bit lane L of
     * each half holds dword 4L + j of its four rows */
    d[0] = _mm512_unpacklo_epi64(a[0], a[2]);
    d[1] = _mm512_unpackhi_epi64(a[0], a[2]);
    d[2] = _mm512_unpacklo_epi64(a[1], a[3]);
    d[3] = _mm512_unpackhi_epi64(a[1], a[3]);
    e[0] = _mm512_unpacklo_epi64(a[4], a[6]);
    e[1] = _mm512_unpackhi_epi64(a[4], a[6]);
    e[2] = _mm512_unpacklo_epi64(a[5], a[7]);
    e[3] = _mm512_unpackhi_epi64(a[5], a[7]);
    _Pragma("GCC unroll 16")
    for (int j = 0; j < 4; j++) {
        /* dword j: lanes (d.0, e.0, d.2, e.2); dword 4 + j: (d.1, e.1, d.3, e.3) */
        t[j] = _mm512_mask_shuffle_i32x4(d[j], (__mmask16)0xF0F0, e[j], e[j], 0x80);
        t[4 + j] = _mm512_mask_shuffle_i32x4(e[j], (__mmask16)0x0F0F, d[j], d[j], 0x31);
    }
}

/* Group g of a 16-row block (row k at q0 + off[k]: the rows past the
 * matrix's end repeat its last one), n of its columns in the row: the
 * weights transposed once, then for each of np positions the 16 group sums
 * times the 16 scales added into acc[2p] (even rows) and acc[2p + 1] (odd
 * rows). se, so: the scales (even and odd rows, in the low dwords of
 * qwords); xb: the split inputs of the chunk (cc columns a position), corr
 * their groups' corrections; pf: 512 bytes to prefetch. */
INLINE_VNNI void group16(const int8_t *q0, const size_t off[16], uint32_t g, uint32_t n,
                         __m512i se, __m512i so, uint32_t np, const uint8_t *xb, uint32_t cc,
                         const int32_t *corr, const int8_t *pf, __m512i *acc)
{
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const uint32_t c = g * GS;
    /* one pointer for the 16 rows (not 16 induction variables: the
     * compiler would keep them in memory and add to each every group) */
    const int8_t *base = q0 + c;
    __asm__("" : "+r"(base));
    __m512i z[8], t[8], tx[8];
    _Pragma("GCC unroll 16")
    for (uint32_t k = 0; k < 8; k++)
        z[k] = load_pair(base + off[k], base + off[k + 8], n);
    /* the next block's bytes, 512 a group: the hardware prefetcher follows
     * 16 interleaved streams less well (past the matrix's end a prefetch
     * is only a hint) */
    _Pragma("GCC unroll 16")
    for (uint32_t i = 0; i < 8; i++)
        _mm_prefetch((const char *)(pf + 64 * i), _MM_HINT_T0);
    transpose(z, t);
    _Pragma("GCC unroll 16")
    for (int m = 0; m < 8; m++)
        tx[m] = _mm512_xor_si512(t[m], flip);
    for (uint32_t p = 0; p < np; p++) {
        const int32_t *xl = (const int32_t *)(const void *)(xb + 2u * cc * p + c);
        const int32_t *xh = (const int32_t *)(const void *)(xb + 2u * cc * p + cc + c);
        __m512i v = _mm512_set1_epi32(corr[p * (cc / GS) + g]);
        if (np < 4) {
            /* few positions: independent chains of 8 / NCH (each vpdpbusd
             * waits for the last; many positions' chains overlap) */
            __m512i h[NCH], l[NCH];
            _Pragma("GCC unroll 16")
            for (int i = 0; i < NCH; i++)
                h[i] = i ? _mm512_setzero_si512() : v, l[i] = _mm512_setzero_si512();
            _Pragma("GCC unroll 16")
            for (int m = 0; m < 8; m++) {
                h[m % NCH] = _mm512_dpbusd_epi32(h[m % NCH], tx[m], _mm512_set1_epi32(xh[m]));
                l[m % NCH] = _mm512_dpbusd_epi32(l[m % NCH], _mm512_set1_epi32(xl[m]), t[m]);
            }
            _Pragma("GCC unroll 16")
            for (int i = 1; i < NCH; i++)
                h[0] = _mm512_add_epi32(h[0], h[i]), l[0] = _mm512_add_epi32(l[0], l[i]);
            v = _mm512_add_epi32(_mm512_slli_epi32(h[0], 8), l[0]);
        } else {
            _Pragma("GCC unroll 16")
            for (int m = 0; m < 8; m++)
                v = _mm512_dpbusd_epi32(v, tx[m], _mm512_set1_epi32(xh[m]));
            v = _mm512_slli_epi32(v, 8);
            _Pragma("GCC unroll 16")
            for (int m = 0; m < 8; m++)
                v = _mm512_dpbusd_epi32(v, _mm512_set1_epi32(xl[m]), t[m]);
        }
        acc[2 * p] = _mm512_add_epi64(acc[2 * p], _mm512_mul_epi32(v, se));
        acc[2 * p + 1] =
            _mm512_add_epi64(acc[2 * p + 1], _mm512_mul_epi32(_mm512_srli_epi64(v, 32), so));
    }
}

/* A 16-row block over the ngc groups of a chunk (left columns from its
 * start to the row's end): the full groups, then a short last one. Each
 * group's 16 scales (rows at s0 + idx[k]) are gathered: one instruction,
 * where 16 scalar copies would stall the vector load that reads them. */
INLINE_VNNI void block16(const int8_t *q0, const size_t off[16], const int32_t *s0, __m512i idx,
                         uint32_t ngc, uint32_t left, uint32_t np, const uint8_t *xb, uint32_t cc,
                         const int32_t *corr, const int8_t *pf, __m512i *acc)
{
    uint32_t g = 0;
    for (; g < ngc; g++) {
        __m512i sc = _mm512_i32gather_epi32(idx, (const void *)(s0 + g), 4);
        uint32_t n = (g + 1) * GS <= left ? GS : left - g * GS;
        if (n == GS)
            group16(q0, off, g, GS, sc, _mm512_srli_epi64(sc, 32), np, xb, cc, corr,
                    pf + 512 * g, acc);
        else
            group16(q0, off, g, n, sc, _mm512_srli_epi64(sc, 32), np, xb, cc, corr,
                    pf + 512 * g, acc);
    }
}

/* np (<= FLM_G32_MAXP) positions of every row: blocks of 16 rows (the
 * last one's missing rows repeat the last row, their sums unused), in
 * column chunks of cc. One chunk: each block is finished before the next.
 * More: a span of blocks keeps its int64 totals while the chunks go by,
 * each chunk split again for each span. */
INLINE_VNNI void pass(const flm_qmat_t *w, uint32_t np, const int16_t *x, size_t x_stride,
                      const int32_t *x_shift, int32_t *out, size_t out_stride, int32_t out_shift)
{
    const uint32_t rows = w->rows, cols = w->cols, ng = w->ngroups;
    const uint32_t cols32 = ng * GS;
    uint32_t cc = (XB_BYTES / 2u / np) & ~(uint32_t)(GS - 1);
    cc = cc > cols32 ? cols32 : cc;
    const uint32_t nchunks = (cols32 + cc - 1) / cc;
    const uint32_t span = nchunks == 1 ? 1u : ACC_ZMM / (2u * np);
    __attribute__((aligned(64))) uint8_t xb[XB_BYTES];
    int32_t corr[XB_BYTES / 2 / GS];
    __m512i acc[ACC_ZMM];
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i idx16 = _mm512_mullo_epi32(lane, _mm512_set1_epi32((int)ng));
    for (uint32_t r0 = 0; r0 < rows; r0 += 16u * span) {
        const uint32_t nb = (rows - r0 + 15u) / 16u < span ? (rows - r0 + 15u) / 16u : span;
        for (uint32_t i = 0; i < 2u * np * nb; i++)
            acc[i] = _mm512_setzero_si512();
        for (uint32_t c0 = 0; c0 < cols32; c0 += cc) {
            const uint32_t ccur = cols32 - c0 < cc ? cols32 - c0 : cc, ngc = ccur / GS;
            if (nchunks > 1 || r0 == 0)
                for (uint32_t p = 0; p < np; p++)
                    split_x(x + p * x_stride, c0, ccur, cols, xb + 2u * cc * p,
                            (int8_t *)(xb + 2u * cc * p + cc), corr + p * (cc / GS));
            for (uint32_t b = 0; b < nb; b++) {
                const uint32_t r = r0 + 16u * b;
                const int32_t *s0 = w->s + (size_t)r * ng + c0 / GS;
                const uint32_t kv = rows - r < 16u ? rows - r : 16u;
                size_t off[16];
                for (uint32_t k = 0; k < 16; k++)
                    off[k] = (size_t)(k < kv ? k : kv - 1u) * cols;
                __m512i idx = kv == 16u ? idx16
                                        : _mm512_mullo_epi32(
                                              _mm512_min_epu32(lane, _mm512_set1_epi32((int)kv - 1)),
                                              _mm512_set1_epi32((int)ng));
                block16(w->q + (size_t)r * cols + c0, off, s0, idx, ngc, cols - c0, np, xb, cc,
                        corr, w->q + (size_t)(r + 16u) * cols + 16u * c0, acc + 2u * np * b);
            }
        }
        for (uint32_t b = 0; b < nb; b++)
            for (uint32_t p = 0; p < np; p++) {
                const int32_t shift = w->scale_shift + x_shift[p] - out_shift;
                int64_t t[2][8];
                _mm512_storeu_si512((void *)t[0], acc[2u * (np * b + p)]);
                _mm512_storeu_si512((void *)t[1], acc[2u * (np * b + p) + 1]);
                for (uint32_t k = 0; k < 16; k++) {
                    uint32_t row = r0 + 16u * b + k;
                    if (row < rows)
                        out[p * out_stride + row] = flm_rescale_sat32(t[k & 1][k / 2], shift);
                }
            }
    }
}

VNNI void flm_matvec_q8_s16_avx512vnni_g32(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                           int32_t *out, int32_t out_shift)
{
    pass(w, 1, x, 0, &x_shift, out, 0, out_shift);
}

VNNI void flm_matmat_q8_s16_avx512vnni_g32(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                           size_t x_stride, const int32_t *x_shift, int32_t *out,
                                           size_t out_stride, int32_t out_shift)
{
    for (uint32_t b = 0; b < n; b += FLM_G32_MAXP) {
        uint32_t np = n - b < FLM_G32_MAXP ? n - b : FLM_G32_MAXP;
        pass(w, np, x + b * x_stride, x_stride, x_shift + b, out + b * out_stride, out_stride,
             out_shift);
    }
}

#endif
