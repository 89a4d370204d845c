/* flm_matvec_q8_s16 (and flm_matmat_q8_s16) with the Armv8.2-A dot-product
 * extension (AArch64): x split into bytes and two SDOTs a 16 columns of a
 * row where every x < 32640, else three (arm/dotprod_q8.h), four rows at a
 * time. Built for +dotprod
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
    /* the two-SDOT split where it fits (checked before any use of x) */
    if (w && x && flm_dotprod_fits2(x, w->cols <= FLM_KERNEL_MAX_COLS ? w->cols : 0))
        return flm_neon_matvec_q8_with(flm_sums4_2_q8_s16_dotprod, flm_dot2_q8_s16_dotprod, w, x,
                                       x_shift, out, out_shift);
    return flm_neon_matvec_q8_with(flm_sums4_q8_s16_dotprod, flm_dot_q8_s16_dotprod, w, x,
                                   x_shift, out, out_shift);
}

flm_err_t flm_matmat_q8_s16_dotprod(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                    size_t x_stride, const int32_t *x_shift, int32_t *out,
                                    size_t out_stride, int32_t out_shift)
{
    bool fits = w && x && w->cols <= FLM_KERNEL_MAX_COLS && n > 0 && (n == 1 || x_stride >= w->cols);
    for (uint32_t b = 0; fits && b < n; b++)
        fits = flm_dotprod_fits2(x + b * x_stride, w->cols);
    if (fits)
        return flm_neon_matmat_q8_with(flm_sums4_2_q8_s16_dotprod, flm_dot2_q8_s16_dotprod, w, n,
                                       x, x_stride, x_shift, out, out_stride, out_shift);
    return flm_neon_matmat_q8_with(flm_sums4_q8_s16_dotprod, flm_dot_q8_s16_dotprod, w, n, x,
                                   x_stride, x_shift, out, out_stride, out_shift);
}
#endif
