/*
 * flm_exp_q16 over a vector with AVX2 (x86-64): the kernels' inline
 * flm_exp_neg_q16_avx2 (fixed_avx2.h) behind a function, so the tests can
 * compare it with flm_exp_q16 over (nearly) every argument. Built with
 * target("avx2"); called only where the CPU has it. Empty off x86-64.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/x86/fixed_avx2.h"

FLM_AVX2 void flm_exp_q16_avx2(const int32_t *x, uint32_t n, uint32_t *e)
{
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = flm_load8_avx2(x + i);
        /* exp(x) = exp(-u), u = -x for x <= 0 (2^31 for INT32_MIN), 0 for x > 0 */
        __m256i u = _mm256_andnot_si256(_mm256_cmpgt_epi32(v, _mm256_setzero_si256()),
                                        _mm256_sub_epi32(_mm256_setzero_si256(), v));
        __m256i ee = flm_exp_neg_q16_avx2(flm_even_avx2(u));
        __m256i eo = flm_exp_neg_q16_avx2(flm_odd_avx2(u));
        flm_store8_avx2((int32_t *)(void *)(e + i), flm_join_avx2(ee, eo));
    }
    for (; i < n; i++)
        e[i] = flm_exp_q16(x[i]);
}
#endif
