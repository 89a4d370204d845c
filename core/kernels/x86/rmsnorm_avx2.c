/*
 * flm_rmsnorm_s32 with AVX2 (x86-64), integer only and bit-exact with the
 * _ref. Built with target("avx2"); called only where the CPU has it
 * (kernels_select.h, variants.c). Empty off x86-64.
 *
 * The three passes of the _ref over the vector in lanes: the largest
 * magnitude (vpabsd, unsigned max), the sum of squares of the values
 * rounded by k bits (exact int64 lanes, |v| <= 2^23, in any order), and
 * out = rescale(round(x * m >> e) * w) with the _ref's 64-bit products
 * (vpmuldq) and rounding shifts (fixed_avx2.h). The inverse square root
 * between them is the _ref's scalar code, once per call.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h"

FLM_AVX2 flm_err_t flm_rmsnorm_s32_avx2(const int32_t *x, const flm_ivec_t *w, uint32_t eps_q32,
                                        int32_t *out)
{
    if (!x || !w || !w->v || !out || w->n == 0 || w->n > FLM_KERNEL_MAX_COLS ||
        w->shift < 0 || w->shift > 62)
        return FLM_ERR_ARG;
    const uint32_t n = w->n;
    uint32_t bits = flm_bitlen64(flm_amax_avx2(x, n));
    uint32_t k = bits > 23 ? bits - 23 : 0;
    const __m128i ck = flm_count_avx2(k), ck1 = flm_count_avx2(k ? k - 1 : 0);
    __m256i acc = _mm256_setzero_si256();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = flm_load8_avx2(x + i);
        if (k)
            v = flm_round_shr_s32_avx2(v, ck, ck1);
        __m256i vo = flm_odd_avx2(v);
        acc = _mm256_add_epi64(acc, _mm256_add_epi64(_mm256_mul_epi32(v, v), _mm256_mul_epi32(vo, vo)));
    }
    __m128i a2 = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    uint64_t ss = (uint64_t)_mm_cvtsi128_si64(a2) + (uint64_t)_mm_extract_epi64(a2, 1);
    for (; i < n; i++) {
        int64_t v = flm_round_shr64(x[i], k);
        ss += (uint64_t)(v * v);
    }
    /* the _ref's inverse square root */
    uint64_t ms = ss / n + (eps_q32 >> (2 * k));
    if (ms == 0)
        ms = 1;
    int32_t b = (int32_t)flm_bitlen64(ms);
    int32_t two_j = (61 - b) % 2 == 0 ? 61 - b : 62 - b;
    uint64_t root = flm_isqrt_u64(ms << two_j);
    int64_t m = (int64_t)((((uint64_t)1 << 60) + root / 2) / root);
    uint32_t e = (uint32_t)(44 + (int32_t)k - two_j / 2);
    const uint32_t ws = (uint32_t)w->shift;
    const __m128i ce = flm_count_avx2(e), ce1 = flm_count_m1_avx2(e);
    const __m128i cw = flm_count_avx2(ws), cw1 = flm_count_m1_avx2(ws);
    const __m256i vm = _mm256_set1_epi64x(m); /* (2^29, 2^30]: a positive int32 */
    for (i = 0; i + 8 <= n; i += 8) {
        __m256i v = flm_load8_avx2(x + i), g = flm_load8_avx2(w->v + i);
        __m256i xe = flm_round_shr_s64_avx2(_mm256_mul_epi32(v, vm), ce, ce1); /* |xn| <= 2^24 */
        __m256i xo = flm_round_shr_s64_avx2(_mm256_mul_epi32(flm_odd_avx2(v), vm), ce, ce1);
        xe = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(_mm256_mul_epi32(xe, g), cw, cw1));
        xo = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(_mm256_mul_epi32(xo, flm_odd_avx2(g)), cw, cw1));
        flm_store8_avx2(out + i, flm_join_avx2(xe, xo));
    }
    for (; i < n; i++) {
        int64_t xn = flm_round_shr64((int64_t)x[i] * m, e);
        out[i] = flm_rescale_sat32(xn * w->v[i], w->shift);
    }
    return FLM_OK;
}
#endif
