/* flm_matvec_q8_s16 (and flm_matmat_q8_s16) with the Armv8.2-A dot-product
 * extension (AArch64): x split into bytes and three SDOTs a 16 columns of
 * a row (arm/dotprod_q8.h), four rows at a time. Built for +dotprod
 * whatever the build's -march, and run only where the CPU has it
 * (HWCAP_ASIMDDP through flm_hal_cpu_features(); kernels_select.h,
 * variants.c). Empty off AArch64. */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_ARM_DOTPROD
#if !defined(__ARM_FEATURE_DOTPROD)
#pragma GCC target("arch=armv8.2-a+dotprod")
#endif
#include "core/kernels/arm/dotprod_q8.h"

flm_err_t flm_matvec_q8_s16_dotprod(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                    int32_t *out, int32_t out_shift)
{
    return flm_neon_matvec_q8_with(flm_sums4_q8_s16_dotprod, flm_dot_q8_s16_dotprod, w, x,
                                   x_shift, out, out_shift);
}

flm_err_t flm_matmat_q8_s16_dotprod(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                    size_t x_stride, const int32_t *x_shift, int32_t *out,
                                    size_t out_stride, int32_t out_shift)
{
    return flm_neon_matmat_q8_with(flm_sums4_q8_s16_dotprod, flm_dot_q8_s16_dotprod, w, n, x,
                                   x_stride, x_shift, out, out_stride, out_shift);
}
#endif
