/*
 * flm_rope_s32 with AVX2 (x86-64), integer only and bit-exact with the
 * _ref. Built with target("avx2"); called only where the CPU has it
 * (kernels_select.h, variants.c). Empty off x86-64.
 *
 * The _ref's sin/cos per pair (flm_sincos_q30), once per call into a table
 * laid out like the vector (c, c per pair; -s, s), then four pairs a step:
 * each output a * c - b * s or a * s + b * c of exact 64-bit products
 * (vpmuldq of the vector and of its pair-swapped copy), rounded by 30 bits
 * and saturated as in the _ref.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h"

FLM_AVX2 flm_err_t flm_rope_s32_avx2(int32_t *v, uint32_t n, uint32_t head_dim,
                                     const uint32_t *freq, uint32_t pos)
{
    if (!v || !freq || head_dim == 0 || head_dim % 2 || n % head_dim)
        return FLM_ERR_ARG;
    if (head_dim > FLM_KERNEL_MAX_HEAD) /* beyond the table */
        return flm_rope_s32_ref(v, n, head_dim, freq, pos);
    int32_t cs[FLM_KERNEL_MAX_HEAD], sn[FLM_KERNEL_MAX_HEAD];
    for (uint32_t i = 0; i < head_dim; i += 2) {
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
