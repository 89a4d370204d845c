/*
 * flm_exp_q16 over a vector with AVX-512F (x86-64): fixed_avx512.h's
 * flm_exp_neg_q16_avx512 behind a function, for the tests (exp_avx2.c's
 * twin). Built with target("avx512f"); called only where the CPU has it.
 * Empty off x86-64.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/x86/fixed_avx512.h"

FLM_AVX512 void flm_exp_q16_avx512(const int32_t *x, uint32_t n, uint32_t *e)
{
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i v = _mm512_loadu_si512(x + i);
        /* u = -x for x <= 0 (2^31 for INT32_MIN), 0 for x > 0 */
        __m512i u = _mm512_maskz_sub_epi32(_mm512_cmple_epi32_mask(v, _mm512_setzero_si512()),
                                           _mm512_setzero_si512(), v);
        __m512i ee = flm_exp_neg_q16_avx512(u), eo = flm_exp_neg_q16_avx512(_mm512_srli_epi64(u, 32));
        _mm512_storeu_si512(e + i, flm_join_avx512(ee, eo));
    }
    for (; i < n; i++)
        e[i] = flm_exp_q16(x[i]);
}
#endif
